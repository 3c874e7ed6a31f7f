"""The seed 001 part of `mckm demo`: every check holds, and it prints Key IDs and fingerprints,
never a CEK (64 hex digits), a token (a JWS starts "eyJ") or a password."""

from __future__ import annotations

import re

from mckm.impl.roles.cek.demo import cek_exchange


def test_the_demo_runs_the_whole_flow_and_prints_no_secret() -> None:
    lines: list[str] = []
    assert cek_exchange(lines.append)
    text = "\n".join(lines)
    assert text.count("login (code flow + PKCE)") == 2
    key_ids = re.findall(r"\b[0-9a-f]{32}\b", text)
    assert len(set(key_ids)) == 3  # alice, bob, and alice's after the KMS-pushed update
    assert "the MCPTT server opens it: True" in text and "at the MCPTT server: True" in text
    assert not re.search(r"[0-9a-f]{64}", text) and "eyJ" not in text
