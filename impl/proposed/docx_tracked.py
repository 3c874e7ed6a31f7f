"""The proposed text as a Word document with tracked changes (ECMA-376 Part 1, 17.13.5).

Each deletion is a ``w:del`` holding runs whose text is ``w:delText`` (17.13.5.14), each
insertion a ``w:ins`` (17.13.5.18), both with the author and date Word shows; each change
carries a comment (python-docx >= 1.2, ``Document.add_comment``) on its inserted text, or on
its deleted text where nothing is inserted, giving the reason and what decided it.  Word and
LibreOffice show the seed's text with the corrections as revisions a delegate can accept or
reject one by one.  The file is written to a temporary name beside the target and renamed
over it, so a failure leaves no half-written file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from mckm.impl.lint.annotate import save_docx
from mckm.impl.proposed.changes import Change, Piece, Proposal, paragraph

AUTHOR = "mckm"
INITIALS = "MK"


class _Revisions:
    """Numbers the ``w:ins`` / ``w:del`` elements of one document (``w:id`` is unique)."""

    def __init__(self, date: dt.datetime) -> None:
        self.next_id = 1
        self.date = date.strftime("%Y-%m-%dT%H:%M:%SZ")

    def wrap(self, tag: str, run: Run) -> None:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), AUTHOR)
        element.set(qn("w:date"), self.date)
        self.next_id += 1
        run._r.addprevious(element)
        element.append(run._r)
        if tag == "w:del":
            for t in run._r.findall(qn("w:t")):
                t.tag = qn("w:delText")


def comment_text(change: Change) -> str:
    see = f" See {', '.join(change.see)}." if change.see else ""
    return f"[{change.number}] {change.why}{see}"


def _write_paragraph(document: DocumentObject, revisions: _Revisions, p: Paragraph,
                     pieces: list[Piece]) -> None:
    """The pieces as runs; each change's comment is anchored first, so that its range markers
    and reference run stay outside the revision elements that then wrap the runs."""
    runs = [(piece, p.add_run(piece.text)) for piece in pieces]
    by_change: dict[int, list[Run]] = {}
    changes: dict[int, Change] = {}
    for piece, run in runs:
        if piece.change is not None and piece.kind != "same":
            by_change.setdefault(piece.change.number, []).append(run)
            changes[piece.change.number] = piece.change
    for number, marked in by_change.items():
        document.add_comment(marked, text=comment_text(changes[number]), author=AUTHOR,
                             initials=INITIALS)
    for piece, run in runs:
        if piece.kind != "same":
            revisions.wrap("w:ins" if piece.kind == "ins" else "w:del", run)


def build(proposal: Proposal, date: dt.datetime | None = None) -> DocumentObject:
    """A python-docx document: the title, each clause numbered as in the target, its
    paragraphs with the changes tracked."""
    document = Document()
    revisions = _Revisions(date or dt.datetime.now(dt.UTC))
    document.add_heading(f"{proposal.title} ({proposal.target})", level=1)
    document.add_paragraph(f"Proposed text for seed {proposal.seed}: the seed's clauses with "
                           "the corrections as tracked changes; each has a comment with its "
                           "reason.")
    for clause in proposal.clauses:
        document.add_heading(f"{clause.number}\t{clause.title}".rstrip(), level=2)
        changes = proposal.changes_in(clause)
        for line in clause.lines:
            _write_paragraph(document, revisions, document.add_paragraph(),
                             list(paragraph(line, changes)))
    return document


def write(proposal: Proposal, target: Path, date: dt.datetime | None = None) -> None:
    """Write the tracked-changes document of ``proposal`` to ``target``, all or nothing."""
    save_docx(build(proposal, date), target)
