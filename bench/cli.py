"""``mckm bench``: ops/s of the hot paths, median of several runs on one core."""

from __future__ import annotations

import importlib
import json

import click

from mckm.bench.registry import REGISTRY, measure

#: benchmark modules; importing one registers its benchmarks.
MODULES: tuple[str, ...] = (
    "mckm.bench.crypto_eccsi",
    "mckm.bench.crypto_sakke",
    "mckm.bench.codec",
    "mckm.bench.kms",
    "mckm.bench.seal",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)


@click.command("bench")
@click.option("--quick", is_flag=True, help="Short runs (3 x 0.2 s) instead of 5 x 1 s.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--only", multiple=True, help="Run only benchmarks whose id starts with this.")
def bench(quick: bool, fmt: str, only: tuple[str, ...]) -> None:
    """Print ops/s for every registered benchmark (single process, one core)."""
    load()
    runs, seconds = (3, 0.2) if quick else (5, 1.0)
    results = []
    for name, b in REGISTRY.items():
        if only and not any(name.startswith(prefix) for prefix in only):
            continue
        result = measure(b, runs=runs, seconds_per_run=seconds)
        results.append(result)
        if fmt == "table":
            extra = " ".join(f"{k}={v:.2f}" for k, v in result.extra.items())
            click.echo(f"{name:32} {result.ops_per_s:12,.1f} ops/s  {b.description} {extra}")
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in results], indent=1))
