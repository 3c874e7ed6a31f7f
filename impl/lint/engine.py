"""Run the rules over documents: select rules, collect findings, drop ignored ones, sort.

The public entry points are :func:`lint_paths`, :func:`lint_source` (a stream of findings, part
by part) and :func:`lint_document`; the CLI is a thin layer over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mckm.impl.errors import UsageError
from mckm.impl.lint.context import Context
from mckm.impl.lint.ignore import IgnoreEntry
from mckm.impl.lint.location import locate, wants_location
from mckm.impl.lint.model import Document, Finding, Stage
from mckm.impl.lint.readers import Source, iter_documents, open_source
from mckm.impl.lint.rules import Rule, all_rules


def select_rules(select: Iterable[str] = (), disable: Iterable[str] = ()) -> list[Rule]:
    """The rules to run: all, or only ``select``, minus ``disable``; unknown ids are an error."""
    rules = all_rules()
    ids = {r.id for r in rules}
    chosen, dropped = set(select), set(disable)
    unknown = (chosen | dropped) - ids
    if unknown:
        raise UsageError(
            f"unknown rule id(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(ids))}"
        )
    return [r for r in rules if (not chosen or r.id in chosen) and r.id not in dropped]


def lint_document(
    doc: Document,
    rules: Sequence[Rule] | None = None,
    stage: Stage = "draft",
    ignore: Sequence[IgnoreEntry] = (),
) -> list[Finding]:
    """Findings of ``rules`` (default: all) in ``doc``, without ignored ones, in text order."""
    ctx = Context(stage=stage)
    found: set[Finding] = set()
    for rule in rules if rules is not None else all_rules():
        found.update(rule.check(doc, ctx))
    kept = [f for f in found if not any(e.matches(f) for e in ignore)]
    if wants_location(doc):
        kept = [locate(doc, f) for f in kept]
    return sorted(kept, key=lambda f: (f.line, f.column, f.rule, f.message))


def lint_source(
    source: Source,
    rules: Sequence[Rule] | None = None,
    stage: Stage = "draft",
    ignore: Sequence[IgnoreEntry] = (),
) -> Iterator[Finding]:
    """Findings of one checked input (:func:`open_source`) in text order, part by part, so that
    a large file is never held whole (see :mod:`mckm.impl.lint.readers`)."""
    for part in iter_documents(source):
        yield from lint_document(part, rules, stage, ignore)


def lint_paths(
    paths: Iterable[str | Path],
    rules: Sequence[Rule] | None = None,
    stage: Stage = "draft",
    ignore: Sequence[IgnoreEntry] = (),
) -> list[Finding]:
    """Read and lint each path; :class:`UsageError` if a file cannot be read (checked for every
    path before any is linted)."""
    sources = [open_source(path) for path in paths]
    return [f for source in sources for f in lint_source(source, rules, stage, ignore)]
