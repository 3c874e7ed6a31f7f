"""`mckm kms serve --idm-jwks`: the KMS a user starts from the command line checks access tokens
against a running IdM's JWKS over HTTPS (kid lookup, issuer = the IdM's origin, the stated
audience): the IdM's KMS access token for Alice is served, its ID token and a token for another
audience are refused with 401."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.roles.idm import client
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import resource_path
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient
from tests.idm.conftest import ALICE, KMS_AUD, PASSWORDS, World
from tests.store.replicas import cli

LISTENING = re.compile(rb"listening on https://127\.0\.0\.1:(\d+)/")


@pytest.fixture(scope="module")
def served(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, bytes]]:
    folder = tmp_path_factory.mktemp("kms-cli")
    db = folder / "kms.db"
    store = SqliteKmsStore(db)
    KmsRole.open(store, KmsConfig("kms.example.org"), standard()).enrol(ALICE)
    store.close()
    (folder / "idm-ca.pem").write_bytes(world.idm.identity.ca_pem)
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cli(), "kms", "serve", "--db", str(db), "--port", "0",
             "--kms-uri", "kms.example.org", "--idm-jwks", world.idm.base_url + "/jwks",
             "--idm-ca", str(folder / "idm-ca.pem"), "--audience", KMS_AUD,
             "--ca-out", str(folder / "kms-ca.pem")],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while (found := LISTENING.search(log.read_bytes())) is None:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield int(found.group(1)), (folder / "kms-ca.pem").read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _post(served: tuple[int, bytes], token: str) -> tuple[int, str]:
    port, ca_pem = served
    http = KmsClient("127.0.0.1", port, ca_pem, token, timeout=20)
    try:
        status, body = http.post(resource_path("keyprov", ALICE))
    finally:
        http.close()
    return status, body.decode()


def test_the_idms_kms_access_token_is_served(world: World, served: tuple[int, bytes]) -> None:
    tokens = client.login(world.session(), "alice", PASSWORDS["alice"])
    status, body = _post(served, tokens["kms_access_token"])
    assert status == 200, body[:300]


@pytest.mark.parametrize("which", ["id_token", "access_token"])
def test_tokens_for_other_audiences_are_refused(world: World, served: tuple[int, bytes],
                                                which: str) -> None:
    tokens = client.login(world.session(), "alice", PASSWORDS["alice"])
    status, body = _post(served, tokens[which])
    assert status == 401, body[:300]


def test_a_token_of_a_key_outside_the_jwks_is_refused(world: World,
                                                      served: tuple[int, bytes]) -> None:
    """Right issuer, audience, subject and scope, signed by a key the IdM never published."""
    forged = access_token.issue(ec.generate_private_key(ec.SECP256R1()), subject=ALICE,
                                scopes=(KMS_SCOPE,), issued_at=int(time.time()), lifetime=600,
                                issuer=world.idm.base_url, audience=KMS_AUD)
    status, body = _post(served, forged)
    assert status == 401 and "kid" in body, body[:300]
