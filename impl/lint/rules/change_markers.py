"""Change markers must pair up, not nest, and count up.

A contribution shows its proposed text between marker lines such as ``***** Start of change 1
*****`` and ``***** End of change 1 *****`` (or ``Next change`` between two changes).  Reported:
an end marker with no open change (error), a start marker while a change is still open, i.e.
nesting (error), an end whose number differs from its start's (error), a change left open at the
end of the document (error), and changes numbered out of sequence (warning).  Ordinals may be
written as digits or words ("first change").
"""

from __future__ import annotations

from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import Marker, structure

ID = "change-markers"


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    open_: Marker | None = None
    last_number = 0
    for m in structure(doc).markers:
        if m.kind in ("start", "next"):
            if m.kind == "start" and open_ is not None:
                yield finding(
                    doc,
                    ID,
                    "error",
                    m.line,
                    m.column,
                    f"'{m.text}' starts a change while the change opened on line "
                    f"{doc.at(open_.line)} is still open (markers do not nest)",
                    f"add an end marker before line {doc.at(m.line)}",
                )
            expected = last_number + 1
            if m.ordinal is not None and m.ordinal != expected:
                yield finding(
                    doc,
                    ID,
                    "warning",
                    m.line,
                    m.column,
                    f"change {m.ordinal} follows change {last_number}",
                    f"number it {expected}",
                )
            last_number = m.ordinal if m.ordinal is not None else expected
            open_ = m
        elif m.kind == "end":
            if open_ is None:
                yield finding(
                    doc,
                    ID,
                    "error",
                    m.line,
                    m.column,
                    f"'{m.text}' closes a change that was never started",
                    "add the matching start marker or remove this one",
                )
                if m.ordinal is not None:
                    last_number = m.ordinal
            elif m.ordinal is not None and open_.ordinal is not None and m.ordinal != open_.ordinal:
                yield finding(
                    doc,
                    ID,
                    "error",
                    m.line,
                    m.column,
                    f"'{m.text}' closes change {open_.ordinal} opened on line {doc.at(open_.line)}",
                    f"end of change {open_.ordinal}",
                )
            open_ = None
    if open_ is not None and open_.kind == "start":
        yield finding(
            doc,
            ID,
            "error",
            open_.line,
            open_.column,
            f"'{open_.text}' is never closed",
            "add an end marker after the change",
        )
