"""Leftovers of editing with revision marks: doubled words, stray letters, markup, double spaces.

When tracked changes are accepted or text is pasted from a marked-up copy, fragments remain.
Reported:

* the same word twice in a row, "the the" (warning);
* a stray lower-case letter glued to an abbreviation, "bKMS-KMS" (warning), unless the whole
  token is a defined or known name (``eMCPTT``, ``gNB``);
* revision or comment markup left in the text: ``[deleted]``, ``Deleted:``, ``Formatted:``,
  ``<ins>``, ``{++ ++}``, comment anchors such as ``[AB1]`` (warning);
* two spaces between two words inside a sentence, where a word was often deleted (note).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.definitions import defined
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import (
    distinct_pieces,
    lines_matching_image,
    lines_with,
    lines_with_pieces,
    matches,
)

ID = "revision-residue"

# (whole-document patterns: no match crosses a line end, see mckm.impl.lint.scan)
_DOUBLE = re.compile(r"\b([A-Za-z]++)[^\S\n]+\1\b", re.I)
#: _DOUBLE on the ASCII image (mckm.impl.lint.scan): whitespace that str patterns know and bytes
#: patterns do not (\x1c-\x1f, non-ASCII spaces, which the image shows as "?") separates too,
#: and "?" is no word character, so every line with a _DOUBLE match has a match here.  Under
#: IGNORECASE, [A-Za-z] also matches four non-ASCII letters (_FOLDING), which the image loses.
_DOUBLE_IMAGE = re.compile(rb"\b([A-Za-z]++)[ \t\r\f\v\x1c-\x1f?]+\1\b", re.I)
_FOLDING = re.compile("[\u0130\u0131\u017f\u212a]")
_GLUED = re.compile(r"(?<![\w-])([a-z])([A-Z]{2,}[A-Za-z]*)\b")
_MARKUP = re.compile(
    r"\[(?:deleted|inserted|moved)[^\]]*\]|\b(?:Deleted|Inserted|Formatted|Moved \(insertion\)|"
    r"Commented \[\w+\]):|</?(?:ins|del|s|strike)>|\{[+-]{2}|[+-]{2}\}|\[[A-Z]{1,3}\d{1,3}\]",
)
_GAP = re.compile(r"(?<=[a-z0-9,\])])( {2,})(?=[A-Za-z(\[])")
#: Every _MARKUP match contains one of these (see mckm.impl.lint.scan).
_MARKUP_NEEDLES = (
    "[", "Deleted", "Inserted", "Formatted", "Moved", "Commented", "<", "{", "+}", "-}"
)
_ALLOWED_DOUBLES = frozenset({"that", "had", "is"})


@lru_cache(maxsize=65536)
def _glued(piece: str) -> tuple[tuple[str, str], ...]:
    """(token, name) of each _GLUED match in a piece (pieces recur from part to part)."""
    return tuple((m.group(0), m.group(2)) for m in _GLUED.finditer(piece))


def _stray(token: str, name: str, names: set[str] | frozenset[str], ctx: Context) -> bool:
    """Whether a _GLUED match (``token``, ``name``) is a stray letter before a name."""
    return token not in names and (name in names or ctx.glossary.knows(name))


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    names = defined(doc) | set(ctx.glossary.abbreviations) | ctx.vocabulary.names
    if _FOLDING.search(doc.text):  # letters the image cannot stand for: scan the text
        doubles = matches(doc, _DOUBLE)
    else:
        doubles = (
            (ln, m.start(), m)
            for ln in lines_matching_image(doc, _DOUBLE_IMAGE)
            for m in _DOUBLE.finditer(doc.lines[ln - 1])
        )
    for ln, col, m in doubles:
        a, b = m.group(1), m.group()[-len(m.group(1)) :]
        if a.lower() in _ALLOWED_DOUBLES or not (a == b or a == b.capitalize()):
            continue
        yield finding(doc, ID, "warning", ln, col + 1, f"'{a}' twice in a row", a)
    # a glued letter never spans whitespace: each distinct piece of the text is tried once
    glued = {
        piece
        for piece in distinct_pieces(doc)
        if any(_stray(token, name, names, ctx) for token, name in _glued(piece))
    }
    italics = doc.path.lower().endswith(".md")  # "*nPRB*": a symbol set in italics, n_PRB
    for ln in lines_with_pieces(doc, glued):
        for m in _GLUED.finditer(doc.lines[ln - 1]):
            if italics and doc.lines[ln - 1][m.start() - 1 : m.start()] in ("*", "_"):
                continue
            if _stray(m.group(0), m.group(2), names, ctx):
                yield finding(
                    doc,
                    ID,
                    "warning",
                    ln,
                    m.start() + 1,
                    f"stray '{m.group(1)}' before {m.group(2)} in '{m.group(0)}'",
                    m.group(2),
                )
    for ln in lines_with(doc, _MARKUP_NEEDLES):
        for m in _MARKUP.finditer(doc.lines[ln - 1]):
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                m.start() + 1,
                f"revision or comment markup '{m.group(0)}' left in the text",
                "accept or reject the change and delete the markup",
            )
    for ln in lines_with(doc, ("  ",)):
        if italics and doc.lines[ln - 1].lstrip().startswith("|"):
            continue  # a Markdown table row: cells padded by the export
        for m in _GAP.finditer(doc.lines[ln - 1]):
            yield finding(
                doc,
                ID,
                "note",
                ln,
                m.start(1) + 1,
                "two spaces between words (a deleted word?)",
                "one space",
            )
