"""What the IdM's guards ask (``IDM_PREDICATES`` of ``models/procedures/predicates.py``): its
registered clients, its users' passwords, its live authorisation codes and the PKCE forms.

:class:`AuthorisationCodes` holds the codes (REQ-IDM-04, -05): each bound to its grant, redirect
URI, challenge and expiry, marked used by the effect ``idm.take_code``; expired codes are
forgotten when a new one is made.  :class:`IdmFacts` answers one request's guards; the password
of a login is checked once (scrypt) and the user it names is kept for the effect that makes the
code.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.roles.idm.config import IdmConfig, User
from mckm.impl.roles.idm.tokens import Grant
from mckm.impl.roles.idm.wire import s256

#: RFC 7636 4.1: code_verifier = 43*128 unreserved; 4.2: an S256 challenge is 43 base64url
PKCE_FORMS = {"verifier": re.compile(r"[A-Za-z0-9\-._~]{43,128}"),
              "challenge": re.compile(r"[A-Za-z0-9\-_]{43}")}
#: the expiry a code the IdM does not hold is given (expired at any time)
NEVER = -(2**62)


@dataclass
class Code:
    """One authorisation code's binding (RFC 6749 4.1.2, RFC 7636 4.4)."""

    grant: Grant
    redirect_uri: str
    challenge: str
    expires: int
    used: bool = False


@dataclass
class AuthorisationCodes:
    """The IdM's live codes (thread-safe)."""

    _codes: dict[str, Code] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, code: str, entry: Code, now: int) -> None:
        with self._lock:
            self._codes = {c: v for c, v in self._codes.items() if v.expires > now}
            self._codes[code] = entry

    def get(self, code: str) -> Code | None:
        with self._lock:
            return self._codes.get(code)

    def mark_used(self, code: str) -> None:
        with self._lock:
            self._codes[code].used = True

    def __len__(self) -> int:
        with self._lock:
            return len(self._codes)


@dataclass
class IdmFacts:
    """The facts of one request to the IdM."""

    config: IdmConfig
    codes: AuthorisationCodes
    #: the user a login's password was right for (set by :meth:`idm_login`)
    user: User | None = None

    def idm_client_registered(self, client: Any) -> bool:
        return isinstance(client, str) and client in self.config.clients

    def idm_redirect_registered(self, client: Any, uri: Any) -> bool:
        registered = self.config.clients.get(client) if isinstance(client, str) else None
        return registered is not None and uri in registered.redirect_uris

    def idm_words(self, text: Any) -> frozenset[str]:
        return frozenset(str(text).split())

    def idm_login(self, user: Any, password: Any) -> bool:
        self.user = self.config.authenticate(str(user), str(password))
        return self.user is not None

    def idm_code_issued(self, code: Any) -> bool:
        return self.codes.get(str(code)) is not None

    def idm_code_unused(self, code: Any) -> bool:
        entry = self.codes.get(str(code))
        return entry is not None and not entry.used

    def idm_code_expires(self, code: Any) -> int:
        entry = self.codes.get(str(code))
        return NEVER if entry is None else entry.expires

    def idm_code_client(self, code: Any) -> str:
        entry = self.codes.get(str(code))
        return "" if entry is None else entry.grant.client_id

    def idm_code_redirect(self, code: Any) -> str:
        entry = self.codes.get(str(code))
        return "" if entry is None else entry.redirect_uri

    def idm_code_challenge(self, code: Any) -> str:
        entry = self.codes.get(str(code))
        return "" if entry is None else entry.challenge

    def pkce_s256(self, verifier: Any) -> str:
        return s256(str(verifier))

    def pkce_form(self, value: Any, kind: str) -> bool:
        return isinstance(value, str) and PKCE_FORMS[kind].fullmatch(value) is not None
