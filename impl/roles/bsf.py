"""A sans-IO Bootstrapping Server Function for the Zn reference point (TS 33.220 4.x, B.3).

GBA bootstrapping itself (the Ub run with AKA) is NOT executed here: bootstrapping contexts are
provisioned (B-TID, Ks, RAND, IMPI, lifetime, USS).  What is real is the NAF-key service a KMS
uses over Zn: ``lookup(B-TID, NAF_Id)`` returns Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id)
(TS 33.220 B.3, ``mckm.impl.crypto.kdf.ks_naf``) and the USS with the user's public identities
(seed 002 B.2.2.2 step 4).  The UE derives the same Ks_NAF from its own copy of the context
(:meth:`BootstrapContext.ue_ks_naf`).  Time is passed in (seconds), never read from a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mckm.impl.crypto.kdf import ks_naf
from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.redact import Secret

#: TS 33.220 Zn: an unknown or expired B-TID is refused; HTTP 404 is the project's choice for
#: the status a NAF receives (the Zn error codes were not read).
UNKNOWN_BTID_STATUS = 404


@dataclass(frozen=True)
class UserSecuritySettings:
    """The part of the GUSS / USS the KMS needs: the user's public (IMS) identities."""

    public_identities: tuple[str, ...]


@dataclass(frozen=True)
class BootstrapContext:
    """One provisioned GBA bootstrapping context (TS 33.220 4.5.2)."""

    b_tid: str
    ks: Secret[bytes] = field(repr=True)
    rand: bytes
    impi: str
    expires_at: float  # key lifetime end, seconds in the caller's clock
    uss: UserSecuritySettings

    def ue_ks_naf(self, naf_id: bytes) -> bytes:
        """The UE side: Ks_NAF for ``naf_id`` from the same Ks (TS 33.220 B.3)."""
        return bytes(ks_naf(self.ks.reveal(), self.rand, self.impi, naf_id))


@dataclass(frozen=True, repr=False)
class NafKeyAnswer:
    """The Zn answer: Ks_NAF, its lifetime end, the IMPI and the USS."""

    ks_naf: Secret[bytes]
    expires_at: float
    impi: str
    uss: UserSecuritySettings

    def __repr__(self) -> str:
        return f"NafKeyAnswer(impi={self.impi!r}, ks_naf={self.ks_naf!r})"


class Bsf:
    """BSF state: provisioned contexts by B-TID."""

    def __init__(self) -> None:
        self._contexts: dict[str, BootstrapContext] = {}

    def provision(self, context: BootstrapContext) -> None:
        if context.b_tid in self._contexts:
            raise UsageError(f"B-TID {context.b_tid!r} is already provisioned")
        self._contexts[context.b_tid] = context

    def lookup(self, b_tid: str, naf_id: bytes, *, now: float) -> NafKeyAnswer:
        """Zn: Ks_NAF and USS for ``b_tid`` at NAF ``naf_id``; PolicyError for an unknown or
        expired B-TID."""
        context = self._contexts.get(b_tid)
        if context is None:
            raise PolicyError(f"B-TID {b_tid!r} is unknown to the BSF",
                              requirement="TS 33.220 4.5.3", http_status=UNKNOWN_BTID_STATUS)
        if now >= context.expires_at:
            raise PolicyError(f"the bootstrapping context of B-TID {b_tid!r} has expired",
                              requirement="TS 33.220 4.5.3", http_status=UNKNOWN_BTID_STATUS)
        return NafKeyAnswer(Secret(context.ue_ks_naf(naf_id)), context.expires_at, context.impi,
                            context.uss)
