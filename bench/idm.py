"""IdM token benchmarks (joserfc, ES256 on P-256).

``idm-issue-tokens``: one token response's signatures: the ID token, the access token and the
KMS access token of one grant (:func:`mckm.impl.roles.idm.tokens.issue_tokens`), three low-S
ES256 signatures.  ``idm-kms-verify``: the KMS's check of one KMS access token against a JWKS
of three keys (current, next, one retired): kid lookup, low-S, signature, claims
(:meth:`mckm.impl.roles.kms.access_token.TokenVerifier.verify`), no HTTP.
"""

from __future__ import annotations

import time

from mckm.bench.registry import Operation, benchmark
from mckm.impl.roles.idm.keys import SigningKeys
from mckm.impl.roles.idm.tokens import Grant, issue_tokens
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE

_ISSUER = "https://idm.example.org"
_GRANT = Grant("alice", "sip:alice@example.org", "mcptt-client",
               frozenset({"openid", "3gpp:mc:ptt_service", KMS_SCOPE}), 0, None)


def _issue(keys: SigningKeys) -> str | None:
    now = int(time.time())
    return issue_tokens(keys.signer(), _GRANT, issuer=_ISSUER, mcptt_audience="mcptt",
                        kms_audience="kms", now=now, lifetime=600).kms_access_token


def issue() -> Operation:
    keys = SigningKeys(600)
    return lambda: _issue(keys)


def verify() -> Operation:
    keys = SigningKeys(600)
    keys.rollover(time.time())
    token = _issue(keys)
    assert token is not None
    verifier = access_token.TokenVerifier(keys.jwks(time.time()), audience="kms",
                                          issuer=_ISSUER)
    now = time.time()
    verifier.verify(token, now)
    return lambda: verifier.verify(token, now)


benchmark("idm-issue-tokens", "IdM: ID, access and KMS access token of one grant (3 x ES256)"
          )(issue)
benchmark("idm-kms-verify", "KMS: one KMS access token checked against a 3-key JWKS (joserfc)"
          )(verify)
