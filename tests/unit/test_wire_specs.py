"""Executable message specs: paths resolve against the grammar at import, and every model's
wire declarations agree with the presence rules of their data type (models/grammar)."""

from __future__ import annotations

import pytest

from mckm.impl.codec import decode, encode
from mckm.impl.codec.model import Message
from mckm.impl.engine.wire import WireView, header, payloads
from mckm.models.grammar.messages import BY_DATA_TYPE
from mckm.models.grammar.namespaces import DATA_TYPE
from mckm.models.grammar.paths import GrammarPathError, resolve
from mckm.models.grammar.wire import NTP_SECONDS, URI_TEXT, Integrity, Layout, wire
from mckm.models.procedures.model import MessageSpec
from mckm.models.procedures.registry import PROCEDURES


@pytest.mark.parametrize("text, says", [
    ("IDX[id_role=IDRi].id_data", "no payload"),
    ("IDR[id_role=IDRx].id_data", "no value named"),
    ("IDR[id_role=IDRi].id_dat", "no field"),
    ("IDR[id_data=IDRi].id_data", "not an enumerated field"),
    ("IDR.id_len", "derived"),
    ("IDR id_data", "is not"),
])
def test_a_wrong_path_fails_when_the_model_is_loaded(text: str, says: str) -> None:
    with pytest.raises(GrammarPathError, match=says):
        resolve(text)
    with pytest.raises(GrammarPathError):
        wire("ident", text)


def test_wrong_layout_and_fixed_values_fail_at_load() -> None:
    with pytest.raises(GrammarPathError):
        Layout("TRANSFER_INIT", ("T", "RANDR[rand_role=RANDRq]", "V"))
    with pytest.raises(GrammarPathError):
        Layout("TRANSFER_INIT", ("T", "V"), copies=("csb",))
    with pytest.raises(GrammarPathError):
        wire("ident", "IDR[id_role=IDRi].id_data", fixed={"id_type": "URL"})
    with pytest.raises(KeyError):
        MessageSpec.on_wire("X", "", Layout("NO_SUCH_TYPE", ("T",)), {})


def _model_messages() -> list[MessageSpec]:
    seen: dict[str, MessageSpec] = {}
    for procedure in PROCEDURES:
        for m in procedure.messages:
            if m.layout is not None:
                seen[f"{procedure.name}:{m.name}"] = m
    return list(seen.values())


@pytest.mark.parametrize("spec", _model_messages(), ids=lambda m: m.name)
def test_wire_declarations_agree_with_the_presence_rules(spec: MessageSpec) -> None:
    assert spec.layout is not None
    rule = BY_DATA_TYPE[DATA_TYPE.value_of(spec.layout.data_type)]
    allowed = {s.payload for s in rule.slots} | {"HDR"}
    for name, w in spec.wire.items():
        for path in w.paths:
            assert path.transport or path.payload in allowed, (spec.name, name, path.text)
    for entry in spec.layout.order:
        assert resolve(entry).payload in allowed, (spec.name, entry)
    if spec.layout.integrity is not None:
        assert spec.layout.integrity.payload in rule.last


def test_generic_builder_and_view_round_trip_a_declared_message() -> None:
    spec = MessageSpec.on_wire("PROBE", "test", Layout(
        "TRANSFER_INIT", ("T", "IDR", "V"), integrity=Integrity("V", append_request=True)), {
        "t": wire("time", "T", conv=NTP_SECONDS),
        "idrr": wire("ident", "IDR[id_role=IDRr].id_data", conv=URI_TEXT,
                     fixed={"id_type": "URI"}),
        "v": wire("blob", "V.ver_data")})
    from mckm.impl.codec import Payload
    values = {"t": 3_900_000_000, "idrr": "sip:bob@b.example"}
    body = payloads(spec, values, extra=[Payload("V", {"auth_alg": 0, "ver_data": b""})])
    raw = bytes(encode(Message(header(spec, values), body)))
    view = WireView(spec, decode(raw), raw)
    assert view["t"] == values["t"] and view["idrr"] == values["idrr"]
    assert view["v"] == b""
    # a second IDRr makes the field ambiguous: it reads as None (the engine refuses it)
    doubled = Message(header(spec, values), [body[0], body[1], body[1], body[2]])
    raw2 = bytes(encode(doubled))
    assert WireView(spec, decode(raw2), raw2)["idrr"] is None
