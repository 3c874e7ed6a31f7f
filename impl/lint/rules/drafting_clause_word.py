"""A part of a 3GPP document is a "clause", not a "section" (TR 21.801 drafting rules).

TR 21.801 (clause 5, "Structure"; not re-read here: the Rel-16 text stored with the project is
the void shell that points to TS 21.801) names the numbered parts of a 3GPP TS or TR *clauses*
and refers to them as "clause 5.2", never "section 5.2".  Reported (warning): ``section``,
``Section`` or ``sections`` followed by a clause number (``Section 5``, ``section 7.8.3``,
``sections 4 and 5``), and "this section" / "the present section".  Not reported: a section of
an IETF document or of another organisation's document, which keeps its own term ("section 6.1
of RFC 3830", "RFC 6043, Section 5", "Section 9 of [14]"), reference entries, and quotations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import CLAUSE_NUM, structure

ID = "drafting-clause"

_SECTION = re.compile(
    rf"\b(?P<word>[Ss]ections?)\s+(?P<num>{CLAUSE_NUM})(?![\w-])|"
    r"\b(?P<this>(?:[Tt]his|[Tt]he\s+present)\s+section)\b"
)
#: A document that keeps its own word for its parts: an RFC, an Internet-Draft, a reference.
_EXTERNAL_AFTER = re.compile(
    r"^[^.;]{0,25}?\b(?:of|in)\s+(?:the\s+)?(?:\[\d+\]|RFC|IETF|draft-|ITU|ISO|IEEE|W3C|"
    r"OpenID|NIST|FIPS)"
)
_EXTERNAL_BEFORE = re.compile(
    r"(?:RFC\s*\d{3,5}|\[\d+\]|draft-[\w-]+|IETF|OpenID[\w .]*?\d(?:\.\d)*|ISO[\w /.-]*\d|"
    r"ITU-T\s+[\w.]+|NIST[\w .-]*\d)[\s,]*(?:[,(]\s*)?$"
)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not lines_with(doc, ("clause", "Clause")):
        return  # not written in 3GPP terms at all (a text about RFCs keeps their "section")
    st = structure(doc)
    for ln in lines_with(doc, ("section", "Section")):
        if ln in st.reference_lines:
            continue
        line = doc.lines[ln - 1]
        for m in _SECTION.finditer(line):
            if _external(line, m):
                continue
            if m.group("this"):
                said = m.group("this")
                fix = said.rsplit(" ", 1)[0] + " clause"
            else:
                said = f"{m.group('word')} {m.group('num')}"
                plural = m.group("word").lower().endswith("s")
                fix = f"{'clauses' if plural else 'clause'} {m.group('num')}"
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                m.start() + 1,
                f"'{said}': a part of a 3GPP document is a clause (TR 21.801)",
                fix,
            )


def _external(line: str, m: re.Match[str]) -> bool:
    """The section belongs to an IETF or other external document named next to it."""
    return bool(
        _EXTERNAL_AFTER.match(line[m.end() :])
        or _EXTERNAL_BEFORE.search(line[max(0, m.start() - 30) : m.start()])
        or line[: m.start()].count('"') % 2 == 1
    )
