"""Abbreviations: used ones are defined, defined ones are used, one expansion each.

An abbreviation is *defined* by the document's abbreviations clause, by an inline definition
``Long Form (LF)`` or ``LF (Long Form, ...)``, or by the domain glossary
(``impl/lint/data/glossary.yaml``: the abbreviations of the specifications mckm models, and
``tr21905_abbreviations.yaml``: those of TR 21.905 clause 4).  Message and payload names of the
vocabulary and upper-case English words (``NOTE``, ``MESSAGE``) are not abbreviations, and
neither are requirement and document identifiers (``REQ-SEAL-KD-03``, ``MCSEC-7.1-2``,
``S3-241234``), parameter names (``PDSCH-Config``) and, in Markdown, names set in italics
(``*IMCS*``: 3GPP sets parameters and variables in italics), nor the parts of a quoted protocol
literal (``"RTP/SAVP"``).  Word's hyphens (U+2010, U+2011) join an abbreviation's parts as
``-`` does.  Reported:

* an abbreviation used but defined nowhere (warning, once, at its first use), except in a CR
  (a document with a CR cover page) that has no abbreviations clause of its own: the clauses it
  changes use the target specification's abbreviations, which the linter cannot see;
* an abbreviation defined with two different expansions (warning), e.g. ``IdM`` as "Identity
  Management Server" in one place and "Identity Management" in another (a long form that is the
  tail of the other, "Security Gateway" / "MC Security Gateway", is the same);
* an inline definition whose abbreviation is never used afterwards (note).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.cover_page_fields import cover_lines, cover_page
from mckm.impl.lint.definitions import ABBR, HYPHENS, Definition, definitions
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import distinct_pieces, pieces
from mckm.impl.lint.speller import known
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import plural_stem

ID = "abbreviations"

_USE = re.compile(rf"(?<![\w\-‐‑])({ABBR})(?:'s|’s|s'|s)?(?![\w\-‐‑]|\.\d)")
_SPEC_ID = re.compile(r"^(?:[A-Z]\d|R\d)")
_GLUED = re.compile(r"^[a-z][A-Z]{2,}")
_PLACEHOLDER = frozenset({"TBD", "TBC", "TBS", "TBA", "FFS"})
#: A requirement or document identifier, not an abbreviation: ``REQ-SEAL-KD-03``,
#: ``R-5.13-001``, ``MCSEC-7.1-2`` (a part of digits only), ``S3-241234``; and a parameter
#: name with a capitalised word after a hyphen (``PDSCH-Config``, ``DMRS-DownlinkConfig``).
_IDENTIFIER = re.compile(r"^REQ-|-\d+(?:-|$)|-[A-Z][a-z]{2,}(?:[A-Z][a-z]+)*(?:-|$)")
#: Digits an abbreviation carries as a count or an index: ``16QAM``, ``WG1``, ``GID2``.
_DIGITS = re.compile(r"^\d+(?=[A-Z])|(?<=[A-Z])\d+$")


@lru_cache(maxsize=4096)
def _norm(long: str) -> str:
    return re.sub(r"[\s-]+", " ", long.lower()).strip()


def _same(a: str, b: str) -> bool:
    x, y = _norm(a), _norm(b)
    return x.endswith(y) or y.endswith(x)


def _is_known(token: str, names: set[str], ctx: Context) -> bool:
    stem = plural_stem(token)
    bare = _DIGITS.sub("", stem)
    for t in (token, stem, bare) if bare and bare != stem else (token, stem):
        if t in names or ctx.glossary.knows(t) or t in _PLACEHOLDER:
            return True
        if t.replace("-", "") in names:
            return True  # BTID for B-TID: rule term-variants reports the spelling
        if t.isupper() and len(t) > 2 and known(t.lower()):
            return True  # an English word in capitals (NOTE, MESSAGE)
    parts = [p for p in re.split(r"([-/])", stem) if p]
    return len(parts) > 1 and _parts_known(parts, names, ctx)


def _parts_known(parts: list[str], names: set[str], ctx: Context) -> bool:
    """``SKM-S-provisioned``: a known head (``SKM-S``) followed by known parts."""
    if not parts:
        return True
    if parts[0] in "-/":
        return _parts_known(parts[1:], names, ctx)
    for end in range(len(parts), 0, -1):
        if parts[end - 1] in "-/":
            continue
        head = "".join(parts[:end])
        plain = end == 1 and (head.isdigit() or sum(c.isupper() for c in head) < 2)
        if (plain or _is_known_single(head, names, ctx)) and _parts_known(parts[end:], names, ctx):
            return True
    return False


def _is_known_single(token: str, names: set[str], ctx: Context) -> bool:
    t = plural_stem(token)
    return t in names or ctx.glossary.knows(t) or t.replace("-", "") in names


def _abbreviation_shaped(token: str) -> bool:
    upper = sum(c.isupper() for c in token)
    lower = sum(c.islower() for c in token)
    return upper >= 2 and upper >= lower


def _literal(text: str, m: re.Match[str]) -> bool:
    """The token is part of a quoted protocol literal without spaces (``"RTP/SAVP"``)."""
    start = text.rfind('"', 0, m.start(1))
    end = text.find('"', m.end(1))
    return start >= 0 and end >= 0 and " " not in text[start:end] and "/" in text[start:end]


def _italic(text: str, m: re.Match[str]) -> bool:
    """The token is set in Markdown italics (``*IMCS*``, ``*NRB,i*``): a parameter's name."""
    start = m.start(1)
    return start > 0 and text[start - 1] in "*_" and text[start - 2 : start] != "**"


def _skipped(token: str) -> bool:
    """Names with ``_``, spec and tdoc ids, requirement ids, and ``bKMS`` (rule
    revision-residue reports the stray letter)."""
    return (
        "_" in token
        or bool(_SPEC_ID.match(token))
        or bool(_GLUED.match(token))
        or bool(_IDENTIFIER.search(token))
    )


@lru_cache(maxsize=65536)
def _stems(piece: str) -> tuple[str, ...]:
    """The abbreviations (plural stems) used in ``piece``, as :func:`check` counts uses."""
    out: list[str] = []
    for m in _USE.finditer(piece):
        token = m.group(1).translate(HYPHENS)
        if _skipped(token):
            continue
        if _abbreviation_shaped(token.split("-")[0]):
            out.append(plural_stem(token))
    return tuple(out)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    defs = definitions(doc)
    st = structure(doc)
    names = {d.abbr for d in defs} | set(ctx.vocabulary.names)
    names |= {a.replace("-", "") for a in ctx.glossary.abbreviations}
    skip = st.abbreviation_lines | st.reference_lines | cover_lines(doc)
    markdown = doc.path.lower().endswith((".md", ".markdown"))
    # two expansions for one abbreviation
    by_abbr: dict[str, list[Definition]] = {}
    for d in defs:
        if d.line not in st.reference_lines:
            by_abbr.setdefault(d.abbr, []).append(d)
    for abbr, group in by_abbr.items():
        group = sorted(group, key=lambda d: d.line)
        for d in group[1:]:
            other = next((g for g in group if not _same(g.long, d.long)), None)
            if other is not None and other.line < d.line:
                yield finding(
                    doc,
                    ID,
                    "warning",
                    d.line,
                    d.column,
                    f"{abbr} is expanded as '{d.long}' here but as '{other.long}' on "
                    f"line {doc.at(other.line)}",
                    other.long,
                )
                break
    # uses: only those of an abbreviation that is unknown or defined inline matter, and a use
    # never spans whitespace, so each distinct piece of the text is looked at once
    # (an unknown one is reported at its first use, one defined inline needs a use besides its
    # definition: two uses tell; a piece is dropped once each abbreviation in it has enough)
    known: dict[str, bool] = {}
    inline = {d.abbr for d in defs if d.inline}
    enough: dict[str, int] = {}
    holders: dict[str, list[str]] = {}  # abbreviation -> the pieces that use it
    for piece in distinct_pieces(doc):
        for stem in _stems(piece):
            if stem not in known:
                known[stem] = _is_known(stem, names, ctx)
            if not known[stem] or stem in inline:
                enough[stem] = 2 if stem in inline else 1
                holders.setdefault(stem, []).append(piece)
    wanted = {piece for held in holders.values() for piece in held}
    uses: dict[str, list[tuple[int, int]]] = {}
    for ln, split in enumerate(pieces(doc), 1):
        if not wanted:
            break
        if ln in skip or wanted.isdisjoint(split):
            continue
        for m in _USE.finditer(doc.lines[ln - 1]):
            token = m.group(1).translate(HYPHENS)
            line = doc.lines[ln - 1]
            if _skipped(token) or (markdown and _italic(line, m)) or _literal(line, m):
                continue  # names, spec ids, identifiers and "bKMS" (rule revision-residue)
            if not _abbreviation_shaped(token.split("-")[0]):
                continue
            stem = plural_stem(token)
            uses.setdefault(stem, []).append((ln, m.start(1) + 1))
            if stem in enough and len(uses[stem]) == enough[stem]:
                wanted.difference_update(holders[stem])
                for held in holders[stem]:  # a piece that holds another wanted one stays
                    if any(s in enough and len(uses.get(s, ())) < enough[s] for s in _stems(held)):
                        wanted.add(held)
    target_list = cover_page(doc) is not None and not st.abbreviation_lines
    for token, places in uses.items():
        if not known[token] and not target_list:
            ln, col = places[0]
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                col,
                f"abbreviation {token} is used but not defined",
                f"define it in the abbreviations clause or on first use: 'Long Form ({token})'",
            )
    for d in defs:
        if not d.inline or d.line in skip:
            continue
        later = [p for p in uses.get(d.abbr, []) if p != (d.line, d.column)]
        if not later:
            yield finding(
                doc,
                ID,
                "note",
                d.line,
                d.column,
                f"{d.abbr} is defined but never used",
                f"write '{d.long}' only",
            )
