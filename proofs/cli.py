"""``mckm prove``: run every proof family, kill every mutant, print property x assumption."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click

from mckm.impl.cli import EXIT_REFUSED, EXIT_STATUS, BoundaryCommand
from mckm.proofs import seal_acceptance, sk_id, skm_s, ticket_trust
from mckm.proofs.result import ProofResult, survivors

#: family name -> prove() of its module
FAMILIES: dict[str, Callable[[], list[ProofResult]]] = {
    "sk-id": sk_id.prove,
    "seal-acceptance": seal_acceptance.prove,
    "ticket-trust": ticket_trust.prove,
    "skm-s": skm_s.prove,
}


def run_all() -> dict[str, list[ProofResult]]:
    return {name: fn() for name, fn in FAMILIES.items()}


def render_table(results: dict[str, list[ProofResult]]) -> str:
    """Markdown table: property, assumption, verdict, mutants killed by the row, seconds."""
    lines = ["| property | assumption | result | mutants killed | time (s) |",
             "|---|---|---|---|---|"]
    for rows in results.values():
        for r in rows:
            verdict = "holds" if r.holds else "counterexample"
            killed = sum(m.killed for m in r.mutants)
            lines.append(f"| {r.property} | {r.assumption} | {verdict} | "
                         f"{killed}/{len(r.mutants)} | {r.seconds:.3f} |")
    return "\n".join(lines)


def summary(results: dict[str, list[ProofResult]]) -> tuple[bool, list[str]]:
    ok = True
    notes = []
    for name, rows in results.items():
        failed = [r.property for r in rows if not r.holds]
        alive = survivors(rows)
        n = len({m.name for r in rows for m in r.mutants})
        notes.append(f"{name}: {len(rows) - len(failed)}/{len(rows)} hold, "
                     f"{n - len(alive)}/{n} mutants killed"
                     + (f"; SURVIVING: {', '.join(alive)}" if alive else "")
                     + (f"; FAILING: {', '.join(failed)}" if failed else ""))
        ok = ok and not failed and not alive
    return ok, notes


@click.command("prove", cls=BoundaryCommand, epilog=(
    "A property with a counterexample or a surviving mutant is a finding. " + EXIT_STATUS))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def prove(fmt: str) -> None:
    """Prove the models' invariants with z3 and check that every mutant is killed."""
    results = run_all()
    ok, notes = summary(results)
    if fmt == "json":
        click.echo(json.dumps([r.to_json() for rows in results.values() for r in rows], indent=2))
    else:
        click.echo(render_table(results))
        click.echo("")
        for note in notes:
            click.echo(note)
    if not ok:
        sys.exit(EXIT_REFUSED)
