"""MIKEY-TICKET crypto and BSF terms: predicates in the Dolev-Yao style with the three readings of
:mod:`mckm.models.procedures.expr` (python via the role's facts, z3 as uninterpreted functions,
text).  RFC 6043 4.2, 5.1.2, 5.3, 5.5, Appendix A; TS 33.220 4.5.2; TS 33.210 (NDS/IP)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

import z3

from mckm.models.policy.ticket_policy import TERM_TYPES
from mckm.models.procedures.expr import Env, Expr, Z3Reading


class TicketFacts(Protocol):
    """What the ticket guards ask of a role's facts (real: codec, KDFs, BSF over Zn, NDS/IP;
    tests: the symbolic world of ``tests/properties/ticket_world.py``)."""

    def naf_key(self, btid: Any, naf_id: str) -> Any: ...

    def mac_by(self, message: Any, key: Any) -> bool: ...

    def kemac_for(self, kemac: Any, key: Any) -> bool: ...

    def uss_has(self, btid: Any, identity: str) -> bool: ...

    def nds_from(self, message: Any, peer: str) -> bool: ...

    def ticket_sealed_by(self, ticket: Any, kms: str) -> bool: ...

    def ticket_authorises(self, ticket: Any, identity: str) -> bool: ...

    def ticket_term(self, ticket: Any, attr: str) -> Any: ...

    def mpki_of(self, kemac: Any, key: Any) -> Any: ...

    def stored_mpki(self, store: Any, ticket: Any) -> Any: ...


def _facts(env: Env) -> TicketFacts:
    return cast(TicketFacts, env.facts)


def _fn(name: str, *sorts: Any) -> Any:
    """An uninterpreted z3 function (same name and sorts = the same symbol everywhere)."""
    return z3.Function(name, *sorts)


@dataclass(frozen=True)
class NafKey(Expr):
    """The GBA NAF key Ks_NAF of bootstrap ``btid`` for the NAF (KMS) ``naf`` (TS 33.220 4.5.2):
    the MIKEY PSK of the Ua exchanges; a key reference, never key material."""

    btid: Expr
    naf: Expr

    def to_python(self, env: Env) -> Any:
        return _facts(env).naf_key(self.btid.to_python(env), self.naf.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("NafKey", z.Blob, z.Ident, z.Blob)(self.btid.to_z3(z), self.naf.to_z3(z))

    def to_text(self) -> str:
        return f"NafKey({self.btid.to_text()}, {self.naf.to_text()})"


@dataclass(frozen=True)
class MacBy(Expr):
    """``message``'s V payload verifies with the auth_key derived from ``key`` (RFC 6043 5.1.2,
    5.5: the MAC covers the message, the identities, and for a response the request)."""

    message: Expr
    key: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).mac_by(self.message.to_python(env), self.key.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("MacBy", z.Msg, z.Blob, z3.BoolSort())(self.message.to_z3(z), self.key.to_z3(z))

    def to_text(self) -> str:
        return f"MacBy({self.message.to_text()}, {self.key.to_text()})"


@dataclass(frozen=True)
class KemacFor(Expr):
    """The KEMAC is enciphered with the encr_key derived from ``key`` (RFC 6043 4.2.3.5)."""

    kemac: Expr
    key: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).kemac_for(self.kemac.to_python(env), self.key.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("KemacFor", z.Blob, z.Blob, z3.BoolSort())(self.kemac.to_z3(z),
                                                             self.key.to_z3(z))

    def to_text(self) -> str:
        return f"KemacFor({self.kemac.to_text()}, {self.key.to_text()})"


@dataclass(frozen=True)
class UssHas(Expr):
    """The USS the BSF returns for ``btid`` (Zn) lists a public user identity that, converted to
    a KMS user identity, equals ``identity`` (seed 002 B.2.2.2 step 5)."""

    btid: Expr
    identity: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).uss_has(self.btid.to_python(env), self.identity.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("UssHas", z.Blob, z.Ident, z3.BoolSort())(self.btid.to_z3(z),
                                                            self.identity.to_z3(z))

    def to_text(self) -> str:
        return f"USS({self.btid.to_text()}) has {self.identity.to_text()}"


@dataclass(frozen=True)
class NdsFrom(Expr):
    """``message`` arrived over Zk in an NDS/IP security association whose authenticated peer is
    ``peer`` (TS 33.210; seed 002 4.2.4, B.2.2.3 steps 8 and 11)."""

    message: Expr
    peer: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).nds_from(self.message.to_python(env), self.peer.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("NdsFrom", z.Msg, z.Ident, z3.BoolSort())(self.message.to_z3(z),
                                                            self.peer.to_z3(z))

    def to_text(self) -> str:
        return f"NdsFrom({self.message.to_text()}, {self.peer.to_text()})"


@dataclass(frozen=True)
class TicketSealedBy(Expr):
    """The Ticket Data verifies with the ticket protection key of KMS ``kms``: it issued the
    ticket and can resolve it (RFC 6043 Appendix A: base ticket V under the TPK)."""

    ticket: Expr
    kms: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).ticket_sealed_by(self.ticket.to_python(env),
                                                 self.kms.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("TicketSealedBy", z.Blob, z.Ident, z3.BoolSort())(self.ticket.to_z3(z),
                                                                    self.kms.to_z3(z))

    def to_text(self) -> str:
        return f"SealedBy({self.ticket.to_text()}, {self.kms.to_text()})"


@dataclass(frozen=True)
class TicketFor(Expr):
    """``identity`` is one of the ticket policy's authorised responders (TP Data ``(IDRr)``)."""

    ticket: Expr
    identity: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).ticket_authorises(self.ticket.to_python(env),
                                                  self.identity.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("TicketFor", z.Blob, z.Ident, z3.BoolSort())(self.ticket.to_z3(z),
                                                               self.identity.to_z3(z))

    def to_text(self) -> str:
        return f"{self.identity.to_text()} in IDRr({self.ticket.to_text()})"


@dataclass(frozen=True)
class TicketTerm(Expr):
    """An attribute of the ticket's granted policy (``ticket_policy.TERM_TYPES``)."""

    ticket: Expr
    attr: str

    def to_python(self, env: Env) -> Any:
        return _facts(env).ticket_term(self.ticket.to_python(env), self.attr)

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn(f"TP.{self.attr}", z.Blob, z.sort(TERM_TYPES[self.attr]))(self.ticket.to_z3(z))

    def to_text(self) -> str:
        return f"TP({self.ticket.to_text()}).{self.attr}"


@dataclass(frozen=True)
class MpkiOf(Expr):
    """MPKi carried in ``kemac``, opened with the keys derived from ``key`` (RFC 6043 4.2.3.5):
    the key of the Ticket Transfer exchange; a key reference, never key material."""

    kemac: Expr
    key: Expr

    def to_python(self, env: Env) -> Any:
        return _facts(env).mpki_of(self.kemac.to_python(env), self.key.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("MpkiOf", z.Blob, z.Blob, z.Blob)(self.kemac.to_z3(z), self.key.to_z3(z))

    def to_text(self) -> str:
        return f"MPKi({self.kemac.to_text()}, {self.key.to_text()})"


@dataclass(frozen=True)
class StoredMpki(Expr):
    """MPKi kept with ``ticket`` in the reusable-ticket store ``store`` (RFC 6043 5.3)."""

    store: Expr
    ticket: Expr

    def to_python(self, env: Env) -> Any:
        return _facts(env).stored_mpki(self.store.to_python(env), self.ticket.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("StoredMpki", z.sort("set[blob]"), z.Blob, z.Blob)(self.store.to_z3(z),
                                                                      self.ticket.to_z3(z))

    def to_text(self) -> str:
        return f"MPKi stored with {self.ticket.to_text()} in {self.store.to_text()}"


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

