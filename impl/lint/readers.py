"""Readers: plain text, Markdown and Word ``.docx`` into a :class:`Document`.

* ``.txt`` (and any unknown suffix): the lines of the file, decoded as UTF-8 (Latin-1 fallback).
* ``.md``: the same lines; fenced code blocks are blanked and heading hashes become spaces, so
  rules see prose only while line and column numbers stay those of the file.
* ``.docx``: one line per paragraph in document order, table cells row by row.  Tracked
  insertions (``w:ins``, ``w:moveTo``) are read as text; tracked deletions (``w:del``,
  ``w:delText``, ``w:moveFrom``) are dropped, i.e. the text as it reads with all changes accepted.
  A manual line break (``w:br``) starts a new line, as Word shows it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from mckm.impl.errors import UsageError
from mckm.impl.lint.model import Document

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DROPPED = {f"{_W}del", f"{_W}moveFrom", f"{_W}instrText", f"{_W}delInstrText"}
_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_HEADING = re.compile(r"^(#{1,6})\s")


def read_document(path: str | Path) -> Document:
    """Read ``path`` by its suffix; raises :class:`UsageError` if it cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix == ".docx":
        return Document(str(path), docx_lines(p))
    text = _decode(p.read_bytes())
    lines = text.splitlines()
    if suffix in (".md", ".markdown"):
        lines = markdown_prose(lines)
    return Document(str(path), lines)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def markdown_prose(lines: list[str]) -> list[str]:
    """Blank fenced code; turn heading hashes into spaces (columns unchanged)."""
    out: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            out.append("")
            continue
        if fenced:
            out.append("")
            continue
        m = _MD_HEADING.match(line)
        out.append(" " * len(m.group(1)) + line[len(m.group(1)) :] if m else line)
    return out


def docx_lines(path: Path) -> list[str]:
    """Paragraph texts of a ``.docx`` with tracked changes accepted (see module docstring)."""
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        body = docx.Document(str(path)).element.body
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable .docx file ({exc})") from exc
    lines: list[str] = []
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            lines.extend(_paragraph_text(child).split("\n"))
        elif child.tag == f"{_W}tbl":
            for para in child.iter(f"{_W}p"):
                lines.extend(_paragraph_text(para).split("\n"))
    return lines


def _paragraph_text(para: object) -> str:
    parts: list[str] = []
    _collect(para, parts)
    return "".join(parts)


def _collect(element: object, parts: list[str]) -> None:
    for child in element:  # type: ignore[attr-defined]
        tag = child.tag
        if not isinstance(tag, str) or tag in _DROPPED:
            continue
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}p":
            continue  # nested paragraphs (text boxes) are not part of this line
        else:
            _collect(child, parts)
