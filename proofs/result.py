"""Result records of ``mckm prove`` and the z3 call every proof module shares."""

from __future__ import annotations

import builtins
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import z3

#: z3's budget per check: a resource limit (counted steps: the same on any machine, however
#: loaded) and a wall-clock backstop.  Most checks of ``mckm prove`` take under 1 M steps, but
#: z3's search time is heavy-tailed: the same check took 0.4 M to 22 M steps from one process
#: to another (term ids, hence z3's choices, depend on what the process built before)
RLIMIT = 50_000_000
TIMEOUT_MS = 300_000
#: the random seeds a check is tried with, in turn, while z3 runs out of budget: each seed is a
#: new search, and an answer is sound whatever the seed that found it
SEEDS = (0, 1, 2, 3)


@dataclass
class MutantResult:
    """What one row did to one mutant: killed (with the counterexample, or ``not executable``
    when the mutant refuses every run the row composes), or not; ``equivalent`` is the mark
    that explains the mutant if no row of its family kills it (``Guard.equivalent``)."""

    name: str
    killed: bool
    counterexample: dict[str, str] | None = None
    equivalent: str = ""
    note: str = ""
    seconds: float = 0.0


@dataclass
class ProofResult:
    """One row of the table: a property under an assumption.  ``expected_attack`` is empty,
    or why the property cannot hold under this assumption (the attack is a result: the row
    is a finding if it holds after all)."""

    property: str
    assumption: str
    holds: bool
    seconds: float
    counterexample: dict[str, str] | None = None
    mutants: list[MutantResult] = field(default_factory=list)
    expected_attack: str = ""
    #: the requirement ids the row covers (the site's traceability matrix links them)
    requirements: tuple[str, ...] = ()

    @builtins.property  # the field ``property`` shadows the builtin in this class body
    def as_expected(self) -> bool:
        """Holds, or fails with the attack the assumption gives."""
        return self.holds != bool(self.expected_attack)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["mutants"] = [{"name": m.name, "killed": m.killed}
                          | ({"equivalent": m.equivalent} if m.equivalent else {})
                          for m in self.mutants]
        return out


#: a requirement id, or the short form ", -14" that a list of ids of one family uses
_REQ = re.compile(r"\b(REQ-[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*)-(\d+)\b|,\s*-(\d+)\b")


def requirement_ids(text: str) -> tuple[str, ...]:
    """The requirement ids ``text`` names, in order, with "REQ-IKMM-01, -14" read as
    REQ-IKMM-01 and REQ-IKMM-14."""
    out: list[str] = []
    family = ""
    for m in _REQ.finditer(text):
        if m[1]:
            family = m[1]
            out.append(f"{family}-{m[2]}")
        elif family:
            out.append(f"{family}-{m[3]}")
    return tuple(dict.fromkeys(out))


#: the note of a mutant killed because the row's composed run became impossible
NOT_EXECUTABLE = "not executable: the mutant refuses every run the row composes"


def budgeted() -> z3.Solver:
    """A solver with the proofs' budget (:data:`RLIMIT`, :data:`TIMEOUT_MS`)."""
    solver = z3.Solver()
    solver.set("rlimit", RLIMIT)
    solver.set("timeout", TIMEOUT_MS)
    return solver


def decide(solver: z3.Solver) -> z3.CheckSatResult:
    """sat or unsat for what ``solver`` holds, tried with each of :data:`SEEDS` while the
    budget runs out (z3 giving up on every seed is an error, never an answer)."""
    for seed in SEEDS:
        solver.set("random_seed", seed)
        verdict = solver.check()
        if verdict != z3.unknown:
            return verdict
    raise RuntimeError(f"z3 gave up with {len(SEEDS)} seeds: {solver.reason_unknown()}")


def satisfiable(*formulas: Any) -> bool:
    """Whether ``formulas`` have a model."""
    solver = budgeted()
    solver.add(*formulas)
    return bool(decide(solver) == z3.sat)


def counterexample(hypotheses: Sequence[Any], goal: Any) -> z3.ModelRef | None:
    """A model of ``hypotheses and not goal``, or None when ``hypotheses => goal`` is valid."""
    solver = budgeted()
    solver.add(*hypotheses)
    solver.add(z3.Not(goal))
    return None if decide(solver) == z3.unsat else solver.model()


def describe(model: z3.ModelRef) -> dict[str, str]:
    """A counterexample as name -> value text (constants only)."""
    return {str(d.name()): str(model[d]) for d in model.decls() if d.arity() == 0}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _unkilled(rows: Sequence[ProofResult]) -> dict[str, str]:
    """Mutants no row of a family killed -> their equivalence mark ("" if none)."""
    killed: dict[str, bool] = {}
    marks: dict[str, str] = {}
    for row in rows:
        for m in row.mutants:
            killed[m.name] = killed.get(m.name, False) or m.killed
            marks[m.name] = marks.get(m.name, "") or m.equivalent
    return {n: marks[n] for n, k in killed.items() if not k}


def generated(rows: Sequence[ProofResult]) -> list[str]:
    """Every mutant a family ran, in order."""
    return list(dict.fromkeys(m.name for r in rows for m in r.mutants))


def survivors(rows: Sequence[ProofResult]) -> list[str]:
    """Mutants no row of a family killed and no equivalence mark explains: findings."""
    return [n for n, mark in _unkilled(rows).items() if not mark]


def equivalents(rows: Sequence[ProofResult]) -> dict[str, str]:
    """Mutants no row killed, explained by the mark of their guard: name -> reason."""
    return {n: mark for n, mark in _unkilled(rows).items() if mark}


def check_mutant(base_formula: Any, formula: Any, solve: Callable[[], z3.ModelRef | None]
                 ) -> tuple[bool, z3.ModelRef | None, str]:
    """(killed, counterexample, note) of a mutant whose row formula (hypotheses and goal) is
    ``formula``: not killed without a solver call when it is the model's ``base_formula``
    (the mutation is outside the row's steps); killed as not executable when ``solve`` finds
    the row's hypotheses unsatisfiable (it raises ``Vacuous``)."""
    if formula.eq(base_formula):
        return False, None, ""
    try:
        model = solve()
    except Vacuous:
        return True, None, NOT_EXECUTABLE
    return model is not None, model, ""


class Vacuous(AssertionError):
    """A row's hypotheses are unsatisfiable: for the model a broken row, for a mutant a kill
    (it can never complete the run the row composes)."""



def run_mutant(m: Any, base: Any, dead: set[str], base_formula: Any,
               formula: Callable[[], Any], solve: Callable[[], z3.ModelRef | None],
               prefix: str = "") -> MutantResult:
    """One row on one mutant ``m`` (a ``Mutant`` of ``base``, a ``Procedure``): its
    equivalence mark, and killed or not (:func:`check_mutant`); a mutant in ``dead`` (killed
    by an earlier row of the family) is not solved again, and ``dead`` gains this row's kill."""
    from mckm.models.procedures.mutants import mark

    name = f"{prefix}{m.name}"
    equivalent = mark(base, m)
    if name in dead:
        return MutantResult(name, False, None, equivalent, "killed by an earlier row")
    start = time.perf_counter()
    try:
        f = formula()
    except Vacuous:
        f = z3.BoolVal(False)
    killed, model, note = check_mutant(base_formula, f, solve)
    if killed:
        dead.add(name)
    result = MutantResult(name, killed, None if model is None else describe(model), equivalent,
                          note)
    result.seconds = time.perf_counter() - start
    return result
