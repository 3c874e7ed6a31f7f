"""NOTE numbering: a single NOTE of a clause is "NOTE", several are "NOTE 1" .. "NOTE n" in order.

TR 21.801 (clause 6.5, "Other informative elements"; not re-read here, see rule
``drafting-clause``) numbers the notes of a clause: a clause with one note labels it "NOTE",
a clause with several labels them "NOTE 1", "NOTE 2", ... in order.  Notes are counted per
clause (between two headings; a change marker also ends a clause).  A numbered series that
starts again at "NOTE 1" inside a clause is allowed (the notes of a table or figure are
numbered on their own).  Reported (warning):

* a clause whose only NOTE is numbered ("NOTE 1" alone);
* unnumbered "NOTE"s in a clause with several notes (one finding per clause, naming their
  lines);
* a numbered NOTE that does not follow the one before it ("NOTE 3" after "NOTE 1", "NOTE 2"
  twice), unless it restarts at 1 ("NOTE 1a", a note inserted later, is outside the series);
* a number written without its space ("NOTE1:").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import structure

ID = "drafting-notes"

_NOTE = re.compile(r"^\s*\**NOTE(?:(?P<gap>[ \t]*)(?P<n>\d{1,2})(?P<sub>[a-z])?)?\**\s*(?::|\t|$)")


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    markers = [m.line for m in st.markers]
    groups: dict[tuple[int, int], list[tuple[int, int, int | None]]] = {}
    for ln in lines_with(doc, ("NOTE",)):
        m = _NOTE.match(doc.lines[ln - 1])
        if not m:
            continue
        if m.group("n") and not m.group("gap"):
            yield finding(
                doc, ID, "warning", ln, m.start("n") + 1,
                f"'NOTE{m.group('n')}': the number is separated from NOTE by a space",
                f"NOTE {m.group('n')}",
            )
        if m.group("sub"):
            continue  # "NOTE 1a": a note inserted later, outside the numbering
        number = int(m.group("n")) if m.group("n") else None
        seg = sum(1 for k in markers if k <= ln)
        groups.setdefault((seg, st.clause_of_line[ln]), []).append(
            (ln, doc.lines[ln - 1].find("NOTE") + 1, number)
        )
    for notes in groups.values():
        if len(notes) == 1:
            ln, col, number = notes[0]
            if number is not None:
                yield finding(
                    doc, ID, "warning", ln, col,
                    f"NOTE {number} is the only NOTE of its clause: a single note is not numbered",
                    "NOTE:",
                )
            continue
        bare = [(ln, col) for ln, col, number in notes if number is None]
        if bare:
            where = ", ".join(str(doc.at(ln)) for ln, _ in bare)
            yield finding(
                doc, ID, "warning", bare[0][0], bare[0][1],
                f"{len(bare)} unnumbered NOTE{'s' if len(bare) > 1 else ''} in a clause with "
                f"{len(notes)} notes (line{'s' if len(bare) > 1 else ''} {where})",
                "number the notes of the clause NOTE 1, NOTE 2, ...",
            )
        prev: int | None = None
        for ln, col, number in notes:
            if number is None:
                continue
            if prev is not None and number != prev + 1 and number != 1:
                yield finding(
                    doc, ID, "warning", ln, col,
                    f"NOTE {number} follows NOTE {prev}",
                    f"NOTE {prev + 1}",
                )
            elif prev is None and number != 1:
                yield finding(
                    doc, ID, "warning", ln, col,
                    f"the first numbered NOTE of its clause is NOTE {number}",
                    "NOTE 1",
                )
            prev = number
