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
    signed_portion,
    sp_params,
)
from mckm.impl.codec.chains import decode_chain, encode_chain
from mckm.impl.codec.model import Payload
from mckm.impl.codec.strategies import fields_strategy, message_strategy
from mckm.models.grammar.messages import RULES, MessageRule
from mckm.models.grammar.registry import BY_NAME
from tests.codec.samples import sample_messages

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
VECTORS = json.loads(VENDOR.read_text())["i_messages_published"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["title"])
def test_vendor_i_message(vector: dict) -> None:
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
    message = sample_messages(optional=optional)[rule.data_type]
    raw = encode(message)
    back = decode(raw)
    assert back == message
    assert encode(back) == raw
    assert sum(s.length for s in back.layout) == len(raw)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_hypothesis_messages_of_every_data_type(rule: MessageRule) -> None:
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
    @settings(max_examples=20, deadline=None)
    @given(fields_strategy(BY_NAME[name].spec))
    def check(fields: dict) -> None:
        chain = [Payload(name, fields)]
        assert decode_chain(encode_chain(chain)) == chain

    check()


@settings(max_examples=40, deadline=None)
@given(fields_strategy(BY_NAME["KEY_DATA"].spec))
def test_key_data_chain(fields: dict) -> None:
    keys = [Payload("KEY_DATA", fields), Payload("KEY_DATA", fields)]
    plain = encode_key_data(keys)
    assert decode_key_data(plain) == keys
    salted = fields["key_type"] in (1, 3, 5)
    assert (fields["salt"] is not None) == salted


def test_kemac_in_sample_carries_key_data() -> None:
    kemac = sample_messages()[0].get("KEMAC")
    keys = decode_key_data(kemac.encr_data)
    assert [k.label("key_type") for k in keys] == ["TEK+SALT", "MPK"]
