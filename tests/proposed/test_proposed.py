"""The proposed text of the seeds (``mckm propose``, ``spec/proposed/*.yaml``): the Word file
read back with python-docx and with ``mckm lint``'s reader, which reads tracked insertions and
skips deletions, as Word shows a document with every change accepted."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.errors import UsageError
from mckm.impl.lint.readers import docx_body_lines
from mckm.impl.proposed.changes import accepted, load, paragraph, rejected
from mckm.impl.proposed.docs import CHANGE_LISTS, SEEDS, render_pages
from mckm.impl.proposed.docx_tracked import comment_text
from mckm.models.procedures.registry import PROCEDURES

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LISTS = sorted(CHANGE_LISTS.glob("*.yaml"))


def test_every_seed_has_a_proposed_text() -> None:
    seeds = {p.name[:3] for p in SEEDS.glob("[0-9][0-9][0-9]_*.txt")}
    assert len(seeds) == 5 and {p.stem for p in LISTS} == seeds


@pytest.mark.parametrize("changes_file", LISTS, ids=lambda p: p.stem)
def test_the_word_file_tracks_each_change_and_reads_back(changes_file: Path,
                                                         tmp_path: Path) -> None:
    proposal = load(changes_file, SEEDS)
    out = tmp_path / "p.docx"
    result = CliRunner().invoke(main, ["propose", str(changes_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    body = document.element.body
    inserted = "".join(t.text for t in body.iter(f"{W}ins") for t in t.iter(f"{W}t"))
    deleted = "".join(t.text for t in body.iter(f"{W}del") for t in t.iter(f"{W}delText"))
    assert inserted and deleted
    for ins_or_del in (*body.iter(f"{W}ins"), *body.iter(f"{W}del")):
        assert ins_or_del.get(f"{W}author") == "mckm" and ins_or_del.get(f"{W}date")
    # one comment per change, saying why
    comments = [c.text for c in document.comments]
    assert comments == [comment_text(c) for c in proposal.changes]
    # accepted: what lint's reader sees; rejected: the seed's own paragraphs
    expected_accepted, expected_seed = [], []
    for clause in proposal.clauses:
        for line in clause.lines:
            pieces = list(paragraph(line, proposal.changes_in(clause)))
            expected_accepted.append(accepted(pieces))
            expected_seed.append(rejected(pieces))
    read = [line.text for line in docx_body_lines(body) if line.text]
    assert all(text in read for text in expected_accepted)
    assert expected_seed == [line for c in proposal.clauses for line in c.lines]
    for change in proposal.changes:
        assert any(change.new in text for text in expected_accepted)
        assert not any(change.old in text for text in expected_accepted) or change.old in change.new


@pytest.mark.parametrize("changes_file", LISTS, ids=lambda p: p.stem)
def test_each_change_names_requirements_that_exist(changes_file: Path) -> None:
    known = {r for p in PROCEDURES for r in p.requirements}
    root = CHANGE_LISTS.parents[1]
    for change in load(changes_file, SEEDS).changes:
        for ref in change.see:
            assert ref in known or (ref.startswith("spec/") and (root / ref).is_file()), ref


def test_the_page_marks_deletions_and_insertions_and_links_each_change() -> None:
    text = render_pages()["proposed-002"]
    assert "<del>REQUEST\\_RESP</del><ins>RESOLVE\\_RESP</ins>" in text
    assert text.count('<span id="change-') == len(load(CHANGE_LISTS / "002.yaml", SEEDS).changes)
    assert "[spec/mikey-ticket.md](spec-mikey-ticket.md)" in text


def _changes(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "c.yaml"
    f.write_text("seed: 004_a64e1ecc35e35ca6.txt\ntarget: TS 33.434\ntitle: t\nclauses:\n"
                 "  - {number: '6.Y.2', from: '6.Y.2', to: '***** End of Changes *****'}\n"
                 + body, encoding="utf-8")
    return f


@pytest.mark.parametrize("body,says", [
    ("changes:\n  - {clause: '6.Y.2', old: 'no such words', new: 'x', why: 'w'}\n",
     "change 1: 'old' text 'no such words' occurs 0 times in clause 6.Y.2"),
    ("changes:\n  - {clause: '6.Y.2', old: 'SK-ID', new: 'x', why: 'w'}\n",
     "occurs 6 times in clause 6.Y.2 (it must occur once)"),
    ("changes:\n  - {clause: '9.9', old: 'K', new: 'x', why: 'w'}\n",
     "change 1: no clause '9.9' in the list"),
    ("changes:\n  - {clause: '6.Y.2', old: 'The key, K, is distributed encrypted', new: 'x'}\n",
     "change 1: 'why' must be a non-empty string"),
])
def test_a_change_that_does_not_fit_the_seed_is_named(tmp_path: Path, body: str,
                                                      says: str) -> None:
    with pytest.raises(UsageError, match=None) as e:
        load(_changes(tmp_path, body), SEEDS)
    assert says in str(e.value)


def test_the_word_file_is_all_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "p.docx"
    result = CliRunner().invoke(main, ["propose", str(LISTS[0]), "--out", str(out)])
    assert result.exit_code == 2 and "cannot write" in result.output
    assert not out.parent.exists()
