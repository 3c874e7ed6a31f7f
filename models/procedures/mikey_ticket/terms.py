"""MIKEY-TICKET terms: the crypto and BSF predicates (RFC 6043 4.2, 5.1.2, 5.3, 5.5, Appendix A;
TS 33.220 4.5.2; TS 33.210 NDS/IP) under the names the guards use, and ``AtMost``.

Each predicate is declared once in :mod:`mckm.models.procedures.predicates` (its node, z3
function, text, facts method and replay all come from there); the names here are those
declarations.  :data:`TicketFacts` is the protocol they make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mckm.models.procedures.expr import Env, Expr, Z3Reading
from mckm.models.procedures.predicates import (
    KEMAC_FOR,
    MAC_BY,
    MPKI_OF,
    NAF_KEY,
    NDS_FROM,
    STORED_MPKI,
    TICKET_FOR,
    TICKET_SEALED_BY,
    TICKET_TERM,
    USS_HAS,
    ZK_KEYS,
    TicketFacts,
)

NafKey = NAF_KEY
MacBy = MAC_BY
KemacFor = KEMAC_FOR
UssHas = USS_HAS
NdsFrom = NDS_FROM
TicketSealedBy = TICKET_SEALED_BY
TicketFor = TICKET_FOR
TicketTerm = TICKET_TERM
MpkiOf = MPKI_OF
StoredMpki = STORED_MPKI
ZkKeys = ZK_KEYS


@dataclass(frozen=True)
class AtMost(Expr):
    """``left <= right`` (times)."""

    left: Expr
    right: Expr

    def to_python(self, env: Env) -> bool:
        return bool(self.left.to_python(env) <= self.right.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return self.left.to_z3(z) <= self.right.to_z3(z)

    def to_text(self) -> str:
        return f"{self.left.to_text()} <= {self.right.to_text()}"


__all__ = ["AtMost", "KemacFor", "MacBy", "MpkiOf", "NafKey", "NdsFrom", "StoredMpki",
           "TicketFacts", "TicketFor", "TicketSealedBy", "TicketTerm", "UssHas", "ZkKeys"]
