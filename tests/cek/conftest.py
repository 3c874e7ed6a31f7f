"""A real IdM, the KMS's CEK service and an MCPTT server push endpoint, all over HTTPS; the
KMS checks tokens against the IdM's JWKS and pushes to the server over mutual TLS."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count

import pytest

from mckm.impl.roles.cek.endpoint import CekClientRole
from mckm.impl.roles.cek.https import CekClient, CekHttpsServer, CekPki, PushEndpoint, Pusher
from mckm.impl.roles.cek.service import CekService
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.https import IdmHttpsServer, JwksFetcher
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.kms import access_token
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import make_tls_identity
from tests.idm.conftest import ALICE, BOB, KMS_AUD, PASSWORDS, SCOPES, idm_config

KMS_ID, SERVER_ID = "https://kms.example.org", "https://mcptt.example.org"
USERS = {"alice": ALICE, "bob": BOB}
_sessions = count()


def new_session() -> str:
    """A fresh SIP session (its Call-ID as a URI)."""
    return f"sip:call-{next(_sessions)}-{os.urandom(4).hex()}@example.org"


def claims(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    out: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return out


@dataclass
class World:
    idm: IdmHttpsServer
    kms: CekHttpsServer
    server: PushEndpoint
    pki: CekPki
    store: SqliteKmsStore
    service: CekService
    clients: list[CekClient] = field(default_factory=list)

    def tokens(self, user: str = "alice", scopes: tuple[str, ...] = SCOPES) -> dict[str, str]:
        session = client.IdmSession(self.idm.base_url, self.idm.identity.ca_pem,
                                    "mcptt-client", "https://client.example.org/cb", scopes)
        return client.login(session, user, PASSWORDS[user])

    def kms_token(self, user: str = "alice") -> str:
        return self.tokens(user)["kms_access_token"]

    def connection(self) -> CekClient:
        conn = CekClient(self.kms.host, self.kms.port, self.pki.cert_pem)
        self.clients.append(conn)
        return conn

    def client(self, user: str = "alice", session: str | None = None) -> CekClientRole:
        """An engine-run MCPTT client for ``user`` on ``session`` (fresh if None)."""
        return self.connection().role(USERS.get(user, user), session or new_session(), KMS_ID,
                                      time.time)

    def post(self, resource: str, token: str, body: dict[str, str] | bytes
             ) -> tuple[int, str]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn = CekClient(self.kms.host, self.kms.port, self.pki.cert_pem)
        try:
            status, answer = conn.post(resource, token, raw)
        finally:
            conn.close()
        return status, answer.decode()

    def rows(self) -> int:
        return self.store.count("cek")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    role = IdmRole.create(idm_config())
    pki = CekPki.create()
    with IdmHttpsServer(role, make_tls_identity("127.0.0.1")) as idm:
        jwks = JwksFetcher(idm.base_url + "/jwks", idm.identity.ca_pem, min_interval=0)
        store = SqliteKmsStore(os.path.join(tmp_path_factory.mktemp("cek"), "kms.db"))
        server = PushEndpoint(pki.issue(SERVER_ID), pki.cert_pem, KMS_ID)
        pusher = Pusher(pki.issue(KMS_ID), pki.cert_pem)
        verifier = access_token.TokenVerifier(jwks, audience=KMS_AUD, issuer=idm.base_url)
        with server:
            service = CekService(store, verifier, pusher, server.base_url)
            with CekHttpsServer(service, pki.issue(KMS_ID)) as kms:
                w = World(idm, kms, server, pki, store, service)
                yield w
                for conn in w.clients:
                    conn.close()
        pusher.close()
        store.close()


Make = Callable[[World], str]
