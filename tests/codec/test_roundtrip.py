"""Round trips: the vendor I_MESSAGEs (bit-exact, layouts as published), one message of every
data type, and hypothesis messages of every data type drawn from grammar + presence rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from mckm.impl.codec import (
    decode,
    decode_key_data,
    encode,
    encode_key_data,
    mac_portion,
    signed_portion,
    sp_params,
)
from mckm.impl.codec.chains import decode_chain, encode_chain
from mckm.impl.codec.model import Payload
from mckm.impl.codec.strategies import fields_strategy, message_strategy
from mckm.impl.errors import DecodeError
from mckm.models.grammar.messages import RULES, MessageRule
from mckm.models.grammar.registry import BY_NAME
from tests.codec.samples import sample_messages

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
VECTORS = json.loads(VENDOR.read_text())["i_messages_published"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["title"])
def test_vendor_i_message(vector: dict) -> None:
    """REQ-CODEC-01, REQ-CODEC-02, REQ-CODEC-05, REQ-CODEC-07: vendor I_MESSAGEs decode along
    their Next Payload chain to the published layout, re-encode bit-exact, sign over everything
    before the signature field, and carry IDRuidi / IDRuidr with 32-octet UIDs.
    """
    raw = bytes.fromhex(vector["i_message_hex"])
    message = decode(raw)
    assert encode(message) == raw
    assert [[s.payload, s.offset, s.length] for s in message.layout] == vector["payload_layout"]
    hdr = vector["hdr"]
    assert message.data_type == hdr["data_type"] == 26
    assert (message.hdr.v, message.hdr.prf_func) == (hdr["v"], hdr["prf"])
    assert message.hdr.csb_id == int(hdr["csb_id"], 16)
    assert (message.hdr.n_cs, message.hdr.cs_id_map_type) == (hdr["n_cs"], hdr["cs_id_map_type"])
    map_octets = raw[10:hdr["length"]]
    assert map_octets.hex() == hdr["cs_id_map_info"]
    roles = [p.label("id_role") for p in message.all("IDR")]
    assert roles == ["IDRuidi", "IDRuidr", "IDRkmsi", "IDRkmsr"]
    assert all(len(p.id_data) == 32 for p in message.all("IDR")[:2])
    sign = message.layout[-1]
    assert signed_portion(raw) == raw[: sign.offset + 2] == message.signed_portion
    assert message.get("SIGN").label("s_type") == "ECCSI"
    assert message.get("T").ts_value >> 32 == vector["timestamp"]["ntp_seconds"]
    assert sp_params(message.get("SP"))[0] == {"type": 0, "value": b"\x06"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize("optional", [True, False])
def test_sample_of_every_data_type(rule: MessageRule, optional: bool) -> None:
    """REQ-CODEC-02: a message of every data type round-trips to the same octets."""
    message = sample_messages(optional=optional)[rule.data_type]
    raw = encode(message)
    back = decode(raw)
    assert back == message
    assert encode(back) == raw
    assert sum(s.length for s in back.layout) == len(raw)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_hypothesis_messages_of_every_data_type(rule: MessageRule) -> None:
    """REQ-CODEC-02: messages drawn from the grammar and presence rules round-trip to the same
    octets.
    """

    @settings(max_examples=25, deadline=None)
    @given(message_strategy(rule))
    def check(message) -> None:  # type: ignore[no-untyped-def]
        raw = encode(message)
        back = decode(raw)
        assert back == message
        assert encode(back) == raw

    check()


@pytest.mark.parametrize("name", [n for n, p in BY_NAME.items() if p.number is not None])
def test_every_payload_in_an_inner_chain(name: str) -> None:
    """REQ-CODEC-08: every payload round-trips through decode_chain / encode_chain."""

    @settings(max_examples=20, deadline=None)
    @given(fields_strategy(BY_NAME[name].spec))
    def check(fields: dict) -> None:
        chain = [Payload(name, fields)]
        assert decode_chain(encode_chain(chain)) == chain

    check()


@settings(max_examples=40, deadline=None)
@given(fields_strategy(BY_NAME["KEY_DATA"].spec))
def test_key_data_chain(fields: dict) -> None:
    """REQ-CODEC-08: a Key data sub-payload chain round-trips through encode_key_data /
    decode_key_data.
    """
    keys = [Payload("KEY_DATA", fields), Payload("KEY_DATA", fields)]
    plain = encode_key_data(keys)
    assert decode_key_data(plain) == keys
    salted = fields["key_type"] in (1, 3, 5)
    assert (fields["salt"] is not None) == salted


def test_kemac_in_sample_carries_key_data() -> None:
    """REQ-CODEC-08: KEMAC's Encr data stays opaque and decode_key_data reads its Key data
    chain.
    """
    kemac = sample_messages()[0].get("KEMAC")
    keys = decode_key_data(kemac.encr_data)
    assert [k.label("key_type") for k in keys] == ["TEK+SALT", "MPK"]


@pytest.mark.parametrize(("data_type", "payload", "field", "value"),
                         [(6, "ERR", "reserved", 0xBEEF), (4, "DH", "reserved", 0xA)])
def test_reserved_bits_are_kept(data_type: int, payload: str, field: str, value: int) -> None:
    """REQ-CODEC-02: a reserved field sent non-zero decodes to its value and encodes back to the
    same octets (ERR's 16 reserved bits, DH's 4)."""
    message = sample_messages()[data_type]
    message.get(payload).fields[field] = value
    raw = encode(message)
    back = decode(raw)
    assert back.get(payload).fields[field] == value
    assert encode(back) == raw


@pytest.mark.parametrize("data_type", [rule.data_type for rule in RULES])
def test_signed_and_mac_portions_end_at_the_signature_or_mac(data_type: int) -> None:
    """REQ-CODEC-05: signed_portion is every octet before SIGN's signature field (its 2-octet
    S type / Signature len included) and mac_portion every octet before V's verification data;
    what follows is exactly the signature or the MAC."""
    message = sample_messages()[data_type]
    raw = encode(message)
    names = [p.name for p in message.payloads]
    for name, portion, tail in (("SIGN", signed_portion, "signature"),
                                ("V", mac_portion, "ver_data")):
        if name not in names:
            with pytest.raises(DecodeError, match=f"no {name} payload"):
                portion(raw)
            continue
        covered = portion(raw)
        span = next(s for s in decode(raw).layout if s.payload == name)
        assert covered == raw[:span.offset + 2]
        assert raw[len(covered):span.offset + span.length] == message.get(name).fields[tail]


def test_lengths_and_next_payload_are_recomputed_not_decoded() -> None:
    """REQ-CODEC-02: decoded payloads hold no Next Payload or length field; on encode a longer
    ID Data moves every later payload and a dropped payload re-links the chain."""
    raw = bytes.fromhex(VECTORS[2]["i_message_hex"])
    message = decode(raw)
    for payload in (message.hdr, *message.payloads):
        assert not [name for name in payload.fields
                    if "next" in name or name.endswith(("_len", "length"))], payload.name
    idr = message.all("IDR")[0]
    idr.fields["id_data"] = bytes(idr.fields["id_data"]) + b"\x00" * 8
    longer = decode(encode(message))
    assert longer.all("IDR")[0].fields["id_data"] == idr.fields["id_data"]
    assert [s.offset for s in longer.layout] == [
        s.offset + (8 if s.offset > message.layout[3].offset else 0) for s in message.layout]
    sakke = next(s for s in longer.layout if s.payload == "SAKKE")
    assert encode(message)[sakke.offset] == BY_NAME["GENERAL_EXT"].number
    message.payloads = [p for p in message.payloads if p.name != "GENERAL_EXT"]
    shorter = encode(message)
    assert shorter[sakke.offset] == BY_NAME["SIGN"].number  # SAKKE's Next Payload now SIGN
    assert [s.payload for s in decode(shorter).layout][-2:] == ["SAKKE", "SIGN"]
