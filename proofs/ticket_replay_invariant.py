"""The MIKEY-TICKET replay caches, unbounded: no initial message is accepted twice by a KMS or a
responder, however many messages, prunes and clock changes come, proven inductive (mypyvy
style: init => Inv, Inv and step => Inv', Inv => safe), each row stated under one clock
assumption.

The model has no T window (RFC 6043 leaves it to RFC 3830 5.4, and the seed checks no T): a
receiver keeps a RAND until the message's ticket or B-TID expires and prunes it only
``EXPIRY_GRACE`` seconds after that (``ReplayCache.with_expiring_entry`` in
:mod:`mckm.impl.engine.replay`, the replicas' shared table alike).  State of one role: its
cache (RAND -> held, expiry), what it ever accepted (RAND -> accepted, expiry), its clock
``now`` and the latest time the clock showed.
Steps: a receive at any of the role's steps that check the cache (every guard of the model's
step, read through ``to_z3``), which prunes (any entry expired more than ``EXPIRY_GRACE`` before
now may go; the ``RETAIN`` newest may stay: pruning is nondeterministic here) and adds the
accepted RAND with the message's expiry; and a clock change, forward by any amount or back by
at most the assumption's bound.  A message's expiry is its ticket's TRe and, when it carries
IDRpsk, its B-TID's end, whichever comes first (``replay_expiry`` of the ticket roles).

One assumption beside the model: a NAF key verifies only while its B-TID is valid (the BSF
refuses an expired B-TID: TS 33.220 4.5.3); the model's ``nafkey-mac`` guard does not say so.

Inv: every accepted RAND is held with its expiry, or that expiry lies more than ``EXPIRY_GRACE``
before the latest time; and the clock is no further behind that latest time than the
assumption allows.  Safe: a message already accepted (same RAND and expiry) is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import z3

from mckm.impl.engine.replay import EXPIRY_GRACE
from mckm.models.procedures.expr import Apply, Field, NotIn, Self
from mckm.models.procedures.mikey_ticket.procedures import PROCEDURES
from mckm.models.procedures.mikey_ticket.terms import NafKey, TicketTerm
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.mutants import mutants
from mckm.proofs.result import ProofResult, counterexample, describe, run_mutant, timed


@dataclass(frozen=True)
class Clock:
    """How far a receiver's clock may step back in one change, in seconds (None: any amount,
    e.g. an NTP correction after a long drift); ``attack`` says why a row fails."""

    name: str
    back: int | None
    attack: str = ""


CLOCKS = (
    Clock("a clock that never steps back", 0),
    Clock(f"a clock that steps back by at most EXPIRY_GRACE ({EXPIRY_GRACE} s)", EXPIRY_GRACE),
    Clock("a clock that may step back by any amount", None,
          attack="a RAND pruned under a later clock is a replay that the ticket and B-TID "
                 "validity no longer refuse once the clock steps back by more than the grace"),
)

def _fresh(step: Step) -> Field | None:
    """The RAND field ``step`` checks against the role's replay cache, or None."""
    for g in step.guards:
        e = g.expr
        if isinstance(e, NotIn) and e.collection == Self("replay_cache") \
                and isinstance(e.item, Field):
            return e.item
    return None


def caches(procedure: Procedure) -> Iterator[tuple[str, tuple[tuple[str, Field], ...]]]:
    """Each role with a replay cache: its steps that check it (number, the RAND field)."""
    for role in procedure.roles:
        steps = tuple((s.number, rand) for s in procedure.steps
                      if s.role == role.name and (rand := _fresh(s)) is not None)
        if steps:
            yield role.name, steps


class _Receive:
    """One receive step's reading: its guards with the cache as ``held``, the RAND it adds, the
    message's expiry, and what the B-TID assumption adds."""

    def __init__(self, procedure: Procedure, step: Step, rand: Field, state: _State) -> None:
        self.step = step
        z = procedure.z3_reading(step, procedure.policy)
        self.rand = rand.to_z3(z)
        fields = procedure.message(step.message).fields
        ends, hyps = [], list(z.domain())
        if "ticket" in fields:
            ends.append(TicketTerm(Field("ticket"), "tre").to_z3(z))
        if "idrpsk" in fields:
            btid_end = z3.Function("btid.end", z.sort(fields["idrpsk"]), z3.IntSort())
            ends.append(btid_end(Field("idrpsk").to_z3(z)))
            if any(isinstance(e, Apply) and e.predicate is NafKey and e.args[0] == Field("idrpsk")
                   for g in step.guards for e in g.expr.walk()):
                hyps.append(z.now <= ends[-1])  # the NAF key of an expired B-TID: refused
        if not ends:
            raise ValueError(f"step {step.number} of {procedure.name}: a cached RAND with no "
                             "ticket or B-TID to expire with")
        self.expiry = functools.reduce(lambda a, b: z3.If(a <= b, a, b), ends)
        guards = z3.And([g.expr.to_z3(z) for g in step.guards])
        self.accepted = z3.And(z3.substitute(guards, (z.vars["replay_cache"], state.held)),
                               *hyps)
        self.now = z.now


class _State:
    """The symbols of a role's state and the invariant over them."""

    def __init__(self, blob: z3.SortRef, clock: Clock) -> None:
        self.back = clock.back
        self.held = z3.Array("cache.held", blob, z3.BoolSort())
        self.held_e = z3.Array("cache.expiry", blob, z3.IntSort())
        self.seen = z3.Array("accepted", blob, z3.BoolSort())
        self.seen_e = z3.Array("accepted.expiry", blob, z3.IntSort())
        self.latest = z3.Int("clock.latest")
        self.r = z3.Const("r", blob)  # the RAND the invariant is checked at

    def inv(self, held: Any, held_e: Any, seen: Any, seen_e: Any, now: Any, latest: Any,
            r: Any) -> Any:
        entry = z3.Implies(z3.Select(seen, r), z3.Or(
            z3.And(z3.Select(held, r), z3.Select(held_e, r) == z3.Select(seen_e, r)),
            z3.Select(seen_e, r) < latest - EXPIRY_GRACE))
        behind = [] if self.back is None else [now >= latest - self.back]
        return z3.And(entry, now <= latest, *behind)


#: role -> its cache-checking steps, per procedure: read from the model, not from a mutant
#: (a mutant that drops ``fresh`` still adds the RAND: the effect writes it)
_CACHES = {p.name: dict(caches(p)) for p in PROCEDURES}


def _receives(procedure: Procedure, role: str, clock: Clock) -> tuple[_State, list[_Receive]]:
    steps = [(procedure.step(n), rand) for n, rand in _CACHES[procedure.name][role]]
    state = _State(procedure.z3_reading(steps[0][0], procedure.policy).Blob, clock)
    return state, [_Receive(procedure, s, rand, state) for s, rand in steps]


def check(procedure: Procedure, role: str, clock: Clock) -> tuple[str, z3.ModelRef] | None:
    """The first step of the induction that fails for ``role`` (its name and
    counterexample), or None."""
    m, receives = _receives(procedure, role, clock)
    now = receives[0].now
    empty = z3.K(m.r.sort(), z3.BoolVal(False))
    model = counterexample([], m.inv(empty, m.held_e, empty, m.seen_e, now, now, m.r))
    if model is not None:
        return "initial state", model
    later = z3.Int("now'")
    bound = [] if m.back is None else [later >= m.latest - m.back]
    model = counterexample(
        [m.inv(m.held, m.held_e, m.seen, m.seen_e, now, m.latest, m.r), *bound],
        m.inv(m.held, m.held_e, m.seen, m.seen_e, later, z3.If(later > m.latest, later,
                                                                 m.latest), m.r))
    if model is not None:
        return "clock change", model
    for rc in receives:
        before = [m.inv(m.held, m.held_e, m.seen, m.seen_e, now, m.latest, x)
                  for x in (m.r, rc.rand)]
        where = f"step {rc.step.number} ({rc.step.message})"
        model = counterexample([*before, rc.accepted], z3.Not(z3.And(
            z3.Select(m.seen, rc.rand), z3.Select(m.seen_e, rc.rand) == rc.expiry)))
        if model is not None:
            return f"replay accepted at {where}", model
        keep = z3.Array("prune.keep", m.r.sort(), z3.BoolSort())  # RETAIN's choice: any
        x = z3.Const("x", m.r.sort())
        pruned = z3.Lambda([x], z3.And(z3.Select(m.held, x), z3.Or(
            z3.Select(keep, x), z3.Select(m.held_e, x) >= now - EXPIRY_GRACE)))
        after = m.inv(z3.Store(pruned, rc.rand, True), z3.Store(m.held_e, rc.rand, rc.expiry),
                      z3.Store(m.seen, rc.rand, True), z3.Store(m.seen_e, rc.rand, rc.expiry),
                      now, m.latest, m.r)
        model = counterexample([*before, rc.accepted], after)
        if model is not None:
            return f"receive at {where}", model
    return None


def _signature(procedure: Procedure, role: str, clock: Clock) -> Any:
    """What the row reads of ``procedure`` (the role's cache-checking steps): equal for a
    mutant whose mutation lies elsewhere, so that it is not solved again."""
    _, receives = _receives(procedure, role, clock)
    return z3.And(*[z3.And(rc.accepted, rc.expiry == 0) for rc in receives])


def _solve(procedure: Procedure, role: str, clock: Clock) -> z3.ModelRef | None:
    failed = check(procedure, role, clock)
    return None if failed is None else failed[1]


def prove(quick: bool = False) -> list[ProofResult]:
    """One row per (procedure, role with a replay cache, clock assumption), each run on every
    generated mutant of the procedure."""
    rows = []
    for procedure in PROCEDURES:
        dead: set[str] = set()
        for role in _CACHES[procedure.name]:
            for clock in CLOCKS:
                failed, seconds = timed(functools.partial(check, procedure, role, clock))
                attack = clock.attack
                row = ProofResult(
                    f"{procedure.name}: the {role} accepts no initial message twice "
                    "(replay cache, inductive, unbounded)", clock.name, failed is None, seconds,
                    None if failed is None else {"fails at": failed[0], **describe(failed[1])},
                    expected_attack=attack,
                    requirements=("REQ-TKT-24",) if role == "responder" else ("REQ-TKT-11",))
                rows.append(row)
                if attack:
                    continue
                base = _signature(procedure, role, clock)
                for mutant in mutants(procedure, quick=quick):
                    row.mutants.append(run_mutant(
                        mutant, procedure, dead, base,
                        functools.partial(_signature, mutant.procedure, role, clock),
                        functools.partial(_solve, mutant.procedure, role, clock),
                        f"{procedure.name} "))
    return rows


__all__ = ["CLOCKS", "Clock", "caches", "check", "prove"]
