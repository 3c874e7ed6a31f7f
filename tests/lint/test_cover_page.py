"""The CR cover page (issue 18): read from .txt, .md and a .docx table; fields checked."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from mckm.impl.lint.cover_page_fields import cover_page
from mckm.impl.lint.engine import lint_document, lint_paths, select_rules
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.readers import read_document

CORPUS = Path(__file__).resolve().parents[1] / "data" / "lint_corpus"
REAL_CR = CORPUS / "cr_R1-2112947_38214.md"

#: (label, value) rows of a CR form, as the Word table holds them
FORM: list[tuple[str, str]] = [
    ("Title:", "Correction of the KMS redirect response"),
    ("Source to WG:", "mckm"),
    ("Source to TSG:", "S3"),
    ("Work item code:", "MCXSec4"),
    ("Date:", "2024-05-13"),
    ("Category:", "F"),
    ("Release:", "Rel-18"),
    ("Reason for change:", "The KRR is signed with the wrong key."),
    ("Summary of change:", "Sign the KRR with the KMS's signing key."),
    ("Consequences if not approved:", "Receivers cannot verify a KRR."),
    ("Clauses affected:", "5.2.8.2.1, 5.2.8.2.2"),
    ("Other specs affected:", "N"),
    ("Other comments:", ""),
]
CHANGE = [
    "***** Start of change 1 *****",
    "5.2.8.2.1",
    "Content of KRRs",
    "The KRR is signed by the KMS.",
    "5.2.8.2.2",
    "KRR creation procedure by a receiver",
    "The receiver creates the KRR.",
    "***** End of change 1 *****",
]


def txt_lines(rows: list[tuple[str, str]], header: str = "33.180\tCR\t0123\trev\t-") -> list[str]:
    return [
        "3GPP TSG-SA WG3 Meeting #116",
        "CR-Form-v12.2",
        "CHANGE REQUEST",
        f"{header}\tCurrent version:\t18.3.0",
        *(f"{label}\t{value}" for label, value in rows),
        *CHANGE,
    ]


def cover(lines: list[str], path: str = "cr.txt") -> list[Finding]:
    return lint_document(Document(path, lines), select_rules(["cover-page"]))


def with_field(name: str, value: str | None) -> list[tuple[str, str]]:
    """FORM with field ``name`` set to ``value`` (None: the row left out)."""
    return [
        (label, value if label.startswith(name) else v)
        for label, v in FORM
        if not (value is None and label.startswith(name))
    ]


def test_a_well_formed_cover_page_passes_and_is_read_field_by_field() -> None:
    lines = txt_lines(FORM)
    assert cover(lines) == []
    page = cover_page(Document("cr.txt", lines))
    assert page is not None
    assert (page.values["spec"], page.values["cr"], page.values["rev"]) == ("33.180", "0123", "-")
    assert page.values["current_version"] == "18.3.0"
    assert page.values["category"] == "F" and page.values["release"] == "Rel-18"
    assert page.values["clauses"] == "5.2.8.2.1, 5.2.8.2.2"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("Category:", "G", "Category 'G' is not one of F, A, B, C, D"),
        ("Release:", "Rel-7", "Release 'Rel-7' is not one of Rel-8 .. Rel-19"),
        ("Release:", "Release 18", "Release 'Release' is not one of"),
        ("Date:", "13/05/2024", "Date '13/05/2024' is not of the form YYYY-MM-DD"),
        ("Date:", "2024-02-30", "Date '2024-02-30' is not a calendar date"),
        ("Title:", "", "field 'Title' is empty"),
        ("Consequences if not approved:", None, "field 'Consequences if not approved' is missing"),
        ("Work item code:", None, "field 'Work item code' is missing"),
        ("Clauses affected:", "5.2.8.2.1, 5.2.8.3", "names 5.2.8.3, which the change does not"),
    ],
)
def test_a_bad_field_is_reported_by_name(field: str, value: str | None, words: str) -> None:
    found = cover(txt_lines(with_field(field, value)))
    assert any(words in f.message for f in found), found
    assert all(f.rule == "cover-page" for f in found)


def test_header_fields_are_checked() -> None:
    found = cover(txt_lines(FORM, header="33180\tCR\txxxx\trev\tA"))
    messages = " ".join(f.message for f in found)
    assert "specification number" in messages or "is missing" in messages
    assert "CR number 'xxxx' is not a number" in messages
    assert "rev 'A'" in messages
    version = cover([line.replace("18.3.0", "18.3") for line in txt_lines(FORM)])
    assert [f.message for f in version] == [
        "cover page: Current version '18.3' is not of the form x.y.z, e.g. 16.3.0"
    ]


def test_the_cr_number_placeholder_is_an_error_only_at_cr_stage() -> None:
    doc = Document("cr.txt", txt_lines(FORM, header="33.180\tCR\txxxx\trev\t-"))
    rules = select_rules(["cover-page"])
    assert {f.severity for f in lint_document(doc, rules, "draft")} == {"warning"}
    assert {f.severity for f in lint_document(doc, rules, "cr")} == {"error"}


def test_no_cover_page_no_finding_and_form_lines_are_no_abbreviations() -> None:
    assert cover(CHANGE) == []
    lines = txt_lines(with_field("Work item code:", "MCXSecZZ"))
    others = lint_document(Document("cr.txt", lines), select_rules(["abbreviations", "spelling"]))
    assert [f for f in others if f.line <= 4 + len(FORM)] == []


def test_the_real_cr_cover_page_is_read_from_its_markdown_table() -> None:
    page = cover_page(read_document(REAL_CR))
    assert page is not None
    assert page.values["spec"] == "38.214" and page.values["cr"] == "0026"
    assert page.values["rev"] == "-" and page.values["current_version"] == "16.7.0"
    assert page.values["title"] == "Introduction of DL 1024QAM for NR FR1"
    assert page.values["source_wg"] == "Nokia" and page.values["source_tsg"] == ""
    assert page.values["work_item"] == "NR_DL1024QAM_FR1-Core"
    assert page.values["date"] == "2021-12-08"
    assert (page.values["category"], page.values["release"]) == ("B", "Rel-17")
    assert page.values["consequences"] == "Incomplete support of DL 1024QAM for NR FR1"
    assert page.values["clauses"] == "5.1.3, 5.1.3.1, 5.1.3.2, 5.1.6.3, 5.2.2.1"
    assert [f for f in lint_paths([REAL_CR]) if f.rule == "cover-page"] == []


def _docx(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    """A CR as Word writes it: the form is a table (header row, then label | value rows)."""
    d = docx.Document()
    d.add_paragraph("3GPP TSG-SA WG3 Meeting #116")
    table = d.add_table(rows=3 + len(rows), cols=6)
    table.cell(0, 5).text = "CR-Form-v12.2"
    table.cell(1, 2).text = "CHANGE REQUEST"
    for col, text in enumerate(["33.180", "CR", "0123", "rev", "-", "Current version: 18.3.0"]):
        table.cell(2, col).text = text
    for row, (label, value) in enumerate(rows, 3):
        table.cell(row, 0).text = label
        table.cell(row, 1).text = value
    for line in CHANGE:
        d.add_paragraph(line)
    path = tmp_path / "cr.docx"
    d.save(str(path))
    return path


def test_the_cover_page_is_read_from_a_docx_table(tmp_path: Path) -> None:
    assert [f for f in lint_paths([_docx(tmp_path, FORM)]) if f.rule == "cover-page"] == []
    bad = _docx(tmp_path, with_field("Category:", "Z"))
    found = [f for f in lint_paths([bad]) if f.rule == "cover-page"]
    assert [f.message for f in found] == [
        "cover page: Category 'Z' is not one of F, A, B, C, D"
    ]
