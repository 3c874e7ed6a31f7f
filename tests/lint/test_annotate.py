"""`mckm lint --annotate`: findings as Word comments on the offending text, tracked changes kept;
checked on the package's XML (no LibreOffice) and by opening the result with python-docx."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import parse_xml
from lxml import etree

from mckm.impl.lint.cli import lint
from mckm.impl.lint.readers import read_document

WNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f'xmlns:w="{WNS}"'
_W = f"{{{WNS}}}"
DATE = 'w:author="editor" w:date="2024-01-01T00:00:00Z"'


def _paragraph(parts: list[tuple[str, str]]) -> object:
    """A ``w:p`` of one run per part; kind "ins"/"del" wraps the run in a tracked change."""
    xml = []
    for i, (kind, text) in enumerate(parts, start=100):
        if kind == "del":
            xml.append(f'<w:del w:id="{i}" {DATE}><w:r><w:rPr><w:b/></w:rPr>'
                       f'<w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>')
        elif kind == "ins":
            xml.append(f'<w:ins w:id="{i}" {DATE}><w:r><w:rPr><w:i/></w:rPr>'
                       f'<w:t xml:space="preserve">{text}</w:t></w:r></w:ins>')
        else:
            xml.append(f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>')
    return parse_xml(f"<w:p {W}>{''.join(xml)}</w:p>")


@pytest.fixture
def pcr(tmp_path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("6.2")
    d.add_paragraph("Key distribution")
    anchor = d.add_paragraph("")._p
    anchor.addprevious(_paragraph([
        ("", "The key is sent in a MIKEY-SAKKE I_MESSAGE. The I_MESSAGE carries the "),
        ("del", "SAKKE"),
        ("ins", "KEMAC"),
        ("", " payload."),
    ]))
    anchor.addprevious(_paragraph([("", "On a bad signature the receiver returns MIKEY error 9 "
                                        "(Invalid ID) and stops.")]))
    anchor.getparent().remove(anchor)
    path = tmp_path / "pcr.docx"
    d.save(str(path))
    return path


def _xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def _anchored(body: etree._Element) -> dict[str, str]:
    """Comment id -> the text between its commentRangeStart and commentRangeEnd (w:t only)."""
    open_ids: dict[str, list[str]] = {}
    out: dict[str, str] = {}
    for el in body.iter():
        if el.tag == f"{_W}commentRangeStart":
            open_ids[el.get(f"{_W}id")] = []
        elif el.tag == f"{_W}commentRangeEnd":
            cid = el.get(f"{_W}id")
            out[cid] = "".join(open_ids.pop(cid))
        elif el.tag == f"{_W}t":
            for parts in open_ids.values():
                parts.append(el.text or "")
    assert not open_ids, f"ranges never closed: {sorted(open_ids)}"
    return out


def _tracked(body: etree._Element) -> list[tuple[str, str]]:
    return [
        (el.tag.removeprefix(_W), "".join(el.itertext()))
        for el in body.iter(f"{_W}ins", f"{_W}del")
    ]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(lint, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_annotate_writes_comments_on_the_offending_runs(pcr: Path, tmp_path: Path) -> None:
    out = tmp_path / "annotated.docx"
    code, stdout, stderr = run("--format", "json", "--select", "message-name", "--select",
                               "model-numbers", "--annotate", str(out), str(pcr))
    findings = json.loads(stdout)
    assert code == 1 and len(findings) == 2, findings
    assert f"{out}: 2 comments" in stderr

    doc_xml = _xml(out, "word/document.xml")
    comments = _xml(out, "word/comments.xml")
    texts = {c.get(f"{_W}id"): "".join(c.itertext()) for c in comments.iter(f"{_W}comment")}
    assert {c.get(f"{_W}author") for c in comments.iter(f"{_W}comment")} == {"mckm lint"}
    anchored = _anchored(doc_xml)
    assert set(anchored) == set(texts)
    by_text = {anchored[cid]: texts[cid] for cid in texts}
    # each comment covers exactly the offending text, the run split where needed
    assert set(by_text) == {"KEMAC", "9"}
    assert "message-name" in by_text["KEMAC"] and "no KEMAC payload" in by_text["KEMAC"]
    assert "model-numbers" in by_text["9"] and "Suggestion: 7" in by_text["9"]
    # the KEMAC anchor is inside the tracked insertion; the deletion is untouched
    kemac_id = next(cid for cid, text in anchored.items() if text == "KEMAC")
    for tag in ("commentRangeStart", "commentRangeEnd"):
        marker = next(el for el in doc_xml.iter(f"{_W}{tag}") if el.get(f"{_W}id") == kemac_id)
        assert marker.getparent().tag == f"{_W}ins"
    assert _tracked(doc_xml) == _tracked(_xml(pcr, "word/document.xml"))
    assert ("del", "SAKKE") in _tracked(doc_xml) and ("ins", "KEMAC") in _tracked(doc_xml)
    # the split runs keep their formatting: the inserted KEMAC stays italic
    kemac_run = next(t.getparent() for t in doc_xml.iter(f"{_W}t") if t.text == "KEMAC")
    assert kemac_run.find(f"{_W}rPr/{_W}i") is not None

    # python-docx opens the result and sees the comments; the text reads as before
    reopened = docx.Document(str(out))
    assert len(list(reopened.comments)) == 2
    assert read_document(out).lines == read_document(pcr).lines


def test_findings_in_a_docx_carry_clause_and_snippet(pcr: Path) -> None:
    _, stdout, _ = run("--format", "json", "--select", "message-name", str(pcr))
    (f,) = json.loads(stdout)
    assert f["clause"] == "6.2"
    assert f["snippet"] == "…I_MESSAGE carries the KEMAC payload."
    _, text, _ = run("--select", "message-name", str(pcr))
    assert text.rstrip().endswith(
        "(in clause 6.2, at “…I_MESSAGE carries the KEMAC payload.”)")


def test_annotate_refuses_bad_use(pcr: Path, tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("text\n")
    for args in (
        ("--annotate", str(tmp_path / "o.docx"), str(txt)),
        ("--annotate", str(tmp_path / "o.docx"), str(pcr), str(pcr)),
        ("--annotate", str(tmp_path / "o.txt"), str(pcr)),
        ("--annotate", str(pcr), str(pcr)),
    ):
        code, _, stderr = run(*args)
        assert code == 2 and "annotate" in stderr and "Traceback" not in stderr, (args, stderr)
    assert not (tmp_path / "o.docx").exists()


def test_annotate_without_findings_copies_the_document(pcr: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean.docx"
    code, _, stderr = run("--select", "step-ref", "--annotate", str(out), str(pcr))
    assert code == 0 and f"{out}: 0 comments" in stderr
    assert read_document(out).lines == read_document(pcr).lines
    assert _tracked(_xml(out, "word/document.xml")) == _tracked(_xml(pcr, "word/document.xml"))


def test_anchors_in_table_cells_and_after_line_breaks(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("5.1")
    d.add_paragraph("Errors")
    p = d.add_paragraph("It returns MIKEY error 9 (Invalid ID).")
    p.runs[0].add_break()
    p.add_run("Else MIKEY error 14 (Invalid TS) is sent.")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "On a stale T"
    table.cell(0, 1).text = "the KMS returns MIKEY error 3 (Invalid TS)"
    src, out = tmp_path / "in.docx", tmp_path / "out.docx"
    d.save(str(src))
    code, stdout, _ = run("--format", "json", "--select", "model-numbers", "--annotate",
                          str(out), str(src))
    # line 3: Invalid ID is 7; line 4 (after the break) and 6 (a table cell): Invalid TS is 1
    lines = {(f["line"], f["clause"], f["suggestion"]) for f in json.loads(stdout)}
    assert code == 1 and lines == {(3, "5.1", "7"), (4, "5.1", "1"), (6, "5.1", "1")}, lines
    anchored = _anchored(_xml(out, "word/document.xml"))
    assert sorted(anchored.values()) == sorted(["9", "14", "3"]), anchored
    assert read_document(out).lines == read_document(src).lines


def test_every_finding_of_a_seed_becomes_a_comment_on_its_text(tmp_path: Path) -> None:
    from mckm.impl.lint.location import span

    seed = next((Path(__file__).parents[1] / "data" / "seeds").glob("002_*.txt"))
    lines = seed.read_text(encoding="utf-8").split("\n")
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    src, out = tmp_path / "seed.docx", tmp_path / "annotated.docx"
    d.save(str(src))
    code, stdout, stderr = run("--format", "json", "--annotate", str(out), str(src))
    findings = json.loads(stdout)
    assert code == 1 and len(findings) > 10
    assert f"{out}: {len(findings)} comments" in stderr
    # each comment's anchor is the offending text of its finding
    def offending(f: dict[str, object]) -> str:
        text = lines[int(str(f["line"])) - 1]
        start, end = span(text, int(str(f["column"])))
        return text[start:end] or text  # nothing to quote: the whole paragraph

    expected = sorted(offending(f) for f in findings)
    assert sorted(_anchored(_xml(out, "word/document.xml")).values()) == expected
    comments = _xml(out, "word/comments.xml")
    texts = sorted("".join(c.itertext()) for c in comments.iter(f"{_W}comment"))
    assert any("model-identity" in t and "uss-match" in t for t in texts)
    assert read_document(out).lines == read_document(src).lines
