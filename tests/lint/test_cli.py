"""`mckm lint` command line: formats, exit status, --strict, --stage, ignore file, help, docs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.lint.cli import lint
from mckm.impl.lint.docs import render_pages
from mckm.impl.lint.ignore import parse_ignore
from mckm.impl.lint.rules import all_rules

SEEDS = sorted((Path(__file__).parents[1] / "data" / "seeds").glob("*.txt"))


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    p = tmp_path / "draft.txt"
    p.write_text("7.8.x\nSolution\nThe KMS intiated it.\n", encoding="utf-8")
    return p


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint, list(args))
    return result.exit_code, result.stdout


def test_text_format_and_exit_status(draft: Path) -> None:
    code, out = invoke(str(draft))
    assert code == 0  # a note and a warning, no error
    assert f"{draft}:3:9: warning spelling: 'intiated' is not an English word [initiated]" in out


def test_strict_and_stage(draft: Path) -> None:
    assert invoke("--strict", str(draft))[0] == 1
    code, out = invoke("--stage", "cr", str(draft))
    assert code == 1 and "error placeholder" in out


def test_json_format(draft: Path) -> None:
    _, out = invoke("--format", "json", str(draft))
    data = json.loads(out)
    assert isinstance(data, list) and data
    assert set(data[0]) == {
        "file", "line", "column", "rule", "severity", "message", "suggestion", "clause", "snippet"
    }
    assert data[0]["clause"] == data[0]["snippet"] == ""  # set for .docx input only


def test_ignore_file(draft: Path, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore"
    ignore.write_text("spelling draft.txt:3  # a quoted name\nplaceholder /7\\.8\\.x/\n")
    code, out = invoke("--ignore", str(ignore), "--strict", str(draft))
    assert (code, out) == (0, "")


def test_ignore_parsing_errors() -> None:
    entries = parse_ignore("* a.txt\nxref\n# comment\n")
    assert [(e.rule, e.glob) for e in entries] == [("*", "a.txt"), ("xref", None)]
    with pytest.raises(Exception, match="not a rule id"):
        parse_ignore("Not_A_Rule\n")


def test_usage_errors(draft: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(lint, [str(tmp_path / "absent.txt")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    assert invoke("--select", "no-such-rule", str(draft))[0] == 2
    assert invoke("--ignore", str(tmp_path / "none"), str(draft))[0] == 2


def test_select_and_disable(draft: Path) -> None:
    _, out = invoke("--select", "spelling", str(draft))
    assert "spelling" in out and "placeholder" not in out
    _, out = invoke("--disable", "spelling", str(draft))
    assert "spelling" not in out and "placeholder" in out


def test_help_and_docs_explain_every_rule() -> None:
    _, out = invoke("--help")
    page = render_pages()["lint-rules"]
    for rule in all_rules():
        assert rule.id in out and f"## `{rule.id}`" in page and rule.description


def test_seeds_fast_and_real_defects_found() -> None:
    start = time.perf_counter()
    code, out = invoke("--format", "json", *map(str, SEEDS))
    elapsed = time.perf_counter() - start
    found = {(Path(f["file"]).name[:3], f["rule"], f["line"]) for f in json.loads(out)}
    assert code == 1 and elapsed < 5  # budget for slow CI; measured ~0.6 s locally
    for expected in [
        ("000", "change-markers", 44),  # Start of change 1 ... End of change 2
        ("000", "spelling", 29),  # intiated
        ("001", "step-ref", 53),  # "Steps 3 and 3b" where only 3a/3b exist
        ("002", "message-flow", 120),  # REQUEST_RESP received after RESOLVE_RESP was sent
        ("002", "message-name", 104),  # IDi payload in RESOLVE_INIT_PSK
        ("002", "message-name", 157),  # RESOLV_INIT_PSK, RESPOLVE_INIT_PSK
        ("003", "placeholder", 11),  # [xx]
        ("004", "references", 37),  # [aa] entry
    ]:
        assert expected in found, expected


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(1, 10**6), st.text(), st.text())
def test_json_items_are_json_dumps_indent_2(name: str, line: int, message: str, hint: str) -> None:
    """The JSON output writes each finding with the C encoder, field by field: the same text as
    ``json.dumps(..., indent=2, ensure_ascii=False)`` indented by two spaces."""
    from mckm.impl.lint.cli import _json_item
    from mckm.impl.lint.model import Finding

    f = Finding(name, line, 1, "spelling", "warning", message, hint)
    expected = json.dumps(f.to_json(), indent=2, ensure_ascii=False).replace("\n", "\n  ")
    assert _json_item(f) == "  " + expected
