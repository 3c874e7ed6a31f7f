"""The 3GPP CR cover page (the "CR-Form-v12.x" table) read from a document's lines.

A Change Request starts with a form: the header row (``33.180 CR 0123 rev - Current version:
16.3.0``), then labelled fields (``Title:``, ``Source to WG:``, ``Source to TSG:``, ``Work item
code:``, ``Date:``, ``Category:``, ``Release:``, ``Reason for change:``, ``Summary of change:``,
``Consequences if not approved:``, ``Clauses affected:``, ``Other specs affected:``, ``Other
comments:``) with the form's help text (the category and release legends) between them.  The
form is a Word table; this module reads it from the lines any reader gives:

* ``.docx`` (:func:`mckm.impl.lint.readers.docx_lines`): one line per cell paragraph, row by
  row, so a label and its value are consecutive lines;
* Markdown: table rows ``| Title: | Introduction of ... |``, cells split at ``|``;
* plain text exported from Word: cells separated by tabs, or ``Label: value`` on one line.

Each line is cut into *cells* (``|`` or tab separated, Markdown emphasis dropped); a cell that
starts with a label opens that field, and the cells after it, up to the next label, are its
value.  The legends ("Use one of the following categories:", "F (correction)", "Rel-8 (Release
8)", ...) are skipped: from "Use one of the following" to the next label every cell is help
text.  A label may be split over two rows ("Consequences if not" / "approved:").

The form's content follows the CR form's own instructions (3GPP "CR-Form-v12"); the allowed
categories are those the form lists (F, A, B, C, D; TR 21.900 explains them) and the releases
those of the form's legend, Rel-8 onwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mckm.impl.lint.model import Document

#: The form is looked for in the first lines of a document only.
SEARCH_LINES = 80
#: The form ends at most this many lines after its first line.
MAX_LINES = 160
#: A form title is one when this many of the form's labels follow it.
MIN_LABELS = 3

_FORM = re.compile(r"CR-Form-v\d+(?:\.\d+)*|CHANGE\s+REQUEST")

#: field name -> label pattern (matched at the start of a cell, case ignored)
LABELS: dict[str, str] = {
    "current_version": r"Current\s+version\s*:",
    "title": r"Title\s*:",
    "source_wg": r"Source\s+to\s+WG\s*:",
    "source_tsg": r"Source\s+to\s+TSG\s*:",
    "work_item": r"Work\s+item\s+code\s*:",
    "date": r"Date\s*:",
    "category": r"Category\s*:",
    "release": r"Release\s*:",
    "reason": r"Reason\s+for\s+change\s*:",
    "summary": r"Summary\s+of\s+change\s*:",
    "consequences": r"Consequences\s+if\s+not(?:\s+approved\s*:)?",
    "clauses": r"Clauses\s+affected\s*:",
    "other_specs": r"Other\s+specs(?:\s+affected\s*:)?",
    "other_comments": r"Other\s+comments\s*:",
    "history": r"This\s+CR['’]s\s+revision\s+history\s*:",
}
#: How a person names each field in a message.
FIELD_NAMES: dict[str, str] = {
    "spec": "specification number",
    "cr": "CR number",
    "rev": "rev",
    "current_version": "Current version",
    "title": "Title",
    "source_wg": "Source to WG",
    "source_tsg": "Source to TSG",
    "work_item": "Work item code",
    "date": "Date",
    "category": "Category",
    "release": "Release",
    "reason": "Reason for change",
    "summary": "Summary of change",
    "consequences": "Consequences if not approved",
    "clauses": "Clauses affected",
    "other_specs": "Other specs affected",
    "other_comments": "Other comments",
}
_LABEL = re.compile(
    "|".join(f"(?P<{name}>{pattern})" for name, pattern in LABELS.items()), re.IGNORECASE
)
#: Cells of the form's legends and check boxes, never a field's value.
_HELP = re.compile(
    r"^(?:Use\s+one\s+of\s+the\s+following|Detailed\s+explanations|be\s+found\s+in|"
    r"[FABCDE]\s*\((?:correction|mirror|addition|functional|editorial)|"
    r"\(Release\s+\d+\)$|Rel-\d+\s*\(Release|release\)|…$|\.\.\.$|"
    r"For\s+HELP|http://www\.3gpp\.org/Change-Requests|Proposed\s+change\s+affects|"
    r"approved\s*:$|affected\s*:|\(show\s+related\s+CRs\)|Y\s+N$|[XY]$|N$|"
    r"UICC\s+apps|ME\b|Radio\s+Access\s+Network|Core\s+Network|"
    r"Other\s+core\s+specifications|Test\s+specifications|O&M\s+Specifications|"
    r"TS/TR\s+\.\.\.\s+CR)",
    re.IGNORECASE,
)
_HELP_START = re.compile(r"^Use\s+one\s+of\s+the\s+following", re.IGNORECASE)
_SPEC = re.compile(r"(?<![\d.])(\d{2}\.\d{3}(?:-\d{1,2})?)\s+CR\b")
_CR = re.compile(r"\bCR\s+(\S+)")
_REV = re.compile(r"\brev\s+(\S+)")
_VERSION = re.compile(r"Current\s+version\s*:\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    """A cell of the form: its text and where it starts (line, 1-based column)."""

    line: int
    column: int
    text: str


@dataclass
class CoverPage:
    """The form's fields: ``values[name]`` is the value's cells, joined with a space (empty if
    the label has no value); ``where[name]`` is where the label (or the header value) stands."""

    first: int  # first line of the form
    last: int  # last line of the form
    values: dict[str, str] = field(default_factory=dict)
    where: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def lines(self) -> range:
        return range(self.first, self.last + 1)


def _cells(line: str, number: int) -> list[Cell]:
    out: list[Cell] = []
    separator = "|" if line.lstrip().startswith("|") else "\t"
    pos = 0
    for raw in line.split(separator):
        start = pos
        pos += len(raw) + 1
        text = raw.replace("**", "").replace("*", "").strip()
        if text and not re.fullmatch(r":?-{3,}:?", text):  # (a Markdown rule row is no cell)
            column = start + raw.find(text[0]) + 1 if text[0] in raw else start + 1
            out.append(Cell(number, column, text))
    return out


def _form_start(doc: Document) -> int | None:
    """The line of the form's title cell ("CR-Form-v12.2" or "CHANGE REQUEST" as a whole cell,
    not inside a sentence), when at least :data:`MIN_LABELS` of the form's labels follow it."""
    for number, line in enumerate(doc.lines[:SEARCH_LINES], 1):
        if not _FORM.search(line):
            continue
        if not any(_FORM.fullmatch(cell.text) for cell in _cells(line, number)):
            continue
        window = doc.lines[number : number + MAX_LINES]
        labels = {
            m.lastgroup
            for text in window
            for cell in _cells(text, 0)
            if (m := _LABEL.match(cell.text)) is not None
        }
        if len(labels) >= MIN_LABELS:
            return number
    return None


def cover_page(doc: Document) -> CoverPage | None:
    """The document's CR cover page, or None when it has none (computed once)."""
    cached = doc._cache.get("cover_page")
    if cached is not None:
        return cached if isinstance(cached, CoverPage) else None
    result = _read(doc)
    doc._cache["cover_page"] = result if result is not None else False
    return result


def _read(doc: Document) -> CoverPage | None:
    start = _form_start(doc)
    if start is None:
        return None
    end = min(len(doc.lines), start + MAX_LINES)
    page = CoverPage(start, start)
    state = _State()
    for number in range(start, end + 1):
        line = doc.lines[number - 1]
        if number > start and _ends_form(line, state):
            break
        if line.strip():
            page.last = number
        if not _take(page, state, _cells(line, number)):
            break
    _header(page, state.header)
    return page


@dataclass
class _State:
    current: str | None = None
    helping: bool = False
    seen_last: bool = False  # "Other comments" (the form's last field) was read
    header: list[Cell] = field(default_factory=list)


def _take(page: CoverPage, state: _State, cells: list[Cell]) -> bool:
    """Read one line's cells into ``page``; False at the form's end (its history field)."""
    for cell in cells:
        m = _LABEL.match(cell.text)
        if m:
            name = m.lastgroup or ""
            state.helping = False
            if name == "history":
                return False
            if name == "other_comments":
                state.seen_last = True
            if name == "current_version":
                state.header.append(cell)
            state.current = name
            page.values.setdefault(name, "")
            page.where.setdefault(name, (cell.line, cell.column))
            rest = cell.text[m.end() :].strip()
            if rest:
                _add(page, name, rest)
            continue
        if _HELP_START.match(cell.text):
            state.helping = True
            continue
        if state.helping or _HELP.match(cell.text):
            continue
        if state.current is None or state.current == "current_version":
            state.header.append(cell)
            if state.current == "current_version":
                _add(page, state.current, cell.text)
                state.current = None
            continue
        _add(page, state.current, cell.text)
    return True


def _ends_form(line: str, state: _State) -> bool:
    """A change marker ends the form; after its last field, so does a heading or a line of
    running text (not a table row)."""
    text = line.strip()
    low = text.lower()
    if "change" in low and re.match(r"[*=#~ -]*(start|begin|first)", low):
        return True
    return state.seen_last and bool(text) and (
        text.startswith("#") or (not text.startswith("|") and "\t" not in line and len(text) > 60)
    )


def _add(page: CoverPage, name: str, text: str) -> None:
    page.values[name] = f"{page.values[name]} {text}".strip() if page.values.get(name) else text


def _header(page: CoverPage, header: list[Cell]) -> None:
    """Spec number, CR number, rev and Current version from the header row's cells."""
    joined = " ".join(c.text for c in header)
    for name, pattern in (("spec", _SPEC), ("cr", _CR), ("rev", _REV)):
        m = pattern.search(joined)
        if m:
            page.values[name] = m.group(1)
            page.where[name] = _place(header, m.start(1))
    if not page.values.get("current_version"):
        m = _VERSION.search(joined)
        if m:
            page.values["current_version"] = m.group(1)


def _place(cells: list[Cell], offset: int) -> tuple[int, int]:
    """Where the character at ``offset`` of the cells joined with spaces stands."""
    pos = 0
    for cell in cells:
        if offset < pos + len(cell.text) + 1:
            return cell.line, cell.column + max(0, offset - pos)
        pos += len(cell.text) + 1
    return (cells[-1].line, cells[-1].column) if cells else (1, 1)


def cover_lines(doc: Document) -> set[int]:
    """The lines of the document's CR cover page (empty when it has none): rules about running
    text (abbreviations, spelling) leave the form's labels and legends alone."""
    page = cover_page(doc)
    return set(page.lines) if page is not None else set()
