"""Encode refuses bad objects with an EncodeError, and the generated checked builders never
change which messages are refused or how: every EncodeError text is the one ``field_problem``
words, and a message they accept is one ``field_problem`` accepts."""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mckm.impl.codec import Message, encode
from mckm.impl.codec.codegen import CheckFailed
from mckm.impl.codec.payload_build import FAST_BUILD
from mckm.impl.errors import EncodeError
from tests.codec.samples import sample_messages

MESSAGES = list(sample_messages(optional=True).values())


class Small(enum.IntEnum):
    ONE = 1


BAD_VALUES: tuple[Any, ...] = (-1, True, 1.0, "x", None, 2**64, b"", b"\x00" * 70000, [], {})


def _refuse(*_: object) -> None:
    raise CheckFailed


@contextmanager
def without_checked_builders() -> Iterator[None]:
    saved = dict(FAST_BUILD)
    for name, pair in saved.items():
        if pair is not None:
            FAST_BUILD[name] = (_refuse, pair[1])
    try:
        yield
    finally:
        FAST_BUILD.update(saved)


def outcome(message: Message) -> tuple[str, object]:
    try:
        return ("ok", encode(message))
    except EncodeError as exc:
        return ("error", str(exc))


def mutations() -> Iterator[tuple[str, Message]]:
    for m_index, message in enumerate(MESSAGES):
        for p_index, payload in enumerate([message.hdr, *message.payloads]):
            for key in payload.fields:
                for bad in (*BAD_VALUES, Small.ONE):
                    changed = copy.deepcopy(message)
                    target = changed.hdr if p_index == 0 else changed.payloads[p_index - 1]
                    target.fields[key] = bad
                    yield f"{m_index}:{payload.name}.{key}={bad!r:.12}", changed
            dropped = copy.deepcopy(message)
            target = dropped.hdr if p_index == 0 else dropped.payloads[p_index - 1]
            target.fields.pop(next(iter(target.fields)), None)
            yield f"{m_index}:{payload.name} missing a key", dropped


def test_every_payload_has_a_checked_builder() -> None:
    assert [n for n, pair in FAST_BUILD.items() if pair is None] == []


def test_checked_builders_give_the_same_octets_and_errors_as_field_problem() -> None:
    cases = list(mutations())
    assert len(cases) > 1000
    for label, message in cases:
        fast = outcome(message)  # CheckFailed or anything else escaping fails here
        with without_checked_builders():
            slow = outcome(message)
        assert fast == slow, label


@pytest.mark.parametrize("data_type", [None, "x", True, 1.5])
def test_a_badly_typed_header_is_an_encode_error(data_type: object) -> None:
    message = copy.deepcopy(MESSAGES[0])
    message.hdr.fields["data_type"] = data_type
    with pytest.raises(EncodeError, match="data_type must be an integer"):
        encode(message)


def test_a_missing_data_type_or_a_foreign_payload_is_an_encode_error() -> None:
    message = copy.deepcopy(MESSAGES[0])
    del message.hdr.fields["data_type"]
    with pytest.raises(EncodeError):
        encode(message)
    message = copy.deepcopy(MESSAGES[0])
    message.payloads.append("not a payload")  # type: ignore[arg-type]
    with pytest.raises(EncodeError, match="list of Payload"):
        encode(message)
