"""The KMS over real HTTPS on 127.0.0.1: two users provisioned by the model's client and
validated by its guards; every refusal a clear HTTP error with nothing stored; no token in the
server log; an answer of the wrong kind, or with a KmsError, refused by the client (REQ-SKMS-36)."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.crypto import uid
from mckm.impl.engine import StepRefused
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import (
    HttpRequest,
    HttpResponse,
    KmsService,
    decode_response,
    resource_path,
)
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import drop_guard_mutants

ALICE = "sip:alice@example.org"
BOB = "tel:+447700900123"
KMS_URI = "kms.example.org"


@dataclass
class Deployment:
    server: KmsHttpsServer
    role: KmsRole
    idm: ec.EllipticCurvePrivateKey
    users: dict[str, TransportKeys]

    def token(self, user: str, *, lifetime: int = 300, key: ec.EllipticCurvePrivateKey | None
              = None, scopes: tuple[str, ...] = (KMS_SCOPE,)) -> str:
        return access_token.issue(key or self.idm, subject=user, scopes=scopes,
                                  issued_at=int(time.time()), lifetime=lifetime)

    def client(self, user: str) -> KmsClient:
        return KmsClient(self.server.host, self.server.port, self.server.identity.ca_pem,
                         self.token(user))


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    store = SqliteKmsStore(os.path.join(tmp_path_factory.mktemp("kms"), "kms.db"))
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    users = {user: role.enrol(user) for user in (ALICE, BOB)}
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
    service.base_url = server.base_url
    with server:
        yield Deployment(server, role, idm, users)
    store.close()


def _provision(kms: Deployment, http: KmsClient, user: str, resource: str,
               checks: messages.KeyChecks | None = None, **options: Any) -> dict[str, Any]:
    """One request of the model's client (TS 33.180 D.2) over HTTPS; what it accepts (D.3)."""
    client = ProvisioningClient(user, KMS_URI, kms.users[user], http.base_url, checks)
    request = client.request(resource, token=http.token, now=int(time.time()),
                             body=skm_s.BODY_SIGNED, options=options)
    status, body = http.post(request.path, request.body)
    assert status == 200, body
    return client.response(resource, body, now=int(time.time()))


@pytest.mark.parametrize("user", [ALICE, BOB])
def test_two_users_are_provisioned_over_https(kms: Deployment, user: str) -> None:
    """REQ-SKMS-01: the Root KMS certificate carries the community's KPAK and Z; REQ-SKMS-30:
    KmsInit carries it; REQ-SKMS-31: one KmsKeySet per key period; REQ-SKMS-11: a key set
    once issued is returned unchanged."""
    http = kms.client(user)
    try:
        (certificate,) = _provision(kms, http, user, "init")["certificates"]
        assert certificate.pub_auth_key == kms.role.keys.kpak
        assert certificate.pub_enc_key == kms.role.keys.z_pub

        a = kms.role.algorithms
        checks = messages.KeyChecks(certificate, a.uid, a.validate_ssk, a.validate_rsk)
        # the same keep-alive connection
        read = _provision(kms, http, user, "keyprov", checks, user_uri=user)["key_sets"]
        now_period = kms.role.current_periods()[0]
        assert [k.period_no for k in read] == [now_period, now_period + 1]

        reread = _provision(kms, http, user, "keyprov", checks, user_uri=user)["key_sets"]
        assert [(k.ssk, k.rsk) for k in reread] == [(k.ssk, k.rsk) for k in read]

        when = uid.unix_to_ntp(int(time.time()) + 3 * 86400) << 32
        (one,) = _provision(kms, http, user, "keyprov", checks, user_uri=user,
                            ntp_time=when)["key_sets"]
        assert one.valid_from <= time.time() + 3 * 86400 < one.valid_to
    finally:
        http.close()


def test_refusals_are_clear_and_store_nothing(kms: Deployment,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    carol = "sip:carol@example.org"
    kms.role.enrol(carol)
    stranger = ec.generate_private_key(ec.SECP256R1())
    client = kms.client(carol)
    keyprov = resource_path("keyprov")
    cases = [
        (keyprov, "", 401, "access token is required"),
        (keyprov, kms.token(carol, key=stranger), 401, "signature does not verify"),
        (keyprov, kms.token(carol, lifetime=-10), 401, "expired"),
        (keyprov, "e30.bm90IGpzb24.AAAA", 401, "not JSON"),
        (keyprov, kms.token(carol, scopes=("openid",)), 403, "does not grant the KMS scope"),
        (resource_path("keyprov", ALICE), kms.token(carol), 403, "not the token's MC ID"),
        (resource_path("keyprov", "sip:nobody@example.org"),
         kms.token("sip:nobody@example.org"), 403, "not enrolled"),
        ("/keymanagement/identity/v1/lookup", kms.token(carol), 404, "no such KMS resource"),
        ("/index.html", kms.token(carol), 404, "no such KMS resource"),
        (keyprov + "/sip%3Acarol%ZZexample.org", kms.token(carol), 400, "percent-encoding"),
        (keyprov + "/sip%3Acarol%40example.org/xyz", kms.token(carol), 400, "16 hex digits"),
    ]
    try:
        before = kms.role.store.count("key_sets")
        for path, token, status, reason in cases:
            got, body = client.post(path, token=token)
            assert got == status, (path, body)
            assert reason in body.decode(), (path, body)
        assert kms.role.store.count("key_sets") == before
        tokens = [token for _, token, _, _ in cases if token]
        assert not any(token in caplog.text for token in tokens)
        assert "carol" not in caplog.text
    finally:
        client.close()


@dataclass
class WrongAnswerKms(KmsService):
    """A KMS that answers with what ``answer`` says (``build_response`` keywords) instead of
    its own KmsMessage: addressed to the request and signed with the user's InK, which every
    KMS holds (D.1), so only the client's guard ``answers-my-request`` can refuse it."""

    answer: dict[str, Any] = field(default_factory=dict)

    def handle(self, request: HttpRequest) -> HttpResponse:
        response = super().handle(request)
        if response.status != 200:
            return response
        sent = decode_response("INIT_RESPONSE", response.body)
        keys = self.role.transport_keys(sent["user_uri"])
        assert keys is not None
        at = messages.ResponseHeader(sent["user_uri"], sent["kms_uri"], self.role.clock(),
                                     sent["client_req_url"])
        return dataclasses.replace(response, body=messages.build_response(at, keys,
                                                                          **self.answer))


@pytest.fixture(scope="module")
def wrong_kms(tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[Deployment, WrongAnswerKms]]:
    store = SqliteKmsStore(os.path.join(tmp_path_factory.mktemp("kms"), "kms.db"))
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    users = {ALICE: role.enrol(ALICE)}
    idm = ec.generate_private_key(ec.SECP256R1())
    service = WrongAnswerKms(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
    service.base_url = server.base_url
    with server:
        yield Deployment(server, role, idm, users), service
    store.close()


@pytest.mark.parametrize(("resource", "answer"), [
    ("keyprov", "init"), ("keyprov", "key_sets+error"), ("init", "init+error"),
    ("init", "error")])
def test_a_wrong_answer_over_https_is_refused_by_the_client(
        wrong_kms: tuple[Deployment, WrongAnswerKms], resource: str, answer: str) -> None:
    """REQ-SKMS-36 over real HTTPS: a keyprov answered with a KmsInit, or an answer carrying a
    KmsError (beside its KmsMessage or alone), is refused by the client's guard
    ``answers-my-request``; the model without it accepts the same octets."""
    kms, service = wrong_kms
    role = kms.role
    kinds: dict[str, Any] = {
        "init": role.certificate, "error": (500, "KMS failure"),
        "key_sets": (role.certificate, role.key_sets(ALICE, role.current_periods()[:1]))}
    service.answer = {k: kinds[k] for k in answer.split("+")}
    a = role.algorithms
    checks = messages.KeyChecks(role.certificate, a.uid, a.validate_ssk, a.validate_rsk)
    http = kms.client(ALICE)

    def ask(procedure: Procedure) -> tuple[ProvisioningClient, bytes]:
        client = ProvisioningClient(ALICE, KMS_URI, kms.users[ALICE], http.base_url, checks,
                                    procedure)
        request = client.request(resource, token=http.token, now=int(time.time()),
                                 body=skm_s.BODY_SIGNED)
        status, body = http.post(request.path, request.body)
        assert status == 200, body
        return client, body

    try:
        client, body = ask(skm_s.PROCEDURE)
        with pytest.raises(StepRefused) as refused:
            client.response(resource, body, now=int(time.time()))
        assert (refused.value.guard, refused.value.requirement) == (
            "answers-my-request", "REQ-SKMS-36")
        step = skm_s.PROCEDURE.step_for("client", skm_s.RESOURCES[resource][1], "receive")
        without = next(m.procedure for m in drop_guard_mutants(skm_s.PROCEDURE)
                       if (m.step, m.guard) == (step.number, "answers-my-request"))
        client, body = ask(without)
        assert "answered" in client.response(resource, body, now=int(time.time()))
    finally:
        http.close()
