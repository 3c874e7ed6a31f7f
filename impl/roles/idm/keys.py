"""The IdM's token signing keys and their rollover, published as a JWKS (RFC 7517 5).

Three kinds of key, each P-256 for ES256 (RFC 7518 3.4) and named by its RFC 7638 thumbprint
as ``kid`` (RFC 7517 4.5):

- the **current** key signs every token;
- the **next** key is published but signs nothing yet, so that a relying party holding a JWKS
  fetched before a rollover already knows the key that signs after it (REQ-IDM-11);
- each **retired** key stays published until the last token it signed has expired (its
  retirement time plus the longest token lifetime), then leaves the JWKS (REQ-IDM-12).

:meth:`SigningKeys.rollover` turns next into current and current into retired, and makes a
new next key.  Private keys never leave this module's objects; their reprs name kids only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import ECKey


def _new_key() -> ECKey:
    key = ECKey.generate_key("P-256", {"alg": "ES256", "use": "sig"})
    key.ensure_kid()
    return key


@dataclass(frozen=True)
class _Retired:
    key: ECKey = field(repr=False)
    #: Unix time after which no token it signed is still valid
    until: float


class SigningKeys:
    """The current, next and retired signing keys of one IdM (thread-safe)."""

    def __init__(self, max_token_lifetime: int, current: ECKey | None = None) -> None:
        self.max_token_lifetime = max_token_lifetime
        self._lock = threading.Lock()
        self._current = current or _new_key()
        self._current.ensure_kid()
        self._next = _new_key()
        self._retired: list[_Retired] = []

    def __repr__(self) -> str:
        return f"SigningKeys(current={self.current_kid!r}, next={self.next_kid!r})"

    @property
    def current_kid(self) -> str:
        return str(self._current.kid)

    @property
    def next_kid(self) -> str:
        return str(self._next.kid)

    def signer(self) -> ECKey:
        """The key that signs now (its ``kid`` goes in each token's header)."""
        with self._lock:
            return self._current

    def rollover(self, now: float) -> str:
        """Sign with the published next key from now on; keep the old one published until
        its tokens have expired; publish a new next key.  Returns the new current kid."""
        with self._lock:
            self._retired.append(_Retired(self._current, now + self.max_token_lifetime))
            self._current, self._next = self._next, _new_key()
            return str(self._current.kid)

    def jwks(self, now: float) -> dict[str, Any]:
        """The public JWKS (RFC 7517 5): current, next and the retired keys still needed."""
        with self._lock:
            self._retired = [r for r in self._retired if r.until > now]
            keys = [self._current, self._next, *(r.key for r in self._retired)]
        return {"keys": [dict(key.as_dict(private=False, alg="ES256", use="sig"))
                         for key in keys]}
