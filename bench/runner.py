"""The parent side of ``mckm bench``: each figure measured in an interpreter of its own.

:func:`run_timed` starts ``python -m mckm.bench.worker time NAME`` for one benchmark id (only the
module that registers it is imported there), so no figure runs with another's tables, caches
or heap; the child reports the median, min and max ops/s of its runs.

:func:`count_instructions` is the instruction-count mode: the benchmark's setup and N operations
in one process under valgrind's callgrind, the setup alone (0 operations) in another, and
``(Ir(N) - Ir(0)) / N`` instructions per operation (:func:`per_operation`).  On x86-64
callgrind starts counting only after the setup and warm-up (``--instr-atstart=no`` and a client
request from the worker), so Ir(0) is the cost of interpreter exit and the subtraction removes
it; elsewhere it counts from the start and the subtraction removes the setup.  The two children
run at the same time (instruction counts do not depend on load); both use ``PYTHONHASHSEED=0``
and a seeded ``os.urandom`` (:func:`mckm.bench.worker.seed_randomness`), so they build the
same keys and the figure repeats (to a few hundredths of a percent) whatever else the
machine is doing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mckm.bench.registry import Result
from mckm.bench.worker import can_start_instrumentation

#: how long a child may take before it is killed (a benchmark that hangs is a bug)
TIMED_TIMEOUT_S = 600.0
COUNT_TIMEOUT_S = 1800.0


class BenchmarkFailed(RuntimeError):
    """A benchmark's child process failed; the message ends with its last stderr line."""


def _worker(mode: str, name: str, modules: tuple[str, ...], *options: str) -> list[str]:
    command = [sys.executable, "-m", "mckm.bench.worker", mode, name, *options]
    for module in modules:
        command += ["--module", module]
    return command


def _failure(name: str, what: str, returncode: int, stderr: str) -> BenchmarkFailed:
    lines = [line for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "(no output on stderr)"
    return BenchmarkFailed(f"benchmark {name}: {what} exited with status {returncode}: {last}")


def run_timed(name: str, modules: tuple[str, ...], *, runs: int, seconds: float,
              quick: bool, env: dict[str, str] | None = None) -> Result:
    """Measure ``name`` (registered by one of ``modules``) in a fresh interpreter."""
    options = ["--runs", str(runs), "--seconds", repr(seconds)] + (["--quick"] if quick else [])
    done = subprocess.run(_worker("time", name, modules, *options), capture_output=True,
                          text=True, timeout=TIMED_TIMEOUT_S, env=env, check=False)
    if done.returncode != 0:
        raise _failure(name, "its process", done.returncode, done.stderr)
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise BenchmarkFailed(f"benchmark {name}: its process printed no result")
    data = json.loads(lines[-1])
    if not isinstance(data, dict):
        raise BenchmarkFailed(f"benchmark {name}: not a result: {lines[-1][:200]}")
    return Result.from_json(data)


@dataclass(frozen=True)
class Instructions:
    """Instructions executed (callgrind's Ir) by the setup + ``ops`` operations and by the
    setup alone; ``per_op`` is their difference per operation."""

    name: str
    ops: int
    ir_with_ops: int
    ir_setup: int

    @property
    def per_op(self) -> float:
        return per_operation(self.ir_with_ops, self.ir_setup, self.ops)

    def as_json(self) -> dict[str, object]:
        """``name``, ``instructions_per_op``, ``ops`` (N), ``ir_with_ops`` (Ir(N)) and
        ``ir_setup`` (Ir(0))."""
        return {"name": self.name, "instructions_per_op": round(self.per_op),
                "ops": self.ops, "ir_with_ops": self.ir_with_ops, "ir_setup": self.ir_setup}


def per_operation(ir_with_ops: int, ir_setup: int, ops: int) -> float:
    """(Ir(N) - Ir(0)) / N."""
    if ops <= 0:
        raise ValueError(f"the number of operations must be positive, not {ops}")
    return (ir_with_ops - ir_setup) / ops


_TOTAL = re.compile(r"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def callgrind_total(text: str) -> int:
    """Total Ir of a callgrind output file (its ``summary:`` or ``totals:`` line)."""
    found = _TOTAL.search(text)
    if found is None:
        raise ValueError("no 'summary:' or 'totals:' line: not a callgrind output file")
    return int(found.group(1))


def find_valgrind(given: str | None = None) -> str | None:
    """``given`` if it is an executable, else valgrind on PATH, else None."""
    return shutil.which(given or "valgrind")


def count_instructions(name: str, modules: tuple[str, ...], *, ops: int, valgrind: str,
                       seed: int = 0) -> Instructions:
    """Ir(N) and Ir(0) of ``name`` under callgrind, the two processes run at the same time."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    # x86-64: the setup runs uninstrumented (about 4x faster) and uncounted
    late = ["--instr-atstart=no"] if can_start_instrumentation() else []
    start = ["--start-instrumentation"] if late else []
    with tempfile.TemporaryDirectory(prefix="mckm-callgrind-") as directory:
        outs = [Path(directory) / f"callgrind.{n}.out" for n in (ops, 0)]
        children = [subprocess.Popen(
            [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet", *late,
             *_worker("count", name, modules, "--ops", str(n), "--seed", str(seed), *start)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            for out, n in zip(outs, (ops, 0), strict=True)]
        try:
            errors = [child.communicate(timeout=COUNT_TIMEOUT_S)[1] for child in children]
        finally:
            for child in children:
                if child.poll() is None:
                    child.kill()
                    child.wait()
        for child, n, stderr in zip(children, (ops, 0), errors, strict=True):
            if child.returncode != 0:
                raise _failure(name, f"callgrind with {n} operations", child.returncode, stderr)
        with_ops, setup = (callgrind_total(out.read_text()) for out in outs)
    return Instructions(name, ops, with_ops, setup)
