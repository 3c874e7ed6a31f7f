"""The octet fields that hold payloads have one home, ``models/grammar/inner_chains.py``: mckm's
chain decoders (``chains.decode_inner`` / ``inner_payloads``), the Kaitai export and the Lua
dissector read it.  A declaration taken out of the table disappears from both exports; a bad
inner chain is refused naming the outer payload, field and clause; the SAKKE inside a
SAKKE-to-self extension is read whatever its Next Payload (TS 33.180 E.5: "set to zero and
ignored")."""

from __future__ import annotations

import pytest

from mckm.impl.codec import decode, export_ksy, export_lua
from mckm.impl.codec.chains import decode_one, encode_chain, inner_payloads
from mckm.impl.codec.model import Payload
from mckm.impl.errors import DecodeError
from mckm.models.grammar.inner_chains import BY_FIELD, INNER_CHAINS
from mckm.models.grammar.registry import BY_NAME
from tests.export import corpus

_SAKKE = {"sakke_params": 1, "id_scheme": 2, "sakke_data": b"\x04" + bytes(256)}


def test_every_declaration_names_an_octet_field_and_a_clause() -> None:
    assert {(x.payload, x.field) for x in INNER_CHAINS} == {
        ("TP", "tp_data"), ("TICKET", "tp_data"), ("TICKET", "initiator_data"),
        ("KEMAC", "encr_data"), ("GENERAL_EXT", "data")}
    assert all(x.clause for x in INNER_CHAINS)


@pytest.mark.parametrize("key", sorted(BY_FIELD), ids="{0[0]}.{0[1]}".format)
def test_a_declaration_taken_out_leaves_both_exports(monkeypatch: pytest.MonkeyPatch,
                                                     key: tuple[str, str]) -> None:
    ksy_before = export_ksy.document()["types"]
    lua_before = export_lua.render()[export_lua.FILE_NAME]
    fewer = {k: v for k, v in BY_FIELD.items() if k != key}
    monkeypatch.setattr(export_ksy, "BY_FIELD", fewer)
    monkeypatch.setattr(export_lua, "BY_FIELD", fewer)
    payload, field = key
    ksy_after = export_ksy.document()["types"]
    lua_after = export_lua.render()[export_lua.FILE_NAME]

    def ksy_field(types: dict, name: str) -> dict:
        spec = export_ksy.type_id(BY_NAME[payload].spec)
        return next(a for a in types[spec]["seq"] if a["id"] == name)

    assert "type" in ksy_field(ksy_before, field)
    assert "type" not in ksy_field(ksy_after, field)
    line = f'n = "{field}", len = "'
    before = [x for x in lua_before.splitlines() if line in x and "chain = " in x]
    after = [x for x in lua_after.splitlines() if line in x and "chain = " in x]
    assert len(after) == len(before) - 1


def test_a_bad_inner_chain_is_refused_naming_payload_field_and_clause() -> None:
    seen = []
    for title, raw in corpus.bad_inner():
        message = decode(raw)  # the outer message is well formed
        with pytest.raises(DecodeError) as caught:
            for p in message.payloads:
                inner_payloads(p)
        chain = BY_FIELD[(caught.value.payload or "", caught.value.field or "")]
        assert f"({chain.clause})" in str(caught.value), title
        seen.append(chain.kind)
    assert sorted(seen) == ["key_data", "payloads", "payloads"]


def test_sakke_to_self_next_payload_is_ignored() -> None:
    octets = bytearray(encode_chain([Payload("SAKKE", _SAKKE)])[1:])
    assert octets[0] == 0
    octets[0] = 5  # TS 33.180 E.5: set to zero and ignored
    assert decode_one("SAKKE", bytes(octets)).fields["sakke_data"] == _SAKKE["sakke_data"]
    with pytest.raises(DecodeError, match="1 trailing octets after the SAKKE"):
        decode_one("SAKKE", bytes(octets) + b"\x00")


def test_inner_payloads_reads_only_what_the_declaration_says() -> None:
    ext = Payload("GENERAL_EXT", {"type": 7, "data": b"\x01\x02"})  # key parameters: octets
    assert inner_payloads(ext) == {}
    kemac = Payload("KEMAC", {"encr_alg": 2, "encr_data": b"\xff" * 20, "mac_alg": 0,
                              "mac": b""})  # encrypted: not read
    assert inner_payloads(kemac) == {}
    ticket = Payload("TICKET", {"tp_data": b"\x00", "initiator_data": b""})
    assert inner_payloads(ticket) == {"tp_data": []}
