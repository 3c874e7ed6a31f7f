"""The SEAL receiver's replay cache, unbounded: no I_MESSAGE is accepted twice, however many
messages, prunes and clock changes come, proven inductive (mypyvy style: init => Inv,
Inv and step => Inv', Inv => safe) and each row stated under one clock assumption.

State: the replay cache (RAND -> held, T), what was ever accepted (RAND -> accepted, T) and the
receiver's clock ``now``.  Steps: a receive of step 2 (every guard of the model's step, read
through ``to_z3``, so the model's ``timely`` and ``not-replayed`` are what refuse), which
prunes (:class:`mckm.impl.engine.replay.ReplayCache`: any entry whose T is more than
``PRUNE_WINDOWS`` replay windows before now may go, the ``RETAIN`` newest may stay: pruning is
nondeterministic here) and adds the accepted RAND; and a clock change, forward by any amount or
back by at most the assumption's bound.  Safe: a receive of a message already accepted (same
RAND and T: the signature covers both) is refused.

Inv: every accepted RAND is in the cache with its T, or its T lies more than ``PRUNE_WINDOWS``
windows before the latest time the clock showed; and the clock is no further behind that latest
time than the assumption allows.  So a replay is refused by ``not-replayed`` or by ``timely``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import z3

from mckm.impl.engine.replay import PRUNE_WINDOWS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import mutants
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from mckm.proofs.result import ProofResult, counterexample, describe, run_mutant, timed


@dataclass(frozen=True)
class Clock:
    """How far the receiver's clock may step back in one change, in replay windows (None: any
    amount, e.g. an NTP correction after a long drift); ``attack`` says why a row fails."""

    name: str
    back_windows: int | None
    attack: str = ""


CLOCKS = (
    Clock("a clock that never steps back", 0),
    Clock("a clock that steps back by at most one replay window", 1),
    Clock("a clock that may step back by any amount", None,
          attack="a RAND pruned under a later clock is a replay the window no longer refuses "
                 "once the clock steps back: RFC 3830 5.4 keeps entries only while T is in the "
                 "window of the current clock; the RETAIN newest entries narrow this, by count"),
)
STEPS = ("receive (step 2, pruning)", "clock change", "initial state", "no replay accepted")


class _Model:
    """Symbols of one check: the state (cache, what was accepted, the clock and the latest
    time it ever showed) and the received message's fields."""

    def __init__(self, procedure: Procedure, clock: Clock) -> None:
        self.step = procedure.step_for("receiver", "I_MESSAGE")
        self.z = procedure.z3_reading(self.step, procedure.policy)
        self.window = int(procedure.policy["replay_window"])
        self.back = clock.back_windows
        blob = self.z.Blob
        self.held = z3.Array("cache.held", blob, z3.BoolSort())
        self.held_t = z3.Array("cache.t", blob, z3.IntSort())
        self.seen = z3.Array("accepted", blob, z3.BoolSort())
        self.seen_t = z3.Array("accepted.t", blob, z3.IntSort())
        self.now, self.latest = self.z.now, z3.Int("clock.latest")
        self.r = z3.Const("r", blob)  # the RAND the invariant is checked at

    def inv(self, held: Any, held_t: Any, seen: Any, seen_t: Any, now: Any, latest: Any,
            r: Any) -> Any:
        """Accepted RAND r is held with its T, or its T is more than PRUNE_WINDOWS windows
        before the latest time; and the clock is at most the assumption's bound behind that."""
        entry = z3.Implies(z3.Select(seen, r), z3.Or(
            z3.And(z3.Select(held, r), z3.Select(held_t, r) == z3.Select(seen_t, r)),
            z3.Select(seen_t, r) < latest - PRUNE_WINDOWS * self.window))
        behind = [] if self.back is None else [now >= latest - self.back * self.window]
        return z3.And(entry, now <= latest, *behind)

    def accepted(self) -> Any:
        """Step 2's guards on the message (fields ``rand``, ``t``) with the cache as the
        model's ``replay_cache``."""
        reading = z3.substitute(z3.And([g.expr.to_z3(self.z) for g in self.step.guards]),
                                (self.z.vars["replay_cache"], self.held))
        return z3.And(reading, *self.z.domain())


def _check(procedure: Procedure, clock: Clock, which: str) -> z3.ModelRef | None:
    m = _Model(procedure, clock)
    rand, t, now, latest, r = m.z.fields["rand"], m.z.fields["t"], m.now, m.latest, m.r
    inv_before = [m.inv(m.held, m.held_t, m.seen, m.seen_t, now, latest, x) for x in (r, rand)]
    if which == "initial state":
        empty = z3.K(m.z.Blob, z3.BoolVal(False))
        return counterexample([], m.inv(empty, m.held_t, empty, m.seen_t, now, now, r))
    if which == "no replay accepted":
        return counterexample([*inv_before, m.accepted()], z3.Not(z3.And(
            z3.Select(m.seen, rand), z3.Select(m.seen_t, rand) == t)))
    if which == "clock change":  # forward by any amount, back by at most the bound
        later = z3.Int("now'")
        bound = [] if m.back is None else [later >= latest - m.back * m.window]
        latest2 = z3.If(later > latest, later, latest)
        return counterexample([*inv_before, *bound],
                              m.inv(m.held, m.held_t, m.seen, m.seen_t, later, latest2, r))
    # a receive at now: prune (an entry older than PRUNE_WINDOWS windows may go), then add
    keep = z3.Array("prune.keep", m.z.Blob, z3.BoolSort())  # RETAIN's choice: any
    x = z3.Const("x", m.z.Blob)
    pruned = z3.Lambda([x], z3.And(z3.Select(m.held, x), z3.Or(
        z3.Select(keep, x), z3.Select(m.held_t, x) >= now - PRUNE_WINDOWS * m.window)))
    held2, held_t2 = z3.Store(pruned, rand, True), z3.Store(m.held_t, rand, t)
    seen2, seen_t2 = z3.Store(m.seen, rand, True), z3.Store(m.seen_t, rand, t)
    return counterexample([*inv_before, m.accepted()],
                          m.inv(held2, held_t2, seen2, seen_t2, now, latest, r))


def check(procedure: Procedure, clock: Clock) -> z3.ModelRef | None:
    """The first step of the induction that fails (its counterexample), or None."""
    for which in STEPS:
        model = _check(procedure, clock, which)
        if model is not None:
            return model
    return None


def prove(quick: bool = False) -> list[ProofResult]:
    """One row per clock assumption, each run on every generated mutant of the model."""
    rows = []
    dead: set[str] = set()
    for clock in CLOCKS:
        model, seconds = timed(functools.partial(check, PROCEDURE, clock))
        row = ProofResult("SEAL replay cache: no I_MESSAGE accepted twice (inductive, "
                          "unbounded)", clock.name, model is None, seconds,
                          None if model is None else describe(model),
                          expected_attack=clock.attack, requirements=("REQ-SEAL-KD-09",))
        rows.append(row)
        if clock.attack:
            continue
        base = _signature(PROCEDURE, clock)
        for m in mutants(PROCEDURE, quick=quick):
            row.mutants.append(run_mutant(
                m, PROCEDURE, dead, base, functools.partial(_signature, m.procedure, clock),
                functools.partial(check, m.procedure, clock)))
    return rows


def _signature(procedure: Procedure, clock: Clock) -> Any:
    """What the row reads of ``procedure`` (its step 2 guards and policy): equal for a mutant
    whose mutation lies elsewhere, so that it is not solved again."""
    m = _Model(procedure, clock)
    return z3.And(m.accepted(), m.inv(m.held, m.held_t, m.seen, m.seen_t, m.now, m.latest, m.r))


__all__ = ["CLOCKS", "Clock", "check", "prove"]
