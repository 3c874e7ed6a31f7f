"""What the ``sip-registration`` guards ask (``SIP_PREDICATES`` and the token predicates of
``models/procedures/predicates``), and the records the roles keep in their variables.

The roles' state (registrations, bindings, tokens presented) lives in the engine's role
variables as immutable mappings, so that a refused request changes nothing; the facts answer
over the values a guard passes them.  :class:`ServerFacts` checks the access token as the KMS
does (:class:`~mckm.impl.roles.kms.access_token.TokenFacts`, joserfc against the IdM's JWKS),
with the MCPTT server as the audience; a token is remembered by its SHA-256 digest, never as
itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.errors import UsageError
from mckm.impl.roles.kms.access_token import REQ, AccessToken, TokenFacts, TokenVerifier
from mckm.models.procedures.verdict import YES, Verdict


@dataclass(frozen=True)
class Registration:
    """A registration of an IMPU: at the SIP core the UE's contact, at the MCPTT server the SIP
    core that registered it; ``until`` in Unix seconds."""

    contact: str
    until: int


@dataclass(frozen=True)
class Binding:
    """What the MCPTT server bound a user's MCPTT ID to (REQ-SIPREG-07)."""

    mcptt_id: str
    impu: str
    session: str
    until: int
    etag: str


def token_digest(token: str) -> str:
    """How a presented token is remembered (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class _Registrations:
    def sip_registered(self, registrations: Mapping[str, Registration], impu: Any,
                       now: int) -> Verdict:
        found = registrations.get(str(impu))
        if found is None:
            return Verdict.no(f"no registration of {impu}")
        if found.until <= now:
            return Verdict.no(f"the registration of {impu} has expired")
        return YES


@dataclass(frozen=True)
class CoreFacts(_Registrations):
    """The SIP core's facts: the IMPUs it serves."""

    subscribers: frozenset[str]

    def sip_serves(self, impu: Any) -> bool:
        return impu in self.subscribers


@dataclass
class ServerFacts(_Registrations, TokenFacts):
    """The MCPTT server's facts for one request: ``why`` is why the request has no token (its
    body), reported by the token guard."""

    verifier: TokenVerifier
    clock: Callable[[], float]
    why: str = ""
    _claims: dict[str, AccessToken] = field(default_factory=dict)
    _refused: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.why:
            self.token_required = f"no access token in the PUBLISH body: {self.why}"
        else:
            self.token_required = "no access token in the PUBLISH body"

    def token_time(self) -> float:
        return self.clock()

    def token_valid(self, token: Any, now: int) -> Verdict:
        """The KMS's check; its reason without the KMS's requirement id (the guard names
        REQ-SIPREG-06)."""
        verdict = super().token_valid(token, now)
        return verdict if verdict else Verdict.no(verdict.reason.replace(f" [{REQ}]", ""))

    def token_expires(self, token: str) -> int:
        """The ``exp`` of a token that passed ``token-valid``."""
        claims = self._token(token)
        if claims is None:
            raise UsageError("token_expires of a token that is not valid")
        return claims.expires

    def sip_token_unused(self, used: Mapping[str, int], token: Any) -> Verdict:
        if isinstance(token, str) and token_digest(token) in used:
            return Verdict.no("this access token was presented before")
        return YES


__all__ = ["Binding", "CoreFacts", "Registration", "ServerFacts", "token_digest"]
