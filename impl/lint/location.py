"""Where a finding is in a Word file: the clause it is under and the offending text, quoted.

A ``.docx`` has no line numbers a person sees, so a finding in one also carries the number of
the clause heading it stands under (a paragraph in a Word heading style, else a heading the
text shows: :func:`mckm.impl.lint.structure.structure`) and a snippet of the paragraph around
the offending text; :func:`span` is the offending text itself, which
``mckm lint --annotate`` anchors its Word comment on.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right

from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import structure

#: characters of context the snippet keeps before and after the offending text
BEFORE, AFTER = 25, 35
_TOKEN = re.compile(r"[^\s]+")
_TRAIL = "\"'.,;:)]}”’"


def span(text: str, column: int) -> tuple[int, int]:
    """The offending text of a finding at 1-based ``column`` of ``text``: the word that starts
    there, without trailing punctuation, as ``(start, end)`` offsets (empty text: ``(0, 0)``)."""
    start = min(max(column - 1, 0), len(text))
    while start < len(text) and text[start].isspace():
        start += 1
    m = _TOKEN.match(text, start)
    if m is None:
        return (start, start)
    end = m.end()
    while end - 1 > start and text[end - 1] in _TRAIL:
        end -= 1
    return (start, end)


def snippet(text: str, column: int) -> str:
    """The offending text with some words around it, ``…`` where the paragraph goes on."""
    start, end = span(text, column)
    lo = max(0, start - BEFORE)
    if lo > 0:
        lo = text.find(" ", lo, start) + 1 or lo
    hi = min(len(text), end + AFTER)
    if hi < len(text):
        cut = text.rfind(" ", end, hi)
        hi = cut if cut > 0 else hi
    head = "…" if lo > 0 else ""
    tail = "…" if hi < len(text) else ""
    return f"{head}{text[lo:hi].strip()}{tail}"


def locate(doc: Document, f: Finding) -> Finding:
    """``f`` with its clause and snippet (from ``doc``, the part it was found in)."""
    local = f.line - doc.first_line + 1
    if not 1 <= local <= len(doc.lines):
        return f
    return dataclasses.replace(
        f, clause=clause_of(doc, local), snippet=snippet(doc.lines[local - 1], f.column)
    )


def clause_of(doc: Document, line: int) -> str:
    """The number of the clause line ``line`` of ``doc`` is under: the last paragraph in a
    Word heading style before it (:attr:`Document.headings`) or, in a document without any,
    the last heading the text itself shows (:mod:`mckm.impl.lint.structure`); empty before
    the first."""
    if doc.headings:
        starts = doc._cache.get("heading_lines")
        if not isinstance(starts, list):
            starts = sorted(doc.headings)
            doc._cache["heading_lines"] = starts
        i = bisect_right(starts, line) - 1
        return doc.headings[starts[i]] if i >= 0 else ""
    heading = structure(doc).clause_at(line)
    return heading.number if heading is not None else ""


def wants_location(doc: Document) -> bool:
    """Findings in a ``.docx`` carry clause and snippet (see module docstring)."""
    return doc.path.lower().endswith(".docx")
