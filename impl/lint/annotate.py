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
    _save(document, target)
    return written


def _anchor(line: DocxLine, column: int) -> list[Any]:
    """The ``w:r`` elements to anchor on: exactly those holding the offending text."""
    if not line.pieces:
        return []
    start, end = span(line.text, column)
    if end <= start:  # nothing to quote: the whole line
        start, end = line.pieces[0][1], line.pieces[-1][2]
    runs: list[Any] = []
    for run, lo, hi in line.pieces:
        if hi <= start or lo >= end:
            continue
        if lo < start:
            run = _split(run, start - lo)[1]
            lo = start
        if hi > end:
            run = _split(run, end - lo)[0]
        if not runs or runs[-1] is not run:
            runs.append(run)
    return runs


def _split(run: Any, at: int) -> tuple[Any, Any]:
    """Split ``run`` (one ``w:t``) at character ``at`` into two runs with the same properties;
    a run with other content is not split (it is anchored whole)."""
    texts = [c for c in run if c.tag == f"{_W}t"]
    others = [c for c in run if c.tag not in (f"{_W}t", f"{_W}rPr")]
    if len(texts) != 1 or others or not 0 < at < len(texts[0].text or ""):
        return run, run
    value = texts[0].text or ""
    second = copy.deepcopy(run)
    run.addnext(second)
    _set_text(texts[0], value[:at])
    _set_text(next(c for c in second if c.tag == f"{_W}t"), value[at:])
    return run, second


def _set_text(t: Any, value: str) -> None:
    t.text = value
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _save(document: Any, target: Path) -> None:
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
