"""Seed 003 SeGy simulator benchmark.

``segy-simulate-all``: one operation is the whole run of ``mckm segy simulate -N 10000 -G 1000
-K 1`` (all five approaches, the default mix: 490017 simulated messages); ten times
this size is the issue's 60 s budget (:mod:`mckm.impl.segy.simulator`).
"""

from __future__ import annotations

from mckm.bench.registry import Operation, benchmark
from mckm.impl.segy.simulator import Mix, simulate
from mckm.models.segy.approaches import APPROACHES

USERS, GROUPS = 10_000, 1_000


@benchmark("segy-simulate-all", "the five SeGy approaches simulated for N = 10^4, G = 10^3, "
           "one key period (mckm segy simulate)")
def simulate_all() -> Operation:
    return lambda: [simulate(a, USERS, GROUPS, 1, Mix()) for a in APPROACHES]
