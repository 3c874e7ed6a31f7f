"""Secrets never appear in repr, str or format output."""

from __future__ import annotations

import pickle

import pytest

from mckm.impl.redact import Secret, fingerprint


@pytest.mark.parametrize("value", [b"\x12\x34\x56\x78" * 4, 0x123456789ABCDEF])
def test_secret_text_forms_are_redacted(value: bytes | int) -> None:
    s = Secret(value)
    shown = [repr(s), str(s), f"{s}", f"{s!r}", repr([s]), repr({"k": s})]
    plain = value.hex() if isinstance(value, bytes) else f"{value:x}"
    for text in shown:
        assert plain not in text.lower()
        assert str(value) not in text
        assert fingerprint(value) in text


def test_secret_is_not_pickled_and_compares_by_value() -> None:
    assert Secret(b"a") == Secret(b"a") != Secret(b"b")
    with pytest.raises(TypeError):
        pickle.dumps(Secret(b"a"))
