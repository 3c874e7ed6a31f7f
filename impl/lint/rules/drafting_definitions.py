"""The definitions and abbreviations clauses: in alphabetical order, each term defined once.

TR 21.801 (clause 6.3, "Technical normative elements", and its Annex C, "Drafting and
presentation of terms and definitions"; titles read, text not re-read here, see rule
``drafting-clause``) lists terms and abbreviations alphabetically, one entry each, and 6.6.2
(read) defines an abbreviation only if the document uses it (rule ``abbreviations``).
Reported:

* a clause titled "Definitions" (``Term: text`` or ``**Term**: text``) or "Abbreviations"
  (``ABBR<tab>Long form`` or the abbreviation on its own line) with an entry that sorts before
  the entry above it (warning, once per clause, at the first such entry, with the order it
  should have).  Sorting ignores case; an entry is out of order only when it is so both letter
  by letter with its hyphens and other signs and with letters and digits only, so that either
  convention is accepted;
* a term or abbreviation listed twice in one clause with the same expansion (warning; two
  different expansions are rule ``abbreviations``'s).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import Heading, structure

ID = "drafting-definitions"

_TERM = re.compile(r"^\s*\**(?P<term>[A-Za-z0-9][^:*\t]{0,70}?)\**\s*:\**\s+\S")
_NOT_TERMS = frozenset({"NOTE", "EXAMPLE", "Editor's Note", "Editor’s Note"})


def _loose(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _strict(text: str) -> str:
    return text.lower()


def _clause_end(doc: Document, k: int, headings: list[Heading]) -> int:
    st = structure(doc)
    end = headings[k + 1].line - 1 if k + 1 < len(headings) else len(doc.lines)
    return min(end, st.segments[headings[k].segment].last)


def _definition_entries(doc: Document) -> list[tuple[int, int, str, str]]:
    st = structure(doc)
    out: list[tuple[int, int, str, str]] = []
    for k, h in enumerate(st.headings):
        title = h.title.strip(" :*").lower()
        if not (title.startswith("definition") or title.startswith("terms")):
            continue
        if "abbreviation" in title or "symbol" in title:
            continue
        for ln in range(h.line + 1, _clause_end(doc, k, st.headings) + 1):
            line = doc.lines[ln - 1]
            m = _TERM.match(line)
            if ln in st.heading_lines or not m or m.group("term").strip() in _NOT_TERMS:
                continue
            term = m.group("term").strip()
            if term.lower().startswith(("for the purposes", "the following")):
                continue
            out.append((ln, m.start("term") + 1, term, line[m.end() - 1 :].strip()))
    return out


def _groups(doc: Document) -> Iterator[tuple[str, list[tuple[int, int, str, str]]]]:
    st = structure(doc)
    yield "definitions", _definition_entries(doc)
    by_clause: dict[int, list[tuple[int, int, str, str]]] = {}
    for abbr, ln, expansion in st.abbreviation_entries:
        by_clause.setdefault(st.clause_of_line[ln], []).append((ln, 1, abbr, expansion))
    for entries in by_clause.values():
        yield "abbreviations", entries


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    for kind, entries in _groups(doc):
        seen: dict[str, tuple[int, str]] = {}
        kept: list[tuple[int, int, str, str]] = []
        for entry in entries:
            ln, col, term, text = entry
            key = term.lower()
            if key in seen:
                first_line, first_text = seen[key]
                if _loose(first_text) == _loose(text) or kind == "definitions":
                    yield finding(
                        doc, ID, "warning", ln, col,
                        f"{term} is listed twice in the {kind} (also line {doc.at(first_line)})",
                        "keep one entry",
                    )
                continue
            seen[key] = (ln, text)
            kept.append(entry)
        misplaced = [
            (entry, prev) for prev, entry in pairwise(kept) if _before(entry[2], prev[2])
        ]
        if misplaced:
            (ln, col, term, _), (_, _, above, _) = misplaced[0]
            more = f" and {len(misplaced) - 1} more" if len(misplaced) > 1 else ""
            order = ", ".join(e[2] for e in sorted(kept, key=lambda e: _strict(e[2])))
            yield finding(
                doc, ID, "warning", ln, col,
                f"the {kind} are not in alphabetical order: {term} after {above}{more}",
                order if len(order) <= 300 else f"move {term} before {above}",
            )


def _before(term: str, other: str) -> bool:
    return _strict(term) < _strict(other) and _loose(term) < _loose(other)
