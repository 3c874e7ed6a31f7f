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
    """REQ-CODEC-03: a truncated message gives a DecodeError naming the payload, field and
    offset.
    """
    e = _error(RAW[:30])  # inside RAND (offset 20, 18 octets; data from 22)
    assert (e.payload, e.field, e.offset) == ("RAND", "rand", 22)
    assert "truncated" in e.reason


def test_trailing_octets() -> None:
    """REQ-CODEC-01, REQ-CODEC-03: SIGN ends the chain; octets after the last payload are an
    error at their offset.
    """
    e = _error(RAW + b"\x00")
    assert e.offset == len(RAW) and e.payload == "SIGN" and "trailing" in e.reason


def test_unknown_next_payload() -> None:
    """REQ-CODEC-01, REQ-CODEC-06: an unknown Next Payload value is refused, naming the payload
    whose field it is.
    """
    bad = bytearray(RAW)
    bad[10] = 99  # T's next payload
    e = _error(bytes(bad))
    assert (e.payload, e.field) == ("T", "next_payload") and "99" in e.reason


def test_unknown_timestamp_type_names_the_key() -> None:
    """REQ-CODEC-06: an unassigned TS type fixes no layout: refused naming the field it sizes
    and the value.
    """
    bad = bytearray(RAW)
    bad[11] = 9
    e = _error(bytes(bad))
    assert (e.payload, e.field, e.offset) == ("T", "ts_value", 12)
    assert "ts_type = 9" in e.reason


def test_unknown_map_type() -> None:
    """REQ-CODEC-06: an unassigned CS ID map type is refused naming HDR's map info."""
    bad = bytearray(RAW)
    bad[9] = 7
    e = _error(bytes(bad))
    assert (e.payload, e.field) == ("HDR", "cs_id_map_info")


def test_unassigned_role_decodes_with_a_name() -> None:
    """REQ-CODEC-06, REQ-CODEC-02: an unassigned ID role decodes as "unassigned (77)" and
    encodes back to the same octets.
    """
    bad = bytearray(RAW)
    bad[39] = 77  # first IDR (offset 38): its role
    message = decode(bytes(bad))
    assert message.all("IDR")[0].label("id_role") == "unassigned (77)"
    assert encode(message) == bytes(bad)


def test_sign_must_be_last_on_encode() -> None:
    """REQ-CODEC-04: the I_MESSAGE rule (exactly one SIGN) is checked on encode."""
    m = decode(RAW)
    m.payloads = [p for p in m.payloads if p.name != "SIGN"]
    with pytest.raises(EncodeError, match="requires exactly 1 SIGN"):
        encode(m)


def test_i_message_requires_sign_as_last_on_decode() -> None:
    """REQ-CODEC-04: the I_MESSAGE rule (SIGN last) is checked on decode."""
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
    """REQ-CODEC-04: V must be the last payload (checked on encode)."""
    m = sample_messages()[14]
    m.payloads = [p for p in m.payloads if p.name != "V"]
    m.payloads.insert(1, sample_payload("V"))
    with pytest.raises(EncodeError, match="V to be the last"):
        encode(m)


def test_ticket_request_hdr_rule() -> None:
    """REQ-CODEC-04: REQUEST_INIT's HDR values (#CS = 0, Empty map) are checked on encode."""
    m = sample_messages()[11]
    m.hdr.fields.update(n_cs=1, cs_id_map_type=0,
                        cs_id_map_info=[{"policy_no": 0, "ssrc": 1, "roc": 0}])
    with pytest.raises(EncodeError, match=r"cs_id_map_type in \[1\]|n_cs in \[0\]"):
        encode(m)


def test_required_role() -> None:
    """REQ-CODEC-04: a required RANDR role is checked on encode."""
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
    """REQ-CODEC-03: a data type that is not modelled is refused naming HDR's data_type at
    offset 1.
    """
    bad = bytearray(RAW)
    bad[1] = 7
    e = _error(bytes(bad))
    assert (e.field, e.offset) == ("data_type", 1) and "RFC 4650" in e.reason


def test_bad_sp_params() -> None:
    """REQ-CODEC-09: SP policy params that do not tile the policy param length are refused on
    decode and on encode.
    """
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
    """REQ-CODEC-03: input that is not octets is a DecodeError, not another exception."""
    with pytest.raises(DecodeError):
        decode("0102")  # type: ignore[arg-type]


def test_message_wrong_payload_name() -> None:
    """REQ-CODEC-01: KEY_DATA in a message's own chain is refused on encode."""
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
    """REQ-CODEC-02, REQ-CODEC-03: a mutated message decodes and re-encodes to the same octets,
    or gives a DecodeError with a reason.
    """
    try:
        message = decode(raw)
    except DecodeError as e:
        assert e.reason
        return
    assert encode(message) == raw


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_octets(raw: bytes) -> None:
    """REQ-CODEC-02, REQ-CODEC-03: random octets give a Message that re-encodes to them, or a
    DecodeError.
    """
    try:
        message = decode(raw)
    except DecodeError:
        return
    assert encode(message) == raw


def test_key_data_is_refused_outside_kemac() -> None:
    """REQ-CODEC-01: a Next Payload naming KEY_DATA (20) in the message chain is refused, naming
    the payload whose Next Payload it is: KEY_DATA exists only inside KEMAC."""
    bad = bytearray(RAW)
    bad[10] = 20  # T's next payload
    e = _error(bytes(bad))
    assert (e.payload, e.field, e.offset) == ("T", "next_payload", 20)
    assert "only inside KEMAC" in e.reason


def _general_ext_chain(count: int) -> bytes:
    """RAW's HDR, then ``count`` empty GENERAL_EXT payloads (RFC 3830 6.15) chained by Next
    Payload 21, the last one ending the chain."""
    hdr = bytearray(RAW[:10])
    hdr[2] = 21
    exts = [bytes([21 if i < count - 1 else 0, 0, 0, 0]) for i in range(count)]
    return bytes(hdr) + b"".join(exts)


def test_message_bounds_octets_and_payloads() -> None:
    """REQ-CODEC-03: more than 65535 octets, or more than 128 payloads, is refused with the
    bound named; 128 payloads are walked (and then judged by the presence rules)."""
    e = _error(RAW + bytes(65536 - len(RAW)))
    assert e.offset == 65535 and "exceeds the bound of 65535" in e.reason
    e = _error(_general_ext_chain(129))
    assert (e.payload, e.offset) == ("GENERAL_EXT", 10 + 128 * 4)
    assert "more than 128 payloads" in e.reason
    e = _error(_general_ext_chain(128))
    assert "more than" not in e.reason and "SAKKE" in e.reason


@pytest.mark.parametrize(("role", "name"), [(0, "reserved (0)"), (200, "unassigned (200)"),
                                            (240, "private use (240)"),
                                            (254, "private use (254)"), (255, "reserved (255)")])
def test_extensible_name_space_values_decode_with_their_kind(role: int, name: str) -> None:
    """REQ-CODEC-06: an ID role outside the assigned values decodes, named as unassigned,
    private use or reserved (RFC 6043 6.6, 14), and encodes back to the same octets."""
    bad = bytearray(RAW)
    bad[39] = role  # the first IDR's role
    message = decode(bytes(bad))
    assert message.all("IDR")[0].label("id_role") == name
    assert encode(message) == bytes(bad)


@pytest.mark.parametrize(("data_type", "payload", "key", "field"),
                         [(1, "V", "auth_alg", "ver_data"), (4, "DH", "dh_group", "dh_value")])
def test_unassigned_layout_values_are_refused_naming_the_field(
    data_type: int, payload: str, key: str, field: str
) -> None:
    """REQ-CODEC-06: a V auth alg or DH group that is not assigned fixes no layout, so decode
    fails naming the payload, the field it sizes and the value."""
    raw = encode(sample_messages()[data_type])
    span = next(s for s in decode(raw).layout if s.payload == payload)
    bad = bytearray(raw)
    bad[span.offset + 1] = 200  # the octet after Next Payload
    e = _error(bytes(bad))
    assert (e.payload, e.field, e.offset) == (payload, field, span.offset + 2)
    assert f"{key} = 200 (unassigned (200))" in e.reason
