"""The benchmark registry behind ``mckm bench``.

A benchmark module registers setups with :func:`benchmark`; a setup builds its inputs (keys,
messages, caches) outside the timed region and returns the operation to time.  The runner times
the operation on one core for several runs and reports the median ops/s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Operation = Callable[[], object]
Setup = Callable[[], Operation]


@dataclass(frozen=True)
class Benchmark:
    """One named measurement; ``name`` is a stable id (it appears in JSON output)."""

    name: str
    setup: Setup
    description: str


@dataclass
class Result:
    name: str
    ops_per_s: float
    runs: int
    extra: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "ops_per_s": round(self.ops_per_s, 1), "runs": self.runs,
                **self.extra}


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, description: str) -> Callable[[Setup], Setup]:
    """Register ``setup`` under the stable id ``name``."""

    def register(setup: Setup) -> Setup:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, setup, description)
        return setup

    return register


def measure(bench: Benchmark, *, runs: int, seconds_per_run: float) -> Result:
    """Median ops/s over ``runs`` runs of about ``seconds_per_run`` each (after one warm-up)."""
    op = bench.setup()
    op()  # warm-up: caches that the benchmark means to use are built here, not timed
    rates = []
    for _ in range(runs):
        count = 0
        start = time.perf_counter()
        deadline = start + seconds_per_run
        while True:
            op()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        rates.append(count / (now - start))
    return Result(bench.name, statistics.median(rates), runs)
