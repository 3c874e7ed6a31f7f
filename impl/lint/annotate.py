"""``mckm lint --annotate out.docx in.docx``: each finding as a Word comment on the offending text.

The input is opened with python-docx (>= 1.2, which writes ``comments.xml``), each finding's
line is found again among the paragraphs exactly as the reader numbered them
(:func:`mckm.impl.lint.readers.docx_body_lines`: tracked insertions read, deletions skipped)
and the comment is anchored (``w:commentRangeStart`` / ``w:commentRangeEnd``) on the runs
holding the offending text (:func:`mckm.impl.lint.location.span`).  A run that holds more than
that text is split in two at the boundary, both halves keeping the run's properties and its
place in any ``w:ins``; nothing else in the document changes, so tracked changes stay as they
were.  The output is written to a temporary file next to ``out`` and renamed over it, so a
failure leaves no half-written file.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckm.impl.errors import UsageError
from mckm.impl.lint.location import span
from mckm.impl.lint.model import Finding
from mckm.impl.lint.readers import DocxLine, docx_body_lines, open_docx

AUTHOR = "mckm lint"
INITIALS = "ML"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def comment_text(f: Finding) -> str:
    """What the comment says: severity, rule id, message and suggestion."""
    tail = f" Suggestion: {f.suggestion}" if f.suggestion else ""
    return f"{f.severity} {f.rule}: {f.message}{tail}"


def annotate(source: Path, target: Path, findings: Sequence[Finding]) -> int:
    """Write ``source`` with ``findings`` as comments to ``target``; the number of comments.

    A finding whose line has no text to anchor on (an empty paragraph) is anchored on the
    whole paragraph's first run, or skipped if it has none; :class:`UsageError` if
    ``target`` is ``source`` or cannot be written."""
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    if target.resolve() == source.resolve():
        raise UsageError(f"{target}: --annotate must not overwrite the input file")
    document = open_docx(source)
    lines = docx_body_lines(document.element.body)
    written = 0
    # last first: splitting a run never moves the text of a finding still to come
    for f in sorted(findings, key=lambda f: (f.line, f.column), reverse=True):
        if not 1 <= f.line <= len(lines):
            continue
        runs = _anchor(lines[f.line - 1], f.column)
        if not runs:
            continue
        paragraph = Paragraph(lines[f.line - 1].paragraph, document)
        first, last = (Run(r, paragraph) for r in (runs[0], runs[-1]))
        document.add_comment([first, last], comment_text(f), AUTHOR, INITIALS)
        written += 1
    save_docx(document, target)
    return written


def _anchor(line: DocxLine, column: int) -> list[Any]:
    """The ``w:r`` elements to anchor on: exactly those holding the offending text."""
    if not line.pieces:
        return []
    start, end = span(line.text, column)
    if end <= start:  # nothing to quote: the whole line
        start, end = line.pieces[0][2], line.pieces[-1][3]
    moved: dict[int, tuple[Any, Any]] = {}  # a node split off into a new run: where it is now
    runs: list[Any] = []
    for run, node, lo, hi in line.pieces:
        if hi <= start or lo >= end:
            continue
        run, node = moved.get(id(node), (run, node))
        if lo < start:
            run, node = _split(run, node, start - lo, moved)[1]
            lo = start
        if hi > end:
            run, node = _split(run, node, end - lo, moved)[0]
        if not runs or runs[-1] is not run:
            runs.append(run)
    return runs


def _split(
    run: Any, node: Any, at: int, moved: dict[int, tuple[Any, Any]]
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Split ``run`` at character ``at`` of its text element ``node`` into two runs with the
    same properties (``w:rPr``): the first ends with ``node``'s text before ``at``, the second
    starts with the rest and holds the run's later content; ``moved`` learns where the later
    nodes went.  A ``w:tab``, or ``at`` at an end of the text, is not split."""
    value = node.text or ""
    if node.tag != f"{_W}t" or not 0 < at < len(value):
        return (run, node), (run, node)
    children = list(run)
    index = children.index(node)
    second = copy.deepcopy(run)
    run.addnext(second)
    copies = list(second)
    for child in children[index + 1 :]:
        run.remove(child)
    for child, twin in zip(children[index + 1 :], copies[index + 1 :], strict=True):
        moved[id(child)] = (second, twin)
    for twin in copies[:index]:
        if twin.tag != f"{_W}rPr":
            second.remove(twin)
    _set_text(node, value[:at])
    _set_text(copies[index], value[at:])
    return (run, node), (second, copies[index])


def _set_text(t: Any, value: str) -> None:
    t.text = value
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def save_docx(document: Any, target: Path) -> None:
    """Save a python-docx ``document`` to ``target`` all or nothing: a temporary file beside
    it, renamed over it; :class:`UsageError` naming ``target`` if it cannot be written."""
    directory = target.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(suffix=".docx", dir=directory)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from exc
    os.close(fd)
    try:
        document.save(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
