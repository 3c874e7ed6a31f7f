"""Regression rows: what one step's guards must still imply, stated from its requirements.

A regression row reads one step of a model (or of a mutant) through ``to_z3`` with its own
symbols (a :class:`~mckm.proofs.hops.Hop`) and checks that the step's guards imply a statement
written from the requirement text, in the model's expression language, with the *model's*
policy (so a mutant that widens a policy value is caught).  Such a row cannot find an attack:
it composes no steps and no attacker, and ``mckm prove`` labels it "regression" apart from the
protocol rows.  It is there so that a dropped, weakened or confused-field guard whose protocol
consequence the bounded proofs do not reach (a replay across runs, a validity time, a
misaddressed message of another run) is still a finding.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import z3

from mckm.models.procedures.expr import Expr
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.mutants import Mutant, mutants
from mckm.proofs.hops import hop
from mckm.proofs.result import (
    ProofResult,
    Vacuous,
    counterexample,
    describe,
    requirement_ids,
    run_mutant,
    satisfiable,
    timed,
)

#: the assumption column of every regression row
REGRESSION = "guard regression: one step's guards (cannot find an attack)"


@dataclass(frozen=True)
class StepKey:
    """A step named by role, message and action (and the branch flag), never by its number."""

    role: str
    message: str
    action: str
    branch: bool = False

    def step(self, procedure: Procedure) -> Step:
        return procedure.step_for(self.role, self.message, "send" if self.action == "send"
                                  else "receive", branch=self.branch)

    def text(self, procedure: Procedure) -> str:
        s = self.step(procedure)
        return (f"step {s.number} ({s.role} {s.action}s {s.message}"
                f"{', reuse branch' if self.branch else ''})")


def formula(procedure: Procedure, reference: Procedure, key: StepKey, statement: Expr
            ) -> tuple[list[Any], Any]:
    """(hypotheses, goal): ``key``'s step of ``procedure`` (its guards, the domain of its
    symbols) and ``statement`` read with ``reference``'s policy."""
    h = hop(procedure, key.step(procedure), "reg")
    goal = statement.to_z3(h.z.with_policy(reference.policy))
    taken = [h(h.step.when)] if h.step.when is not None else []  # a branch: its when held
    return [*h.z.domain(), *taken, *h.guards()], goal


def check(procedure: Procedure, reference: Procedure, key: StepKey, statement: Expr
          ) -> z3.ModelRef | None:
    """A counterexample to the regression row, or None; a row whose guards cannot hold
    together with the statement is vacuous (raises :class:`Vacuous`)."""
    hyps, goal = formula(procedure, reference, key, statement)
    model = counterexample(hyps, goal)
    if model is None and not satisfiable(*hyps, goal):
        raise Vacuous(f"{procedure.name}: {key} cannot be taken")
    return model


Statements = Mapping[StepKey, Mapping[str, Expr]]


def _formula(procedure: Procedure, reference: Procedure, key: StepKey, statement: Expr) -> Any:
    hyps, goal = formula(procedure, reference, key, statement)
    return z3.And(*hyps, goal)


def prove_rows(title: str, procedure: Procedure, statements: Statements, prefix: str,
               quick: bool) -> list[ProofResult]:
    """Every regression row of ``procedure`` (``title (regression) step: statement``), each
    run on every generated mutant of it, named with ``prefix`` (``quick``: no field-swap
    mutants); a mutant an earlier row killed is not solved again."""
    rows: list[ProofResult] = []
    muts = mutants(procedure, quick=quick)
    dead: set[str] = set()
    for key, named in statements.items():
        for name, statement in named.items():
            found, secs = timed(functools.partial(check, procedure, procedure, key, statement))
            row = ProofResult(f"{title} (regression) {key.text(procedure)}: {name}", REGRESSION,
                              found is None, secs, None if found is None else describe(found),
                              requirements=requirement_ids(name)
                              or key.step(procedure).all_requirements)
            base = _formula(procedure, procedure, key, statement)
            for m in muts:
                row.mutants.append(run_mutant(
                    m, procedure, dead, base,
                    functools.partial(_formula, m.procedure, procedure, key, statement),
                    functools.partial(check, m.procedure, procedure, key, statement), prefix))
            row.seconds += sum(x.seconds for x in row.mutants)
            rows.append(row)
    return rows


def prefixed_mutants(procedure: Procedure, prefix: str, quick: bool) -> list[Mutant]:
    """Every generated mutant of ``procedure``, named as :func:`prove_rows` names them."""
    return [Mutant(f"{prefix}{m.name}", m.kind, m.procedure, m.step, m.guard)
            for m in mutants(procedure, quick=quick)]
