"""Bytes the file's encoding cannot decode: each one is reported where it is.

The reader decides the encoding per file (see the *lint* specification page): a byte-order mark
(UTF-8, UTF-16 LE/BE), else UTF-8 when the non-ASCII bytes are mostly well-formed UTF-8, else
cp1252.  A byte that does not decode in that encoding (a stray Latin-1 ``é`` in UTF-8 text, or
one of the five bytes cp1252 leaves undefined) is read as U+FFFD, so the rest of the file is
still read correctly, and reported here (error) with its line, column and byte offset in the
file.  The fix is to save the file in one encoding, preferably UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding

ID = "encoding"


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    for bad in doc.undecodable:
        yield finding(
            doc,
            ID,
            "error",
            bad.line,
            bad.column,
            f"byte 0x{bad.byte:02X} at offset {bad.offset} is not {bad.encoding}; read as U+FFFD",
            f"save the file as {bad.encoding}",
        )
