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

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.definitions import defined
from mckm.impl.lint.model import Document, Finding

ID = "revision-residue"

_DOUBLE = re.compile(r"\b([A-Za-z]+)\s+\1\b", re.I)
_GLUED = re.compile(r"(?<![\w-])([a-z])([A-Z]{2,}[A-Za-z]*)\b")
_MARKUP = re.compile(
    r"\[(?:deleted|inserted|moved)[^\]]*\]|\b(?:Deleted|Inserted|Formatted|Moved \(insertion\)|"
    r"Commented \[\w+\]):|</?(?:ins|del|s|strike)>|\{[+-]{2}|[+-]{2}\}|\[[A-Z]{1,3}\d{1,3}\]",
)
_GAP = re.compile(r"(?<=[a-z0-9,\])])( {2,})(?=[A-Za-z(\[])")
_ALLOWED_DOUBLES = frozenset({"that", "had", "is"})


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    names = defined(doc) | set(ctx.glossary.abbreviations) | ctx.vocabulary.names
    for ln, line in enumerate(doc.lines, 1):
        for m in _DOUBLE.finditer(line):
            a, b = line[m.start(1) : m.end(1)], line[m.end() - len(m.group(1)) : m.end()]
            if a.lower() in _ALLOWED_DOUBLES or not (a == b or a == b.capitalize()):
                continue
            yield finding(
                doc, ID, "warning", ln, m.start() + 1, f"'{m.group(1)}' twice in a row", m.group(1)
            )
        for m in _GLUED.finditer(line):
            token = m.group(0)
            if token in names or (m.group(2) not in names and not ctx.glossary.knows(m.group(2))):
                continue
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                m.start() + 1,
                f"stray '{m.group(1)}' before {m.group(2)} in '{token}'",
                m.group(2),
            )
        for m in _MARKUP.finditer(line):
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                m.start() + 1,
                f"revision or comment markup '{m.group(0)}' left in the text",
                "accept or reject the change and delete the markup",
            )
        for m in _GAP.finditer(line):
            yield finding(
                doc,
                ID,
                "note",
                ln,
                m.start(1) + 1,
                "two spaces between words (a deleted word?)",
                "one space",
            )
