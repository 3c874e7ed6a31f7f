"""``mckm bench``'s runner: each figure in an interpreter of its own with median, min and max;
the warm-up check; the instruction-count mode's arithmetic (a stub valgrind) and, with the real
valgrind (.ci/run installs it), its repeatability on a tiny benchmark."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mckm.bench.cli import bench
from mckm.bench.registry import Benchmark, Result, measure, warmup_warning
from mckm.bench.runner import (
    callgrind_total,
    count_instructions,
    per_operation,
    run_timed,
)
from tests.conftest import require_tool

#: a benchmark module for the child processes: each call slower than the one before, so the
#: three runs have distinct rates (run 1 the fastest); the setup notes its process id.
TRIVIAL = '''
import os, time
from mckm.bench.registry import benchmark

@benchmark("trivial-slowing", "each call 0.2 ms slower than the one before")
def setup():
    with open(os.environ["TRIVIAL_PIDS"], "a") as out:
        out.write(f"{os.getpid()}\\n")
    calls = [0]

    def op():
        calls[0] += 1
        time.sleep(0.0002 * calls[0])
    return op

@benchmark("trivial-sum", "sum(range(1000))")
def summing():
    return lambda: sum(range(1000))
'''


@pytest.fixture
def trivial(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "trivial_bench.py").write_text(textwrap.dedent(TRIVIAL))
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), root]),
            "TRIVIAL_PIDS": str(tmp_path / "pids")}


def test_each_figure_in_a_process_of_its_own_with_median_min_max(trivial: dict[str, str]
                                                                  ) -> None:
    results = [run_timed("trivial-slowing", ("trivial_bench",), runs=3, seconds=0.1,
                         quick=True, env=trivial) for _ in range(2)]
    pids = Path(trivial["TRIVIAL_PIDS"]).read_text().split()
    assert len(set(pids)) == 2 and str(os.getpid()) not in pids
    for result in results:
        assert result.name == "trivial-slowing" and result.runs == 3
        assert result.min_ops_per_s is not None and result.max_ops_per_s is not None
        # the calls slow down: run 3 the slowest (min), run 1 the fastest (max)
        assert result.min_ops_per_s < result.ops_per_s < result.max_ops_per_s
        assert result.min_ops_per_s > 20 and result.max_ops_per_s < 5000
        # (no "warning" asserted: a loaded machine may stall the first call past the floor)
        assert {"name", "ops_per_s", "runs", "min_ops_per_s", "max_ops_per_s"} <= set(
            result.as_json())


def test_result_json_round_trip_and_load_results() -> None:
    timed = Result("x", 10.0, 5, {"p50_ms": 1.5}, 9.0, 11.0, "slow first call")
    assert Result.from_json(timed.as_json()) == timed
    load = Result("ticket-resolve-one-kms", 640.0, 1, {"p50_ms": 1.2, "p99_ms": 3.4})
    assert load.as_json() == {"name": "ticket-resolve-one-kms", "ops_per_s": 640.0, "runs": 1,
                              "min_ops_per_s": 640.0, "max_ops_per_s": 640.0, "p50_ms": 1.2,
                              "p99_ms": 3.4}


def _second_call_builds_a_table() -> object:
    calls = [0]

    def op() -> None:
        calls[0] += 1
        if calls[0] == 2:  # the first timed call: a "table" built inside the timed region
            time.sleep(0.2)

    return op


def test_a_cache_built_in_the_timed_region_is_reported() -> None:
    late = Benchmark("late-table", _second_call_builds_a_table, "")  # type: ignore[arg-type]
    warning = measure(late, runs=2, seconds_per_run=0.05).warning
    assert warning is not None and "timed region" in warning
    steady = Benchmark("steady", lambda: (lambda: None), "")
    assert measure(steady, runs=2, seconds_per_run=0.05).warning is None
    assert warmup_warning(0.04, 1.0) is None  # under the floor
    assert warmup_warning(0.2, 1000.0) is not None and warmup_warning(0.2, 40.0) is None


def test_instruction_arithmetic() -> None:
    assert per_operation(1_000_370, 1_000_000, 10) == 37.0
    with pytest.raises(ValueError):
        per_operation(1, 1, 0)
    text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\nsummary: 2385310417\n"
    assert callgrind_total(text) == 2385310417
    assert callgrind_total("events: Ir\ntotals: 12\n") == 12
    with pytest.raises(ValueError):
        callgrind_total("events: Ir\n")


#: stands in for valgrind: runs nothing, writes Ir = 1,000,000 + 37 x (the worker's --ops)
STUB_VALGRIND = '''#!{python}
import sys
args = sys.argv[1:]
out = next(a.split("=", 1)[1] for a in args if a.startswith("--callgrind-out-file="))
assert "--tool=callgrind" in args and args[args.index("-m") + 1] == "mckm.bench.worker"
ops = int(args[args.index("--ops") + 1])
with open(out, "w") as f:
    f.write(f"events: Ir\\nsummary: {{1_000_000 + 37 * ops}}\\n")
'''


def test_instruction_mode_subtracts_the_setup_on_a_stub(tmp_path: Path) -> None:
    stub = tmp_path / "valgrind"
    stub.write_text(STUB_VALGRIND.format(python=sys.executable))
    stub.chmod(0o755)
    counted = count_instructions("anything", ("some_module",), ops=7, valgrind=str(stub))
    assert (counted.ir_with_ops, counted.ir_setup, counted.per_op) == (1_000_259, 1_000_000, 37)
    assert counted.as_json() == {"name": "anything", "instructions_per_op": 37, "ops": 7,
                                 "ir_with_ops": 1_000_259, "ir_setup": 1_000_000}


def test_instruction_mode_without_valgrind_is_a_usage_error(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(bench, ["--instructions", "--valgrind",
                                         str(tmp_path / "no-valgrind")])
    assert outcome.exit_code == 2 and "--valgrind" in outcome.output


def test_real_callgrind_counts_are_repeatable(trivial: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    valgrind = require_tool("valgrind")  # skipped without it; under CI=true a failure
    for key in ("PYTHONPATH", "TRIVIAL_PIDS"):
        monkeypatch.setenv(key, trivial[key])
    first, second = (count_instructions("trivial-sum", ("trivial_bench",), ops=20,
                                        valgrind=valgrind) for _ in range(2))
    assert first == second  # the same instructions, whatever else the machine is doing
    assert 5_000 < first.per_op < 500_000  # sum(range(1000)) in CPython: tens of thousands
