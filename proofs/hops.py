"""One instance of a model step in a proof: its own z3 symbols for fields, role variables, the
message and the clock, named after a tag (``"kms.in"``), so that several steps of several runs
can be composed (the proofs of ``ticket_trust`` and ``skm_s``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from mckm.models.procedures.expr import Expr, Z3Reading
from mckm.models.procedures.model import Procedure, Step


@dataclass
class Hop:
    """One step instance with its own symbols."""

    tag: str
    step: Step
    z: Z3Reading

    def __call__(self, expr: Expr) -> Any:
        return expr.to_z3(self.z)

    def f(self, name: str) -> Any:
        return self.z.fields[name]

    def v(self, name: str) -> Any:
        return self.z.vars[name]

    def guards(self) -> list[Any]:
        return [g.expr.to_z3(self.z) for g in self.step.guards]

    def same_message(self, other: Hop) -> Any:
        return z3.And(self.z.msg == other.z.msg,
                      *(self.f(n) == other.f(n) for n in self.z.fields))


def hop(procedure: Procedure, step: Step, tag: str) -> Hop:
    """``step`` of ``procedure`` with fresh symbols named ``tag.*``."""
    z = procedure.z3_reading(step)
    z.fields = {n: z3.Const(f"{tag}.{n}", z.sort(t)) for n, t in z.field_types.items()}
    z.vars = {n: z3.Const(f"{tag}.self.{n}", z.sort(t)) for n, t in z.var_types.items()}
    z.msg = z3.Const(f"{tag}.msg", z.Msg)
    z.now = z3.Int(f"{tag}.now")
    return Hop(tag, step, z)


__all__ = ["Hop", "hop"]
