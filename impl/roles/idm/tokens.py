"""The IdM's scopes, claim names and the three tokens it issues (TS 33.180 B.2, seed 001).

Scope values are TS 33.180 B.4.2.2's ("openid" is mandatory; the "3gpp:mc:..." list); claims
are B.2.1.2 / B.2.1.3 (ID token) and B.2.2.2 / B.2.2.3 (access token) with the RFC 7519 4.1
claims the KMS checks (REQ-IDM-20..23, spec/idm-tokens.md).  Seed 001 (a pCR to TR 33.879,
solution 7.x, step 3a) has the user obtain two tokens: an access token for the MCPTT service
and a "KMS access token specific to the MCPTT user and the KMS"; TS 33.180 Rel-16 issues one
access token whose scope also carries the key management scope.  This IdM follows the seed:
``access_token`` (audience the MCPTT server, the service scopes) and ``kms_access_token``
(audience the KMS, the key management scopes), both in one token response (RFC 6749 5.1 allows
extra members).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from joserfc.jwk import ECKey

from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.models.procedures.idm import ACR_PASSWORD, OPENID

#: TS 33.180 B.4.2.2: the key management scopes (the KMS's own is ``KMS_SCOPE``)
KEY_MANAGEMENT_SCOPES = frozenset({KMS_SCOPE, "3gpp:mc:video_key_management_service",
                                   "3gpp:mc:data_key_management_service"})
#: TS 33.180 B.4.2.2: every other MC scope the profile defines
SERVICE_SCOPES = frozenset({
    "3gpp:mc:ptt_service", "3gpp:mc:video_service", "3gpp:mc:data_service",
    "3gpp:mc:ptt_config_management_service", "3gpp:mc:video_config_management_service",
    "3gpp:mc:data_config_management_service", "3gpp:mc:ptt_group_management_service",
    "3gpp:mc:video_group_management_service", "3gpp:mc:data_group_management_service",
    "3gpp:mc:location_management_service"})
SCOPES = frozenset({OPENID}) | KEY_MANAGEMENT_SCOPES | SERVICE_SCOPES
#: TS 33.180 B.2.1.3 / B.2.2.3: the MCPTT ID claim
MCPTT_ID = access_token.MC_ID_CLAIM


@dataclass(frozen=True)
class Grant:
    """What a token request may turn into tokens: who logged in, for which client, asking
    which scopes (the authorisation code's binding, RFC 6749 4.1.2)."""

    mc_id: str
    mcptt_id: str
    client_id: str
    scopes: frozenset[str]
    auth_time: int
    nonce: str | None


@dataclass(frozen=True, repr=False)
class IssuedTokens:
    """The signed tokens of one token response (their repr names no token)."""

    id_token: str
    access_token: str
    kms_access_token: str | None
    expires_in: int
    scope: str

    def __repr__(self) -> str:
        return f"IssuedTokens(scope={self.scope!r}, expires_in={self.expires_in})"


def issue_tokens(key: ECKey, grant: Grant, *, issuer: str, mcptt_audience: str,
                 kms_audience: str, now: int, lifetime: int) -> IssuedTokens:
    """Sign the ID token, the access token and (if a key management scope was granted) the
    KMS access token of ``grant`` with ``key`` (ES256, its kid in the header)."""
    base = {"iss": issuer, "sub": grant.mc_id, "iat": now, "exp": now + lifetime,
            MCPTT_ID: grant.mcptt_id}
    id_claims = {**base, "aud": grant.client_id, "auth_time": grant.auth_time,
                 "acr": ACR_PASSWORD}
    if grant.nonce is not None:
        id_claims["nonce"] = grant.nonce
    service = sorted(grant.scopes - KEY_MANAGEMENT_SCOPES)
    key_management = sorted(grant.scopes & KEY_MANAGEMENT_SCOPES)

    def bearer(audience: str, scopes: list[str]) -> str:
        return access_token.sign(key, {**base, "aud": audience, "nbf": now,
                                       "jti": secrets.token_urlsafe(16),
                                       "client_id": grant.client_id,
                                       "scope": " ".join(scopes)})

    return IssuedTokens(
        id_token=access_token.sign(key, id_claims),
        access_token=bearer(mcptt_audience, service),
        kms_access_token=bearer(kms_audience, key_management) if key_management else None,
        expires_in=lifetime, scope=" ".join(sorted(grant.scopes)))
