"""The two XML bodies of the service authorisation PUBLISH: the mcptt-info token holder (TS 24.379
Annex F.1) and the profile; bad input is a DecodeError naming the element, never a traceback."""

from __future__ import annotations

import pytest

from mckm.impl.errors import DecodeError
from mckm.impl.roles.sip_core.body import (
    MCPTT_INFO_NS,
    Profile,
    access_token_of,
    mcptt_info,
    parse_profile,
    profile_body,
)

NS = f'xmlns="{MCPTT_INFO_NS}"'


def test_the_token_round_trips() -> None:
    assert access_token_of(mcptt_info("eyJ.abc.def")) == "eyJ.abc.def"
    assert b'<mcptt-access-token type="Normal"><mcpttString>eyJ.abc.def' in mcptt_info(
        "eyJ.abc.def")


@pytest.mark.parametrize("body,field", [
    (b"<mcpttinfo/>", "mcpttinfo"),
    (f"<mcpttinfo {NS}/>".encode(), "mcptt-Params"),
    (f"<mcpttinfo {NS}><mcptt-Params/></mcpttinfo>".encode(), "mcptt-access-token"),
    (f"<mcpttinfo {NS}><mcptt-Params><mcptt-access-token type='Encrypted'><mcpttString>x"
     f"</mcpttString></mcptt-access-token></mcptt-Params></mcpttinfo>".encode(),
     "mcptt-access-token"),
    (f"<mcpttinfo {NS}><mcptt-Params><mcptt-access-token><mcpttString> </mcpttString>"
     f"</mcptt-access-token></mcptt-Params></mcpttinfo>".encode(), "mcpttString"),
    (f"<mcpttinfo {NS}><mcptt-Params><mcptt-access-token><mcpttString>a</mcpttString>"
     f"<mcpttString>b</mcpttString></mcptt-access-token></mcptt-Params></mcpttinfo>".encode(),
     "mcpttString"),
    (b"<!DOCTYPE x [<!ENTITY a 'b'>]><mcpttinfo/>", "DOCTYPE"),
])
def test_a_body_off_the_form_names_the_element(body: bytes, field: str) -> None:
    with pytest.raises(DecodeError) as caught:
        access_token_of(body)
    assert caught.value.field == field or field in str(caught.value)


def test_not_xml_names_the_line() -> None:
    with pytest.raises(DecodeError, match="line 1"):
        access_token_of(b"<mcpttinfo")


def test_the_profile_round_trips_and_a_missing_field_is_named() -> None:
    profile = Profile("sip:alice@example.org", "sip:+49@ims.example.org", "sip:ue@h:1", 60)
    assert parse_profile(profile_body(profile)) == profile
    broken = profile_body(profile).replace(b"<expires>60</expires>", b"")
    with pytest.raises(DecodeError) as caught:
        parse_profile(broken)
    assert caught.value.field == "expires"
