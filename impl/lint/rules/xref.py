"""Cross-references to clauses, figures and tables must point at something that exists.

Figures and tables: a caption is a line that starts with ``Figure <id>`` or ``Table <id>``
followed by a separator or a capitalised title.  Reported: a reference to a figure or table that
has no caption although it belongs to text in the document (its clause part, ``7.8.1`` of
``Figure 7.8.1-2``, is a clause heading in the document, or it is unnumbered by clause and the
document has captions) (error); a caption whose clause part differs from the clause it stands in
(warning); the same caption twice (error); a caption that the text never refers to (note).

Clauses: a reference ``clause 7.8.3`` is reported (warning) when the document holds the parent
clause ``7.8`` with sub-clauses but not ``7.8.3``.  References to other documents
("clause 5 of TS 33.180", "Section 9 of [14]") and to clauses of the target specification that
the change does not show are not reported.  Placeholder numbers are left to ``placeholder``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import CLAUSE_NUM, PLACEHOLDER_COMPONENTS, structure

ID = "xref"

_ID = r"((?:\d+|[A-Z])(?:\.[0-9A-Za-z]{1,2})*(?:-\d+)?|\d+)"
_CAPTION = re.compile(rf"^[\s*|]*(Figure|Table)\s+{_ID}(?![\w-]|\.\w)\s*(?:[:.–—-]\s*\S|\s+[A-Z(])")
_REFERENCE = re.compile(rf"\b([Ff]igure|[Tt]able)s?\s+{_ID}(?![\w.]\w)")
_CLAUSE_REF = re.compile(rf"\b(?:[Cc]lause|[Ss]ection|[Ss]ubclause|see)\s+({CLAUSE_NUM})(?![\w-])")
_EXTERNAL = re.compile(
    r"^\S*\s+(?:of|in|within|from)\s+(?:the\s+)?(?:\[|TS|TR|RFC|3GPP|IETF|ETSI|ITU|ISO)"
)
#: Every match of _REFERENCE or _CLAUSE_REF contains one of these (see mckm.impl.lint.scan).
_NEEDLES = ("Figure", "figure", "Table", "table", "Clause", "clause", "Section", "section", "see")
_VERBS = re.compile(
    r"^\s+(?:shows|illustrates|depicts|describes|gives|lists|presents|summari[sz]es|contains|provides|is|below|above)\b"
)


def _clause_part(ident: str) -> str | None:
    return ident.rsplit("-", 1)[0] if "-" in ident else None


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    numbers = {h.number for h in st.headings}
    captions: dict[tuple[str, str], tuple[int, int]] = {}
    for ln in lines_with(doc, ("Figure", "Table")):  # in every _CAPTION match
        line = doc.lines[ln - 1]
        m = _CAPTION.match(line)
        if not m or _VERBS.match(line[m.end(2) :]):
            continue
        kind, ident = m.group(1).lower(), m.group(2)
        col = m.start(1) + 1
        if (kind, ident) in captions:
            yield finding(
                doc,
                ID,
                "error",
                ln,
                col,
                f"{kind} {ident} has two captions (also line {doc.at(captions[(kind, ident)][0])})",
                "renumber one of them",
            )
            continue
        captions[(kind, ident)] = (ln, col)
        part = _clause_part(ident)
        here = st.clause_at(ln)
        if part and here is not None and part != here.number:
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                col,
                f"{kind} {ident} is in clause {here.number}",
                f"number it {here.number}-n",
            )
    referenced: set[tuple[str, str]] = set()
    caption_lines = {ln for ln, _ in captions.values()}  # a title's own words ("MCS table 1")
    for ln in lines_with(doc, _NEEDLES):
        line = doc.lines[ln - 1]
        for m in _REFERENCE.finditer(line):
            kind, ident = m.group(1).lower(), m.group(2)
            if ln in caption_lines:
                continue
            referenced.add((kind, ident))
            if (kind, ident) in captions or _EXTERNAL.match(line[m.end(2) :]):
                continue
            if any(p in PLACEHOLDER_COMPONENTS for p in re.split(r"[.-]", ident)):
                continue
            part = _clause_part(ident)
            ours = part in numbers if part else any(k == kind for k, _ in captions)
            if ours:
                yield finding(
                    doc,
                    ID,
                    "error",
                    ln,
                    m.start() + 1,
                    f"{kind} {ident} is referred to but has no caption in the document",
                    "correct the number or add the caption",
                )
        for m in _CLAUSE_REF.finditer(line):
            num = m.group(1)
            parts = num.split(".")
            if len(parts) < 2 or num in numbers or any(p in PLACEHOLDER_COMPONENTS for p in parts):
                continue
            if _EXTERNAL.match(line[m.end(1) :]):
                continue
            parent = ".".join(parts[:-1])
            children = sorted(
                n for n in numbers if n.startswith(parent + ".") and n.count(".") == num.count(".")
            )
            if parent in numbers and children:
                yield finding(
                    doc,
                    ID,
                    "warning",
                    ln,
                    m.start(1) + 1,
                    f"clause {num} is referred to, but clause {parent} here has only "
                    f"{', '.join(children)}",
                    "correct the clause number",
                )
    for (kind, ident), (ln, col) in captions.items():
        if (kind, ident) not in referenced:
            yield finding(
                doc,
                ID,
                "note",
                ln,
                col,
                f"{kind} {ident} is never referred to in the text",
                f"refer to it, e.g. '{kind} {ident} shows ...'",
            )
