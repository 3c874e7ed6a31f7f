"""Placeholders left for the editor: x/y numbers, ``[xx]`` references, TBD, FFS, Editor's Notes.

Reported, with a severity that depends on the document's stage (``--stage``):

============================================  ==========  =======
placeholder                                   draft       cr
============================================  ==========  =======
clause, figure, table or solution number       note        error
with ``x``/``y`` (``7.8.x``, ``#7.y``,
``Figure X``)
reference ``[xx]``, ``[aa]``                    warning     error
TBD, TBC, TBS, FFS, "to be determined"          warning     error
Editor's Note                                   note        error
============================================  ==========  =======

A draft pCR is expected to carry x-numbers that the specification's editor assigns on
implementation, so one finding is given per placeholder *stem* (``7.8.x`` covers ``7.8.x.3`` and
``Figure 7.8.x.3-1``) with the other lines listed; a CR must have none.  Placeholder labels of
reference-list entries are reported by rule ``references``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with, matches
from mckm.impl.lint.structure import structure

ID = "placeholder"

_P = r"(?:[xXyYzZ]|xx|XX|yy|YY)"
_NUMBER = re.compile(
    rf"(?<![\w.#-])((?:\d+|[A-Z])(?:\.(?:\d+|{_P}))*\.{_P})((?:\.(?:\d+|{_P}))*(?:-\d+)?)(?![\w])"
)
_SOLUTION = re.compile(rf"#((?:\d+\.)*{_P})(?![\w.])")
_NAMED = re.compile(rf"\b(Figure|Table|Annex|[Cc]lause|[Ss]olution|[Ss]tep)\s+({_P})(?![\w.])")
_REF = re.compile(r"\[(?:[a-z]{1,3}|[xX]{1,3}|[yY]{1,2})\]")
_TBD = re.compile(
    r"\b(TBD|TBC|TBS|TBA|FFS|tbd|tbc|[Tt]o be (?:determined|confirmed|decided)"
    r"|[Ff]or further study)\b"
)
#: TBS used as a noun, not left "to be specified": after an article or before a lower-case word.
_TBS_NOUN = re.compile(r"(?:(?<=\b[Tt]he )|(?<=\b[Aa] ))TBS\b|TBS,? [a-z]")
_EDITOR = re.compile(r"\bEditor['’]?s\s+[Nn](?:ote|OTE)\b")
#: Each pattern, and strings one of which every match of it contains (mckm.impl.lint.scan).
_NEEDLES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_NUMBER, tuple(f".{p}" for p in "xXyYzZ")),
    (_NAMED, ("Figure", "Table", "Annex", "lause", "olution", "tep")),
    (_TBD, ("TB", "FFS", "tbd", "tbc", "o be", "or further")),
    (_EDITOR, ("Editor",)),
)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    entry_at = {(r.line, r.column) for r in st.references}
    groups: dict[str, list[tuple[int, int, str]]] = {}
    kinds: dict[str, str] = {}
    found = {pattern: set(lines_with(doc, needles)) for pattern, needles in _NEEDLES}
    for ln in sorted(set().union(*found.values())):
        line = doc.lines[ln - 1]
        for m in _NUMBER.finditer(line) if ln in found[_NUMBER] else ():
            key = m.group(1)
            groups.setdefault(key, []).append((ln, m.start() + 1, m.group(0)))
            kinds[key] = "number"
        for m in _NAMED.finditer(line) if ln in found[_NAMED] else ():
            key = f"{m.group(1).capitalize()} {m.group(2)}"
            groups.setdefault(key, []).append((ln, m.start() + 1, m.group(0)))
            kinds[key] = "number"
        for m in _TBD.finditer(line) if ln in found[_TBD] else ():
            if m.group(0) == "TBS" and _TBS_NOUN.match(line, m.start()):
                continue  # "the TBS", "TBS determination": the transport block size (TS 38.214)
            yield finding(
                doc,
                ID,
                ctx.by_stage("warning", "error"),
                ln,
                m.start() + 1,
                f"'{m.group(0)}' left in the text",
                "resolve it or remove it",
            )
        for m in _EDITOR.finditer(line) if ln in found[_EDITOR] else ():
            yield finding(
                doc,
                ID,
                ctx.by_stage("note", "error"),
                ln,
                m.start() + 1,
                "Editor's Note left in the text",
                "resolve and remove it before the text is under change control",
            )
    # _SOLUTION and _REF start with a plain character: scanned whole (their keys are their own)
    for ln, col, m in matches(doc, _SOLUTION):
        key = "#" + m.group(1)
        groups.setdefault(key, []).append((ln, col + 1, m.group(0)))
        kinds[key] = "number"
    for ln, col, m in matches(doc, _REF):
        if (ln, col + 1) in entry_at:
            continue
        groups.setdefault(m.group(0), []).append((ln, col + 1, m.group(0)))
        kinds[m.group(0)] = "reference"
    for key, places in groups.items():
        ln, col, _ = places[0]
        others = sorted({p[0] for p in places[1:]} - {ln})
        also = ""
        if others:
            shown = ", ".join(str(doc.at(o)) for o in others[:6])
            shown += ", ..." if len(others) > 6 else ""
            also = f" (also on line{'s' if len(others) > 1 else ''} {shown})"
        if kinds[key] == "reference":
            yield finding(
                doc,
                ID,
                ctx.by_stage("warning", "error"),
                ln,
                col,
                f"reference {key} has no number{also}",
                "number the reference in the target specification's list",
            )
        else:
            yield finding(
                doc,
                ID,
                ctx.by_stage("note", "error"),
                ln,
                col,
                f"placeholder number {key}{also}",
                "the specification's editor assigns the number on implementation",
            )
