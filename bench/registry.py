"""The benchmark registry behind ``mckm bench``, and the in-process measurement.

A benchmark module registers setups with :func:`benchmark`; a setup builds its inputs (keys,
messages, caches) outside the timed region and returns the operation to time.  Everything a
figure means to use (a "warm" figure's per-peer tables, the process-wide fixed-base tables every
long-running process has) is built by the setup, which calls the operation as often as the
caches need (a table on the second use, ...); the measurement then calls it once more, untimed.

:func:`measure` times one benchmark on one core for several runs and reports the median ops/s
with the slowest and fastest run.  ``mckm bench`` calls it in a fresh interpreter per benchmark
(:mod:`mckm.bench.runner`, :mod:`mckm.bench.worker`), so that one figure's tables and caches do
not slow another.  :func:`operate` is the instruction-count mode's body: setup, warm-up and N
operations, nothing timed.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Operation = Callable[[], object]
Setup = Callable[[], Operation]

#: benchmark modules; importing one registers its benchmarks (and load benchmarks).
MODULES: tuple[str, ...] = (
    "mckm.bench.crypto_eccsi",
    "mckm.bench.crypto_sakke",
    "mckm.bench.codec",
    "mckm.bench.kms",
    "mckm.bench.rollover",
    "mckm.bench.idm",
    "mckm.bench.seal",
    "mckm.bench.ticket",
    "mckm.bench.xmlprotect",
    "mckm.bench.interkmm_relay",
    "mckm.bench.sip_core",
    "mckm.bench.cms",
    "mckm.bench.cek",
    "mckm.bench.lint",
    "mckm.bench.lint_seeds",
    "mckm.bench.segy",
)

#: a first timed call this much slower than the median call (and over WARMUP_FLOOR_S) means the
#: setup left a cache to be built inside the timed region: the result carries a warning.
WARMUP_FACTOR = 10.0
WARMUP_FLOOR_S = 0.05


def load(modules: tuple[str, ...] = MODULES) -> None:
    """Import the benchmark modules (registering their benchmarks)."""
    for name in modules:
        importlib.import_module(name)


@dataclass(frozen=True)
class Benchmark:
    """One named measurement; ``name`` is a stable id (it appears in JSON output).

    ``instructions``: whether the instruction-count mode (callgrind) measures it; False for a
    benchmark whose count depends on thread scheduling (a server thread in the process).
    """

    name: str
    setup: Setup
    description: str
    instructions: bool = True

    @property
    def module(self) -> str:
        """The module that registers it (all a fresh interpreter needs to import)."""
        return self.setup.__module__


@dataclass
class Result:
    """One figure: ``ops_per_s`` is the median over ``runs`` runs, ``min_ops_per_s`` and
    ``max_ops_per_s`` the slowest and fastest run (None: one run, i.e. a load benchmark)."""

    name: str
    ops_per_s: float
    runs: int
    extra: dict[str, float] = field(default_factory=dict)
    min_ops_per_s: float | None = None
    max_ops_per_s: float | None = None
    warning: str | None = None

    @property
    def low(self) -> float:
        return self.ops_per_s if self.min_ops_per_s is None else self.min_ops_per_s

    @property
    def high(self) -> float:
        return self.ops_per_s if self.max_ops_per_s is None else self.max_ops_per_s

    def as_json(self) -> dict[str, object]:
        """``name``, ``ops_per_s`` (the median), ``runs``, ``min_ops_per_s``,
        ``max_ops_per_s``, the ``extra`` keys (``p50_ms`` ...) and ``warning`` if any."""
        out: dict[str, object] = {"name": self.name, "ops_per_s": round(self.ops_per_s, 1),
                                  "runs": self.runs, "min_ops_per_s": round(self.low, 1),
                                  "max_ops_per_s": round(self.high, 1), **self.extra}
        if self.warning is not None:
            out["warning"] = self.warning
        return out

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Result:
        """The inverse of :meth:`as_json` (the worker's answer to the runner)."""
        fixed = {"name", "ops_per_s", "runs", "min_ops_per_s", "max_ops_per_s", "warning"}
        warning = data.get("warning")
        return cls(str(data["name"]), _float(data["ops_per_s"]), int(_float(data["runs"])),
                   {k: _float(v) for k, v in data.items() if k not in fixed},
                   _float(data["min_ops_per_s"]), _float(data["max_ops_per_s"]),
                   None if warning is None else str(warning))


def _float(value: object) -> float:
    if not isinstance(value, int | float):
        raise ValueError(f"a number expected, got {value!r}")
    return float(value)


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, description: str, *,
              instructions: bool = True) -> Callable[[Setup], Setup]:
    """Register ``setup`` under the stable id ``name``."""

    def register(setup: Setup) -> Setup:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, setup, description, instructions)
        return setup

    return register


def measure(bench: Benchmark, *, runs: int, seconds_per_run: float) -> Result:
    """Median, min and max ops/s over ``runs`` runs of about ``seconds_per_run`` each, after the
    setup and one untimed call; a warning if the first timed call looks like a cache build."""
    op = bench.setup()
    op()  # warm-up: one-time work of the first call (imports, interned constants), untimed
    rates = []
    first: float | None = None
    for _ in range(runs):
        count = 0
        start = now = time.perf_counter()
        deadline = start + seconds_per_run
        while True:
            op()
            count += 1
            now = time.perf_counter()
            if first is None:
                first = now - start
            if now >= deadline:
                break
        rates.append(count / (now - start))
    median = statistics.median(rates)
    return Result(bench.name, median, runs, min_ops_per_s=min(rates), max_ops_per_s=max(rates),
                  warning=warmup_warning(first or 0.0, median))


def warmup_warning(first_s: float, ops_per_s: float) -> str | None:
    """A warning when the first timed call took over WARMUP_FACTOR x the median call and over
    WARMUP_FLOOR_S: the setup did not build everything the figure means to use."""
    typical = 1.0 / ops_per_s if ops_per_s > 0 else 0.0
    if first_s > WARMUP_FLOOR_S and first_s > WARMUP_FACTOR * typical:
        return (f"first timed call took {first_s * 1000:.0f} ms, {first_s / typical:.0f}x the "
                "median call: a cache built inside the timed region (incomplete warm-up?)")
    return None


def operate(bench: Benchmark, ops: int, *, before: Callable[[], None] | None = None) -> None:
    """The instruction-count body: the setup, the same untimed call as :func:`measure`,
    ``before()`` (callgrind starts counting), then ``ops`` operations (0: the baseline that is
    subtracted)."""
    op = bench.setup()
    op()
    if before is not None:
        before()
    for _ in range(ops):
        op()
