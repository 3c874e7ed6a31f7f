"""The strict HTTP/1.1 request-head reader of the ticket endpoints (RFC 9112 3, 5)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.transport.http_head import MAX_FIELDS, MAX_LINE, HeadError, RequestHead, read_head

LINE = b"POST /?requesttype=ticketresolve HTTP/1.1\r\n"


def _read(fields: bytes, line: bytes = LINE) -> RequestHead | HeadError:
    return read_head(line, io.BytesIO(fields))


def test_a_request_head_and_its_fields() -> None:
    head = _read(b"Host: kms\r\nContent-Type: application/mikey\r\ncontent-length:  12 \r\n\r\n"
                 b"body")
    assert isinstance(head, RequestHead)
    assert (head.method, head.target, head.version) == ("POST", "/?requesttype=ticketresolve",
                                                        "HTTP/1.1")
    assert head.fields.get("Content-Length") == "12" and head.fields.get("HOST") == "kms"
    assert head.fields.get("Expect") is None and head.keep_alive
    assert "kms" not in repr(head.fields)  # names only


@pytest.mark.parametrize("line,fields,keep", [
    (LINE, b"Connection: close\r\n\r\n", False),
    (LINE, b"Connection: Keep-Alive, TE\r\n\r\n", True),
    (b"POST / HTTP/1.0\r\n", b"\r\n", False),
    (b"POST / HTTP/1.0\r\n", b"Connection: keep-alive\r\n\r\n", True),
])
def test_keep_alive_follows_the_version_and_connection(line: bytes, fields: bytes,
                                                       keep: bool) -> None:
    head = _read(fields, line)
    assert isinstance(head, RequestHead) and head.keep_alive is keep


@pytest.mark.parametrize("line,fields,status", [
    (b"POST / extra HTTP/1.1\r\n", b"\r\n", 400),
    (b"POST /\r\n", b"\r\n", 400),
    (b"POST  / HTTP/1.1\r\n", b"\r\n", 400),
    (b"POST / HTTP/2.0\r\n", b"\r\n", 505),
    (b"POST / FTP/1.1\r\n", b"\r\n", 400),
    (LINE, b"X: y\r\n continued\r\n\r\n", 400),  # obsolete line folding
    (LINE, b"no colon\r\n\r\n", 400),
    (LINE, b"Bad Name: y\r\n\r\n", 400),
    (LINE, b" X: y\r\n\r\n", 400),
    (LINE, b"Content-Length: 1\r\nContent-Length: 1\r\n\r\n", 400),
    (LINE, b"X: y\r\n", 400),  # the head ends before its empty line
    (LINE, b"X: " + b"y" * MAX_LINE + b"\r\n\r\n", 431),
    (LINE, b"X: y\r\n" * (MAX_FIELDS + 1) + b"\r\n", 431),
    (b"POST /" + b"a" * MAX_LINE + b" HTTP/1.1\r\n", b"\r\n", 431),
])
def test_bad_heads_are_refused_with_a_status(line: bytes, fields: bytes, status: int) -> None:
    head = _read(fields, line)
    assert isinstance(head, HeadError) and head.status == status, head


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=600))
def test_the_reader_is_total(line: bytes, fields: bytes) -> None:
    assert isinstance(read_head(line, io.BytesIO(fields)), RequestHead | HeadError)
