"""Where a finding is in a Word file: the clause it is under and the offending text, quoted.

A ``.docx`` has no line numbers a person sees, so a finding in one also carries the number of
the clause heading it stands under (:func:`mckm.impl.lint.structure.structure`) and a snippet of
the paragraph around the offending text; :func:`span` is the offending text itself, which
``mckm lint --annotate`` anchors its Word comment on.
"""

from __future__ import annotations

import dataclasses
import re

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
    heading = structure(doc).clause_at(local)
    return dataclasses.replace(
        f,
        clause=heading.number if heading is not None else "",
        snippet=snippet(doc.lines[local - 1], f.column),
    )


def wants_location(doc: Document) -> bool:
    """Findings in a ``.docx`` carry clause and snippet (see module docstring)."""
    return doc.path.lower().endswith(".docx")
