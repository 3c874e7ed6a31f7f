"""The generated offset-based parsers and builders (``impl/codec/codegen.py``) agree with the
construct grammars they are generated from: on valid messages and on mutated ones, decode gives
the same Message (or the same DecodeError: reason, offset, payload, field) and encode the same
octets, with the generated code on and with every payload forced onto the construct path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.bench.codec import I_MESSAGE
from mckm.impl.codec import decode, encode
from mckm.impl.codec.payload_build import FAST_BUILD
from mckm.impl.codec.payload_parse import FAST_PARSE
from mckm.impl.errors import DecodeError, EncodeError
from tests.codec.samples import sample_messages

SAMPLES = [I_MESSAGE] + [encode(m) for optional in (True, False)
                         for m in sample_messages(optional=optional).values()]


@contextmanager
def construct_only() -> Iterator[None]:
    parse, build = dict(FAST_PARSE), dict(FAST_BUILD)
    FAST_PARSE.update(dict.fromkeys(parse))
    FAST_BUILD.update(dict.fromkeys(build))
    try:
        yield
    finally:
        FAST_PARSE.update(parse)
        FAST_BUILD.update(build)


def outcome(data: bytes) -> tuple[Any, ...]:
    try:
        message = decode(data)
    except DecodeError as exc:
        return ("decode-error", str(exc), exc.offset, exc.payload, exc.field)
    try:
        return ("ok", message, message.layout, encode(message))
    except EncodeError as exc:
        return ("encode-error", str(exc))


def test_every_payload_has_a_generated_parser_and_builder() -> None:
    assert [n for n, f in FAST_PARSE.items() if f is None] == []
    assert [n for n, f in FAST_BUILD.items() if f is None] == []


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_valid_messages_agree(index: int) -> None:
    data = SAMPLES[index]
    fast = outcome(data)
    with construct_only():
        slow = outcome(data)
    assert fast == slow and fast[0] == "ok" and fast[3] == data


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, len(SAMPLES) - 1), kind=st.integers(0, 3), data=st.data())
def test_mutated_messages_agree(index: int, kind: int, data: st.DataObject) -> None:
    raw = bytearray(SAMPLES[index])
    at = data.draw(st.integers(0, len(raw) - 1), label="at")
    if kind == 0:
        raw[at] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    elif kind == 1:
        del raw[at:]
    elif kind == 2:
        raw[at] = data.draw(st.integers(0, 255), label="octet")
    else:
        raw += data.draw(st.binary(min_size=1, max_size=3), label="tail")
    mutated = bytes(raw)
    fast = outcome(mutated)
    with construct_only():
        slow = outcome(mutated)
    assert fast == slow
