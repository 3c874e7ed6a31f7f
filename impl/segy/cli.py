"""``mckm segy``: seed 003's SeGy approaches simulated (``simulate``) and its claims judged
(``claims``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from mckm.impl.cli import BoundaryGroup, reading
from mckm.impl.segy import report
from mckm.impl.segy.simulator import Mix, check_sizes, simulate
from mckm.models.segy.approaches import APPROACHES, by_number


@click.group("segy", cls=BoundaryGroup)
def segy() -> None:
    """Seed 003: the five MC Security Gateway approaches, simulated and judged."""


def _sweep_points(users: int, text: str) -> list[int]:
    """The values of N of ``--sweep`` and ``--users``, each a whole number of at least 1."""
    points = {users}
    for part in filter(None, (x.strip() for x in text.split(","))):
        if not part.isdigit() or int(part) < 1:
            raise click.BadParameter(f"{part!r} is not a whole number of at least 1",
                                     param_hint="--sweep")
        points.add(int(part))
    return sorted(points)


@segy.command("simulate")
@click.option("--users", "-N", type=int, default=1000, show_default=True,
              help="External users behind the SeGy.")
@click.option("--groups", "-G", type=int, default=100, show_default=True,
              help="Groups in the MC domain.")
@click.option("--key-periods", "-K", "periods", type=int, default=1, show_default=True,
              help="Key periods simulated (each ends with a rollover).")
@click.option("--mix", "mix_text", default="private=1,group=1,groups-per-user=2",
              show_default=True,
              help="Per key period: private calls per user, group calls per group; groups "
                   "each user is in.")
@click.option("--approach", "-a", "numbers", type=click.IntRange(1, 5), multiple=True,
              help="Approach(es) to run (default: all five).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write a plot per count against N (PNG and SVG) in this folder.")
@click.option("--sweep", default="10,100,1000,10000", show_default=True,
              help="The values of N the plots run (with --users added).")
def simulate_cmd(users: int, groups: int, periods: int, mix_text: str, numbers: tuple[int, ...],
                 fmt: str, plot_dir: Path | None, sweep: str) -> None:
    """Run each approach's model for N users, G groups, K key periods and a call mix, and
    count the messages to each MC domain server, TLS connections, identities, keys, joins,
    rollover load and the state the SeGy keeps."""
    with reading("--mix"):
        mix = Mix.parse(mix_text)
    check_sizes(users, groups, periods, mix)
    points = _sweep_points(users, sweep) if plot_dir is not None else []
    chosen = [by_number(n) for n in numbers] if numbers else list(APPROACHES)
    start = time.perf_counter()
    results = {a.number: simulate(a, users, groups, periods, mix) for a in chosen}
    seconds = time.perf_counter() - start
    sizes = {"users": users, "groups": groups, "key_periods": periods,
             "private": mix.private, "group": mix.group, "groups_per_user": mix.groups_per_user}
    if fmt == "csv":
        click.echo(report.to_csv(results, sizes), nl=False)
    elif fmt == "json":
        click.echo(report.to_json(results, sizes))
    else:
        click.echo(report.text_table(results))
    click.echo(f"simulated {len(chosen)} approach(es) in {seconds:.2f} s", err=True)
    if plot_dir is not None:
        from mckm.impl.segy.plots import plot

        data = {n: {a.number: simulate(a, n, groups, periods, mix) for a in chosen}
                for n in points}
        for path in plot(data, plot_dir):
            click.echo(f"wrote {path}", err=True)


@segy.command("claims")
@click.option("--users", "-N", type=click.IntRange(10), default=100_000, show_default=True,
              help="Users of the scaling runs (compared with N / 10).")
@click.option("--groups", "-G", type=click.IntRange(2), default=1_000, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
def claims_cmd(users: int, groups: int, fmt: str) -> None:
    """Every advantage and disadvantage of seed 003 (A1-1 ... D5-4) with the measured number
    or proven property that decides it, and the verdict."""
    import json

    from mckm.impl.segy.claims import judge_all, markdown

    verdicts = judge_all(users, groups)
    if fmt == "json":
        click.echo(json.dumps([{"claim": v.claim.id, "approach": v.claim.approach,
                                "text": v.claim.text, "evidence": v.evidence,
                                "verdict": v.verdict, "why": v.why} for v in verdicts],
                              indent=2))
    else:
        click.echo(markdown(verdicts))
