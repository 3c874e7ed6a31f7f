"""One instance of a model step in a proof: its own z3 symbols for fields, role variables, the
message and the clock, named after a tag (``"kms.in"``), so that several steps of several runs
can be composed (the proofs of ``ticket_trust`` and ``skm_s``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from mckm.models.procedures.expr import Expr, Z3Reading
from mckm.models.procedures.model import Procedure, Step


class Symbols:
    """The accessors of a step instance's own symbols, ``self.z`` (every proof that composes
    step instances reads them so)."""

    z: Z3Reading

    def f(self, name: str) -> Any:
        return self.z.fields[name]

    def v(self, name: str) -> Any:
        return self.z.vars[name]

    @property
    def msg(self) -> Any:
        return self.z.msg

    @property
    def now(self) -> Any:
        return self.z.now


def rename(z: Z3Reading, tag: str) -> Z3Reading:
    """``z`` with fresh symbols named ``tag.*``: fields, role variables, message and clock."""
    z.fields = {n: z3.Const(f"{tag}.{n}", z.sort(t)) for n, t in z.field_types.items()}
    z.vars = {n: z3.Const(f"{tag}.self.{n}", z.sort(t)) for n, t in z.var_types.items()}
    z.msg = z3.Const(f"{tag}.msg", z.Msg)
    z.now = z3.Int(f"{tag}.now")
    return z


@dataclass
class Hop(Symbols):
    """One step instance with its own symbols."""

    tag: str
    step: Step
    z: Z3Reading

    def __call__(self, expr: Expr) -> Any:
        return expr.to_z3(self.z)

    def guards(self) -> list[Any]:
        return [g.expr.to_z3(self.z) for g in self.step.guards]

    def same_message(self, other: Hop) -> Any:
        return z3.And(self.z.msg == other.z.msg,
                      *(self.f(n) == other.f(n) for n in self.z.fields))


def hop(procedure: Procedure, step: Step, tag: str) -> Hop:
    """``step`` of ``procedure`` with fresh symbols named ``tag.*``."""
    return Hop(tag, step, rename(procedure.z3_reading(step), tag))


__all__ = ["Hop", "Symbols", "hop", "rename"]
