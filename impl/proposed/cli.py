"""``mckm propose``: a seed's proposed text, its corrections marked, as Word with tracked changes
or as Markdown (spec/proposed/*.yaml are the change lists of the seeds; see
``mckm.impl.proposed.changes`` for the format)."""

from __future__ import annotations

from pathlib import Path

import click

from mckm.impl.cli import BoundaryCommand
from mckm.impl.errors import UsageError
from mckm.impl.proposed.changes import load
from mckm.impl.proposed.docs import SEEDS, page
from mckm.impl.proposed.docx_tracked import write


@click.command(cls=BoundaryCommand)
@click.argument("changes", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seeds", type=click.Path(file_okay=False, path_type=Path), default=SEEDS,
              show_default=True, help="Folder of the seed the change list names.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write: .docx (tracked changes, a comment per change) or .md.")
def propose(changes: Path, seeds: Path, out: Path) -> None:
    """Write the proposed text of a seed: its clauses with the changes of CHANGES marked.

    A change list that does not fit its seed (a clause not found, an old text not exactly
    once in its clause) is an input error that names the change."""
    proposal = load(changes, seeds)
    if out.suffix == ".docx":
        write(proposal, out)
    elif out.suffix == ".md":
        try:
            out.write_text(page(proposal, out.with_suffix(".docx").name), encoding="utf-8")
        except OSError as e:
            raise UsageError(f"{out}: cannot write: {e.strerror}") from None
    else:
        raise UsageError(f"--out {out}: the name must end in .docx or .md")
    click.echo(f"{out}: {len(proposal.clauses)} clauses, {len(proposal.changes)} changes")
