"""The proposed-text pages of the site: per seed, its clauses with the corrections marked
(``<del>`` / ``<ins>``, each followed by the number of its change) and the list of changes with
their reasons and links; the same text as a Word file with tracked changes beside it.

The change lists are ``spec/proposed/*.yaml``, the seeds ``tests/data/seeds/`` (copies of the
five contributions).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from mckm.impl.proposed.changes import Piece, Proposal, load, paragraph
from mckm.impl.proposed.docx_tracked import write

ROOT = Path(__file__).resolve().parents[2]
CHANGE_LISTS = ROOT / "spec" / "proposed"
SEEDS = ROOT / "tests" / "data" / "seeds"
#: what CommonMark would read as markup in the seed's words
_MARKUP = re.compile(r"([\\`*_\[\]#|~])")
_PAGE = re.compile(r"spec/([a-z0-9-]+)\.md")


def _text(s: str) -> str:
    return _MARKUP.sub(r"\\\1", html.escape(s, quote=False))


def _pieces(pieces: list[Piece]) -> str:
    """The paragraph with ``<del>``/``<ins>`` marks, each change's number after its last mark."""
    last = {p.change.number: i for i, p in enumerate(pieces)
            if p.change is not None and p.kind != "same"}
    out = []
    for i, p in enumerate(pieces):
        if p.kind == "same":
            out.append(_text(p.text))
            continue
        tag = "del" if p.kind == "del" else "ins"
        out.append(f"<{tag}>{_text(p.text)}</{tag}>")
        if p.change is not None and last[p.change.number] == i:
            n = p.change.number
            out.append(f'<sup><a href="#change-{n}">[{n}]</a></sup>')
    return "".join(out)


def _see(ref: str) -> str:
    m = _PAGE.fullmatch(ref)
    return f"[{ref}](spec-{m[1]}.md)" if m else ref


def page(p: Proposal, docx_name: str) -> str:
    """The MyST page of one proposal."""
    out = [f"# Proposed text: seed {p.seed[:3]} ({p.target})", "",
           f"{p.title}: the seed's clauses as they would go into {p.target}, with mckm's "
           "corrections marked against the seed's text (<del>deleted</del>, <ins>inserted</ins>),"
           " each followed by the number of its change below.  The same text as a Word file "
           f"with tracked changes and a comment per change: {{download}}`{docx_name}`.", ""]
    for clause in p.clauses:
        out += [f"## {clause.number} {clause.title}".rstrip(), ""]
        changes = p.changes_in(clause)
        for line in clause.lines:
            out += [_pieces(list(paragraph(line, changes))), ""]
    out += ["## Changes and their reasons", "", "| change | clause | reason | decided by |",
            "|---|---|---|---|"]
    for c in p.changes:
        see = ", ".join(_see(s) for s in c.see) or "—"
        out.append(f'| <span id="change-{c.number}"></span>{c.number} | {c.clause} | '
                   f"{_text(c.why)} | {see} |")
    return "\n".join(out) + "\n"


def render_pages(out: Path | None = None) -> dict[str, str]:
    """``{page name: markdown}`` for every change list; with ``out``, the Word files are
    written there too (the site's generated folder)."""
    pages = {}
    for changes_file in sorted(CHANGE_LISTS.glob("*.yaml")):
        proposal = load(changes_file, SEEDS)
        name = f"proposed-{changes_file.stem}"
        if out is not None:
            write(proposal, out / f"{name}.docx")
        pages[name] = page(proposal, f"{name}.docx")
    return pages
