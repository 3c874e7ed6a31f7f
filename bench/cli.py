"""``mckm bench``: ops/s of the hot paths, each in a process of its own; or instructions per
operation under callgrind (``--instructions``)."""

from __future__ import annotations

import json

import click

from mckm.bench.load import LOAD_REGISTRY
from mckm.bench.registry import MODULES, REGISTRY, Result, load
from mckm.bench.runner import (
    BenchmarkFailed,
    Instructions,
    count_instructions,
    find_valgrind,
    run_timed,
)
from mckm.impl.cli import CliError, Refused

__all__ = ["MODULES", "bench", "load"]

_HELP = """Print ops/s for every registered benchmark, each measured in a fresh Python process
(so one figure's tables and caches do not slow another): the median of its runs, with the
slowest and fastest run (min .. max); then the load benchmarks (a server in the benchmark's
process, a load generator in a second one), one run each, with p50/p99 latency.

With --instructions, instructions per operation instead, counted by valgrind's callgrind:
for each benchmark the setup and N operations (--ops) run in one callgrind process and the
setup alone in another, and the figure is (Ir(N) - Ir(0)) / N.  The count does not depend on
what else the machine is doing, so two runs on one machine compare a change exactly (the same
Python and libraries).  It is slow: on x86-64 the setup runs uninstrumented and counting starts
after the warm-up, yet a benchmark takes 10 s to a minute (the setup's tables under valgrind).
The load benchmarks (two processes over HTTPS) and benchmarks with a server
thread (skms-provision-https) are not counted in this mode.

JSON keys: name, ops_per_s (the median), runs, min_ops_per_s, max_ops_per_s, the load
benchmarks' p50_ms, p99_ms and count, and warning (a first timed call so slow that a cache was
built in the timed region); with --instructions: name, instructions_per_op, ops, ir_with_ops
(Ir(N)), ir_setup (Ir(0))."""


def _selected(name: str, only: tuple[str, ...]) -> bool:
    return not only or any(name.startswith(prefix) for prefix in only)


@click.command("bench", help=_HELP)
@click.option("--quick", is_flag=True, help="Short runs (3 x 0.2 s) instead of 5 x 1 s.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--only", multiple=True, help="Run only benchmarks whose id starts with this.")
@click.option("--instructions", is_flag=True,
              help="Count instructions per operation under callgrind instead of timing.")
@click.option("--ops", type=click.IntRange(min=1), default=10, show_default=True,
              help="With --instructions: operations N counted per benchmark.")
@click.option("--valgrind", "valgrind_path", default=None, metavar="PATH",
              help="With --instructions: the valgrind executable (default: on PATH).")
def bench(quick: bool, fmt: str, only: tuple[str, ...], instructions: bool, ops: int,
          valgrind_path: str | None) -> None:
    load()
    try:
        if instructions:
            _instructions(fmt, only, ops, valgrind_path)
        else:
            _timed(quick, fmt, only)
    except BenchmarkFailed as exc:
        raise Refused(str(exc)) from exc


def _timed(quick: bool, fmt: str, only: tuple[str, ...]) -> None:
    runs, seconds = (3, 0.2) if quick else (5, 1.0)
    results: list[Result] = []
    described = {**{n: (b.module, b.description) for n, b in REGISTRY.items()},
                 **{n: (lb.run.__module__, lb.description) for n, lb in LOAD_REGISTRY.items()}}
    if fmt == "table":
        click.echo(f"{'benchmark':32} {'ops/s (median)':>14}  {'min .. max':>21}  description")
    for name, (module, description) in described.items():
        if not _selected(name, only):
            continue
        result = run_timed(name, (module,), runs=runs, seconds=seconds, quick=quick)
        results.append(result)
        if fmt == "table":
            extra = " ".join(f"{k}={v:.2f}" for k, v in result.extra.items())
            spread = (f"{result.low:,.1f} .. {result.high:,.1f}" if result.runs > 1
                      else "(1 run)")
            click.echo(f"{name:32} {result.ops_per_s:14,.1f}  {spread:>21}  {description}"
                       + (f" {extra}" if extra else ""))
            if result.warning:
                click.echo(f"{'':32} warning: {result.warning}")
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in results], indent=1))


def _instructions(fmt: str, only: tuple[str, ...], ops: int, valgrind_path: str | None) -> None:
    valgrind = find_valgrind(valgrind_path)
    if valgrind is None:
        raise CliError(f"--valgrind: {valgrind_path or 'valgrind'} not found (install valgrind, "
                       "e.g. apt-get install valgrind, or give its path)")
    counted: list[Instructions] = []
    if fmt == "table":
        click.echo(f"{'benchmark':32} {'instructions/op':>16}  description (N = {ops})")
    for name, b in REGISTRY.items():
        if not b.instructions or not _selected(name, only):
            continue
        result = count_instructions(name, (b.module,), ops=ops, valgrind=valgrind)
        counted.append(result)
        if fmt == "table":
            click.echo(f"{name:32} {result.per_op:16,.0f}  {b.description}")
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in counted], indent=1))
