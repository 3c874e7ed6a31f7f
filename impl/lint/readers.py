"""Readers: plain text, Markdown and Word ``.docx`` into :class:`Document` parts.

* ``.txt`` (and any unknown suffix) and ``.md``: the lines of the file (split at ``\\n``, ``\\r``
  or ``\\r\\n``, as an editor numbers them), read as a stream.  The encoding is decided per file
  by :func:`open_text`, before any line is linted:

  - a byte-order mark: UTF-8 (``EF BB BF``), UTF-16 LE (``FF FE``) or UTF-16 BE (``FE FF``);
  - no mark: UTF-8 when the file's non-ASCII bytes are mostly well-formed UTF-8 (at least as many
    valid multi-byte sequences as invalid bytes), otherwise cp1252 (Windows Western, a superset
    of the printable Latin-1 range).  One bad byte therefore never turns a UTF-8 file into
    Latin-1: it is read as UTF-8, the byte becomes U+FFFD in the text, and rule ``encoding``
    reports it with its line, column and byte offset.  The same holds for the five bytes cp1252
    leaves undefined.  In UTF-16 a broken code unit becomes U+FFFD without a finding.

  A file that is not text is refused (:class:`UsageError`, exit status 2): one with a NUL
  character, or one in which more than 10 % of the characters are control characters other
  than tab, line feed, vertical tab, form feed and carriage return.

  A large file is linted in parts (:func:`iter_documents`): a part ends at the first blank line
  after :data:`PART_CHARS` characters (or, without one, at four times that), so that time and
  memory stay proportional to one part, not to the file.  Rules that look across a document
  (references, abbreviations, term variants, once-per-word spelling) see one part at a time;
  line numbers are those of the file.
* ``.md``: the same lines; fenced code blocks are blanked and heading hashes become spaces, so
  rules see prose only while line and column numbers stay those of the file.
* ``.docx``: one line per paragraph in document order, table cells row by row.  Tracked
  insertions (``w:ins``, ``w:moveTo``) are read as text; tracked deletions (``w:del``,
  ``w:delText``, ``w:moveFrom``) are dropped, i.e. the text as it reads with all changes accepted.
  A manual line break (``w:br``) starts a new line, as Word shows it.  (A ``.docx`` is a zip
  file and is read whole, as python-docx does.)
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from mckm.impl.errors import UsageError
from mckm.impl.lint.model import Document, Undecodable

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DROPPED = {f"{_W}del", f"{_W}moveFrom", f"{_W}instrText", f"{_W}delInstrText"}
_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_HEADING = re.compile(r"^(#{1,6})\s")

#: A part of a large file ends at the first blank line after this many characters.
PART_CHARS = 200_000
#: Bytes read at a time while deciding the encoding.
_BLOCK = 1 << 20
#: More than this share of control characters makes a file binary.
_CONTROL_RATIO = 0.10
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r") + b"\x7f"
_CONTROL = re.compile("[" + re.escape(_CONTROL_BYTES.decode("ascii")) + "]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes surrogateescape could not decode
_NON_ASCII = re.compile("[^\x00-\x7f]")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class TextSource:
    """A text file checked by :func:`open_text`: its encoding and how many bytes it cannot
    decode (each becomes U+FFFD and a finding of rule ``encoding``)."""

    path: Path
    name: str  # the path as given, which findings name
    encoding: str  # "utf-8", "utf-8-sig", "utf-16" (with BOM) or "cp1252"
    undecodable: int


#: What :func:`open_source` checked: a parsed ``.docx``, or a text file and its encoding.
Source = Document | TextSource


def open_source(path: str | Path) -> Source:
    """Check that ``path`` can be read, before any of it is linted: a ``.docx`` is parsed, a text
    file's encoding decided (:func:`open_text`).  :class:`UsageError` names the file if not."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such file")
    if p.suffix.lower() == ".docx":
        lines = docx_body_lines(open_docx(p).element.body)
        return Document(str(path), [x.text for x in lines], headings=docx_headings(lines))
    return open_text(p, str(path))


def read_document(path: str | Path) -> Document:
    """Read ``path`` whole, by its suffix; raises :class:`UsageError` if it cannot be read.

    For large files prefer :func:`iter_documents`, which reads in parts."""
    return next(iter_documents(open_source(path), part_chars=None))


def iter_documents(source: Source, part_chars: int | None = PART_CHARS) -> Iterator[Document]:
    """``source`` as one or more :class:`Document` parts in line order (see the module
    docstring); ``part_chars=None`` reads a text file as one part."""
    if isinstance(source, Document):
        yield source
    else:
        yield from _text_parts(source, part_chars)


def open_text(path: Path, name: str | None = None) -> TextSource:
    """Decide ``path``'s encoding and refuse it if it is not text (one pass over its bytes)."""
    with path.open("rb") as fh:
        head = fh.read(4)
        encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "utf-8")
        fh.seek(0)
        errors = "replace" if encoding == "utf-16" else "surrogateescape"
        decoder = codecs.getincrementaldecoder(encoding)(errors)
        chars = controls = invalid = valid = 0
        offset = 0
        while True:
            block = fh.read(_BLOCK)
            text = decoder.decode(block, final=not block)
            if encoding != "utf-16":
                nul = block.find(b"\x00")
                if nul >= 0:
                    raise UsageError(f"{path}: not a text file (NUL byte at offset {offset + nul})")
                controls += len(block) - len(block.translate(None, _CONTROL_BYTES))
                if not text.isascii():
                    bad = len(_ESCAPED.findall(text))
                    invalid += bad
                    valid += len(_NON_ASCII.findall(text)) - bad
            else:
                if "\x00" in text:
                    raise UsageError(f"{path}: not a text file (NUL character in UTF-16 text)")
                controls += len(_CONTROL.findall(text))
            chars += len(text)
            offset += len(block)
            if not block:
                break
    if chars and controls > _CONTROL_RATIO * chars:
        raise UsageError(
            f"{path}: not a text file ({controls} of {chars} characters are control characters)"
        )
    if encoding == "utf-8" and invalid > valid:
        return TextSource(path, name or str(path), "cp1252", _count_undefined_cp1252(path))
    return TextSource(path, name or str(path), encoding, invalid)


def _count_undefined_cp1252(path: Path) -> int:
    """Bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) in ``path``."""
    count = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            count += sum(block.count(b) for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))
    return count


def _text_parts(source: TextSource, part_chars: int | None) -> Iterator[Document]:
    """Stream ``source`` as documents of about ``part_chars`` characters, cut at blank lines."""
    name = source.name
    markdown = Path(name).suffix.lower() in (".md", ".markdown")
    errors = "replace" if source.encoding == "utf-16" else "surrogateescape"
    with source.path.open(encoding=source.encoding, errors=errors, newline="") as fh:
        lines: Iterator[_Line]
        if source.undecodable:
            bom = source.encoding == "utf-8-sig"
            lines = _marked(fh, "utf-8" if bom else source.encoding, 3 if bom else 0)
        else:
            lines = (raw.rstrip("\r\n") for raw in fh)
        if markdown:
            lines = _markdown_lines(lines)
        first, part, size = 1, Document(name, []), 0
        hard = None if part_chars is None else 4 * part_chars
        for item in lines:
            line, bad = item if isinstance(item, tuple) else (item, ())
            if (
                part_chars is not None
                and size >= part_chars
                and (not line.strip() or (hard is not None and size >= hard))
            ):
                yield part
                first += len(part.lines)
                part, size = Document(name, [], first_line=first), 0
            part.lines.append(line)
            size += len(line) + 1
            if bad:
                number = len(part.lines)
                part.undecodable.extend(
                    Undecodable(number, column, byte, offset, source.encoding.removesuffix("-sig"))
                    for column, byte, offset in bad
                )
        yield part


#: A line, or a line with its undecodable bytes as (column, byte, offset in the file).
_Line = str | tuple[str, tuple[tuple[int, int, int], ...]]


def _marked(raw_lines: Iterable[str], encoding: str, offset: int) -> Iterator[_Line]:
    """Lines whose undecodable bytes (surrogate escapes) become U+FFFD, each with where they
    were: 1-based column and byte offset in the file."""
    for raw in raw_lines:
        line = raw.rstrip("\r\n")
        if _ESCAPED.search(line):
            bad = tuple(
                (
                    m.start() + 1,
                    ord(m.group()) - 0xDC00,
                    offset + len(line[: m.start()].encode(encoding, "surrogateescape")),
                )
                for m in _ESCAPED.finditer(line)
            )
            yield _ESCAPED.sub("\ufffd", line), bad
        else:
            yield line
        offset += len(raw.encode(encoding, "surrogateescape"))


def _markdown_lines(lines: Iterable[_Line]) -> Iterator[_Line]:
    fenced = False
    for item in lines:
        line, bad = item if isinstance(item, tuple) else (item, ())
        if _FENCE.match(line):
            fenced = not fenced
            line = ""
        elif fenced:
            line = ""
        else:
            m = _MD_HEADING.match(line)
            line = " " * len(m.group(1)) + line[len(m.group(1)) :] if m else line
        yield (line, bad) if bad else line


def markdown_prose(lines: list[str]) -> list[str]:
    """Blank fenced code; turn heading hashes into spaces (columns unchanged)."""
    return [x if isinstance(x, str) else x[0] for x in _markdown_lines(lines)]


def docx_lines(path: Path) -> list[str]:
    """Paragraph texts of a ``.docx`` with tracked changes accepted (see module docstring)."""
    return [line.text for line in docx_body_lines(open_docx(path).element.body)]


_HEADING_STYLE = re.compile(r"^(?:Heading|heading)\s*([1-9])$")
_HEADING_NUMBER = re.compile(r"^\s*(?:Annex\s+)?((?:\d+|[A-Z])(?:\.[\dA-Za-z]{1,2})*)\.?(?:\s|$)")


def docx_headings(lines: list[DocxLine]) -> dict[int, str]:
    """Line (1-based) -> clause number of each paragraph styled as a Word heading whose text
    starts with a clause number (``4``, ``6.2.3.8``, ``B.2.2``, ``Annex B``)."""
    out: dict[int, str] = {}
    for number, line in enumerate(lines, start=1):
        if line.style and _HEADING_STYLE.match(line.style):
            m = _HEADING_NUMBER.match(line.text)
            if m:
                out[number] = m.group(1)
    return out


def open_docx(path: Path) -> Any:
    """``path`` opened with python-docx; :class:`UsageError` if it is not a readable .docx."""
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    # a damaged zip or part fails in zipfile (BadZipFile, OSError on a bad offset, EOFError,
    # NotImplementedError for an unknown compression), zlib or lxml: all mean "not a .docx"
    try:
        return docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError, EOFError,
            NotImplementedError, zlib.error, etree.LxmlError) as exc:
        raise UsageError(f"{path}: not a readable .docx file ({exc})") from exc


@dataclass
class DocxLine:
    """One line of a ``.docx`` as the linter numbers it: its text, the ``w:p`` it is in and,
    for each piece of text, the ``w:r`` run and the ``w:t`` (or ``w:tab``) element holding it
    with its ``(start, end)`` in ``text`` (what ``mckm lint --annotate`` anchors comments on)."""

    paragraph: Any
    text: str = ""
    pieces: list[tuple[Any, Any, int, int]] = field(default_factory=list)
    style: str = ""  # the paragraph's style id (w:pStyle), e.g. "Heading1"


def docx_body_lines(body: Any) -> list[DocxLine]:
    """The lines of a document body in reading order (see module docstring)."""
    lines: list[DocxLine] = []
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            lines.extend(_paragraph_lines(child))
        elif child.tag == f"{_W}tbl":
            for para in child.iter(f"{_W}p"):
                lines.extend(_paragraph_lines(para))
    return lines


def _paragraph_lines(para: Any) -> list[DocxLine]:
    style = para.find(f"{_W}pPr/{_W}pStyle")
    out = [DocxLine(para, style="" if style is None else str(style.get(f"{_W}val") or ""))]
    parts: list[str] = []
    _collect(para, out, parts, [0], None)
    out[-1].text = "".join(parts)
    return out


def _collect(
    element: Any, out: list[DocxLine], parts: list[str], length: list[int], run: Any
) -> None:
    """Append ``element``'s text to ``parts`` (``length[0]``: their length so far), starting a
    new line at each break."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _DROPPED:
            continue
        if tag == f"{_W}t" or tag == f"{_W}tab":
            piece = (child.text or "") if tag == f"{_W}t" else "\t"
            start = length[0]
            parts.append(piece)
            length[0] += len(piece)
            if run is not None and piece:
                out[-1].pieces.append((run, child, start, start + len(piece)))
        elif tag in (f"{_W}br", f"{_W}cr"):
            out[-1].text = "".join(parts)
            parts.clear()
            length[0] = 0
            out.append(DocxLine(out[-1].paragraph, style=out[-1].style))
        elif tag == f"{_W}p":
            continue  # nested paragraphs (text boxes) are not part of this line
        else:
            _collect(child, out, parts, length, child if tag == f"{_W}r" else run)
