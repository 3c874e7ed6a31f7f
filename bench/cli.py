"""``mckm bench``: ops/s of the hot paths, median of several runs on one core."""

from __future__ import annotations

import importlib
import json

import click

from mckm.bench.load import run_load_benchmarks
from mckm.bench.registry import REGISTRY, Result, measure

#: benchmark modules; importing one registers its benchmarks.
MODULES: tuple[str, ...] = (
    "mckm.bench.crypto_eccsi",
    "mckm.bench.crypto_sakke",
    "mckm.bench.codec",
    "mckm.bench.kms",
    "mckm.bench.seal",
    "mckm.bench.ticket",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)


@click.command("bench")
@click.option("--quick", is_flag=True, help="Short runs (3 x 0.2 s) instead of 5 x 1 s.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--only", multiple=True, help="Run only benchmarks whose id starts with this.")
def bench(quick: bool, fmt: str, only: tuple[str, ...]) -> None:
    """Print ops/s for every registered benchmark: operations on one core, median of several
    runs; then the load benchmarks (a server and a load generator in a second process)."""
    load()
    runs, seconds = (3, 0.2) if quick else (5, 1.0)
    results = []

    def report(result: Result, description: str) -> None:
        results.append(result)
        if fmt == "table":
            extra = " ".join(f"{k}={v:.2f}" for k, v in result.extra.items())
            click.echo(f"{result.name:32} {result.ops_per_s:12,.1f} ops/s  {description} {extra}")

    for name, b in REGISTRY.items():
        if not only or any(name.startswith(prefix) for prefix in only):
            report(measure(b, runs=runs, seconds_per_run=seconds), b.description)
    for lb, result in run_load_benchmarks(quick=quick, only=only):
        report(result, lb.description)
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in results], indent=1))
