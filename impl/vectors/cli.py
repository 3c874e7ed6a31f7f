"""``mckm vectors``: check conformance vector files, or make fresh ones.

A vector that fails is a finding (exit 1); a file that cannot be read or is not JSON is an input
error (exit 2, the boundary of :mod:`mckm.impl.cli`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mckm.impl.cli import EXIT_REFUSED, BoundaryGroup, reading
from mckm.impl.vectors.kinds import KINDS
from mckm.impl.vectors.runner import Outcome, builtin_files, check_document, make_vectors


@click.group("vectors", cls=BoundaryGroup)
def vectors() -> None:
    """Conformance vectors: {"vectors": [{"kind": ..., hex fields ...}]}."""


@vectors.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False,
                                                    path_type=Path))
@click.option("--builtin", is_flag=True, help="Also check the vector files shipped with mckm.")
def check(files: tuple[Path, ...], builtin: bool) -> None:
    """Run vector FILES; print each failure and 'N passed, M failed' (exit 1 on failure)."""
    paths = list(files) + (builtin_files() if builtin else [])
    if not paths:
        raise click.UsageError("give vector FILES or --builtin")
    outcomes: list[Outcome] = []
    for path in paths:
        with reading(str(path)):
            document = json.loads(path.read_bytes().decode("utf-8"))
        outcomes.extend(check_document(document, str(path)))
    failed = [o for o in outcomes if o.failure]
    for outcome in failed:
        click.echo("FAIL " + outcome.describe())
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_REFUSED if failed else 0)


@vectors.command("make")
@click.argument("kind", metavar="KIND", type=click.Choice(sorted(KINDS)))
@click.option("--seed", type=int, default=0, show_default=True, help="RNG seed (deterministic).")
@click.option("--count", type=click.IntRange(1, 10_000), default=4, show_default=True)
def make(kind: str, seed: int, count: int) -> None:
    """Write COUNT fresh vectors of KIND as JSON on stdout."""
    click.echo(json.dumps(make_vectors(kind, seed=seed, count=count), indent=1))


@vectors.command("list")
def list_kinds() -> None:
    """List the vector kinds with their fields and clauses."""
    for k in KINDS.values():
        ins = ", ".join(f.name + ("?" if f.optional else "") for f in k.inputs)
        outs = ", ".join(f.name + ("?" if f.optional else "") for f in k.outputs)
        click.echo(f"{k.name:20} {k.clause:18} {ins} -> {outs}")
