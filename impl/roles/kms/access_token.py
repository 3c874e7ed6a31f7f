"""The KMS access token the KMS accepts: a JWT (RFC 7519) in a compact JWS (RFC 7515) signed
ES256 (RFC 7518 3.4), checked with joserfc against the IdM's JWKS (RFC 7517).

TS 33.180 5.1.3.1: the KM client presents an access token "scoped for key management services"
and the KMS provisions keys "based on the MC service ID(s) present in the access token"; B.10:
as an OAuth 2.0 bearer token (RFC 6750); B.11.2: the KMS validates it "according to IETF RFC
7519".  Claims (spec/idm-tokens.md): ``mcptt_id`` (B.2.2.3) is the MC ID the keys are for,
``scope`` (B.2.2.2) space-separated, ``aud`` the KMS (seed 001's "KMS access token"), ``iss``
the IdM, ``exp``/``nbf``/``iat`` as in RFC 7519 4.1.

What "valid" means here (REQ-SKMS-20, REQ-IDM-20..23; each refusal a 401 through the model's
guard ``token-valid`` with the reason below; scope and subject are the model's 403 guards):

- the header's ``alg`` is ES256 (pinned: joserfc's registry here knows no other algorithm),
  its ``kid`` names a key of the JWKS (a JWKS of one key also takes a token without ``kid``);
- the signature verifies (joserfc) and is low-S, ``s <= n/2``: joserfc accepts both ``(r, s)``
  and ``(r, n - s)``, so the low-S rule is this module's (:class:`_LowSEs256`), and tokens
  signed here are low-S;
- ``iss`` and ``aud`` are the expected ones, ``exp`` has not passed (no leeway: TS 33.180
  B.2.2.2 allows "not to exceed 30 seconds"), ``nbf`` and ``iat`` (where present) are not
  later than now plus :data:`LEEWAY` (the IdM's clock may run ahead), and ``exp`` is at most
  :data:`MAX_LIFETIME` after ``iat`` (or after now, without ``iat``) -- a project decision,
  since RFC 7519 sets no maximum.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws, jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwa import ESAlgorithm
from joserfc.jwk import ECKey, KeySet
from joserfc.jws import JWSRegistry
from joserfc.util import urlsafe_b64decode

from mckm.impl.errors import PolicyError
from mckm.models.procedures.verdict import YES, Verdict

ALG = "ES256"
REQ = "REQ-SKMS-20"
#: seconds an ``nbf`` or ``iat`` may lie ahead of the KMS's clock: TS 33.180 B.2.2.2 "small
#: leeway ... to account for clock skew (not to exceed 30 seconds)"
LEEWAY = 30
#: the longest lifetime (``exp`` - ``iat``) the KMS accepts, in seconds: one day (chosen)
MAX_LIFETIME = 86_400
#: the order n of the P-256 group (FIPS 186-4 D.1.2.3); a low-S signature has s <= n // 2
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
#: the claim naming the MC service ID (TS 33.180 B.2.2.3 "mcptt_id")
MC_ID_CLAIM = "mcptt_id"
#: what the demo tokens of :func:`issue` name as issuer and audience
DEFAULT_ISSUER = "idms"
DEFAULT_AUDIENCE = "kms"


class _LowSEs256(ESAlgorithm):
    """ES256 that signs low-S and refuses a high-S signature (``s > n/2``)."""

    def __init__(self) -> None:
        super().__init__(ALG, "P-256", 256, True)

    def sign(self, msg: bytes, key: ECKey) -> bytes:
        raw = super().sign(msg, key)
        s = int.from_bytes(raw[32:], "big")
        return raw[:32] + min(s, P256_ORDER - s).to_bytes(32, "big")

    def verify(self, msg: bytes, sig: bytes, key: ECKey) -> bool:
        return len(sig) == 64 and int.from_bytes(sig[32:], "big") <= P256_ORDER // 2 \
            and super().verify(msg, sig, key)


class _Es256Registry(JWSRegistry):
    """A joserfc registry that knows ES256 only (the algorithm is pinned, RFC 8725 3.1)."""

    algorithms = {ALG: _LowSEs256()}  # noqa: RUF012 (joserfc's class attribute)
    recommended = [ALG]  # noqa: RUF012


REGISTRY = _Es256Registry(algorithms=[ALG])


def _unauthorized(reason: str) -> PolicyError:
    return PolicyError(reason, requirement=REQ, http_status=401)


def signing_key(key: ec.EllipticCurvePrivateKey | ECKey, kid: str | None = None) -> ECKey:
    """A joserfc P-256 key (``kid`` given, else its RFC 7638 thumbprint)."""
    jwk = key if isinstance(key, ECKey) else ECKey.import_key(key)
    if kid is not None:
        jwk = ECKey.import_key(jwk.as_dict(private=jwk.is_private), {"kid": kid})
    jwk.ensure_kid()
    return jwk


def sign(key: ec.EllipticCurvePrivateKey | ECKey, claims: dict[str, Any]) -> str:
    """A compact JWS of ``claims`` signed ES256, low-S; a joserfc key's ``kid`` goes in the
    header (a bare key signs without one, for a KMS that trusts that one key)."""
    header = {"alg": ALG}
    if isinstance(key, ECKey):
        key.ensure_kid()
        header["kid"] = str(key.kid)
    else:
        key = ECKey.import_key(key)
    return jwt.encode(header, dict(claims), key, registry=REGISTRY)


def issue(key: ec.EllipticCurvePrivateKey | ECKey, *, subject: str, scopes: tuple[str, ...],
          issued_at: int, lifetime: int, issuer: str = DEFAULT_ISSUER,
          audience: str = DEFAULT_AUDIENCE) -> str:
    """A KMS access token for the MC ID ``subject`` (demos and tests; the IdM of
    :mod:`mckm.impl.roles.idm` issues the real ones): ``sub`` and ``mcptt_id`` both
    ``subject``."""
    return sign(key, {"iss": issuer, "aud": audience, "sub": subject, MC_ID_CLAIM: subject,
                      "scope": " ".join(scopes), "iat": issued_at,
                      "exp": issued_at + lifetime})


def key_set(keys: ec.EllipticCurvePublicKey | KeySet | dict[str, Any]) -> KeySet:
    """A JWKS from one public key, a joserfc KeySet, or a JWKS document (RFC 7517 5)."""
    if isinstance(keys, KeySet):
        return keys
    if isinstance(keys, dict):
        return KeySet.import_key_set(keys)  # type: ignore[arg-type]
    return KeySet([ECKey.import_key(keys)])


@dataclass(frozen=True)
class AccessToken:
    """The claims the KMS uses."""

    subject: str
    scopes: frozenset[str]
    expires: int
    issuer: str
    audience: str


#: where the verifier gets the IdM's keys: a fixed JWKS, or a callable given the token's
#: ``kid`` (None when absent) that returns the JWKS to use (e.g. fetched again for a new kid)
KeySource = KeySet | Callable[[str | None], KeySet]

_CLAIM_REASONS = {
    "iss": "the access token is from another issuer (iss)",
    "aud": "the access token is for another audience",
    "nbf": "the access token is not valid yet (nbf)",
    "iat": "the access token is issued in the future (iat)",
}


class TokenVerifier:
    """Checks access tokens signed by the IdM's keys (a JWKS) for one audience and issuer."""

    def __init__(self, keys: ec.EllipticCurvePublicKey | KeySet | dict[str, Any]
                 | Callable[[str | None], KeySet], audience: str = DEFAULT_AUDIENCE,
                 issuer: str = DEFAULT_ISSUER, leeway: int = LEEWAY,
                 max_lifetime: int = MAX_LIFETIME) -> None:
        self._keys: KeySource = keys if callable(keys) else key_set(keys)
        self.audience, self.issuer = audience, issuer
        self.leeway, self.max_lifetime = leeway, max_lifetime

    def __repr__(self) -> str:
        return f"TokenVerifier(aud={self.audience!r}, iss={self.issuer!r})"

    def _key(self, kid: object) -> ECKey:
        if kid is not None and not isinstance(kid, str):
            raise _unauthorized("the access token's kid is not a string")
        keys = self._keys(kid) if callable(self._keys) else self._keys
        try:
            key = keys.get_by_kid(kid, {"alg": ALG})
        except InvalidKeyIdError as exc:
            named = "no kid" if kid is None else "an unknown kid"
            raise _unauthorized(f"the access token names {named} (not in the IdM's JWKS)"
                                ) from exc
        if not isinstance(key, ECKey) or key.curve_name != "P-256":
            raise _unauthorized("the access token's kid is not a P-256 key")
        return key

    def verify(self, token: str, now: float) -> AccessToken:
        """The token's claims, or PolicyError(http_status=401) naming what is wrong."""
        if token.count(".") != 2:
            raise _unauthorized("the access token is not a compact JWS (3 parts)")
        try:
            obj = jws.extract_compact(token.encode("ascii"))
        except (JoseError, ValueError, UnicodeError) as exc:
            raise _unauthorized("the access token's JOSE header is not JSON with an alg "
                                "(RFC 7515 4.1.1)") from exc
        header = obj.headers()
        if header.get("alg") != ALG:
            raise _unauthorized("the access token must be signed ES256")
        try:
            raw = urlsafe_b64decode(obj.segments["signature"])
        except (ValueError, TypeError) as exc:
            raise _unauthorized("the access token is not base64url") from exc
        if len(raw) != 64:
            raise _unauthorized("the ES256 signature is not 64 octets")
        if int.from_bytes(raw[32:], "big") > P256_ORDER // 2:
            raise _unauthorized("the ES256 signature is not low-S (s > n/2)")
        key = self._key(header.get("kid"))
        try:
            verified = jws.validate_compact(obj, key, registry=REGISTRY)
        except JoseError as exc:
            raise _unauthorized(f"the access token header is refused ({exc.error})") from exc
        if not verified:
            raise _unauthorized("the access token signature does not verify")
        try:
            claims = json.loads(obj.payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _unauthorized("the access token header or claims are not JSON") from exc
        if not isinstance(claims, dict):
            raise _unauthorized("the access token claims are not an object")
        return self._check_claims(claims, now)

    def _check_claims(self, claims: dict[str, Any], now: float) -> AccessToken:
        """RFC 7519 4.1 by joserfc's claims registry, then the lifetime rules of this KMS."""
        registry = jwt.JWTClaimsRegistry(
            now=int(now), leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True}, scope={"essential": True}, mcptt_id={"essential": True})
        try:
            registry.validate(claims)
        except MissingClaimError as exc:
            raise _unauthorized(f"the access token lacks {exc.claim.replace(',', ', ')}"
                                ) from exc
        except ExpiredTokenError as exc:
            raise _unauthorized("the access token has expired") from exc
        except ClaimError as exc:
            reason = _CLAIM_REASONS.get(exc.claim)
            raise _unauthorized(reason or f"the access token's {exc.claim} is not valid "
                                f"({exc.description})") from exc
        subject, scope, exp = claims[MC_ID_CLAIM], claims["scope"], claims["exp"]
        if not isinstance(subject, str) or not isinstance(scope, str) \
                or not isinstance(exp, int):
            raise _unauthorized(f"the access token's {MC_ID_CLAIM}, scope or exp has the "
                                "wrong type")
        if exp <= now:  # RFC 7519 4.1.4, without the leeway the registry allows
            raise _unauthorized("the access token has expired")
        for name in ("nbf", "iat"):
            if name in claims and not isinstance(claims[name], int):
                raise _unauthorized(f"the access token's {name} is not a NumericDate")
        start = claims.get("iat", now)
        if exp - start > self.max_lifetime:
            raise _unauthorized(f"the access token lives longer than the KMS's maximum of "
                                f"{self.max_lifetime} s")
        return AccessToken(subject, frozenset(scope.split()), exp, claims["iss"], self.audience)


class TokenFacts(abc.ABC):
    """The token predicates of a KMS's guards (``TokenValid``, ``TokenScopes``,
    ``TokenSubject``) over one request: each token verified once by ``verifier`` at
    :meth:`token_time`, the verifier's reason kept as the guard's verdict.  Mixed into the facts
    dataclasses of the SKM-S and the CEK service, which declare ``verifier``, ``_claims`` and
    ``_refused``."""

    verifier: TokenVerifier
    _claims: dict[str, AccessToken]
    _refused: dict[str, str]
    #: the verdict when the request carries no token
    token_required = "an access token is required (Authorization: Bearer ...)"

    @abc.abstractmethod
    def token_time(self) -> float:
        """Now, by the clock the tokens are checked against."""

    def _token(self, token: Any) -> AccessToken | None:
        """The verified claims of ``token``, or None (the reason kept for the verdict)."""
        if not isinstance(token, str) or not token:
            return None
        if token not in self._claims and token not in self._refused:
            try:
                self._claims[token] = self.verifier.verify(token, self.token_time())
            except PolicyError as exc:  # the verifier's reason becomes the guard's verdict
                self._refused[token] = str(exc)
        return self._claims.get(token)

    def token_valid(self, token: Any, now: int) -> Verdict:
        claims = self._token(token)
        if claims is None:
            return Verdict.no(self._refused.get(str(token), self.token_required))
        return YES if claims.expires > now else Verdict.no("the access token has expired")

    def token_scopes(self, token: Any) -> frozenset[str]:
        claims = self._token(token)
        return frozenset() if claims is None else claims.scopes

    def token_subject(self, token: Any) -> str:
        claims = self._token(token)
        return "" if claims is None else claims.subject


__all__ = [
    "ALG",
    "LEEWAY",
    "MAX_LIFETIME",
    "MC_ID_CLAIM",
    "P256_ORDER",
    "REGISTRY",
    "AccessToken",
    "KeySource",
    "TokenFacts",
    "TokenVerifier",
    "issue",
    "key_set",
    "sign",
    "signing_key",
]
