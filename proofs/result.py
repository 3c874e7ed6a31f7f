"""Result records of ``mckm prove`` and the z3 call every proof module shares."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import z3

TIMEOUT_MS = 10_000


@dataclass
class MutantResult:
    name: str
    killed: bool
    counterexample: dict[str, str] | None = None


@dataclass
class ProofResult:
    """One row of the table: a property under an assumption."""

    property: str
    assumption: str
    holds: bool
    seconds: float
    counterexample: dict[str, str] | None = None
    mutants: list[MutantResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["mutants"] = [{"name": m.name, "killed": m.killed} for m in self.mutants]
        return out


def counterexample(hypotheses: Sequence[Any], goal: Any) -> z3.ModelRef | None:
    """A model of ``hypotheses and not goal``, or None when ``hypotheses => goal`` is valid."""
    solver = z3.Solver()
    solver.set("timeout", TIMEOUT_MS)
    solver.add(*hypotheses)
    solver.add(z3.Not(goal))
    verdict = solver.check()
    if verdict == z3.unsat:
        return None
    if verdict == z3.unknown:
        raise RuntimeError(f"z3 gave up: {solver.reason_unknown()}")
    return solver.model()


def describe(model: z3.ModelRef) -> dict[str, str]:
    """A counterexample as name -> value text (constants only)."""
    return {str(d.name()): str(model[d]) for d in model.decls() if d.arity() == 0}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def survivors(rows: Sequence[ProofResult]) -> list[str]:
    """Mutants no row of a family killed."""
    names: dict[str, bool] = {}
    for row in rows:
        for m in row.mutants:
            names[m.name] = names.get(m.name, False) or m.killed
    return [n for n, killed in names.items() if not killed]
