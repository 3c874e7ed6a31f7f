"""What a crypto or BSF fact answers a guard: a :class:`Verdict`, not a bare bool.

A fact such as ``MacBy(message, key)`` is true or false; when false, the runtime knows why
(the V payload is absent, the key is unknown, the MAC differs) and which MIKEY error that
ground would carry (RFC 3830 6.12, RFC 6043 6.9).  The engine adds the reason to the guard's
refusal; the refusal keeps the guard's requirement and MIKEY error, and takes the verdict's
error only where the guard declares none.  A verdict is truthy exactly when it holds, so the
z3 and text readings and every ``bool(...)`` use are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """A fact's answer: ``holds``, and when it does not, ``reason`` and the MIKEY ``error``."""

    holds: bool
    reason: str = ""
    error: int | None = None

    def __bool__(self) -> bool:
        return self.holds

    @classmethod
    def no(cls, reason: str, error: int | None = None) -> Verdict:
        return cls(False, reason, error)


YES = Verdict(True)

__all__ = ["YES", "Verdict"]
