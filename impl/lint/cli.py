"""``mckm lint``: check a contribution's text for inconsistencies (see spec/lint.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import click

from mckm.impl.cli import BoundaryCommand, reading
from mckm.impl.errors import UsageError
from mckm.impl.lint.annotate import annotate
from mckm.impl.lint.engine import lint_source, select_rules
from mckm.impl.lint.ignore import DEFAULT_NAME, load_ignore
from mckm.impl.lint.model import SEVERITIES, Finding
from mckm.impl.lint.readers import open_source
from mckm.impl.lint.rules import all_rules


def _epilog() -> str:
    lines = ["\b", "Rules (ids for --select, --disable and the ignore file):"]
    for rule in all_rules():
        lines.append(f"  {rule.id:<22} {rule.summary.replace('``', '')}")
    lines += [
        "",
        "\b",
        "Output: file:line:col: severity rule-id: message [suggestion]; in a .docx followed by",
        "(in clause N, at “quoted text”); --format json has the fields clause and snippet.",
        "Exit status: 0 clean; 1 findings (errors, or warnings with --strict); 2 a usage or",
        "input error (an option, a rule id or a file that cannot be used), one line on stderr.",
        f"Ignore file (default ./{DEFAULT_NAME}): lines 'rule-id [file-glob[:line] | /regex/]"
        " [# reason]'.",
    ]
    return "\n".join(lines)


def _json_item(f: Finding) -> str:
    """``f`` as an element of the output array: what ``json.dumps(f.to_json(), indent=2)``
    gives, indented by two spaces, written with the C encoder (``indent`` selects the pure
    Python one) since the object is flat."""
    fields = ",\n".join(
        f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in f.to_json().items()
    )
    return "  {\n" + fields + "\n  }"


@click.command(
    cls=BoundaryCommand, epilog=_epilog(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json: one array of finding objects.",
)
@click.option(
    "--stage",
    type=click.Choice(["draft", "cr"]),
    default="draft",
    show_default=True,
    help="Document stage; placeholders are notes/warnings in a draft, errors in a CR.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option(
    "--ignore",
    "ignore_file",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Ignore file of accepted findings (default: ./{DEFAULT_NAME} if present).",
)
@click.option(
    "--annotate",
    "annotate_to",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="OUT.docx",
    help="Write the one .docx input to OUT.docx with each finding as a Word comment on the "
    "offending text (tracked changes kept).",
)
@click.option("--select", multiple=True, metavar="RULE", help="Run only these rules (repeatable).")
@click.option(
    "--disable", multiple=True, metavar="RULE", help="Do not run these rules (repeatable)."
)
def lint(
    files: tuple[str, ...],
    fmt: str,
    stage: Literal["draft", "cr"],
    strict: bool,
    ignore_file: str | None,
    annotate_to: str | None,
    select: tuple[str, ...],
    disable: tuple[str, ...],
) -> None:
    """Check contributions (.txt, .md, .docx) for inconsistencies: change markers, clause
    numbering, placeholders, references, cross-references, message names and flows, term
    spellings, abbreviations, misspellings, revision residue, brackets and quotes, requirement
    ids, list labels and requirements inside NOTEs."""
    rules = select_rules(select, disable)
    ignore = load_ignore(ignore_file)
    if annotate_to is not None and (len(files) != 1 or not files[0].lower().endswith(".docx")):
        raise UsageError("--annotate takes exactly one input file, a .docx")
    if annotate_to is not None and not annotate_to.lower().endswith(".docx"):
        raise UsageError(f"--annotate {annotate_to}: the output must be a .docx file")
    kept: list[Finding] = []
    sources = []
    for path in files:  # every file checked (exists, is text, its encoding) before any output
        with reading(path):  # a .docx whose XML does not parse raises lxml's SyntaxError
            sources.append(open_source(path))
    counts = dict.fromkeys(SEVERITIES, 0)
    for path, source in zip(files, sources, strict=True):
        with reading(path):
            for f in lint_source(source, rules, stage, ignore):  # printed as they come
                first = not any(counts.values())
                counts[f.severity] += 1
                kept.append(f)
                if fmt == "json":
                    click.echo(("[\n" if first else ",\n") + _json_item(f), nl=False)
                else:
                    click.echo(f.to_text())
    if annotate_to is not None:
        written = annotate(Path(files[0]), Path(annotate_to), kept)
        click.echo(f"{annotate_to}: {written} comment{'s' if written != 1 else ''}", err=True)
    total = sum(counts.values())
    if fmt == "json":
        click.echo("\n]" if total else "[]")
    elif total:
        summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
        click.echo(f"{total} finding{'s' if total != 1 else ''} ({summary})", err=True)
    strict_bad = counts["warning"] if strict else 0
    sys.exit(1 if counts["error"] or strict_bad else 0)
