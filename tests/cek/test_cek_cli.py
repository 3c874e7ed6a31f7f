"""`mckm cek pki | mcptt-server | serve` as a user starts them: the KMS checks the tokens of a
running IdM through its JWKS and pushes the CEK to the MCPTT server process over mutual TLS;
the server process ends holding exactly the Key ID the client got."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from mckm.impl.roles.cek.https import CekClient
from tests.cek.conftest import ALICE, KMS_ID, SERVER_ID, World, new_session
from tests.idm.conftest import KMS_AUD
from tests.store.replicas import cli

LISTENING = re.compile(rb"listening on https://127\.0\.0\.1:(\d+)/")


def _start(args: list[str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    with log.open("wb") as out:
        proc = subprocess.Popen([*cli(), "cek", *args], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while (found := LISTENING.search(log.read_bytes())) is None:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return proc, int(found.group(1))


def test_the_commands_issue_and_push_a_cek(world: World, tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    subprocess.run([*cli(), "cek", "pki", "--out", str(pki), "--kms-identity", KMS_ID,
                    "--server-identity", SERVER_ID], check=True, capture_output=True)
    assert oct((pki / "kms-key.pem").stat().st_mode & 0o777) == "0o600"
    (tmp_path / "idm-ca.pem").write_bytes(world.idm.identity.ca_pem)
    server, server_port = _start(["mcptt-server", "--pki", str(pki), "--kms-identity", KMS_ID,
                                  "--port", "0"], tmp_path / "server.log")
    try:
        kms, kms_port = _start(
            ["serve", "--db", str(tmp_path / "kms.db"), "--pki", str(pki), "--port", "0",
             "--idm-jwks", world.idm.base_url + "/jwks", "--idm-ca",
             str(tmp_path / "idm-ca.pem"), "--audience", KMS_AUD,
             "--server-url", f"https://127.0.0.1:{server_port}"], tmp_path / "kms.log")
        try:
            client = CekClient("127.0.0.1", kms_port, (pki / "ca.pem").read_bytes())
            body = json.dumps({"user": ALICE, "session": new_session()}).encode()
            try:
                status, answer = client.post("issue", world.kms_token(), body)
                refused, reason = client.post("issue", world.kms_token("bob"), body)
            finally:
                client.close()
        finally:
            kms.terminate()
            kms.wait(timeout=20)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert status == 200, answer
    assert refused == 403 and b"token-subject-is-user" in reason
    key_id = json.loads(answer)["key_id"]
    assert f"held 1 CEK(s): {key_id}" in (tmp_path / "server.log").read_text()
    assert json.loads(answer)["cek"] not in (tmp_path / "kms.log").read_text()
