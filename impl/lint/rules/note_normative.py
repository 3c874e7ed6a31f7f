"""A NOTE must not state requirements: no shall, should, may or must inside a NOTE.

3GPP drafting rules (TR 21.801) make NOTEs informative; a requirement or permission placed in a
NOTE is not binding and misleads implementers.  The NOTE's text is the rest of its ``NOTE:`` line
or, when that is empty, the next paragraph.  Reported (warning) per modal verb, with the usual
informative wording suggested ("can", "is", "it is recommended" in normative text instead).
"""

from __future__ import annotations

from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import MODAL

ID = "note-normative"

_FIX = {
    "shall": "move the requirement into the normative text, or use 'is'",
    "should": "move the recommendation into the normative text, or use 'can'",
    "may": "use 'can' (possibility) or move the permission into the normative text",
    "must": "move the requirement into the normative text, or use 'needs to'",
}


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    for ln, col, body in structure(doc).notes:
        for m in MODAL.finditer(body):
            verb = m.group(1)
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                col + m.start(),
                f"'{verb}' in a NOTE (NOTEs are informative)",
                _FIX[verb.split()[0]],
            )
