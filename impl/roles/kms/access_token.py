"""The IdMS access token the KMS accepts: a compact JWS (RFC 7515) signed ES256 (RFC 7518 3.4).

TS 33.180 clause 5.1 / Annex B: a client presents the access token it obtained from the IdMS
as an OAuth 2.0 bearer token (RFC 6750) on every KMS request; the KMS checks its signature,
its lifetime, that it names the MC ID the request is for and that it grants the KMS scope.
The claim names are chosen here (``sub`` = MC ID, ``scope`` space-separated as in RFC 8693,
``exp``/``iat``/``iss``/``aud`` as in RFC 7519); TS 33.180 / TS 24.482 claim names were not
read this session (spec/skm-s.md REQ-SKMS-20).

What "valid" means here (REQ-SKMS-20, each refusal a 401 through the model's guard
``token-valid`` with the reason below): the signature verifies and is low-S (``s <= n/2``, the
one of the two valid ECDSA signatures strict JOSE libraries accept, so a token has one
signature); ``exp`` (RFC 7519 4.1.4) has not passed; ``nbf`` (4.1.5) and ``iat`` (4.1.6), where
present, are not later than now plus :data:`LEEWAY` (the IdMS's clock may run a little ahead);
and ``exp`` is at most :data:`MAX_LIFETIME` after ``iat`` (or after now, without ``iat``) -- a
project decision (spec/skm-s.md "Token format"), since RFC 7519 sets no maximum.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from mckm.impl.errors import PolicyError

HEADER = {"alg": "ES256", "typ": "JWT"}
REQ = "REQ-SKMS-20"
#: seconds an ``nbf`` or ``iat`` may lie ahead of the KMS's clock (RFC 7519 4.1.5 "small leeway")
LEEWAY = 60
#: the longest lifetime (``exp`` - ``iat``) the KMS accepts, in seconds: one day (chosen)
MAX_LIFETIME = 86_400
#: the order n of the P-256 group (FIPS 186-4 D.1.2.3); a low-S signature has s <= n // 2
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _unauthorized("the access token is not base64url") from exc


def _unauthorized(reason: str) -> PolicyError:
    return PolicyError(reason, requirement=REQ, http_status=401)


@dataclass(frozen=True)
class AccessToken:
    """The claims the KMS uses."""

    subject: str
    scopes: frozenset[str]
    expires: int
    issuer: str
    audience: str


def issue(key: ec.EllipticCurvePrivateKey, *, subject: str, scopes: tuple[str, ...],
          issued_at: int, lifetime: int, issuer: str = "idms", audience: str = "kms") -> str:
    """Sign a token (the IdMS side, for demos and tests), with a low-S signature."""
    claims = {"iss": issuer, "aud": audience, "sub": subject, "scope": " ".join(scopes),
              "iat": issued_at, "exp": issued_at + lifetime}
    signing_input = (_b64url(json.dumps(HEADER, separators=(",", ":")).encode()) + "."
                     + _b64url(json.dumps(claims, separators=(",", ":")).encode()))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    s = min(s, P256_ORDER - s)  # low-S: (r, n - s) verifies too, and is the one accepted
    return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


@dataclass(frozen=True)
class TokenVerifier:
    """Checks tokens signed by one IdMS key (P-256) for one audience."""

    public_key: ec.EllipticCurvePublicKey
    audience: str = "kms"
    leeway: int = LEEWAY
    max_lifetime: int = MAX_LIFETIME

    def verify(self, token: str, now: float) -> AccessToken:
        """The token's claims, or PolicyError(http_status=401) naming what is wrong."""
        parts = token.split(".")
        if len(parts) != 3:
            raise _unauthorized("the access token is not a compact JWS (3 parts)")
        try:
            header = json.loads(_unb64url(parts[0]))
            claims = json.loads(_unb64url(parts[1]))
        except (ValueError, UnicodeDecodeError) as exc:
            raise _unauthorized("the access token header or claims are not JSON") from exc
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise _unauthorized("the access token must be signed ES256")
        raw = _unb64url(parts[2])
        if len(raw) != 64:
            raise _unauthorized("the ES256 signature is not 64 octets")
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        if s > P256_ORDER // 2:
            raise _unauthorized("the ES256 signature is not low-S (s > n/2)")
        signature = encode_dss_signature(r, s)
        try:
            self.public_key.verify(signature, (parts[0] + "." + parts[1]).encode(),
                                   ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise _unauthorized("the access token signature does not verify") from exc
        if not isinstance(claims, dict):
            raise _unauthorized("the access token claims are not an object")
        subject, scope, exp = claims.get("sub"), claims.get("scope"), claims.get("exp")
        if not isinstance(subject, str) or not isinstance(scope, str) or not isinstance(exp, int):
            raise _unauthorized("the access token lacks sub, scope or exp")
        if claims.get("aud") != self.audience:
            raise _unauthorized("the access token is for another audience")
        if exp <= now:
            raise _unauthorized("the access token has expired")
        self._check_times(claims, exp, now)
        return AccessToken(subject, frozenset(scope.split()), exp, str(claims.get("iss", "")),
                           self.audience)

    def _check_times(self, claims: dict[str, object], exp: int, now: float) -> None:
        """``nbf`` and ``iat`` not ahead of ``now`` by more than the leeway (RFC 7519 4.1.5,
        4.1.6); ``exp`` within the maximum lifetime of ``iat`` (or of ``now``)."""
        times: dict[str, int] = {}
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise _unauthorized(f"the access token's {name} is not a NumericDate")
            times[name] = value
        if times.get("nbf", 0) > now + self.leeway:
            raise _unauthorized("the access token is not valid yet (nbf)")
        if times.get("iat", 0) > now + self.leeway:
            raise _unauthorized("the access token is issued in the future (iat)")
        start = times.get("iat", now)
        if exp - start > self.max_lifetime:
            raise _unauthorized(f"the access token lives longer than the KMS's maximum of "
                                f"{self.max_lifetime} s")
