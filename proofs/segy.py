"""Security of the five SeGy approaches of seed 003 under one compromise of the SeGy.

Models: :data:`mckm.models.segy.approaches.APPROACHES`, read, not restated: the identities the
SeGy holds and their security domain, its :class:`~mckm.models.segy.approaches.KeyHolding` s
(kind, scope, domain, key periods) and how an MC client learns which external user it talks
to (``attribution``, ``in_band_scope``).  The attacker knows everything the SeGy holds.  What a
key opens is the Dolev-Yao reading of TS 33.180 (RFC 6507/6508 as perfect primitives):

* a key set (SSK, PVT, RSK) of identity ``i`` for period ``k`` signs as ``i`` and opens every
  SAKKE I_MESSAGE to ``i`` in ``k``: the PCK of a private call with ``i`` (5.6; either party,
  the initiator by SAKKE-to-self 5.2.5) and the GMK of each group ``i`` is in (5.7.1);
* a KMS's master secrets give any key set of its domain for any period;
* a GMK obtained as a member opens its group's calls in the current period;
* an MC client accepts a message as from user ``x`` if it is signed as ``x``'s identity, or,
  with in-band attribution, signed by an identity of the SeGy and naming ``x`` in band where
  the approach's ``in_band_scope`` lets a name of ``x``'s domain through (7.8.1.4, D5-2).

The universe is small and concrete (:data:`EXTERNAL`, :data:`NATIVE`, :data:`MEMBERS`,
:data:`PERIODS`); z3 searches it for a counterexample to each property, within the budget of
:mod:`mckm.proofs.result`.  Mutants (:data:`MUTANTS`) are the approach models with one fact
weakened; a row that holds on an approach must fail on each of its mutants.

Leaves out: the network attacker of the SEAL rows (messages are assumed to reach their
addressee; this family is about what the SeGy's keys open, not about the wire), the IWF and the
external system behind it, and key sets provisioned ahead of their period.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from mckm.models.segy.approaches import APPROACHES, Approach, KeyHolding
from mckm.proofs.result import (
    MutantResult,
    ProofResult,
    counterexample,
    describe,
    satisfiable,
    timed,
)

#: external users 0..2 behind the SeGy; MC domain users 3..5
EXTERNAL = (0, 1, 2)
NATIVE = (3, 4, 5)
USERS = EXTERNAL + NATIVE
#: group -> members: a mixed group, an external-only group, an MC-only group
MEMBERS: dict[int, tuple[int, ...]] = {0: (0, 2, 3), 1: (1,), 2: (4, 5)}
#: key periods; the compromise happens in CURRENT
PERIODS = (0, 1, 2)
CURRENT = 1
#: the SeGy's single identity, when it has one for all
SHARED = -1
#: security domains as z3 integers
_DOMAIN = {"mc": 0, "own": 1}


def assumption(a: Approach) -> str:
    return f"approach {a.number} ({a.title}): the SeGy compromised"


@dataclass(frozen=True)
class World:
    """The z3 reading of one approach (module docstring)."""

    a: Approach

    def identity(self, user: int) -> int:
        if user in NATIVE or self.a.identities == "per-user":
            return user
        return SHARED

    def segy_identities(self) -> tuple[int, ...]:
        return (SHARED,) if self.a.identities == "one" else EXTERNAL

    def domain(self, identity: int) -> int:
        return _DOMAIN["mc"] if identity in NATIVE else _DOMAIN[self.a.domain]

    def _period_ok(self, h: KeyHolding, k: Any) -> Any:
        return z3.BoolVal(True) if h.periods == "all" else k == CURRENT

    def key_set(self, identity: int, k: Any) -> Any:
        """The SeGy holds (or can make) the key set of ``identity`` for period ``k``."""
        out = []
        for h in self.a.holds:
            in_domain = self.domain(identity) == _DOMAIN[h.domain]
            if h.kind == "key-set" and h.scope == "own-identities":
                out.append(z3.And(z3.BoolVal(identity in self.segy_identities()
                                             and in_domain), self._period_ok(h, k)))
            elif h.kind == "key-set" and h.scope == "any-identity":
                out.append(z3.And(z3.BoolVal(in_domain), self._period_ok(h, k)))
            elif h.kind == "kms-master":
                out.append(z3.BoolVal(in_domain))
        return z3.Or(*out) if out else z3.BoolVal(False)

    def gmk(self, group: int, k: Any) -> Any:
        """The SeGy holds or opens the GMK of ``group`` for period ``k``."""
        members = MEMBERS[group]
        out = [self.key_set(self.identity(y), k) for y in members]
        for h in self.a.holding("gmk"):
            joined = any(self.identity(y) in self.segy_identities() for y in members)
            if h.scope == "memberships":
                out.append(z3.And(z3.BoolVal(joined), self._period_ok(h, k)))
            elif h.scope == "domain":
                out.append(self._period_ok(h, k))
        return z3.Or(*out)

    def private_call(self, x: int, z: int, k: Any) -> Any:
        return z3.Or(self.key_set(self.identity(x), k), self.key_set(self.identity(z), k))

    def accepts_as(self, x: int, k: Any) -> Any:
        """An MC client accepts a message as coming from user ``x`` in period ``k``."""
        out = [self.key_set(self.identity(x), k)]
        if self.a.attribution == "in-band name":
            for s in self.segy_identities():
                ok = self.a.in_band_scope == "any" or self.domain(self.identity(x)) == \
                    self.domain(s)
                out.append(z3.And(z3.BoolVal(ok), self.key_set(s, k)))
        return z3.Or(*out)


def _pick(values: tuple[int, ...], name: str) -> Callable[[Callable[[int], Any]], Any]:
    """``over(f)`` for a z3 integer ``name`` ranging over ``values``: the disjunction of
    ``name == value and f(value)`` (the universe is concrete, so each fact is read at each
    value, and a counterexample names the values)."""
    v = z3.Int(name)
    return lambda f: z3.Or(*(z3.And(v == x, f(x)) for x in values))


Property = tuple[str, Callable[[World], Any]]


def _asserts_mc_user(w: World) -> Any:
    over_x = _pick(NATIVE, "mc_user")
    over_k = _pick(PERIODS, "period")
    return over_x(lambda xv: over_k(lambda kv: w.accepts_as(xv, kv)))


def _reads_mc_only_group(w: World) -> Any:
    over_g = _pick(tuple(n for n, m in MEMBERS.items() if set(m) <= set(NATIVE)), "group")
    over_k = _pick(PERIODS, "period")
    return over_g(lambda gv: over_k(lambda kv: w.gmk(gv, kv)))


def _reads_mc_private_call(w: World) -> Any:
    over_x = _pick(NATIVE, "caller")
    over_z = _pick(NATIVE, "callee")
    over_k = _pick(PERIODS, "period")
    return over_x(lambda xv: over_z(lambda zv: over_k(
        lambda kv: z3.And(xv != zv, w.private_call(xv, zv, kv)))))


def _reads_mc_user_group_call(w: World) -> Any:
    pairs = tuple((g, n) for g, m in MEMBERS.items() for n in m if n in NATIVE)
    over_i = _pick(tuple(range(len(pairs))), "group_of_mc_user")
    over_k = _pick(PERIODS, "period")
    return over_i(lambda iv: over_k(lambda kv: w.gmk(pairs[iv][0], kv)))


def _reads_other_period(w: World) -> Any:
    over_x = _pick(USERS, "user")
    over_k = _pick(tuple(p for p in PERIODS if p != CURRENT), "period")
    return over_x(lambda xv: over_k(lambda kv: w.key_set(w.identity(xv), kv)))


def _shares_identity(w: World) -> Any:
    over_x = _pick(EXTERNAL, "external_user")
    over_y = _pick(EXTERNAL, "other_external_user")
    return over_x(lambda xv: over_y(lambda yv: z3.BoolVal(
        xv != yv and w.identity(xv) == w.identity(yv))))


def _segy_opens_external_calls(w: World) -> Any:
    over_x = _pick(EXTERNAL, "external_user")
    return over_x(lambda xv: w.key_set(w.identity(xv), CURRENT))


#: property -> the attack that refutes it (the formula whose model is a counterexample)
PROPERTIES: tuple[Property, ...] = (
    ("asserts no MC domain user's identity to an MC client", _asserts_mc_user),
    ("reads no group without an external member", _reads_mc_only_group),
    ("reads no private call between MC domain users", _reads_mc_private_call),
    ("reads no group call of an MC domain user", _reads_mc_user_group_call),
    ("exposes no key period but the current one", _reads_other_period),
    ("gives each external user an end-to-end identity of its own", _shares_identity),
    ("leaves MC security end to end up to the external user", _segy_opens_external_calls),
)

#: property -> the requirement it judges (spec/segy-gateway.md, from the seed's MCSEC-7.1-2/-3)
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    **{name: ("REQ-SEGY-02",) for name, _ in PROPERTIES[:5]},
    PROPERTIES[5][0]: ("REQ-SEGY-03",),
    PROPERTIES[6][0]: ("REQ-SEGY-01",),
}

#: (property, approach) -> why the model gives the attack; each is checked, none is assumed
EXPECTED: dict[tuple[str, int], str] = {
    (PROPERTIES[0][0], 1): "one MC domain identity names any MC domain user in band (D1-1)",
    (PROPERTIES[3][0], 1): "the GMK of a mixed group opens its MC users' calls",
    (PROPERTIES[3][0], 2): "the GMK of a mixed group opens its MC users' calls",
    (PROPERTIES[3][0], 3): "the GMK of a mixed group opens its MC users' calls",
    (PROPERTIES[3][0], 4): "the GMK of a mixed group opens its MC users' calls",
    (PROPERTIES[3][0], 5): "the GMK of a mixed group opens its MC users' calls",
    (PROPERTIES[4][0], 4): "the integrated KMS's master secrets make any period's keys",
    (PROPERTIES[4][0], 5): "the integrated KMS's master secrets make any period's keys",
    (PROPERTIES[5][0], 1): "one identity for all external users",
    (PROPERTIES[5][0], 5): "one identity for all external users",
    **{(PROPERTIES[6][0], n): "the SeGy terminates MC security (MCSEC-7.1-2)"
       for n in range(1, 6)},
}


def _replace(a: Approach, kind: str, **changes: Any) -> Approach:
    holds = tuple(dataclasses.replace(h, **changes) if h.kind == kind else h for h in a.holds)
    return dataclasses.replace(a, holds=holds)


#: name -> (approach number, the weakened model): one fact of the approach changed
MUTANTS: dict[str, tuple[int, Callable[[Approach], Approach]]] = {
    "approach 2: the KMS issues key sets for any identity asked": (
        2, lambda a: _replace(a, "key-set", scope="any-identity")),
    "approach 3: key sets valid in every key period": (
        3, lambda a: _replace(a, "key-set", periods="all")),
    "approach 4: its integrated KMS is the MC domain's": (
        4, lambda a: _replace(a, "kms-master", domain="mc")),
    "approach 5: in-band names of any domain accepted": (
        5, lambda a: dataclasses.replace(a, in_band_scope="any")),
    "approach 2: the GMS hands out every group's GMK": (
        2, lambda a: _replace(a, "gmk", scope="domain")),
}


def separate_kms(a: Approach) -> Approach:
    """``a`` with its KMS and IdM outside the SeGy (seed 003 7.8.4.3 step 1 NOTE: "extracting
    the SeGy's KMS into a truly separate function"): the SeGy keeps its users' key sets, not
    the master secrets."""
    holds = tuple(h for h in a.holds if h.kind not in ("kms-master", "idm-signing-key"))
    return dataclasses.replace(a, holds=holds, integrates=tuple(
        x for x in a.integrates if x not in ("own_kms", "own_idm")))


#: label -> a variant the seed itself suggests, shown beside the five approaches
VARIANTS: dict[str, Approach] = {
    "approach 4, KMS separate (7.8.4.3 NOTE)": separate_kms(APPROACHES[3]),
}


def attack(a: Approach, prop: Callable[[World], Any]) -> dict[str, str] | None:
    """A counterexample to the property on approach ``a``, or None if it holds."""
    model = counterexample([], z3.Not(prop(World(a))))
    return None if model is None else describe(model)


def prove(quick: bool = False) -> list[ProofResult]:
    """A row per property and approach; on each row that holds, the approach's mutants."""
    del quick  # the family is small; quick and full are the same
    rows = []
    for name, prop in PROPERTIES:
        for a in APPROACHES:
            cex, secs = timed(functools.partial(attack, a, prop))
            row = ProofResult(f"SeGy: {name}", assumption(a), cex is None, secs, cex,
                              expected_attack=EXPECTED.get((name, a.number), ""),
                              requirements=REQUIREMENTS[name])
            if cex is None:
                for mname, (number, mutate) in MUTANTS.items():
                    if number != a.number or mutate(a) == a:
                        continue
                    mcex, msecs = timed(functools.partial(attack, mutate(a), prop))
                    row.mutants.append(MutantResult(f"segy {mname}", mcex is not None, mcex,
                                                    seconds=msecs))
            rows.append(row)
    return rows


def blast_radius(a: Approach) -> dict[str, list[int]]:
    """What one compromise exposes, enumerated by z3 over the universe: the users an MC client
    would accept a message as coming from, the users with a readable private call or group
    call, the groups readable, the key periods with anything readable."""
    w = World(a)

    def which(values: tuple[int, ...], opens: Callable[[int], Any]) -> list[int]:
        return [v for v in values if satisfiable(opens(v))]

    def any_period(f: Callable[[int], Any]) -> Any:
        return z3.Or(*(f(k) for k in PERIODS))

    groups = which(tuple(MEMBERS), lambda g: any_period(lambda k: w.gmk(g, k)))
    users = which(USERS, lambda x: z3.Or(
        any_period(lambda k: w.key_set(w.identity(x), k)),
        z3.BoolVal(any(x in MEMBERS[g] for g in groups))))
    periods = which(PERIODS, lambda k: z3.Or(
        *(w.key_set(w.identity(x), k) for x in USERS), *(w.gmk(g, k) for g in MEMBERS)))
    asserts = which(USERS, lambda x: any_period(lambda k: w.accepts_as(x, k)))
    return {"asserts": asserts, "users": users, "groups": groups, "periods": periods}
