"""The head of an HTTP/1.1 request, read strictly (RFC 9112 3 and 5), for the MIKEY-TICKET and
BSF endpoints: the request line and the header fields, without the ``email`` parser that
``http.server`` uses (a fifth of a ticket resolve's server time).

:func:`read_head` returns a :class:`RequestHead` or a :class:`HeadError` carrying the status to
answer: 400 for a bad request line, a field line without a name and colon, obsolete line
folding (RFC 9112 5.2: a server rejects it), a head cut short, or two Content-Length fields;
505 for an HTTP version other than 1.0 / 1.1; 431 for a line over ``MAX_LINE`` octets or more
than ``MAX_FIELDS`` fields.  Field values are ISO-8859-1 text with the surrounding blanks
removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE = 8192
MAX_FIELDS = 100
_VERSIONS = ("HTTP/1.0", "HTTP/1.1")


@dataclass(frozen=True)
class HeadError:
    """Why the head is refused, and the status to answer with."""

    status: int
    reason: str


class Fields:
    """Header fields in order; names compare case-insensitively (RFC 9110 5.1)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self._items if k.lower() == wanted), default)

    def count(self, name: str) -> int:
        wanted = name.lower()
        return sum(1 for k, _ in self._items if k.lower() == wanted)

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __repr__(self) -> str:  # names only: values may be anything a client sent
        return f"Fields({[k for k, _ in self._items]})"


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    version: str
    fields: Fields

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 keeps the connection unless ``Connection: close``; 1.0 only on request."""
        tokens = {t.strip().lower() for t in (self.fields.get("Connection") or "").split(",")}
        if self.version == "HTTP/1.1":
            return "close" not in tokens
        return "keep-alive" in tokens


def read_head(request_line: bytes, rfile: BinaryIO) -> RequestHead | HeadError:
    """Parse ``request_line`` (as read, CRLF included) and read the field lines from ``rfile``
    up to the empty line."""
    if len(request_line) > MAX_LINE:
        return HeadError(431, "request line too long")
    words = request_line.decode("iso-8859-1").rstrip("\r\n").split(" ")
    if len(words) != 3 or not all(words):
        return HeadError(400, "bad request line")
    method, target, version = words
    if not version.startswith("HTTP/"):
        return HeadError(400, "bad request line")
    if version not in _VERSIONS:
        return HeadError(505, f"HTTP version {version[5:][:10]!r} not supported")
    items: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            return HeadError(431, "header line too long")
        if line in (b"\r\n", b"\n"):
            break
        if not line.endswith(b"\n"):
            return HeadError(400, "the head ends before its empty line")
        if line[:1] in (b" ", b"\t"):
            return HeadError(400, "obsolete line folding")
        name, colon, value = line.decode("iso-8859-1").partition(":")
        if not colon or not name or name != name.strip() or " " in name:
            return HeadError(400, "bad header line")
        items.append((name, value.strip(" \t\r\n")))
        if len(items) > MAX_FIELDS:
            return HeadError(431, "too many header fields")
    fields = Fields(items)
    if fields.count("Content-Length") > 1:
        return HeadError(400, "more than one Content-Length")
    return RequestHead(method, target, version, fields)


__all__ = ["MAX_FIELDS", "MAX_LINE", "Fields", "HeadError", "RequestHead", "read_head"]
