"""The seed 001 part of `mckm demo`: every check holds, the SIP steps of figure 7.x.2-1 (1:
REGISTER, 2: third-party REGISTER, 4: PUBLISH with the access token and its 200 with the
service authorisation profile) are shown one line each, both users are bound to one SIP
session and get their CEKs for it, and it prints Key IDs and fingerprints, never a CEK (64 hex
digits), a token (a JWS starts "eyJ") or a password."""

from __future__ import annotations

import re

from mckm.impl.roles.cek.demo import IMPU, USERS, cek_exchange


def test_the_demo_runs_the_whole_flow_and_prints_no_secret() -> None:
    lines: list[str] = []
    assert cek_exchange(lines.append)
    text = "\n".join(lines)
    assert text.count("login (code flow + PKCE)") == 2
    key_ids = re.findall(r"\b[0-9a-f]{32}\b", text)
    assert len(set(key_ids)) == 3  # alice, bob, and alice's after the KMS-pushed update
    assert "the MCPTT server opens it: True" in text and "at the MCPTT server: True" in text
    assert not re.search(r"[0-9a-f]{64}", text) and "eyJ" not in text


def test_the_demo_shows_each_sip_step_on_one_line() -> None:
    lines: list[str] = []
    assert cek_exchange(lines.append)
    register = [x for x in lines if x.startswith("  SIP step 1: REGISTER")]
    assert len(register) == 1 and register[0].endswith(": 200 OK") and IMPU in register[0]
    third = [x for x in lines if x.startswith("  SIP step 2: third-party REGISTER")]
    assert len(third) == 1 and third[0].endswith("IMPU registered there: True")
    publish = [x for x in lines if x.startswith("  SIP step 4: PUBLISH for ")]
    assert [x.split()[5] for x in publish] == list(USERS.values())
    assert all(x.endswith("via the SIP core: 200 OK") for x in publish)
    profiles = [re.search(r"MCPTT ID (\S+), IMPU (\S+), SIP session (\S+),", x)
                for x in lines if "service authorisation profile" in x]
    assert [(m[1], m[2]) for m in profiles if m] == [(uri, IMPU) for uri in USERS.values()]
    sessions = {m[3] for m in profiles if m}
    assert len(sessions) == 1  # two users through one SIP session
    (session,) = sessions
    ceks = [x for x in lines if "CEK from the KMS for SIP session" in x]
    assert len(ceks) == 2 and all(f"SIP session {session}:" in x for x in ceks)
    assert lines.index(register[0]) < lines.index(third[0]) < lines.index(ceks[0])
