"""The KMS of TS 33.180 Annex D (``mckm.impl.roles.kms.service``) says why it refuses: a D.2
path option or a D.3.5 body that breaks the syntax is 400 naming the part (REQ-SKMS-03,
REQ-SKMS-26), a missing token is 401 with an RFC 6750 3 challenge, a token in the URL is
refused (REQ-SKMS-23), and a response that is not a SignedKmsResponse is a DecodeError
(D.3.1).  Survivors of the second sample of ``./dev mutate kms``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
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

ALICE = "sip:alice@example.org"
KMS_URI = "kms.example.org"
BASE_URL = "https://127.0.0.1:8443"


@dataclass
class Kms:
    """A KMS service on a store file, with Alice enrolled."""

    service: KmsService
    role: KmsRole
    idm: ec.EllipticCurvePrivateKey
    alice: TransportKeys

    def headers(self) -> dict[str, str]:
        token = access_token.issue(self.idm, subject=ALICE, scopes=(KMS_SCOPE,),
                                   issued_at=int(time.time()), lifetime=300)
        return {"authorization": "Bearer " + token}

    def post(self, path: str, body: bytes = b"", query: str = "",
             authorised: bool = True) -> HttpResponse:
        headers = self.headers() if authorised else {}
        return self.service.handle(HttpRequest("POST", path, headers, body, query))

    def request_body(self, path: str) -> bytes:
        return messages.build_request(ALICE, KMS_URI, time.time(), BASE_URL + path, self.alice)


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kms]:
    store = SqliteKmsStore(str(tmp_path_factory.mktemp("kms") / "kms.db"))
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    alice = role.enrol(ALICE)
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), BASE_URL)
    yield Kms(service, role, idm, alice)
    store.close()


@pytest.mark.parametrize(("option", "says"), [
    ("certcache/x", b"/certcache takes at most one option, a decimal cache number"),
    ("keyprov/%zz", b"the user URI has a malformed percent-encoding"),
    ("cert/%zz", b"the KMS URI has a malformed percent-encoding"),
])
def test_a_bad_path_option_is_400_naming_it(kms: Kms, option: str, says: bytes) -> None:
    """TS 33.180 D.2 (REQ-SKMS-03): a path option that breaks the resource's syntax is 400,
    and the refusal names the request path and the option, citing the requirement."""
    response = kms.post(f"{resource_path('init')[:-len('init')]}{option}")
    assert response.status == 400, response.body
    assert response.body.startswith(b"payload request path: " + says), response.body
    assert b"REQ-SKMS-03" in response.body


def test_a_response_posted_as_a_request_is_400_naming_its_root(kms: Kms) -> None:
    """TS 33.180 D.2.2: a request body is a KmsRequest or SignedKmsRequest; a schema-valid
    SignedKmsResponse sent back as one is 400 naming its root element."""
    answer = kms.post(resource_path("certcache"))
    assert answer.status == 200
    response = kms.post(resource_path("init"), answer.body)
    assert response.status == 400, response.body
    assert b"field {urn:3gpp:ns:mcsecKMSInterface:1.0}SignedKmsResponse" in response.body
    assert b"is not a KmsRequest or SignedKmsRequest (TS 33.180 D.2.2)" in response.body


def test_a_request_with_two_signature_ids_is_400(kms: Kms) -> None:
    """TS 33.180 D.3.5.3 (REQ-SKMS-26): at most one Signature-ID extension; a KmsRequest
    with two is 400 naming the field, and no key set is issued."""
    path = resource_path("keyprov")
    document = kms.request_body(path)
    doubled, count = re.subn(
        rb"(<ext:TrK-ID>[^<]*</ext:TrK-ID>)",
        rb"\1<ext:Signature-ID>a</ext:Signature-ID><ext:Signature-ID>b</ext:Signature-ID>",
        document)
    assert count == 1
    before = kms.role.store.count("key_sets")
    response = kms.post(path, doubled)
    assert response.status == 400, response.body
    assert b"field Signature-ID" in response.body and b"at most once" in response.body
    assert kms.role.store.count("key_sets") == before


def test_no_token_is_401_with_a_bearer_challenge(kms: Kms) -> None:
    """RFC 6750 3 (REQ-SKMS-20): a request without a token is 401 and the response carries
    a ``WWW-Authenticate: Bearer`` challenge naming the error."""
    response = kms.post(resource_path("init"), authorised=False)
    assert response.status == 401
    assert response.headers == (
        ("WWW-Authenticate", 'Bearer realm="kms", error="invalid_token"'),)


def test_a_token_in_the_query_is_refused_even_with_an_equals_sign(kms: Kms) -> None:
    """RFC 6750 2.3/5.3 (REQ-SKMS-23): an ``access_token`` query parameter is the token
    even when its value holds a ``=``; the URL carries it, so the request is refused though
    a valid Authorization header is present."""
    response = kms.post(resource_path("init"), query="access_token=abc=def")
    assert response.status == 400, response.body
    assert b"token-not-in-url" in response.body and b"REQ-SKMS-23" in response.body


def test_a_response_that_is_not_a_signed_kms_response_is_a_decode_error(kms: Kms) -> None:
    """TS 33.180 D.3.1: a KMS response is a SignedKmsResponse; a schema-valid KmsRequest
    read as a response is a DecodeError that says so."""
    document = kms.request_body(resource_path("init"))
    with pytest.raises(DecodeError, match="is not a SignedKmsResponse"):
        decode_response("INIT_RESPONSE", document)


def test_a_reopened_store_keeps_its_community_and_refuses_another_period(
        tmp_path: Path) -> None:
    """``KmsRole.open``: a KMS restarting on its store serves the stored community (same
    KMS certificate), and refuses a configuration with another key period (the UIDs of the
    users' keys are bound to it, TS 33.180 F.2.1)."""
    db = str(tmp_path / "kms.db")
    first = SqliteKmsStore(db)
    certificate = KmsRole.open(first, KmsConfig(KMS_URI), standard()).certificate
    first.close()
    again = SqliteKmsStore(db)
    try:
        assert KmsRole.open(again, KmsConfig(KMS_URI), standard()).certificate == certificate
        config = KmsConfig(KMS_URI, period=2 * KmsConfig(KMS_URI).period)
        with pytest.raises(UsageError):
            KmsRole.open(again, config, standard())
    finally:
        again.close()


def _cache_num(document: bytes) -> str | None:
    found = re.search(rb'<KmsCertCache[^>]*\sCacheNum="([^"]*)"', document)
    return found.group(1).decode() if found else None


def test_certcache_and_cert_answer_the_same_cache_number(kms: Kms) -> None:
    """TS 33.180 D.2.5/D.3.4: the KMS keeps one certificate cache (here with no external KMS
    certificates, never changed), so ``/certcache`` and ``/cert/<KMS URI>`` answer the same
    CacheNum, request after request."""
    cache = kms.post(resource_path("certcache"))
    cert = kms.post(resource_path("cert", kms_uri=KMS_URI))
    assert cache.status == cert.status == 200, (cache.body, cert.body)
    number = _cache_num(cache.body)
    assert number is not None
    assert _cache_num(cert.body) == number
    assert _cache_num(kms.post(resource_path("certcache")).body) == number
