"""Broken input gives a DecodeError naming offset, payload, field and reason; presence rules
are enforced on decode and on encode."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.codec import decode, encode
from mckm.impl.codec.model import Message, Payload
from mckm.impl.errors import DecodeError, EncodeError
from tests.codec.samples import sample_messages, sample_payload

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
RAW = bytes.fromhex(json.loads(VENDOR.read_text())["i_messages_published"][2]["i_message_hex"])
SEEDS = [RAW, *(encode(m) for m in sample_messages().values())]


def _error(raw: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    return info.value


def test_truncated_field_is_named() -> None:
    e = _error(RAW[:30])  # inside RAND (offset 20, 18 octets; data from 22)
    assert (e.payload, e.field, e.offset) == ("RAND", "rand", 22)
    assert "truncated" in e.reason


def test_trailing_octets() -> None:
    e = _error(RAW + b"\x00")
    assert e.offset == len(RAW) and e.payload == "SIGN" and "trailing" in e.reason


def test_unknown_next_payload() -> None:
    bad = bytearray(RAW)
    bad[10] = 99  # T's next payload
    e = _error(bytes(bad))
    assert (e.payload, e.field) == ("T", "next_payload") and "99" in e.reason


def test_unknown_timestamp_type_names_the_key() -> None:
    bad = bytearray(RAW)
    bad[11] = 9
    e = _error(bytes(bad))
    assert (e.payload, e.field, e.offset) == ("T", "ts_value", 12)
    assert "ts_type = 9" in e.reason


def test_unknown_map_type() -> None:
    bad = bytearray(RAW)
    bad[9] = 7
    e = _error(bytes(bad))
    assert (e.payload, e.field) == ("HDR", "cs_id_map_info")


def test_unassigned_role_decodes_with_a_name() -> None:
    bad = bytearray(RAW)
    bad[39] = 77  # first IDR (offset 38): its role
    message = decode(bytes(bad))
    assert message.all("IDR")[0].label("id_role") == "unassigned (77)"
    assert encode(message) == bytes(bad)


def test_sign_must_be_last_on_encode() -> None:
    m = decode(RAW)
    m.payloads = [p for p in m.payloads if p.name != "SIGN"]
    with pytest.raises(EncodeError, match="requires exactly 1 SIGN"):
        encode(m)


def test_i_message_requires_sign_as_last_on_decode() -> None:
    m = decode(RAW)
    m.payloads = [p for p in m.payloads if p.name != "SIGN"]
    raw = encode_unchecked(m)
    e = _error(raw)
    assert "SAKKE" in e.reason and "SIGN" in e.reason


def encode_unchecked(m: Message) -> bytes:
    """``encode`` with the presence rules switched off, to build messages that break them."""
    with patch("mckm.impl.codec.encoder.presence_problem", lambda _m: None):
        return encode(m)


def test_v_must_be_last() -> None:
    m = sample_messages()[14]
    m.payloads = [p for p in m.payloads if p.name != "V"]
    m.payloads.insert(1, sample_payload("V"))
    with pytest.raises(EncodeError, match="V to be the last"):
        encode(m)


def test_ticket_request_hdr_rule() -> None:
    m = sample_messages()[11]
    m.hdr.fields.update(n_cs=1, cs_id_map_type=0,
                        cs_id_map_info=[{"policy_no": 0, "ssrc": 1, "roc": 0}])
    with pytest.raises(EncodeError, match=r"cs_id_map_type in \[1\]|n_cs in \[0\]"):
        encode(m)


def test_required_role() -> None:
    m = sample_messages()[16]
    m.get("RANDR").fields["rand_role"] = 1
    with pytest.raises(EncodeError, match="RANDR payload with role 2"):
        encode(m)


def test_field_ranges_on_encode() -> None:
    m = sample_messages()[26]
    m.hdr.fields["prf_func"] = 128
    with pytest.raises(EncodeError, match="prf_func: 128 does not fit 7 bits"):
        encode(m)
    m.hdr.fields["prf_func"] = 1
    m.get("SIGN").fields["signature"] = bytes(4096)
    with pytest.raises(EncodeError, match="12-bit length"):
        encode(m)


def test_data_type_not_modelled() -> None:
    bad = bytearray(RAW)
    bad[1] = 7
    e = _error(bytes(bad))
    assert (e.field, e.offset) == ("data_type", 1) and "RFC 4650" in e.reason


def test_bad_sp_params() -> None:
    m = sample_messages()[26]
    good = encode(m)
    sp = next(span for span in decode(good).layout if span.payload == "SP")
    bad = bytearray(good)
    bad[sp.offset + 6] = 0x20  # first policy param claims 32 octets; SP holds 12
    e = _error(bytes(bad))
    assert (e.payload, e.field, e.offset) == ("SP", "policy_params", sp.offset + 5)
    m.get("SP").fields["policy_params"] = bytes(bad[sp.offset + 5: sp.offset + sp.length])
    with pytest.raises(EncodeError, match="policy params"):
        encode(m)


def test_non_bytes_input() -> None:
    with pytest.raises(DecodeError):
        decode("0102")  # type: ignore[arg-type]


def test_message_wrong_payload_name() -> None:
    m = sample_messages()[1]
    m.payloads.insert(0, Payload("KEY_DATA", {}))
    with pytest.raises(EncodeError):
        encode(m)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    out = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        at = draw(st.integers(0, len(out)))
        if op == "flip" and at < len(out):
            out[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del out[at: at + draw(st.integers(1, 8))]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del out[at:]
    return bytes(out)


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_mutated_messages_decode_canonically_or_fail_cleanly(raw: bytes) -> None:
    try:
        message = decode(raw)
    except DecodeError as e:
        assert e.reason
        return
    assert encode(message) == raw


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_octets(raw: bytes) -> None:
    try:
        message = decode(raw)
    except DecodeError:
        return
    assert encode(message) == raw
