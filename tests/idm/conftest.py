"""A real IdM and a real KMS over HTTPS, the KMS checking tokens against the IdM's JWKS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from mckm.impl.roles.idm.client import IdmSession
from mckm.impl.roles.idm.config import IdmConfig, hash_password
from mckm.impl.roles.idm.https import IdmHttpsServer, JwksFetcher
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService, resource_path
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity

ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"
PASSWORDS = {"alice": "correct horse battery staple", "bob": "hunter2 hunter2"}
CLIENT, REDIRECT = "mcptt-client", "https://client.example.org/cb"
#: a second registered client (a code issued to one is refused to the other)
OTHER_CLIENT, OTHER_REDIRECT = "other-client", "https://other.example.org/cb"
KMS_AUD, MCPTT_AUD = "kms.example.org", "mcptt.example.org"
SCOPES = ("openid", "3gpp:mc:ptt_service", KMS_SCOPE)


def _hash(password: str) -> str:
    """A cheap scrypt hash (N = 2**10) so that the many logins of the tests stay fast; the
    configured hashes of a real IdM use N = 2**14 (``mckm idm hash-password``)."""
    return hash_password(password, n=2**10)


def idm_config() -> IdmConfig:
    return IdmConfig.from_json({
        "users": {"alice": {"mcptt_id": ALICE, "password": _hash(PASSWORDS["alice"])},
                  "bob": {"mcptt_id": BOB, "password": _hash(PASSWORDS["bob"])}},
        "clients": {CLIENT: {"redirect_uris": [REDIRECT]},
                    OTHER_CLIENT: {"redirect_uris": [OTHER_REDIRECT]}},
        "mcptt_audience": MCPTT_AUD, "kms_audience": KMS_AUD, "token_lifetime": 600,
    }, "test config")


@dataclass
class World:
    idm: IdmHttpsServer
    kms: KmsHttpsServer
    jwks: JwksFetcher
    store: SqliteKmsStore

    @property
    def role(self) -> IdmRole:
        return self.idm.role

    def session(self, scopes: tuple[str, ...] = SCOPES) -> IdmSession:
        return IdmSession(self.idm.base_url, self.idm.identity.ca_pem, CLIENT, REDIRECT,
                          scopes)

    def verifier(self, audience: str = KMS_AUD) -> access_token.TokenVerifier:
        return access_token.TokenVerifier(self.jwks, audience=audience,
                                          issuer=self.idm.base_url)

    def kms_post(self, token: str, user_uri: str | None = None) -> tuple[int, str]:
        client = KmsClient(self.kms.host, self.kms.port, self.kms.identity.ca_pem, token)
        try:
            status, body = client.post(resource_path("keyprov", user_uri))
        finally:
            client.close()
        return status, body.decode()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    role = IdmRole.create(idm_config())
    with IdmHttpsServer(role, make_tls_identity("127.0.0.1")) as idm:
        jwks = JwksFetcher(idm.base_url + "/jwks", idm.identity.ca_pem, min_interval=0)
        store = SqliteKmsStore(os.path.join(tmp_path_factory.mktemp("kms"), "kms.db"))
        kms_role = KmsRole.open(store, KmsConfig("kms.example.org"), standard())
        kms_role.enrol(ALICE)
        service = KmsService(kms_role, access_token.TokenVerifier(
            jwks, audience=KMS_AUD, issuer=idm.base_url), "")
        kms = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
        service.base_url = kms.base_url
        with kms:
            yield World(idm, kms, jwks, store)
        store.close()
