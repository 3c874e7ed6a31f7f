"""Abbreviations a document defines: its abbreviations clause and inline ``Long Form (LF)``.

Inline definitions, ``Long Form (LF)`` and ``LF (Long Form, ...)``, are found with the
Schwartz-Hearst method (matching the abbreviation's
letters, in order, into the words before the parenthesis; the first letter starts the long
form), tightened so that every word of the long form contributes a letter, its initial first,
or is a short function word (one trailing head noun is allowed: "Identity Management Server (IdM)");
"non-LTE systems (MCCI)" is therefore not read as a definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mckm.impl.lint.model import Document
from mckm.impl.lint.scan import matches
from mckm.impl.lint.structure import structure

#: An abbreviation: two capitals or more; Word's hyphens (U+2010, the non-breaking U+2011) join
#: its parts as ``-`` does (``SGM‑S`` is ``SGM-S``).
ABBR = r"[A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*(?:[-‐‑][A-Za-z0-9]+)*"
HYPHENS = str.maketrans({"‐": "-", "‑": "-"})
_INLINE = re.compile(rf"\([^\S\n]*({ABBR})[^\S\n]*\)")  # one line (mckm.impl.lint.scan)
#: ``SDES (Session Description Protocol Security Descriptions, cf. RFC 4568)``: the long form
#: after the abbreviation, up to a comma or the bracket (one line, mckm.impl.lint.scan).
_REVERSE = re.compile(rf"(?<![\w-])({ABBR})[^\S\n]+\(([A-Z][^()\n,;]{{3,100}})(?=[,)\n])")
_FUNCTION = {"of", "for", "and", "the", "to", "in", "on", "with", "a", "an", "&", "based"}


@dataclass(frozen=True)
class Definition:
    """``abbr`` defined as ``long`` on ``line`` (column of the abbreviation)."""

    abbr: str
    long: str
    line: int
    column: int
    inline: bool


def _match(letters: str, words: list[str]) -> set[int] | None:
    """Word indices that supply ``letters`` in order, under the rules of the module docstring."""

    def go(li: int, wi: int, ci: int, used: frozenset[int]) -> frozenset[int] | None:
        if li == len(letters):
            return used
        c = letters[li]
        for w in range(wi, len(words)):
            word = words[w]
            for k in range(ci + 1 if w == wi else 0, len(word) if w == wi else 1):
                if word[k].lower() != c.lower():
                    continue  # a new word contributes its initial first
                found = go(li + 1, w, k, used | {w})
                if found is not None:
                    return found
            if w > wi and words[w].lower() not in _FUNCTION:
                return None  # a skipped word must be a function word
        return None

    if not words or words[0][0].lower() != letters[0].lower():
        return None
    result = go(1, 0, 0, frozenset({0}))
    return set(result) if result is not None else None


def _long_form(abbr: str, before: str) -> str | None:
    before = before[max(before.rfind(")"), before.rfind("(")) + 1 :]  # never across brackets
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9'’]*", before)
    letters = "".join(c for c in abbr if c.isalnum())
    if not words or len(letters) < 2:
        return None
    for start in range(len(words) - 1, max(-1, len(words) - len(letters) - 5), -1):
        tail = words[start:]
        if tail[0].lower() in _FUNCTION or tail[0].upper() == letters.upper():
            continue
        used = _match(letters, tail)
        if used is None:
            continue
        trailing = len(tail) - 1 - max(used)
        if trailing <= 1:
            return " ".join(tail)
    return None


def definitions(doc: Document) -> list[Definition]:
    """All definitions in ``doc``, computed once."""
    cached = doc._cache.get("definitions")
    if isinstance(cached, list):
        return cached
    out: list[Definition] = []
    for abbr, line, long in structure(doc).abbreviation_entries:
        out.append(Definition(abbr, long, line, 1, inline=False))
    for ln, col, m in matches(doc, _REVERSE):
        abbr, long = m.group(1).translate(HYPHENS), m.group(2).strip()
        words = re.findall(r"[A-Za-z0-9][A-Za-z0-9'’]*", long)
        letters = "".join(c for c in abbr if c.isalnum())
        used = _match(letters, words) if len(letters) >= 2 else None
        capitals = sum(w[0].isupper() for w in words)
        if (used is not None and len(words) - 1 - max(used) <= 1) or (
            words and words[0][0].upper() == letters[0].upper() and capitals >= len(letters) - 1
        ):  # (an acronym of loose initials, "SDES (Session Description Protocol Security ...")
            out.append(Definition(abbr, long, ln, col + 1, inline=True))
    for ln, col, m in matches(doc, _INLINE):
        expansion = _long_form(m.group(1), doc.lines[ln - 1][:col])
        if expansion:
            start = col + m.start(1) - m.start()
            abbr = m.group(1).translate(HYPHENS)
            out.append(Definition(abbr, expansion, ln, start + 1, inline=True))
    doc._cache["definitions"] = out
    return out


def defined(doc: Document) -> set[str]:
    """The abbreviations ``doc`` defines."""
    return {d.abbr for d in definitions(doc)}
