"""Figure and table numbers: ``Figure <clause>-<n>`` / ``Table <clause>-<n>``, in order.

TR 21.801 (clause 6.6, "Common rules and elements", figures and tables; not re-read here, see
rule ``drafting-clause``) numbers a figure or table by the clause it stands in and its rank
there: the second figure of clause 5.2.3 is "Figure 5.2.3-2".  Rule ``xref`` already reports a
caption whose clause part differs from its clause, the same caption twice, a caption the text
never refers to and a reference to a missing one.  This rule reports (warning):

* a caption whose rank goes backwards within its clause part ("Figure 5.2-3" then
  "Figure 5.2-2"); a gap is allowed, since a change shows only the figures it modifies (a
  repeat is rule ``xref``'s);
* a caption numbered without the rank (``Figure 5.2.3:``) in a document whose other captions of
  the same kind have one.

Placeholder numbers (``Figure 7.8.x-1``, ``Figure X``) are left to rule ``placeholder``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import PLACEHOLDER_COMPONENTS, structure

ID = "drafting-captions"

_CAPTION = re.compile(
    r"^\s*\**\s*(?P<kind>Figure|Table)\s+(?P<clause>(?:\d+|[A-Z])(?:\.[0-9A-Za-z]{1,2})*)"
    r"(?:-(?P<rank>\d+[a-z]?))?\s*(?::|\t|\s+[-–—]\s)\s*\**\s*\S"
)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    captions: list[tuple[int, int, str, str, str | None]] = []
    for ln in lines_with(doc, ("Figure", "Table")):
        m = _CAPTION.match(doc.lines[ln - 1])
        if not m or ln in st.reference_lines:
            continue
        parts = m.group("clause").split(".")
        if any(p in PLACEHOLDER_COMPONENTS for p in parts) or m.group("clause") in {"X", "Y"}:
            continue
        captions.append(
            (ln, m.start("kind") + 1, m.group("kind"), m.group("clause"), m.group("rank"))
        )
    ranked = {kind for _, _, kind, _, rank in captions if rank is not None}
    last: dict[tuple[str, str], tuple[int, str]] = {}
    for ln, col, kind, clause, rank in captions:
        if rank is None:
            if kind in ranked and "." in clause:
                yield finding(
                    doc, ID, "warning", ln, col,
                    f"{kind} {clause} has no rank: {kind.lower()}s are numbered "
                    f"{kind} <clause>-<n>",
                    f"{kind} {clause}-1",
                )
            continue
        n = int(re.match(r"\d+", rank).group())  # type: ignore[union-attr]
        before = last.get((kind, clause))
        if before is not None and n < before[0]:
            yield finding(
                doc, ID, "warning", ln, col,
                f"{kind} {clause}-{rank} comes after {kind} {clause}-{before[1]}",
                f"{kind} {clause}-{before[0] + 1}",
            )
        last[(kind, clause)] = (max(n, before[0]) if before else n, rank)
