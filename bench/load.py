"""Load benchmarks: a server driven by a load generator, reporting their own :class:`Result`.

:func:`~mckm.bench.registry.measure` times an operation in a loop in this process and reports
ops/s only.  A load benchmark (e.g. ticket resolves through an HTTPS KMS with the client in a
second process) measures itself - rate and latency percentiles - so it registers here a ``run``
that takes a :class:`LoadBudget` (bounded in count and in time) and returns a ``Result`` with
``extra`` keys (``p50_ms``, ``p99_ms``, ...).  Ids share one namespace with ``REGISTRY``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mckm.bench.registry import REGISTRY, Result


@dataclass(frozen=True)
class LoadBudget:
    """At most ``count`` timed requests and at most ``seconds`` of load."""

    count: int
    seconds: float


QUICK = LoadBudget(600, 3.0)
FULL = LoadBudget(3000, 10.0)

LoadRun = Callable[[LoadBudget], Result]


@dataclass(frozen=True)
class LoadBenchmark:
    name: str
    run: LoadRun
    description: str


LOAD_REGISTRY: dict[str, LoadBenchmark] = {}


def load_benchmark(name: str, description: str) -> Callable[[LoadRun], LoadRun]:
    """Register ``run`` under the stable id ``name``."""

    def register(run: LoadRun) -> LoadRun:
        if name in LOAD_REGISTRY or name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        LOAD_REGISTRY[name] = LoadBenchmark(name, run, description)
        return run

    return register


def run_load_benchmarks(*, quick: bool,
                        only: tuple[str, ...] = ()) -> Iterator[tuple[LoadBenchmark, Result]]:
    """Run the registered load benchmarks (those whose id starts with one of ``only``)."""
    budget = QUICK if quick else FULL
    for name, bench in LOAD_REGISTRY.items():
        if only and not any(name.startswith(prefix) for prefix in only):
            continue
        yield bench, bench.run(budget)
