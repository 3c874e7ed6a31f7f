"""A caller who reads or writes a SEAL I_MESSAGE (TS 33.180 5.x, RFC 6509) without binding the
identity converter gets the project's UsageError naming that converter, never a TypeError from
inside the engine (impl/engine/wire.py; survivors of ``./dev mutate engine``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mckm.impl.codec import decode
from mckm.impl.engine.wire import WireView, payloads
from mckm.impl.errors import UsageError
from mckm.impl.roles.seal.imessage import BOUND
from mckm.models.procedures.seal_key_distribution import I_MESSAGE

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"


def _published_i_message() -> bytes:
    data = json.loads(VECTORS.read_text())
    return bytes.fromhex(data["i_messages_published"][0]["i_message_hex"])


def _bound_field() -> tuple[str, str]:
    """A field of the I_MESSAGE whose converter a role binds (the URI-or-UID identity)."""
    name, wire = next((n, w) for n, w in I_MESSAGE.wire.items() if w.conv.bound_by_role)
    assert wire.conv.name in BOUND
    return name, wire.conv.name


def test_reading_without_the_bound_converter_names_it() -> None:
    raw = _published_i_message()
    _, converter = _bound_field()
    with pytest.raises(UsageError, match=f"I_MESSAGE: converter '{converter}' is not bound"):
        WireView(I_MESSAGE, decode(raw), raw)


def test_writing_without_the_bound_converter_names_it() -> None:
    name, converter = _bound_field()
    with pytest.raises(UsageError, match=f"no writer bound for '{converter}'"):
        payloads(I_MESSAGE, {name: "sip:alice@example.org"}, bound=None)
    with pytest.raises(UsageError, match=f"no writer bound for '{converter}'"):
        payloads(I_MESSAGE, {name: "sip:alice@example.org"}, bound={})
