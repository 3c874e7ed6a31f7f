"""Locations in a .docx: the clause a finding is under and the offending text quoted, in the text
and JSON output; the span ``--annotate`` anchors on."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from mckm.impl.lint.cli import lint
from mckm.impl.lint.engine import lint_paths, select_rules
from mckm.impl.lint.location import snippet, span
from mckm.impl.lint.model import Finding


@pytest.mark.parametrize(
    ("text", "column", "offending"),
    [
        ("returns MIKEY error 9 (Invalid ID).", 21, "9"),
        ("the KEMAC payload.", 5, "KEMAC"),
        ("ends with RESOLV_INIT_PSK.", 11, "RESOLV_INIT_PSK"),
        ("see “Section 5”, here", 6, "Section"),
        ("trailing   ", 9, ""),
        ("", 1, ""),
    ],
)
def test_span_is_the_offending_word(text: str, column: int, offending: str) -> None:
    start, end = span(text, column)
    assert text[start:end] == offending


def test_snippet_keeps_some_context_and_marks_cuts() -> None:
    text = ("The responder receives the message and checks it carefully; then the KMS "
            "generates the REQUEST_RESP message and sends it to the responder over HTTP as "
            "defined in Annex A of this specification.")
    col = text.index("REQUEST_RESP") + 1
    s = snippet(text, col)
    assert "REQUEST_RESP" in s and s.startswith("…") and s.endswith("…")
    assert len(s) < 80 and s.strip("…") in text
    assert snippet("Short text.", 1) == "Short text."


@pytest.fixture
def pcr(tmp_path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("The KMS intiated it before any clause.")
    d.add_paragraph("7.1")
    d.add_paragraph("Overview")
    d.add_paragraph("The KMS recieves the exchange.")
    d.add_paragraph("7.2")
    d.add_paragraph("Procedures")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "MIKEY error 9 (Invalid ID)"
    table.cell(0, 1).text = "cell two"
    path = tmp_path / "pcr.docx"
    d.save(str(path))
    return path


def test_clause_and_snippet_of_findings_in_a_docx(pcr: Path) -> None:
    found = lint_paths([pcr], select_rules(("spelling", "model-numbers")))
    got = {(f.rule, f.line, f.clause, f.snippet) for f in found}
    assert got == {
        ("spelling", 1, "", "The KMS intiated it before any clause."),
        ("spelling", 4, "7.1", "The KMS recieves the exchange."),
        ("model-numbers", 7, "7.2", "MIKEY error 9 (Invalid ID)"),
    }


def test_every_output_format_carries_the_location(pcr: Path) -> None:
    runner = CliRunner()
    args = ["--select", "model-numbers", str(pcr)]
    text = runner.invoke(lint, args).stdout
    assert text.rstrip().endswith("(in clause 7.2, at “MIKEY error 9 (Invalid ID)”)")
    data = json.loads(runner.invoke(lint, ["--format", "json", *args]).stdout)
    assert [(d["clause"], d["snippet"]) for d in data] == [("7.2", "MIKEY error 9 (Invalid ID)")]


def test_text_of_a_finding_without_clause() -> None:
    f = Finding("a.docx", 1, 9, "spelling", "warning", "'intiated' is not an English word",
                "initiated", "", "The KMS intiated it")
    assert f.to_text().endswith("[initiated] (at “The KMS intiated it”)")
    plain = Finding("a.txt", 1, 9, "spelling", "warning", "m")
    assert plain.to_text() == "a.txt:1:9: warning spelling: m" and plain.where == ""


def test_word_heading_styles_give_the_clause(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_heading("4\tDetailed proposal", level=1)
    d.add_paragraph("The KMS intiated it.")
    d.add_heading("Annex B (normative): Procedures", level=1)
    d.add_heading("B.2.2\tTwo KMS domains", level=2)
    d.add_paragraph("The UE recieves it.")
    path = tmp_path / "styled.docx"
    d.save(str(path))
    found = lint_paths([path], select_rules(("spelling",)))
    assert [(f.line, f.clause) for f in found] == [(2, "4"), (5, "B.2.2")]
