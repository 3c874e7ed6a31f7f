"""No requirement in informative text: shall, should, may or must in an informative annex or
an EXAMPLE.

TR 21.801 6.6.1 and its Annex E give the verbal forms of provisions: "shall" for a
requirement, "should" for a recommendation, "may" for a permission; an informative element
(an informative annex, a NOTE, an EXAMPLE; TR 21.801 clauses 6.4 and 6.5, read from their titles
only) states no provisions, so it uses "is", "can" or "it is recommended" in its normative
home.  NOTEs are checked by rule ``note-normative``; this rule checks the clauses of an annex
whose heading says "(informative)" (``Annex C (informative): ...`` and its sub-clauses C.1,
C.2.3, ...) and EXAMPLE paragraphs (``EXAMPLE:``, ``EXAMPLE 2:`` and, when that line holds
nothing else, the paragraph after it).  Reported (warning) per modal verb.  Text in quotes is
left alone (a quoted requirement is cited, not stated).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import MODAL

ID = "drafting-informative"

_EXAMPLE = re.compile(r"^\s*EXAMPLE(?:\s+\d+)?\s*:?(?P<body>.*)$")
_FIX = {
    "shall": "state the requirement in normative text, or write 'is'",
    "should": "state the recommendation in normative text, or write 'can'",
    "may": "write 'can' (a possibility), or state the permission in normative text",
    "must": "state the requirement in normative text, or write 'needs to'",
}


def _informative_annexes(doc: Document) -> set[str]:
    return {
        h.number
        for h in structure(doc).headings
        if len(h.number) == 1 and h.number.isalpha() and "(informative)" in h.title.lower()
    }


def _informative_lines(doc: Document) -> Iterator[tuple[int, int, str, str]]:
    """(line, column of the text, text, where) for informative text outside NOTEs."""
    st = structure(doc)
    annexes = _informative_annexes(doc)
    example_body = 0  # the line that holds the text of an "EXAMPLE:" line without text
    for ln, line in enumerate(doc.lines, 1):
        if ln in st.heading_lines or not line.strip():
            continue
        m = _EXAMPLE.match(line)
        if m:
            body = m.group("body")
            if body.strip():
                yield ln, m.start("body"), body, "an EXAMPLE"
            else:
                example_body = ln + 1
            continue
        if ln == example_body:
            yield ln, 0, line, "an EXAMPLE"
            continue
        if annexes:
            h = st.clause_at(ln)
            if h is not None and h.parts[0] in annexes:
                yield ln, 0, line, f"informative annex {h.parts[0]}"


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    notes = {ln for ln, _, _ in structure(doc).notes}
    for ln, offset, text, where in _informative_lines(doc):
        if ln in notes and where != "an EXAMPLE":
            continue  # rule note-normative
        for m in MODAL.finditer(text):
            if text[: m.start()].count('"') % 2 == 1 or text[: m.start()].count("“") > text[
                : m.start()
            ].count("”"):
                continue
            verb = m.group(1)
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                offset + m.start() + 1,
                f"'{verb}' in {where} (informative text states no requirements, TR 21.801 "
                f"Annex E)",
                _FIX[verb.split()[0]],
            )
