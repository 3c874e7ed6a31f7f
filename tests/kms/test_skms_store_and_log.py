"""REQ-SKMS-40 (the store is owner-only) and REQ-SKMS-23 (no bearer token in a URL, nothing
secret in the log) as guards of the SKM-S model, driven over the real HTTPS server with real
octets.  Each test also runs the same octets against the model with that guard dropped
(``mutants.drop_guard_mutants``), so a test that passes without the guard is caught here."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import BASE_PATH, KmsService, resource_path
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import drop_guard_mutants

ALICE = "sip:alice@example.org"
KMS_URI = "kms.example.org"


def without(guard: str) -> Procedure:
    """The model with ``guard`` dropped at the KMS's keyprov step."""
    number = skm_s.PROCEDURE.step_for("kms", "KEYPROV_REQUEST", "receive").number
    return next(m.procedure for m in drop_guard_mutants(skm_s.PROCEDURE)
                if m.step == number and m.guard == guard)


@dataclass
class Live:
    server: KmsHttpsServer
    service: KmsService
    store_path: str
    idm: ec.EllipticCurvePrivateKey
    alice: TransportKeys

    def token(self) -> str:
        return access_token.issue(self.idm, subject=ALICE, scopes=(KMS_SCOPE,),
                                  issued_at=int(time.time()), lifetime=300)

    def keyprov(self, procedure: Procedure = skm_s.PROCEDURE) -> tuple[int, bytes]:
        """One keyprov as the model's client builds it, over HTTPS, run by ``procedure``."""
        token = self.token()
        client = ProvisioningClient(ALICE, KMS_URI, self.alice, self.server.base_url)
        request = client.request("keyprov", token=token, now=int(time.time()),
                                 body=skm_s.BODY_SIGNED, options={"user_uri": ALICE})
        return self.post(request.path, request.body, token, procedure)

    def post(self, path: str, body: bytes, token: str,
             procedure: Procedure = skm_s.PROCEDURE) -> tuple[int, bytes]:
        self.service.procedure = procedure
        http = KmsClient(self.server.host, self.server.port, self.server.identity.ca_pem, token)
        try:
            return http.post(path, body)
        finally:
            http.close()
            self.service.procedure = skm_s.PROCEDURE


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = os.path.join(tmp_path_factory.mktemp("kms"), "kms.db")
    store = SqliteKmsStore(path)
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    alice = role.enrol(ALICE)
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
    service.base_url = server.base_url
    with server:
        yield Live(server, service, path, idm, alice)
    store.close()


# -- REQ-SKMS-40 -------------------------------------------------------------------------------


def test_a_store_made_readable_by_others_stops_the_kms_serving(live: Live) -> None:
    assert live.keyprov()[0] == 200
    os.chmod(live.store_path, 0o644)
    try:
        status, body = live.keyprov()
        assert status == 503, body
        assert b"REQ-SKMS-40" in body
        assert b"kms.db has mode 644" in body  # the fact's verdict names the file and mode
        # the same octets on the model without the guard: served (the guard is what refuses)
        assert live.keyprov(without("store-private"))[0] == 200
    finally:
        os.chmod(live.store_path, 0o600)
    assert live.keyprov()[0] == 200


def test_a_world_readable_journal_also_stops_the_kms(live: Live) -> None:
    wal = live.store_path + "-wal"
    assert os.path.exists(wal)  # the store runs in WAL mode
    os.chmod(wal, 0o604)
    try:
        status, body = live.keyprov()
        assert status == 503 and b"kms.db-wal has mode 604" in body, body
    finally:
        os.chmod(wal, 0o600)


# -- REQ-SKMS-23 -------------------------------------------------------------------------------


def test_a_bearer_token_in_the_url_is_refused_400(live: Live) -> None:
    token = live.token()
    path = resource_path("keyprov", token)  # a client that put its token in the path
    status, body = live.post(path, b"", token)
    assert status == 400 and b"REQ-SKMS-23" in body, body
    assert token.encode() not in body  # the refusal does not echo it
    # without the guard the request goes on to the token checks (and is refused for another
    # reason, after the token travelled in the URL): the status tells the two apart
    status, body = live.post(path, b"", token, without("token-not-in-url"))
    assert status == 403 and b"REQ-SKMS-22" in body, body


def test_a_percent_encoded_token_in_the_url_is_refused_too(live: Live) -> None:
    token = live.token()
    encoded = "".join(f"%{b:02X}" for b in token[:20].encode()) + token[20:]
    status, body = live.post(resource_path("cert") + "/" + encoded, b"", token)
    assert status == 400 and b"REQ-SKMS-23" in body, body


def test_the_log_names_method_resource_and_status_only(live: Live,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    token = live.token()
    with caplog.at_level(logging.DEBUG):
        assert live.keyprov()[0] == 200
        assert live.post(resource_path("keyprov", ALICE), b"", "not-a-token")[0] == 401
        assert live.post(resource_path("keyprov", token), b"", token)[0] == 400
        time.sleep(0.05)  # the server thread logs after it replies
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /keymanagement/identity/v1/keyprov -> 200" in text
    assert "-> 400" in text and "-> 401" in text
    for secret in (token, ALICE, "alice", "Bearer", live.alice.ink_id, live.alice.trk_id):
        assert secret not in text


def test_an_unknown_resource_is_logged_and_refused_without_echoing_it(
        live: Live, caplog: pytest.LogCaptureFixture) -> None:
    """REQ-SKMS-23: ``POST .../v1/<token or user URI>`` (a resource the model does not serve,
    404 by the engine) is logged with a fixed text; neither the log nor the refusal repeats
    what the client typed."""
    token = live.token()
    typed = (token, ALICE, quote(ALICE, safe=""))
    with caplog.at_level(logging.DEBUG):
        for segment in typed:
            status, body = live.post(f"{BASE_PATH}/{segment}/x", b"", token)
            assert status == 404 and b"REQ-SKMS-02" in body, body
            assert segment.encode() not in body and b"alice" not in body, body
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text.count(f"POST {BASE_PATH}/(not served) -> 404") == len(typed), text
    for secret in (*typed, "alice"):
        assert secret not in text


@pytest.mark.parametrize(("query", "in_header"), [
    *[(q, h) for q in ("access_token={token}", "x=1&access_token={token}",
                       "access_token={other}") for h in (True, False)],
    ("t={token}", True),  # not RFC 6750's parameter, but the URL carries the header's token
])
def test_a_token_in_the_query_reaches_the_guard_and_is_refused_400(
        live: Live, caplog: pytest.LogCaptureFixture, query: str, in_header: bool) -> None:
    """REQ-SKMS-23 (RFC 6750 2.3, 5.3): the query is part of the request URL the model reads;
    an ``access_token`` query parameter is the request's bearer token, so the guard
    ``token-not-in-url`` refuses it (400) with or without an Authorization header, and so it
    does any token the URL carries.  The refusal and the log do not repeat the token."""
    token, other = live.token(), live.token()
    url = resource_path("keyprov") + "?" + query.format(token=quote(token, safe=""),
                                                        other=quote(other, safe=""))
    header = token if in_header else ""
    with caplog.at_level(logging.DEBUG):
        status, body = live.post(url, b"", header)
    assert status == 400 and b"token-not-in-url" in body and b"REQ-SKMS-23" in body, body
    assert token.encode() not in body and other.encode() not in body
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert f"POST {BASE_PATH}/keyprov -> 400" in text
    assert token not in text and other not in text and "access_token" not in text
    # the same octets on the model without the guard: served (the guard is what refuses)
    assert live.post(url, b"", header, without("token-not-in-url"))[0] == 200
