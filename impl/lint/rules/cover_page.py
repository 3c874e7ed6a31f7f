"""The CR cover page: mandatory fields present and well-formed, category and release allowed.

Read only when the document starts with a 3GPP CR form ("CR-Form-v12.x" / "CHANGE REQUEST";
see :mod:`mckm.impl.lint.cover_page_fields` for how the form is read from .txt, .md and .docx).
Reported:

* a mandatory field missing or left empty (error): specification number, CR number, Current
  version, Title, Source to WG, Work item code, Date, Category, Release, Reason for change,
  Summary of change, Consequences if not approved, Clauses affected;
* a field that is not well-formed (error): specification number ``NN.NNN``, CR number (digits,
  possibly after one letter; a placeholder such as ``xxxx`` is a warning in a draft), rev (``-``
  or a number), Current version ``x.y.z``, Date ``YYYY-MM-DD`` (a real date);
* a category other than F, A, B, C, D and a release other than Rel-8 .. Rel-19 (error);
* a clause named in "Clauses affected" that no heading of the change shows (warning), when
  the document shows clause headings after the form at all.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.cover_page_fields import FIELD_NAMES, CoverPage, cover_page
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import CLAUSE_NUM, structure

ID = "cover-page"

MANDATORY = (
    "spec",
    "cr",
    "current_version",
    "title",
    "source_wg",
    "work_item",
    "date",
    "category",
    "release",
    "reason",
    "summary",
    "consequences",
    "clauses",
)
CATEGORIES = ("F", "A", "B", "C", "D")
RELEASES = tuple(f"Rel-{n}" for n in range(8, 20))
_FORMS: dict[str, tuple[str, str]] = {
    "spec": (r"\d{2}\.\d{3}(?:-\d{1,2})?", "NN.NNN, e.g. 33.180"),
    "rev": (r"-|\d{1,2}", "'-' or a revision number"),
    "current_version": (r"\d{1,2}\.\d{1,2}\.\d{1,2}", "x.y.z, e.g. 16.3.0"),
    "date": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
}
_CR_NUMBER = re.compile(r"[A-Z]?\d{1,4}")
_CLAUSE_LIST = re.compile(rf"(?:Annex\s+)?({CLAUSE_NUM})")


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    page = cover_page(doc)
    if page is None:
        return
    yield from _missing(doc, page)
    yield from _malformed(doc, page, ctx)
    yield from _clauses_affected(doc, page)


def _at(page: CoverPage, name: str) -> tuple[int, int]:
    return page.where.get(name, (page.first, 1))


def _missing(doc: Document, page: CoverPage) -> Iterator[Finding]:
    for name in MANDATORY:
        value = page.values.get(name, "").strip()
        if value:
            continue
        ln, col = _at(page, name)
        label = FIELD_NAMES[name]
        state = "is empty" if name in page.values else "is missing"
        yield finding(
            doc, ID, "error", ln, col, f"cover page: field '{label}' {state}",
            f"fill in '{label}' (mandatory in the CR form)",
        )


def _malformed(doc: Document, page: CoverPage, ctx: Context) -> Iterator[Finding]:
    for name, (pattern, form) in _FORMS.items():
        value = page.values.get(name, "").strip()
        if not value:
            continue
        first = value.split()[0]
        ln, col = _at(page, name)
        if not re.fullmatch(pattern, first):
            yield finding(
                doc, ID, "error", ln, col,
                f"cover page: {FIELD_NAMES[name]} '{first}' is not of the form {form}",
                form,
            )
        elif name == "date" and not _real_date(first):
            yield finding(
                doc, ID, "error", ln, col, f"cover page: Date '{first}' is not a calendar date",
                "YYYY-MM-DD",
            )
    cr = page.values.get("cr", "").strip()
    if cr and not _CR_NUMBER.fullmatch(cr):
        ln, col = _at(page, "cr")
        yield finding(
            doc, ID, ctx.by_stage("warning", "error"), ln, col,
            f"cover page: CR number '{cr}' is not a number",
            "the CR number the CR database allocated, e.g. 0123",
        )
    category = page.values.get("category", "").strip()
    if category and category.split()[0] not in CATEGORIES:
        ln, col = _at(page, "category")
        yield finding(
            doc, ID, "error", ln, col,
            f"cover page: Category '{category.split()[0]}' is not one of "
            f"{', '.join(CATEGORIES)}",
            "F (correction), A (mirror), B (addition of feature), C (functional modification) "
            "or D (editorial modification)",
        )
    release = page.values.get("release", "").strip()
    if release and release.split()[0] not in RELEASES:
        ln, col = _at(page, "release")
        yield finding(
            doc, ID, "error", ln, col,
            f"cover page: Release '{release.split()[0]}' is not one of "
            f"{RELEASES[0]} .. {RELEASES[-1]}",
            "e.g. Rel-18",
        )


def _real_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _clauses_affected(doc: Document, page: CoverPage) -> Iterator[Finding]:
    value = page.values.get("clauses", "")
    if not value:
        return
    shown = {h.number for h in structure(doc).headings if h.line > page.last}
    if not shown:
        return  # the change's text is not in the document
    ln, col = _at(page, "clauses")
    missing = [
        m.group(1)
        for m in _CLAUSE_LIST.finditer(value)
        if "." in m.group(1) or m.group(1).isdigit() or m.group(0).startswith("Annex")
    ]
    missing = [number for number in dict.fromkeys(missing) if number not in shown]
    if missing:
        listed = ", ".join(missing)
        yield finding(
            doc, ID, "warning", ln, col,
            f"cover page: 'Clauses affected' names {listed}, which the change does not show",
            "list only the clauses the change modifies, or add their text",
        )
