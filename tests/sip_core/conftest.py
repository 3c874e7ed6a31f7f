"""A real IdM over HTTPS, the MCPTT server and the SIP core on real SIP sockets (UDP and TCP on
one port each); the MCPTT server checks access tokens against the IdM's JWKS."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.https import IdmHttpsServer, JwksFetcher
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.sip_core import McpttSipServer, SipCore, SipUe
from mckm.impl.transport.https_kms import make_tls_identity
from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.model import Procedure
from tests.idm.conftest import ALICE, BOB, MCPTT_AUD, PASSWORDS, SCOPES, idm_config

#: the IMPUs the SIP core serves (the UEs' public user identities)
IMPU_ALICE, IMPU_BOB = "sip:+4911111@ims.example.org", "sip:+4922222@ims.example.org"
IMPU_STRANGER = "sip:+4999999@ims.example.org"
MCPTT_IDS = {"alice": ALICE, "bob": BOB}
T1 = 0.1


def claims(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    out: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return out


@dataclass
class World:
    idm: IdmHttpsServer
    jwks: JwksFetcher
    server: McpttSipServer
    core: SipCore
    ues: list[SipUe] = field(default_factory=list)

    def tokens(self, user: str = "alice", scopes: tuple[str, ...] = SCOPES) -> dict[str, str]:
        session = client.IdmSession(self.idm.base_url, self.idm.identity.ca_pem,
                                    "mcptt-client", "https://client.example.org/cb", scopes)
        return client.login(session, user, PASSWORDS[user])

    def access_token(self, user: str = "alice") -> str:
        return self.tokens(user)["access_token"]

    def ue(self, impu: str = IMPU_ALICE, user: str = "alice", transport: str = "UDP") -> SipUe:
        ue = SipUe(impu, MCPTT_IDS.get(user, user), core=self.core.address, t1=T1,
                   transport=transport).start()
        self.ues.append(ue)
        return ue

    def sign(self, **changes: object) -> str:
        """A token signed by the IdM's current key with ``changes`` to a valid access token's
        claims (a claim set to None is removed)."""
        base = claims(self.access_token())
        base.update(changes)
        key = self.idm.role.keys.signer()  # the IdM's own signing key
        return access_token.sign(key, {k: v for k, v in base.items() if v is not None})


def make_world(server_procedure: Procedure = model.PROCEDURE,
               core_procedure: Procedure = model.PROCEDURE) -> Iterator[World]:
    """The world; the MCPTT server and the SIP core may run a mutant of the model."""
    role = IdmRole.create(idm_config())
    with IdmHttpsServer(role, make_tls_identity("127.0.0.1")) as idm:
        jwks = JwksFetcher(idm.base_url + "/jwks", idm.identity.ca_pem, min_interval=0)
        verifier = access_token.TokenVerifier(jwks, audience=MCPTT_AUD, issuer=idm.base_url)
        server = McpttSipServer(verifier, core_uri="", t1=T1,
                                procedure=server_procedure).start()
        core = SipCore({IMPU_ALICE, IMPU_BOB}, server=server.address, t1=T1,
                       procedure=core_procedure).start()
        server.trust_core(core.address, core.uri)
        w = World(idm, jwks, server, core)
        try:
            yield w
        finally:
            for ue in w.ues:
                ue.close()
            core.close()
            server.close()


@pytest.fixture
def world() -> Iterator[World]:
    yield from make_world()


def wait_for(predicate: object, timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.01)
    return False
