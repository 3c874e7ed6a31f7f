"""Readers: .docx paragraphs in order with tracked changes accepted; Markdown; bad input."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from mckm.impl.errors import UsageError
from mckm.impl.lint.engine import lint_paths
from mckm.impl.lint.readers import read_document

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _tracked_paragraph(parts: list[tuple[str, str]]) -> object:
    """A ``w:p`` of runs; kind "ins"/"del" wraps the run in a tracked change."""
    runs = []
    for i, (kind, text) in enumerate(parts):
        if kind == "del":
            runs.append(
                f'<w:del w:id="{i}" w:author="a" w:date="2024-01-01T00:00:00Z">'
                f'<w:r><w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>'
            )
        elif kind == "ins":
            runs.append(
                f'<w:ins w:id="{i}" w:author="a" w:date="2024-01-01T00:00:00Z">'
                f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:ins>'
            )
        else:
            runs.append(f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>')
    return parse_xml(f"<w:p {W}>{''.join(runs)}</w:p>")


@pytest.fixture
def contribution(tmp_path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("*** Start of change 1 ***")
    d.add_paragraph("7.1")
    d.add_paragraph("Overview")
    anchor = d.add_paragraph("")._p  # tracked paragraphs go here, in document order
    anchor.addprevious(
        _tracked_paragraph(
            [
                ("", "The KMS sends the "),
                ("del", "REQUEST_RESP"),
                ("ins", "RESOLVE_RESP"),
                ("", " message."),
            ]
        )
    )
    anchor.addprevious(
        _tracked_paragraph([("", "The UE "), ("ins", "intiated"), ("del", "recieve"), ("", " it.")])
    )
    anchor.getparent().remove(anchor)
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "cell one"
    table.cell(0, 1).text = "cell two"
    d.add_paragraph("*** End of change 1 ***")
    path = tmp_path / "pcr.docx"
    d.save(str(path))
    return path


def test_docx_accepts_insertions_and_drops_deletions(contribution: Path) -> None:
    lines = read_document(contribution).lines
    assert lines[:5] == [
        "*** Start of change 1 ***",
        "7.1",
        "Overview",
        "The KMS sends the RESOLVE_RESP message.",
        "The UE intiated it.",
    ]
    assert lines[5:7] == ["cell one", "cell two"]
    assert lines[7] == "*** End of change 1 ***"


def test_docx_line_numbers_are_paragraphs(contribution: Path) -> None:
    found = lint_paths([contribution])
    spelled = [f for f in found if f.rule == "spelling"]
    assert [(f.line, f.column, f.message) for f in spelled] == [
        (5, 8, "'intiated' is not an English word")
    ]
    assert not any("REQUEST_RESP" in f.message for f in found)
    assert not any(f.rule == "change-markers" for f in found)


def test_markdown_headings_and_code(tmp_path: Path) -> None:
    path = tmp_path / "spec.md"
    path.write_text("## 7.1 Overview\n\n```\nthe the\n```\nThe text.\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.lines[0] == "   7.1 Overview" and doc.lines[3] == ""
    assert lint_paths([path], None) == []


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_document(tmp_path / "absent.txt")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(UsageError, match=r"not a readable \.docx"):
        read_document(bad)
