"""What a contribution is made of, found once per document and shared by the rules.

A 3GPP contribution (pCR/CR) is a cover text followed by one or more *changes* delimited by
marker lines (``***** Start of change 1 *****``); each change quotes fragments of the target
specification.  This module finds, with their line numbers:

* change markers and the *segments* they cut the text into (cover, change 1, ...);
* clause headings (``7.8.1`` on its own line followed by a title, ``6.2.3.8 Title``,
  ``1. Introduction``, ``Annex B``) and the clause that governs each line;
* list labels (``1.``, ``Step 3a:``, ``a)``, ``A1-1``), which make up procedures and lists;
* NOTE paragraphs, reference-list entries, and the abbreviations clause.

The heuristics are written for the layout of 3GPP text as exported from Word (one paragraph per
line, a clause number on its own line before its title) and for Markdown headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mckm.impl.lint.model import Document

#: One component of a clause number: digits, an annex letter, or a placeholder (x, y, Y, xx).
_COMP = r"(?:\d+|[A-Za-z]{1,2})"
#: A clause number: ``7.8.1``, ``B.2.2``, ``7.8.x.3``, ``6.Y``; a lone ``7`` is allowed too.
CLAUSE_NUM = rf"(?:\d+|[A-Z])(?:\.{_COMP})*"
_NUM_ALONE = re.compile(rf"^\s*({CLAUSE_NUM})\s*$")
_NUM_TITLE = re.compile(rf"^\s*((?:\d+|[A-Z])(?:\.{_COMP})+)\.?[ \t]+(\S.*?)\s*$")
_INT_DOT_TITLE = re.compile(r"^\s*(\d{1,2})\.[ \t]+([A-Za-z][^\t]{1,60}?)\s*$")
_ANNEX = re.compile(r"^\s*Annex\s+([A-Z])\b(.*)$")
PLACEHOLDER_COMPONENTS = frozenset({"x", "y", "z", "X", "Y", "Z", "xx", "yy", "XX", "YY"})

_MARKER_LINE = re.compile(r"^\s*[*=#~-]{3,}\s*(?P<text>[^*=#~]*?)\s*[*=#~-]*\s*$")
_PLAIN_MARKER = re.compile(r"^\s*(?P<text>(?:start|end|beginning|next)\s+of\s+.*changes?.*)$", re.I)
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}

_STEP_WORD = re.compile(r"^(\s*)(Step\s+(\d+[a-z]?))\s*([:.)]?)\s*(.*)$", re.I)
_NUM_LABEL = re.compile(
    r"^(\s*)((\d{1,3})(?:\s*[-–]\s*(\d{1,3}))?([a-z])?)([.):]?)(?:[ \t]+(.*))?\s*$"
)
_ALPHA_LABEL = re.compile(r"^(\s*)([a-z])([.)])(?:[ \t]+(.*))?\s*$")
_CODE_LABEL = re.compile(r"^(\s*)([A-Z]{1,3}\d+-\d+)(\.?)(?:[ \t]+(.*))?\s*$")
_NOTE = re.compile(r"^\s*NOTE(?:\s*\d+)?\s*:?(?P<body>.*)$")
#: A reference label: a number, or a short placeholder such as ``aa``, ``xx``, ``X``.
REF_LABEL = r"(?:\d{1,3}|[a-z]{1,3}|[xX]{1,3}|[yY]{1,2}|i\.\d{1,3})"
#: (``**[31]**`` and ``[**30]**``: Markdown bold around or inside the brackets)
_REF_ENTRY = re.compile(rf"^\s*(?:\*\*)?\[(?:\*\*)?({REF_LABEL})(?:\*\*)?\](?:\*\*)?\s*(.*)$")
#: A Markdown setext underline: the line above it is a heading (``4 Overview`` / ``=====``).
_SETEXT = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")
_NUM_SETEXT = re.compile(r"^\s*((?:\d+|[A-Z])(?:\.[0-9A-Za-z]{1,2})*)\s+(\S.*?)\s*$")
#: How every heading line starts (_NUM_ALONE, _NUM_TITLE, _INT_DOT_TITLE, _ANNEX): a line that
#: does not start so is not tried against each of them.
_HEADING_START = re.compile(r"\s*[\dA-Z]")
#: How every line with a label, a NOTE or a reference entry starts (_STEP_WORD, which ignores
#: case, so that "S" is also "s" and "ſ"; _NUM_LABEL, _ALPHA_LABEL, _CODE_LABEL, _NOTE,
#: _REF_ENTRY).
_ITEM_START = re.compile(r"\s*(?:[Ss\u017f]|\d|[a-z][.)]|[A-Z]{1,3}\d|NOTE|\[|\*\*\[)")


@dataclass(frozen=True)
class Marker:
    """A change-marker line."""

    line: int
    column: int
    kind: str  # "start" | "end" | "next" | "other"
    ordinal: int | None
    text: str


@dataclass(frozen=True)
class Segment:
    """Lines ``first..last`` between two change markers (or the document's ends)."""

    index: int
    first: int
    last: int


@dataclass(frozen=True)
class Heading:
    """A clause heading: its number as written, split into components, and its title."""

    line: int
    column: int
    number: str
    title: str
    segment: int

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.number.split("."))

    @property
    def has_placeholder(self) -> bool:
        return any(p in PLACEHOLDER_COMPONENTS for p in self.parts[1:]) or self.number in {
            "X",
            "Y",
            "Z",
        }


@dataclass(frozen=True)
class Label:
    """A list label at the start of a line (``1.``, ``Step 3a:``, ``b)``, ``D1-2``)."""

    line: int
    column: int
    text: str  # the label as written, without the suffix
    kind: str  # "step" | "number" | "alpha" | "code"
    suffix: str  # ".", ")", ":" or ""
    values: tuple[str, ...]  # step values it names: ("3a",), ("1","2","3","4","5") for 1-5
    rest: str  # text after the label on the same line
    clause: int  # index into Structure.headings, -1 before the first heading


@dataclass(frozen=True)
class RefEntry:
    """An entry of a reference list: ``[3]`` and its text."""

    line: int
    column: int
    label: str
    text: str
    segment: int


@dataclass
class Structure:
    """Everything :func:`analyse` found in a document."""

    markers: list[Marker] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    notes: list[tuple[int, int, str]] = field(default_factory=list)  # (line, col, body)
    references: list[RefEntry] = field(default_factory=list)
    abbreviations: dict[str, tuple[int, str]] = field(default_factory=dict)  # abbr -> (line, exp)
    #: every entry of the abbreviations clauses in text order, repeats included: (abbr, line, exp)
    abbreviation_entries: list[tuple[str, int, str]] = field(default_factory=list)
    heading_lines: set[int] = field(default_factory=set)  # lines of numbers and titles
    reference_lines: set[int] = field(default_factory=set)  # reference entries and their text
    abbreviation_lines: set[int] = field(default_factory=set)  # the abbreviations clause
    clause_of_line: list[int] = field(default_factory=list)  # 1-based line -> heading index
    segment_of_line: list[int] = field(default_factory=list)

    def clause_at(self, line: int) -> Heading | None:
        i = self.clause_of_line[line]
        return self.headings[i] if i >= 0 else None

    def steps_of(self, clause: int) -> list[Label]:
        """The procedure steps (numbered labels) of clause ``clause``."""
        return [lb for lb in self.labels if lb.clause == clause and lb.kind in ("step", "number")]

    def find_heading(self, number: str) -> int | None:
        for i, h in enumerate(self.headings):
            if h.number == number:
                return i
        return None


def structure(doc: Document) -> Structure:
    """The document's :class:`Structure`, computed once."""
    cached = doc._cache.get("structure")
    if isinstance(cached, Structure):
        return cached
    result = analyse(doc)
    doc._cache["structure"] = result
    return result


def _title_like(text: str, allow_period: bool = False) -> bool:
    s = text.strip()
    if not (2 <= len(s) <= 130) or not (s[0].isupper() or s[0] in "#(“\"'"):
        return False
    if s[-1] in ":;," or (s[-1] == "." and not allow_period):
        return False
    return not s.startswith(("The ", "A ", "An ", "If ", "In ", "This ")) or len(s) < 45


def _is_sentence(text: str) -> bool:
    """A step's text, not a title: it has a verb-like lowercase word after a determiner."""
    return bool(re.match(r"(The|A|An|If|Then|When|This)\s+\w+\s+[a-z]+s\b", text))


def _next_nonblank(lines: list[str], i: int) -> int | None:
    for j in range(i + 1, min(len(lines), i + 4)):
        if lines[j].strip():
            return j
    return None


def _marker(line: str) -> tuple[str, int | None, str] | None:
    m = _MARKER_LINE.match(line) or _PLAIN_MARKER.match(line)
    if not m:
        return None
    text = m.group("text").strip()
    low = text.lower()
    if "change" not in low:
        return None
    kind = "other"
    if re.match(r"(start|beginning|begin)\b", low):
        kind = "start"
    elif re.match(r"end\b", low):
        kind = "end"
    elif re.match(r"next\b", low):
        kind = "next"
    ordinal = None
    num = re.search(r"changes?\s*(?:no\.?\s*)?#?(\d+)", low)
    if num:
        ordinal = int(num.group(1))
    else:
        for word, value in _ORDINALS.items():
            if re.search(rf"\b{word}\b", low):
                ordinal = value
                break
        else:
            nth = re.search(r"\b(\d+)(?:st|nd|rd|th)\b", low)
            ordinal = int(nth.group(1)) if nth else None
    return kind, ordinal, text


def analyse(doc: Document) -> Structure:
    """Find markers, segments, headings, labels, NOTEs, reference entries, abbreviations."""
    lines = doc.lines
    st = Structure()
    n = len(lines)
    markdown = doc.path.lower().endswith((".md", ".markdown"))
    # --- change markers and segments
    seg_first = 1
    for i, line in enumerate(lines):
        found = _marker(line) if "change" in line.lower() else None  # (_marker's own test)
        if found:
            kind, ordinal, text = found
            col = line.find(text) + 1 if text else 1
            st.markers.append(Marker(i + 1, max(col, 1), kind, ordinal, text))
            st.segments.append(Segment(len(st.segments), seg_first, i + 1))
            seg_first = i + 2
    st.segments.append(Segment(len(st.segments), seg_first, n))
    st.segment_of_line = [0] * (n + 2)
    for seg in st.segments:
        for ln in range(seg.first, seg.last + 1):
            st.segment_of_line[ln] = seg.index
    marker_lines = {m.line for m in st.markers}
    # --- headings
    skip_title: set[int] = set()
    for i, line in enumerate(lines):
        ln = i + 1
        if ln in marker_lines or i in skip_title or not _HEADING_START.match(line):
            continue
        seg_no = st.segment_of_line[ln]
        m = _NUM_ALONE.match(line)
        if m:
            number = m.group(1)
            j = _next_nonblank(lines, i)
            multi = "." in number
            if number.isalpha() and not multi:
                continue
            if (
                j is not None
                and _title_like(lines[j], allow_period=multi)
                and (multi or _title_like(lines[j]))
            ):
                st.headings.append(
                    Heading(ln, line.find(number) + 1, number, lines[j].strip(), seg_no)
                )
                st.heading_lines.update({ln, j + 1})
                skip_title.add(j)
            continue
        m = _NUM_TITLE.match(line)
        if m and _title_like(m.group(2), allow_period=True) and len(line) < 140:
            st.headings.append(
                Heading(ln, line.find(m.group(1)) + 1, m.group(1), m.group(2), seg_no)
            )
            st.heading_lines.add(ln)
            continue
        m = _INT_DOT_TITLE.match(line)
        if markdown and m and i + 1 < n and lines[i + 1].strip():
            m = None  # a list item whose text wraps onto the next line, not a heading
        if m and m.group(2)[-1] not in ".:;," and not _is_sentence(m.group(2)):
            st.headings.append(
                Heading(ln, line.find(m.group(1)) + 1, m.group(1), m.group(2), seg_no)
            )
            st.heading_lines.add(ln)
            continue
        m = _ANNEX.match(line)
        if m and not re.match(r"\s+[a-z]|.*[;,]\s*$", m.group(2)):  # not "Annex E of the ...;"
            st.headings.append(
                Heading(ln, line.find(m.group(1)) + 1, m.group(1), m.group(2), seg_no)
            )
            st.heading_lines.add(ln)
            continue
        m = _NUM_SETEXT.match(line)
        if m and i + 1 < n and _SETEXT.match(lines[i + 1]) and _title_like(m.group(2)):
            st.headings.append(
                Heading(ln, line.find(m.group(1)) + 1, m.group(1), m.group(2), seg_no)
            )
            st.heading_lines.update({ln, ln + 1})
    st.clause_of_line = [-1] * (n + 2)
    hi = -1
    heading_at = {h.line: k for k, h in enumerate(st.headings)}
    for ln in range(1, n + 1):
        if ln in marker_lines:
            hi = -1  # a change marker ends the clause that was open
        if ln in heading_at:
            hi = heading_at[ln]
        st.clause_of_line[ln] = hi
    # --- labels, NOTEs, reference entries
    for i, line in enumerate(lines):
        ln = i + 1
        if ln in st.heading_lines or ln in marker_lines or not _ITEM_START.match(line):
            continue
        label = _label(line, ln, st.clause_of_line[ln], st)
        if label:
            st.labels.append(label)
        note = _NOTE.match(line)
        if note:
            body = note.group("body")
            if body.strip():
                st.notes.append((ln, note.start("body") + 1, body))
            else:
                j = _next_nonblank(lines, i)
                if j is not None:
                    st.notes.append((j + 1, 1, lines[j]))
        ref = _REF_ENTRY.match(line)
        if ref and not re.match(r"^[\s*]*\[[^\]]+\][\s*]*[a-z,.;:)\]]", line):
            # (a citation that starts a wrapped line, "[5]. The UE ...", is no entry)
            text = ref.group(2).strip()
            st.reference_lines.add(ln)
            if not text:
                j = _next_nonblank(lines, i)
                text = lines[j].strip() if j is not None else ""
                if j is not None:
                    st.reference_lines.add(j + 1)
            elif markdown:  # an entry wrapped over lines: up to the next blank line
                j = i + 1
                while j < n and lines[j].strip() and not _REF_ENTRY.match(lines[j]):
                    st.reference_lines.add(j + 1)
                    text = f"{text} {lines[j].strip()}"
                    j += 1
            st.references.append(
                RefEntry(ln, line.find("[") + 1, ref.group(1), text, st.segment_of_line[ln])
            )
    _abbreviation_clause(lines, st, markdown)
    return st


def _label(line: str, ln: int, clause: int, st: Structure) -> Label | None:
    m = _STEP_WORD.match(line)
    if m:
        return Label(
            ln,
            len(m.group(1)) + 1,
            m.group(2),
            "step",
            m.group(4),
            (m.group(3).lower(),),
            m.group(5),
            clause,
        )
    m = _NUM_LABEL.match(line)
    if m:
        suffix, rest = m.group(6), m.group(7) or ""
        if not suffix and rest:
            return None  # "4 Detailed proposal" style text, not a list label
        lo, hi, sub = int(m.group(3)), m.group(4), m.group(5) or ""
        if hi is not None:
            values: tuple[str, ...] = tuple(str(v) for v in range(lo, int(hi) + 1))
        else:
            values = (f"{lo}{sub}",)
        return Label(ln, len(m.group(1)) + 1, m.group(2), "number", suffix, values, rest, clause)
    m = _ALPHA_LABEL.match(line)
    if m:
        return Label(
            ln,
            len(m.group(1)) + 1,
            m.group(2),
            "alpha",
            m.group(3),
            (m.group(2),),
            m.group(4) or "",
            clause,
        )
    m = _CODE_LABEL.match(line)
    if m:
        return Label(
            ln,
            len(m.group(1)) + 1,
            m.group(2),
            "code",
            m.group(3),
            (m.group(2),),
            m.group(4) or "",
            clause,
        )
    return None


_ABBR_TOKEN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9/&+-]{0,14})\s*$")
_ABBR_INLINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9/&+-]{0,14})(?:\t+| {2,})(\S.*)$")
#: An entry whose tab became one space (a Markdown export): the abbreviation then needs two
#: capitals and the expansion a capital and no citation, so that a sentence is not read as one.
_ABBR_TWO_WORDS = re.compile(r"^\s*([A-Z][A-Za-z0-9]+) ([A-Z]{2,}[0-9]?) ([A-Z].*)$")
_ABBR_SPACE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9/&+-]{0,14}) ([A-Z(][^\s\[]*(?: [^\s\[]+)*)$")


def _abbreviation_clause(lines: list[str], st: Structure, markdown: bool = False) -> None:
    """Entries of a clause titled "Abbreviations": ``ABBR`` then its expansion (in Markdown
    also ``ABBR Expansion`` with one space, where the export turned the tab into a space)."""
    for k, h in enumerate(st.headings):
        if "abbreviation" not in h.title.lower() or "symbols" in h.title.lower():
            continue
        end = st.headings[k + 1].line - 1 if k + 1 < len(st.headings) else len(lines)
        seg = st.segments[h.segment]
        end = min(end, seg.last)
        st.abbreviation_lines.update(range(h.line, end + 1))
        i = h.line  # 0-based index of the line after the heading number
        pending: tuple[int, str] | None = None
        while i < end:
            line = lines[i]
            if (i + 1) in st.heading_lines:
                i += 1
                continue
            m = _ABBR_INLINE.match(line)
            if m is None and markdown and pending is None:
                m = _ABBR_SPACE.match(line)
                if m and sum(c.isupper() for c in m.group(1)) < 2:
                    m = None
                two = _ABBR_TWO_WORDS.match(line) if m else None
                if two and two.group(3).startswith(f"{two.group(1)} "):
                    # "IMS UE IMS User Equipment": a two-word abbreviation
                    _entry(st, f"{two.group(1)} {two.group(2)}", i + 1, two.group(3).strip())
                    i += 1
                    continue
            if m and any(c.isupper() for c in m.group(1)):
                _entry(st, m.group(1), i + 1, m.group(2).strip())
                pending = None
            elif pending is not None and line.strip():
                _entry(st, pending[1], pending[0], line.strip())
                pending = None
            else:
                t = _ABBR_TOKEN.match(line)
                if t and any(c.isupper() for c in t.group(1)):
                    pending = (i + 1, t.group(1))
            i += 1


def _entry(st: Structure, abbr: str, line: int, expansion: str) -> None:
    st.abbreviations.setdefault(abbr, (line, expansion))
    st.abbreviation_entries.append((abbr, line, expansion))
