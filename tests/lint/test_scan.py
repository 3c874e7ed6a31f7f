"""Issue 13: reading in chunks and scanning whole parts find what reading line by line finds.

* :mod:`mckm.impl.lint.scan` (whole-part regexes, plain-string and piece prefilters) against
  the line-by-line loops the rules used before, on generated text with the characters that make
  line and word edges tricky (tabs, no-break spaces, quotes, hyphens, CR-less line ends);
* the reader with its byte blocks cut at every offset of a small file (multi-byte UTF-8,
  UTF-16 surrogate pairs, bad bytes, ``\\r\\n``): the same encoding, lines and ``encoding``
  findings as one block;
* a file cut into parts at every blank line: the parts hold the file's lines with the file's
  numbers, and the line-local rules find the same as in the whole file;
* the bit-parallel edit distance against the dynamic-programming table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.lint import readers
from mckm.impl.lint.engine import lint_document, select_rules
from mckm.impl.lint.model import Document
from mckm.impl.lint.readers import iter_documents, open_source, read_document
from mckm.impl.lint.scan import distinct_pieces, lines_with, lines_with_pieces, matches, pieces
from mckm.impl.lint.textutil import edit_distance

#: Characters that make edges tricky: word characters, hyphens, dots, the whitespace that
#: ``str.split`` and ``\\s`` see but ``" "`` does not, quotes and brackets.
_ALPHABET = "aAbB1-._ \t\u00a0\x0c'\"“”()[]#:?"
_LINES = st.lists(st.text(alphabet=_ALPHABET, max_size=14), min_size=0, max_size=8)

#: Whole-part patterns as the rules write them (no match crosses a line end).
_PATTERNS = [
    re.compile(r"\b([A-Za-z]++)[^\S\n]+\1\b", re.I),  # revision-residue: doubled word
    re.compile(r"(?<![\w-])([a-z])([A-Z]{2,}[A-Za-z]*)\b"),  # glued letter
    re.compile(r"(?<![\w.#-])\d(?:\.\d)*\.[aA](?![\w])"),  # a placeholder-number shape
    re.compile(r"(?<=[a-z0-9,\])])( {2,})(?=[A-Za-z(\[])"),  # two spaces
]


def _per_line(lines: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
    return [
        (ln, m.start(), m.group())
        for ln, line in enumerate(lines, 1)
        for m in pattern.finditer(line)
    ]


@settings(max_examples=300, deadline=None)
@given(_LINES, st.sampled_from(range(len(_PATTERNS))))
def test_whole_part_matches_are_the_per_line_matches(lines: list[str], which: int) -> None:
    pattern = _PATTERNS[which]
    doc = Document("t.txt", lines)
    found = [(ln, col, m.group()) for ln, col, m in matches(doc, pattern)]
    assert found == _per_line(lines, pattern)


@settings(max_examples=300, deadline=None)
@given(_LINES, st.lists(st.text(alphabet="aAb-[ ?“\u00a0", min_size=1, max_size=3), max_size=4))
def test_prefilters_are_the_per_line_tests(lines: list[str], needles: list[str]) -> None:
    doc = Document("t.txt", lines)
    assert lines_with(doc, needles) == [
        ln for ln, line in enumerate(lines, 1) if any(n in line for n in needles)
    ]
    assert pieces(doc) == [line.split() for line in lines]
    wanted = {p for p in distinct_pieces(doc) if "a" in p}
    assert lines_with_pieces(doc, wanted) == [
        ln for ln, line in enumerate(lines, 1) if any("a" in p for p in line.split())
    ]


def test_cached_text_follows_the_lines() -> None:
    doc = Document("t.txt", ["one"])
    assert doc.text == "one" and lines_with(doc, ["two"]) == []
    doc.lines.append("two")  # the readers fill a part line by line
    assert doc.text == "one\ntwo" and lines_with(doc, ["two"]) == [2]


def _dp(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abc_É", max_size=12), st.text(alphabet="abc_É", max_size=12),
       st.integers(0, 8))
def test_edit_distance_is_levenshtein_cut_off(a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == min(_dp(a, b), limit + 1)


# --- chunk boundaries: the reader's byte blocks, and the parts of a large file

#: A small file with everything a block edge can cut: a 2- and 3-byte UTF-8 character, a
#: 4-byte one (a surrogate pair in UTF-16), a bad byte (rule encoding), CR LF, a misspelling.
_TEXT = "7.1\r\nOverview\r\nThe KMS intiated the “key” é.\r\nIt signs 𝄞 the the data.\n"


def _read(path: Path) -> tuple[str, int, list[str], list[tuple[int, int, str]]]:
    source = open_source(path)
    assert isinstance(source, readers.TextSource)
    doc = read_document(path)
    found = lint_document(doc, select_rules(["encoding", "revision-residue", "spelling"]))
    return source.encoding, source.undecodable, doc.lines, [
        (f.line, f.column, f.message) for f in found
    ]


@pytest.mark.parametrize(
    "data",
    [
        _TEXT.encode("utf-8").replace(b"\xc3\xa9", b"\xe9"),  # one cp1252 byte in UTF-8
        b"\xef\xbb\xbf" + _TEXT.encode("utf-8"),
        b"\xff\xfe" + _TEXT.encode("utf-16-le"),
        b"\xfe\xff" + _TEXT.encode("utf-16-be"),
        _TEXT.replace("𝄞", "").encode("cp1252"),
    ],
    ids=["utf-8-bad-byte", "utf-8-bom", "utf-16-le", "utf-16-be", "cp1252"],
)
def test_reader_blocks_cut_anywhere_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    path = tmp_path / "pcr.txt"
    path.write_bytes(data)
    whole = _read(path)
    assert whole[3], "the sample must give findings"
    for block in range(1, len(data) + 1):
        monkeypatch.setattr(readers, "_BLOCK", block)
        assert _read(path) == whole, f"block of {block} bytes"


#: Line-local rules: what they find on a line depends on that line only.
_LOCAL = ["encoding", "unbalanced-delimiters", "note-normative"]


def test_parts_cut_at_every_blank_line_keep_lines_and_findings(tmp_path: Path) -> None:
    paragraphs = [
        "The KMS sends (the key.",
        "NOTE: The UE shall store it.",
        'Request-URI with "ticketresolve”.',
        "1)\tStep one] is done.",
        "It caf\udce9 is read.",  # a bad byte, written below as 0xE9
    ]
    text = "\n\n".join(paragraphs * 3) + "\n"
    path = tmp_path / "big.txt"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    source = open_source(path)
    whole = next(iter_documents(source, part_chars=None))
    rules = select_rules(_LOCAL)
    expected = lint_document(whole, rules)
    assert {f.rule for f in expected} == set(_LOCAL)
    for part_chars in range(1, len(text) + 2):  # a cut after every blank line, and none
        parts = list(iter_documents(source, part_chars=part_chars))
        assert [line for p in parts for line in p.lines] == whole.lines
        assert [p.first_line for p in parts] == [
            1 + sum(len(q.lines) for q in parts[:i]) for i in range(len(parts))
        ]
        found = [f for p in parts for f in lint_document(p, rules)]
        assert found == expected, f"parts of {part_chars} characters"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="thTH \t\u00a0\x1c\x0c\x85é1_-.", max_size=12), max_size=6))
def test_doubled_word_prefilter_misses_no_line(lines: list[str]) -> None:
    """revision-residue looks for doubled words on the lines its ASCII-image pattern finds:
    those must include every line the text pattern matches (whitespace that only str patterns
    know, non-ASCII word characters read as "?")."""
    from mckm.impl.lint.rules.revision_residue import _DOUBLE, _DOUBLE_IMAGE
    from mckm.impl.lint.scan import lines_matching_image

    doc = Document("t.txt", lines)
    hits = {ln for ln, _, _ in _per_line(lines, _DOUBLE)}
    assert hits <= set(lines_matching_image(doc, _DOUBLE_IMAGE))
