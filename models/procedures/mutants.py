"""Mutants: the same model with one guard dropped or weakened, or one policy field changed.

Proofs and property tests take their mutants from here, so nothing re-types the model.  A mutant
that no proof (or test) distinguishes from the model is a *survivor*: either the mutation is
harmless, or the properties are too weak.  ``mckm prove`` fails on survivors.

Kinds:
- ``drop``: a guard of a receiving or sending step replaced by ``true``;
- ``when``: a branch's ``when`` condition replaced by ``true`` (the branch always taken);
- ``swap``: inside one guard, one message field replaced by another field of the same type
  (e.g. the signer identity read from IDRr instead of IDRi) - the classic confused-field bug;
- ``policy``: an integer policy value widened a thousandfold, or the key-id layout replaced by a
  layout mutant (purpose bits moved, a 3-bit or 5-bit purpose field).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import construct as c

from mckm.models.policy.key_id import PURPOSE_FIELD, RANDOM_FIELD, SK_ID, id_bits, slots
from mckm.models.procedures.expr import Expr, Field, TrueExpr
from mckm.models.procedures.model import Guard, Procedure, Step


@dataclass(frozen=True)
class Mutant:
    """A named variant of a procedure model."""

    name: str
    kind: str
    procedure: Procedure
    step: str | None = None
    guard: str | None = None


def _with_guard(procedure: Procedure, step: Step, index: int, guard: Guard) -> Procedure:
    guards = list(step.guards)
    guards[index] = guard
    return procedure.with_step(replace(step, guards=tuple(guards)))


def drop_guard_mutants(procedure: Procedure) -> Iterator[Mutant]:
    for step in procedure.steps:
        for i, g in enumerate(step.guards):
            yield Mutant(f"step {step.number}: drop {g.name}", "drop",
                         _with_guard(procedure, step, i, replace(g, expr=TrueExpr())),
                         step.number, g.name)


def drop_when_mutants(procedure: Procedure) -> Iterator[Mutant]:
    """A branch taken whatever its ``when`` says (e.g. a reuse without the store lookup)."""
    for step in procedure.steps:
        if step.when is not None:
            yield Mutant(f"step {step.number}: taken without its when", "when",
                         procedure.with_step(replace(step, when=TrueExpr())), step.number)


def swap_field_mutants(procedure: Procedure) -> Iterator[Mutant]:
    for step in procedure.steps:
        types = procedure.message(step.message).fields
        for i, g in enumerate(step.guards):
            used = sorted({n.name for n in g.expr.walk() if isinstance(n, Field)})
            for name in used:
                for other in sorted(types):
                    if other == name or types[other] != types[name]:
                        continue

                    def swap(node: Expr, a: str = name, b: str = other) -> Expr | None:
                        return Field(b) if node == Field(a) else None

                    expr = g.expr.transform(swap)
                    yield Mutant(f"step {step.number}: {g.name} reads {other} for {name}", "swap",
                                 _with_guard(procedure, step, i, replace(g, expr=expr)),
                                 step.number, g.name)


def layout_mutants(layout: c.Construct = SK_ID) -> Iterator[tuple[str, c.Construct]]:
    """Key-id layouts that break the 4-MSB rule: bits moved, a 3-bit or 5-bit purpose field."""
    total = id_bits(layout)
    width = slots(layout)[PURPOSE_FIELD].width
    yield "purpose in the least significant bits", c.BitStruct(
        RANDOM_FIELD / c.BitsInteger(total - width), PURPOSE_FIELD / c.BitsInteger(width))
    yield "purpose one bit lower", c.BitStruct(
        c.Padding(1), PURPOSE_FIELD / c.BitsInteger(width),
        RANDOM_FIELD / c.BitsInteger(total - width - 1))
    yield f"{width - 1}-bit purpose field", c.BitStruct(
        PURPOSE_FIELD / c.BitsInteger(width - 1), RANDOM_FIELD / c.BitsInteger(total - width + 1))
    yield f"{width + 1}-bit purpose field", c.BitStruct(
        PURPOSE_FIELD / c.BitsInteger(width + 1), RANDOM_FIELD / c.BitsInteger(total - width - 1))


def policy_mutants(procedure: Procedure) -> Iterator[Mutant]:
    for key, value in procedure.policy.items():
        if isinstance(value, int) and not isinstance(value, bool):
            # scale a bound; move a zero (scaling it would give an equivalent mutant)
            name, changed = (f"policy {key} x1000", value * 1000) if value else (
                f"policy {key} +1", value + 1)
            yield Mutant(name, "policy", procedure.with_policy(**{key: changed}))
        elif isinstance(value, c.Construct):
            for name, layout in layout_mutants(value):
                yield Mutant(f"policy {key}: {name}", "policy",
                             procedure.with_policy(**{key: layout}))


def mutants(procedure: Procedure, *, quick: bool = False) -> list[Mutant]:
    """Every mutant of ``procedure`` (drop, when, swap, policy), in a stable order; ``quick``
    leaves out the ``swap`` mutants (the bulk of them: ``mckm prove --quick``)."""
    return [*drop_guard_mutants(procedure), *drop_when_mutants(procedure),
            *([] if quick else swap_field_mutants(procedure)), *policy_mutants(procedure)]


def mark(base: Procedure, mutant: Mutant) -> str:
    """The equivalence mark (:attr:`Guard.equivalent`) that explains ``mutant`` if no proof
    kills it: the mark of the mutated guard in ``base``, or "" (none, or not a guard mutant)."""
    if mutant.step is None or mutant.guard is None:
        return ""
    return next((g.equivalent for g in base.step(mutant.step).guards
                 if g.name == mutant.guard), "")


def marked_guards(procedure: Procedure) -> dict[tuple[str, str], str]:
    """(step number, guard) -> mark, for every marked guard of ``procedure``."""
    return {(s.number, g.name): g.equivalent for s in procedure.steps for g in s.guards
            if g.equivalent}
