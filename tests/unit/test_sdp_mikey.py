"""MIKEY in SDP (RFC 4567) and SDP in SIP: round trips, the session / media level rule, clear
errors for bad carriers, and totality of the parsers on arbitrary input."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.roles.ticket import sip
from mckm.impl.transport.sdp_mikey import (
    key_mgmt_attributes,
    key_mgmt_line,
    mikey_for_media,
    parse_sip,
    sdp_with_mikey,
    sip_answer,
    sip_invite,
)

TI = bytes([1, 14, 5, 0x81]) + bytes(40)  # HDR version 1, data type 14 (TRANSFER_INIT)
TR = bytes([1, 15, 5, 0x01]) + bytes(20)  # data type 15 (TRANSFER_RESP)


def _sdp(*lines: str) -> str:
    return "\r\n".join(["v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1",
                        "t=0 0", *lines, ""])


def test_attribute_is_base64_of_the_message() -> None:
    line = key_mgmt_line(TI)
    assert line == "a=key-mgmt:mikey " + base64.b64encode(TI).decode()
    sdp = sdp_with_mikey(TI, user="-", address="192.0.2.1", port=49170, session_id=7)
    (attr,) = key_mgmt_attributes(sdp)
    assert (attr.protocol, attr.data, attr.media) == ("mikey", TI, None)
    assert mikey_for_media(sdp, 0) == TI
    assert "m=audio 49170 RTP/SAVP 0" in sdp and "IN IP6" in sdp_with_mikey(
        TI, user="-", address="2001:db8::1", port=5004, session_id=1)


def test_media_level_attribute_applies_to_its_media_else_the_session_one() -> None:
    sdp = _sdp(key_mgmt_line(TI), "m=audio 5004 RTP/SAVP 0", "m=video 5006 RTP/SAVP 96",
               key_mgmt_line(TR), "a=key-mgmt: other AAAA")
    attrs = key_mgmt_attributes(sdp)
    assert [(a.protocol, a.media) for a in attrs] == [("mikey", None), ("mikey", 1),
                                                      ("other", 1)]
    assert mikey_for_media(sdp, 0) == TI and mikey_for_media(sdp, 1) == TR


@pytest.mark.parametrize("line,field", [
    ("a=key-mgmt:mikey", "prtcl-id"),
    ("a=key-mgmt:mikey AQ4F*AAA", "keymgmt-data"),
    ("a=key-mgmt:mikey AQ4", "keymgmt-data"),
    ("a=key-mgmt:mi key AAAA", "keymgmt-data"),
    ("a=Key-Mgmt:mikey", "prtcl-id"),  # the name is read in any case
])
def test_bad_attribute_names_the_line_and_the_field(line: str, field: str) -> None:
    sdp = _sdp(line, "m=audio 5004 RTP/SAVP 0")
    with pytest.raises(DecodeError) as exc:
        key_mgmt_attributes(sdp)
    assert (exc.value.payload, exc.value.field) == ("SDP", field)
    assert exc.value.offset == sdp.index(line)


def test_missing_or_repeated_mikey_attribute() -> None:
    with pytest.raises(DecodeError, match="no key-mgmt:mikey"):
        mikey_for_media(_sdp("m=audio 5004 RTP/SAVP 0"), 0)
    with pytest.raises(DecodeError, match="2 key-mgmt:mikey"):
        mikey_for_media(_sdp(key_mgmt_line(TI), key_mgmt_line(TI)), 0)
    with pytest.raises(UsageError):
        key_mgmt_line(b"")


def test_invite_and_answer_round_trip_through_sip() -> None:
    raw = sip.invite(TI, from_uri="sip:alice@a.example", to_uri="sip:bob@b.example")
    request, ti = sip.transfer_init_of(raw)
    assert ti == TI and request.is_request and request.header("Content-Type") == "application/sdp"
    assert parse_sip(request.encode()) == request
    answer = sip.answer(request, TR)
    assert sip.transfer_resp_of(answer) == TR
    response = parse_sip(answer)
    assert response.status == 200
    for name in ("Call-ID", "CSeq", "From", "Via"):
        assert response.header(name) == request.header(name)
    assert (response.header("To") or "").startswith(request.header("To") or "-")


def test_carrier_refusals_are_decode_errors() -> None:
    raw = sip.invite(TI, from_uri="sip:alice@a.example", to_uri="sip:bob@b.example")
    request, _ = sip.transfer_init_of(raw)
    cases = [
        (raw[:-1], "Content-Length"),  # the body cut short
        (raw.replace(b"\r\n\r\n", b"\r\n"), "headers"),
        (b"HELLO\r\n\r\n", "start-line"),
        (raw.replace(b"Content-Type: application/sdp", b"Content-Type: text/plain"),
         "Content-Type"),
    ]
    for bad, field in cases:
        with pytest.raises(DecodeError) as exc:
            sip.transfer_init_of(bad)
        assert exc.value.field == field, (bad[:30], exc.value)
    with pytest.raises(DecodeError, match="not a TRANSFER_RESP"):
        sip.transfer_resp_of(sip.answer(request, TI))  # wrong MIKEY data type
    with pytest.raises(DecodeError, match="18x or 2xx"):
        sip.transfer_resp_of(sip_answer(request, sdp="v=0\r\n", status=183,
                                        reason="Session Progress").encode()
                             .replace(b"SIP/2.0 183", b"SIP/2.0 486"))
    with pytest.raises(DecodeError, match="comes in an INVITE"):
        sip.transfer_init_of(sip.answer(request, TI))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_sip_parser_is_total_on_octets(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):
        sip.transfer_init_of(raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["v=0", "m=audio 1 RTP/SAVP 0", key_mgmt_line(TI),
                                 "a=key-mgmt:", "a=key-mgmt:mikey ", "a=key-mgmt:  mikey x",
                                 "a=key-mgmt:mikey ====", "a=rtpmap:0 PCMU/8000"]) | st.text(),
                max_size=8),
       st.integers(0, 3))
def test_sdp_reader_is_total_on_text(lines: list[str], media: int) -> None:
    with contextlib.suppress(DecodeError):
        mikey_for_media("\r\n".join(lines), media)


def test_sip_invite_builder_keeps_the_body_exact() -> None:
    message = sip_invite(from_uri="sip:a@x", to_uri="sip:b@y", call_id="c1", via="192.0.2.1",
                         sdp=_sdp(key_mgmt_line(TI)))
    assert parse_sip(message.encode()).body == _sdp(key_mgmt_line(TI)).encode()
