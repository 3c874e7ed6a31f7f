"""``mckm prove``: run every proof family on every generated mutant, print property x
assumption, the kills, and the mutants marked equivalent in the models with their reasons."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import sys
from collections.abc import Callable

import click

from mckm.impl.cli import EXIT_REFUSED, EXIT_STATUS, BoundaryCommand
from mckm.proofs import (
    attacker_cek,
    attacker_interkmm,
    attacker_seal,
    attacker_sip_registration,
    attacker_ticket,
    cek,
    idm,
    interkmm,
    replay_invariant,
    seal_acceptance,
    segy,
    sip_registration,
    sk_id,
    skm_s,
    ticket_replay_invariant,
    ticket_trust,
)
from mckm.proofs.result import ProofResult, equivalents, generated, survivors

#: family name -> prove(quick) of its module
FAMILIES: dict[str, Callable[[bool], list[ProofResult]]] = {
    "sk-id": sk_id.prove,
    "seal-acceptance": seal_acceptance.prove,
    "seal-attacker": attacker_seal.prove,
    "seal-replay-cache": replay_invariant.prove,
    "ticket-trust": ticket_trust.prove,
    "ticket-attacker": attacker_ticket.prove,
    "ticket-replay-cache": ticket_replay_invariant.prove,
    "skm-s": skm_s.prove,
    "cek": cek.prove,
    "cek-attacker": attacker_cek.prove,
    "sip-registration": sip_registration.prove,
    "sip-registration-attacker": attacker_sip_registration.prove,
    "idm": idm.prove,
    "interkmm": interkmm.prove,
    "interkmm-attacker": attacker_interkmm.prove,
    "segy": segy.prove,
}


#: family -> the model its mutants are of: a mutant that one family's rows leave alive counts
#: as killed if another family of the same model kills it (each note says which)
MODEL_OF: dict[str, str] = {"sk-id": "SEAL", "seal-acceptance": "SEAL", "seal-attacker": "SEAL",
                            "seal-replay-cache": "SEAL",
                            "ticket-trust": "MIKEY-TICKET", "ticket-attacker": "MIKEY-TICKET",
                            "ticket-replay-cache": "MIKEY-TICKET",
                            "skm-s": "SKM-S", "cek": "CEK", "cek-attacker": "CEK",
                            "sip-registration": "SIP registration",
                            "sip-registration-attacker": "SIP registration", "idm": "IdM",
                            "interkmm": "InterKMM", "interkmm-attacker": "InterKMM"}


def _run(name: str, quick: bool) -> list[ProofResult]:
    return FAMILIES[name](quick)


def run_all(quick: bool = False, jobs: int | None = None) -> dict[str, list[ProofResult]]:
    """Every family; ``quick`` leaves out the field-swap mutants (``mckm prove --quick``).
    The families are independent: ``jobs`` processes (default: one per CPU) prove them at once,
    each family in one process, the results in the order of :data:`FAMILIES`."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1:
        return {name: fn(quick) for name, fn in FAMILIES.items()}
    context = multiprocessing.get_context("spawn")  # no threads or locks of the caller inherited
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {name: pool.submit(_run, name, quick) for name in FAMILIES}
        return {name: future.result() for name, future in futures.items()}


def render_table(results: dict[str, list[ProofResult]]) -> str:
    """Markdown table: property, assumption, verdict, mutants first killed by the row (a
    mutant an earlier row of its family killed is not solved again), seconds."""
    lines = ["| property | assumption | requirements | result | mutants killed | time (s) |",
             "|---|---|---|---|---|---|"]
    for rows in results.values():
        for r in rows:
            verdict = ("holds" if r.holds else "attack (expected)" if r.expected_attack
                       else "counterexample")
            if r.holds and r.expected_attack:
                verdict = "holds, but an attack was expected"
            killed = sum(m.killed for m in r.mutants)
            lines.append(f"| {r.property} | {r.assumption} | {', '.join(r.requirements)} | "
                         f"{verdict} | {killed}/{len(r.mutants)} | {r.seconds:.3f} |")
    return "\n".join(lines)


def render_equivalents(results: dict[str, list[ProofResult]]) -> str:
    """Markdown table of the mutants no row killed that a mark in the model explains."""
    lines = ["| family | mutant | reason (the guard's mark in the model) |", "|---|---|---|"]
    for family, rows in results.items():
        for name, reason in equivalents(rows).items():
            lines.append(f"| {family} | {name} | {reason.replace('|', '/')} |")
    return "\n".join(lines)


def summary(results: dict[str, list[ProofResult]]) -> tuple[bool, list[str]]:
    ok = True
    notes = []
    by_model: dict[str, list[ProofResult]] = {}
    for name, rows in results.items():
        by_model.setdefault(MODEL_OF.get(name, name), []).extend(rows)
    for name, rows in results.items():
        failed = [f"{r.property} ({r.assumption})" for r in rows if not r.as_expected]
        own = survivors(rows)
        model_alive = set(survivors(by_model[MODEL_OF.get(name, name)]))
        alive = [m for m in own if m in model_alive]
        elsewhere = [m for m in own if m not in model_alive]
        marked = equivalents(rows)
        n = len(generated(rows))
        attacks = sum(1 for r in rows if r.expected_attack and not r.holds)
        notes.append(f"{name}: {len(rows) - len(failed) - attacks}/{len(rows)} hold, "
                     + (f"{attacks} fail with the attack their assumption gives, "
                        if attacks else "")
                     + f"{n} mutants: {n - len(own) - len(marked)} killed, "
                     + (f"{len(elsewhere)} killed only by another family of the model "
                        f"({', '.join(elsewhere)}), " if elsewhere else "")
                     + f"{len(marked)} marked equivalent, {len(alive)} unexplained"
                     + (f"; SURVIVING: {', '.join(alive)}" if alive else "")
                     + (f"; FAILING: {', '.join(failed)}" if failed else ""))
        ok = ok and not failed and not alive
    return ok, notes


@click.command("prove", cls=BoundaryCommand, epilog=(
    "A property with a counterexample or a mutant neither killed nor marked equivalent in the "
    "model is a finding. " + EXIT_STATUS))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--quick", is_flag=True,
              help="Leave out the field-swap mutants (drop, when and policy mutants only): "
                   "the form the test suite runs.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes proving families at once [default: one per CPU].")
def prove(fmt: str, quick: bool, jobs: int | None) -> None:
    """Prove the models' properties with z3 and run every generated mutant of every model."""
    results = run_all(quick, jobs)
    ok, notes = summary(results)
    if fmt == "json":
        click.echo(json.dumps([r.to_json() for rows in results.values() for r in rows], indent=2))
    else:
        click.echo(render_table(results))
        click.echo("")
        click.echo(render_equivalents(results))
        click.echo("")
        for note in notes:
            click.echo(note)
    if not ok:
        sys.exit(EXIT_REFUSED)
