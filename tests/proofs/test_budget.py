"""z3's budget: a check that runs out of it is retried with new seeds, then an error."""

from __future__ import annotations

import pytest
import z3

from mckm.proofs import result


def _pigeons(n: int) -> list[z3.BoolRef]:
    """n + 1 pigeons in n holes: unsat, and hard for any seed."""
    p = [[z3.Bool(f"p{i}_{j}") for j in range(n)] for i in range(n + 1)]
    return [*[z3.Or(*row) for row in p],
            *[z3.Not(z3.And(p[i][j], p[k][j])) for j in range(n)
              for i in range(n + 1) for k in range(i + 1, n + 1)]]


def test_every_seed_is_tried_before_giving_up(monkeypatch: pytest.MonkeyPatch) -> None:
    seeds: list[int] = []
    monkeypatch.setattr(result, "RLIMIT", 20_000)
    original = z3.Solver.set

    def spy(self: z3.Solver, *args: object, **kw: object) -> None:
        if args and args[0] == "random_seed":
            seeds.append(int(str(args[1])))
        original(self, *args, **kw)

    monkeypatch.setattr(z3.Solver, "set", spy)
    with pytest.raises(RuntimeError, match=f"gave up with {len(result.SEEDS)} seeds"):
        result.satisfiable(*_pigeons(9))
    assert seeds == list(result.SEEDS)


def test_an_answer_comes_from_the_first_seed_that_finds_one() -> None:
    assert not result.satisfiable(*_pigeons(4))
    assert result.counterexample([z3.Int("x") > 1], z3.Int("x") > 2) is not None
