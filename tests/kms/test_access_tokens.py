"""Issue 13: the IdMS access token's times and signature form over the real HTTPS server.

Each token differs from a good one in one claim or in its signature form; each refusal is a 401
from the model's guard ``token-valid`` (REQ-SKMS-20) naming the reason (RFC 7519 4.1.4-4.1.6;
the maximum lifetime and the low-S rule are project decisions, spec/skm-s.md "Token format")."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from mckm.impl.errors import PolicyError
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.access_token import LEEWAY, MAX_LIFETIME, P256_ORDER
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService, resource_path
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity

ALICE = "sip:alice@example.org"
KMS_URI = "kms.example.org"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jws(key: ec.EllipticCurvePrivateKey, claims: dict[str, object], *, high_s: bool = False
         ) -> str:
    """A compact ES256 JWS over ``claims``; its s made high (n - s) or low as asked."""
    signing_input = (_b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode()) + "."
                     + _b64(json.dumps(claims).encode()))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    low = min(s, P256_ORDER - s)
    s = P256_ORDER - low if high_s else low
    return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


@dataclass
class Live:
    server: KmsHttpsServer
    idm: ec.EllipticCurvePrivateKey

    def token(self, *, high_s: bool = False, **times: int) -> str:
        now = int(time.time())
        claims = {"iss": "idms", "aud": "kms", "sub": ALICE, "mcptt_id": ALICE,
                  "scope": KMS_SCOPE, "iat": now, "exp": now + 300, **times}
        return _jws(self.idm, {k: v for k, v in claims.items() if v != -1}, high_s=high_s)

    def post(self, token: str) -> tuple[int, str]:
        client = KmsClient(self.server.host, self.server.port, self.server.identity.ca_pem,
                           token)
        try:
            status, body = client.post(resource_path("keyprov"))
        finally:
            client.close()
        return status, body.decode()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store = SqliteKmsStore(os.path.join(tmp_path_factory.mktemp("kms"), "kms.db"))
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    role.enrol(ALICE)
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
    service.base_url = server.base_url
    with server:
        yield Live(server, idm)
    store.close()


def _refused(live: Live, token: str, reason: str) -> None:
    status, body = live.post(token)
    assert status == 401, body[:120]
    assert "token-valid" in body and "REQ-SKMS-20" in body and reason in body, body


def test_a_token_inside_every_limit_is_served(live: Live) -> None:
    """REQ-IDM-22: nbf and iat up to the skew ahead, and the maximum lifetime, are served."""
    now = int(time.time())
    for token in (live.token(), live.token(nbf=now - 10), live.token(nbf=now + LEEWAY // 2),
                  live.token(iat=now + LEEWAY // 2), live.token(iat=-1),
                  live.token(exp=now + MAX_LIFETIME)):
        status, body = live.post(token)
        assert status == 200, body[:200]


def test_nbf_in_the_future_is_refused(live: Live) -> None:  # RFC 7519 4.1.5
    """REQ-IDM-22: nbf beyond the skew is refused."""
    _refused(live, live.token(nbf=int(time.time()) + 3600), "not valid yet (nbf)")


def test_iat_in_the_future_is_refused(live: Live) -> None:  # RFC 7519 4.1.6
    """REQ-IDM-22: iat beyond the skew is refused."""
    now = int(time.time())
    _refused(live, live.token(iat=now + 3600, exp=now + 3900), "issued in the future (iat)")


@pytest.mark.parametrize("exp", [10**30, "max+1"])
@pytest.mark.parametrize("iat", ["now", "absent"])
def test_a_lifetime_over_the_maximum_is_refused(live: Live, exp: object, iat: str) -> None:
    """REQ-IDM-22: a token lives at most 86,400 s after iat."""
    now = int(time.time())
    times = {"exp": 10**30 if exp == 10**30 else now + MAX_LIFETIME + 120,
             "iat": now if iat == "now" else -1}
    _refused(live, live.token(**times), f"longer than the KMS's maximum of {MAX_LIFETIME} s")


def test_a_high_s_signature_is_refused(live: Live) -> None:
    low, high = live.token(), live.token(high_s=True)
    assert live.post(low)[0] == 200  # the same claims, the other valid ECDSA signature
    _refused(live, high, "not low-S")


def test_issued_tokens_are_low_s() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    for _ in range(16):  # ECDSA's s is high half the time: 16 draws all low
        token = access_token.issue(key, subject=ALICE, scopes=(KMS_SCOPE,),
                                   issued_at=int(time.time()), lifetime=60)
        s = int.from_bytes(base64.urlsafe_b64decode(token.split(".")[2] + "=="), "big") % 2**256
        assert s <= P256_ORDER // 2


def test_the_stated_skew_is_30_s_and_the_lifetime_a_day() -> None:
    """REQ-IDM-22: the figures themselves (TS 33.180 B.2.1.2 / B.2.2.2's 30 s maximum skew, a
    lifetime of at most 86,400 s after iat), judged by the verifier with a fixed clock: iat and
    nbf 30 s ahead are served, 31 s ahead refused; exp at iat + 86,400 served, one second more
    refused; a token is expired at exp."""
    idm = ec.generate_private_key(ec.SECP256R1())
    verifier = access_token.TokenVerifier(idm.public_key())
    now = 1_800_000_000
    base = {"iss": "idms", "aud": "kms", "sub": ALICE, "mcptt_id": ALICE, "scope": KMS_SCOPE,
            "iat": now, "exp": now + 300}

    def verdict(**claims: int) -> str:
        try:
            verifier.verify(_jws(idm, {**base, **claims}), now)
        except PolicyError as exc:
            return str(exc)
        return "served"

    assert verdict(iat=now + 30, exp=now + 330) == "served"
    assert "iat" in verdict(iat=now + 31, exp=now + 331)
    assert verdict(nbf=now + 30) == "served"
    assert "nbf" in verdict(nbf=now + 31)
    assert verdict(exp=now + 86_400) == "served"
    assert "maximum" in verdict(exp=now + 86_401)
    assert verdict(iat=now - 100, exp=now + 1) == "served"
    assert "expired" in verdict(iat=now - 100, exp=now)
