"""Clause numbers within one change must not repeat, go backwards or skip a level.

Within each segment of the document (the cover text, and each change between its markers;
numbering restarts at every marker because a change quotes fragments of another document)
headings are compared in order.  Reported: the same clause number twice (error), a number lower
than the one before it (warning), and a clause whose parent is missing, e.g. ``B.2.2.2`` right
after ``B.2.1`` (warning; not when text marked as left out, "<omitted text>" or "Unchanged text
omitted", stands between the two).  Numbers with placeholders (``7.8.x``) are not compared; rule
``placeholder`` reports those.  Gaps at one level (``7.8.1`` then ``7.8.3``) are allowed: a change
shows only the clauses it modifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import Heading, structure

ID = "clause-numbering"

#: A line that says text was left out ("<omitted text>", "[...]", "Unchanged text omitted",
#: "*** Next change ***" written without the word change): the clauses around it need not be
#: adjacent, as if a change marker stood there.
_OMISSION = re.compile(
    r"^[\s#*<\[(]*(?:omitted\s+text|text\s+omitted|unchanged\s+(?:text|parts?|clauses?)[\w\s]*|"
    r"\.\.\.|…)[\s>*\])]*$",
    re.IGNORECASE,
)


def sort_key(parts: tuple[str, ...]) -> tuple[tuple[int, int | str], ...]:
    """Order of clause numbers: numbers before annex letters, numerically per level."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    by_segment: dict[int, list[Heading]] = {}
    for h in st.headings:
        by_segment.setdefault(h.segment, []).append(h)
    omissions = [ln for ln, line in enumerate(doc.lines, 1) if _OMISSION.match(line)]
    for headings in by_segment.values():
        seen: dict[str, Heading] = {}
        prev: Heading | None = None
        for h in headings:
            if h.has_placeholder:
                prev = None
                continue
            if h.number in seen:
                yield finding(
                    doc,
                    ID,
                    "error",
                    h.line,
                    h.column,
                    f"clause {h.number} appears twice in this change "
                    f"(also line {doc.at(seen[h.number].line)})",
                    "renumber one of them",
                )
            elif prev is not None:
                if sort_key(h.parts) < sort_key(prev.parts):
                    yield finding(
                        doc,
                        ID,
                        "warning",
                        h.line,
                        h.column,
                        f"clause {h.number} comes after clause {prev.number}",
                        "put the clauses in numerical order",
                    )
                elif len(h.parts) > 1 and not any(prev.line < k < h.line for k in omissions):
                    # (text left out between the two: a gap of levels is expected)
                    parent = ".".join(h.parts[:-1])
                    if (
                        parent not in seen
                        and prev.parts != h.parts[:-1]
                        and (prev.parts[: len(h.parts) - 1] != h.parts[:-1])
                    ):
                        yield finding(
                            doc,
                            ID,
                            "warning",
                            h.line,
                            h.column,
                            f"clause {h.number} follows clause {prev.number} without "
                            f"a clause {parent} (skipped level)",
                            f"add the heading of clause {parent} or renumber",
                        )
            seen[h.number] = h
            prev = h
