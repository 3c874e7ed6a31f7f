"""`mckm cek sip` as a user starts it: the SIP core and the MCPTT server in one process, tokens
checked against a running IdM's JWKS; a UE registers and publishes, and the process ends
printing the binding and never the token.  A bad option is one line naming it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.idm.conftest import ALICE, MCPTT_AUD
from tests.sip_core.conftest import IMPU_ALICE, T1, World
from tests.store.replicas import cli

LISTENING = re.compile(rb"SIP core listening on sip:127\.0\.0\.1:(\d+) ")


def test_the_command_registers_and_binds(world: World, tmp_path: Path) -> None:
    from mckm.impl.roles.sip_core import SipUe

    (tmp_path / "idm-ca.pem").write_bytes(world.idm.identity.ca_pem)
    log = tmp_path / "sip.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cli(), "cek", "sip", "--core-port", "0", "--server-port", "0",
             "--subscriber", IMPU_ALICE, "--idm-jwks", world.idm.base_url + "/jwks",
             "--idm-ca", str(tmp_path / "idm-ca.pem"), "--idm-issuer", world.idm.base_url,
             "--audience", MCPTT_AUD], stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while (found := LISTENING.search(log.read_bytes())) is None:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        token = world.access_token()
        with SipUe(IMPU_ALICE, ALICE, core=("127.0.0.1", int(found[1])), t1=T1) as ue:
            assert ue.register().status == 200
            outcome = ue.publish(token)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert (outcome.status, outcome.reason) == (200, "OK"), log.read_text()
    text = log.read_text()
    assert f"{ALICE} -> {IMPU_ALICE}" in text and "bound 1 user(s)" in text
    assert token not in text and token.split(".")[2] not in text


def test_a_subscriber_that_is_not_a_uri_is_named(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_bytes(b"")
    result = subprocess.run([*cli(), "cek", "sip", "--subscriber", "alice", "--idm-jwks",
                             "https://127.0.0.1:1/jwks", "--idm-ca", str(tmp_path / "ca.pem"),
                             "--audience", MCPTT_AUD], capture_output=True, timeout=60)
    assert result.returncode == 2
    assert b"--subscriber 'alice': not a SIP or tel URI" in result.stderr + result.stdout
    assert b"Traceback" not in result.stderr
