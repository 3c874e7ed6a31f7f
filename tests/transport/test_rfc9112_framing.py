"""Request framing of the HTTPS server (RFC 9112 6, 7; RFC 9110 8.6), over real TLS sockets.

Every refusal: its status, the connection closed after it, the handler never called, and no
traceback or header value in the log.
"""

from __future__ import annotations

import logging
import socket

import pytest

from mckm.impl.transport.http_server import HttpsServer
from mckm.impl.transport.https_kms import TlsIdentity
from tests.transport.wire import Echo, echo_server, raw_exchange, read_all, status_of, tls_connect

TOKEN = "eyJsecret-bearer-token"
HEAD = b"POST /x HTTP/1.1\r\nHost: kms\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"


@pytest.mark.parametrize(("fields", "body", "status"), [
    # RFC 9110 8.6 lets a recipient merge equal values; we refuse them (RFC 9112 6.3 item 5)
    (b"Content-Length: 4\r\nContent-Length: 4\r\n", b"abcd", 400),
    (b"Content-Length: 4\r\nContent-Length: 5\r\n", b"abcde", 400),
    (b"Content-Length: 4, 4\r\n", b"abcd", 400),
    (b"content-length: 4\r\nCONTENT-LENGTH: 4\r\n", b"abcd", 400),
    # RFC 9112 6.1: Content-Length with Transfer-Encoding is a smuggling attempt
    (b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", b"4\r\nabcd\r\n0\r\n\r\n", 400),
    (b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", b"4\r\nabcd\r\n0\r\n\r\n", 400),
    # not ASCII digits (RFC 9110 8.6: 1*DIGIT): superscript two, Arabic-Indic three, sign, blank
    ("Content-Length: ²\r\n".encode(), b"ab", 400),
    ("Content-Length: ٣\r\n".encode(), b"abc", 400),
    (b"Content-Length: +4\r\n", b"abcd", 400),
    (b"Content-Length: 4 4\r\n", b"abcd", 400),
    (b"Content-Length: x\r\n", b"", 400),
    # a transfer coding other than chunked (RFC 9112 6.1: 501)
    (b"Transfer-Encoding: gzip\r\n", b"", 501),
    (b"Transfer-Encoding: gzip, chunked\r\n", b"4\r\nabcd\r\n0\r\n\r\n", 501),
    # sizes: the body (413), the head (431), the number of fields (431)
    (b"Content-Length: 99999999\r\n", b"", 413),
    (b"X-Pad: " + b"a" * 20000 + b"\r\n", b"", 431),
    (b"X: y\r\n" * 101, b"", 431),
])
def test_ambiguous_or_oversized_framing_is_refused(
        server: HttpsServer, identity: TlsIdentity, echo: Echo, caplog: pytest.LogCaptureFixture,
        fields: bytes, body: bytes, status: int) -> None:
    """REQ-TKT-HTTP-05: an invalid Content-Length is 400, a body over 64 KiB 413 and the
    connection closed; REQ-TKT-HTTP-09: an ambiguous length is 400, a head over 16 KiB or
    more than 100 fields 431."""
    with caplog.at_level(logging.DEBUG):
        answer = raw_exchange(server, identity, HEAD + fields + b"\r\n" + body)
    assert status_of(answer) == status
    assert b"Connection: close" in answer  # and read_all returned: the server closed
    assert echo.seen == []
    assert "Traceback" not in caplog.text and TOKEN not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


@pytest.mark.parametrize(("request_line", "status"), [
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),  # RFC 9112 6.1
    (b"POST / HTTP/2.0\r\nContent-Length: 0\r\n\r\n", 505),
    (b"BREW / HTTP/1.1\r\nHost: k\r\nContent-Length: 0\r\n\r\n", 501),  # RFC 9110 9.1
    (b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400),  # no Host: RFC 9112 3.2
    (b"POST / extra HTTP/1.1\r\n\r\n", 400),
    (b"POST /\x00 HTTP/1.1\r\n\r\n", 400),
    (b"\x16\x03\x01garbage\r\n\r\n", 400),
])
def test_bad_request_lines(server: HttpsServer, identity: TlsIdentity, echo: Echo,
                           request_line: bytes, status: int) -> None:
    """REQ-TKT-HTTP-09: a bad request line or a missing Host is 400, HTTP/2.0 505, an unknown
    method 501."""
    assert status_of(raw_exchange(server, identity, request_line)) == status
    assert echo.seen == []


def test_a_chunked_body_is_read_by_h11(server: HttpsServer, identity: TlsIdentity,
                                       echo: Echo) -> None:
    """RFC 9112 7.1: chunk sizes in hex, a chunk extension and a trailer field are allowed.
    REQ-TKT-HTTP-05: a chunked body is read."""
    answer = raw_exchange(server, identity, b"POST /c HTTP/1.1\r\nHost: kms\r\n"
                          b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                          b"5;ext=1\r\nhello\r\nB\r\n and chunks\r\n0\r\nX-Trailer: t\r\n\r\n")
    assert status_of(answer) == 200 and answer.endswith(b"echo:hello and chunks")
    assert [r.body for r in echo.seen] == [b"hello and chunks"]


def test_a_chunked_body_over_the_limit_is_413(identity: TlsIdentity, echo: Echo) -> None:
    """REQ-TKT-HTTP-05: a chunked body over the limit is 413."""
    chunk = b"400\r\n" + b"a" * 0x400 + b"\r\n"
    with echo_server(identity, echo, max_body=4096) as small:
        answer = raw_exchange(small, identity, b"POST / HTTP/1.1\r\nHost: kms\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 5 + b"0\r\n\r\n")
    assert status_of(answer) == 413 and echo.seen == []


def test_keep_alive_pipelining_and_expect_100(server: HttpsServer, identity: TlsIdentity,
                                              echo: Echo) -> None:
    """Two pipelined requests are answered in order on one connection (RFC 9112 9.3.2); a
    client that expects 100-continue gets it before it sends its body (RFC 9110 10.1.1).
    REQ-TKT-HTTP-09: HTTP/1.1 keep-alive."""
    with tls_connect(server, identity) as tls:
        tls.sendall(b"POST /1 HTTP/1.1\r\nHost: k\r\nContent-Length: 1\r\n\r\na"
                    b"POST /2 HTTP/1.1\r\nHost: k\r\nContent-Length: 1\r\n\r\nb")
        tls.sendall(b"POST /3 HTTP/1.1\r\nHost: k\r\nContent-Length: 1\r\n"
                    b"Expect: 100-continue\r\n\r\n")
        tls.settimeout(2)
        interim = b""
        while b"100 Continue" not in interim:
            chunk = tls.recv(65536)
            assert chunk, interim
            interim += chunk
        tls.sendall(b"c")
        tls.sendall(b"GET /4 HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n")
        rest = interim + read_all(tls)
    assert rest.count(b"HTTP/1.1 200 OK") == 4
    assert rest.index(b"echo:a") < rest.index(b"echo:b") < rest.index(b"100 Continue") \
        < rest.index(b"echo:c")
    assert [(r.method, r.target, r.body) for r in echo.seen] == [
        ("POST", "/1", b"a"), ("POST", "/2", b"b"), ("POST", "/3", b"c"), ("GET", "/4", b"")]


def test_head_gets_fields_without_a_body(server: HttpsServer, identity: TlsIdentity) -> None:
    answer = raw_exchange(server, identity, b"HEAD / HTTP/1.1\r\nHost: k\r\n"
                          b"Connection: close\r\n\r\n")
    assert status_of(answer) == 200 and answer.endswith(b"\r\n\r\n")
    assert b"Content-Length: 5\r\n" in answer  # the length "echo:" would have (RFC 9110 8.6)


def test_a_request_cut_short_is_not_served(server: HttpsServer, identity: TlsIdentity,
                                           echo: Echo) -> None:
    with tls_connect(server, identity) as tls:
        tls.sendall(b"POST / HTTP/1.1\r\nHost: k\r\nContent-Length: 10\r\n\r\nabc")
        tls.shutdown(socket.SHUT_WR)
        read_all(tls)
    assert echo.seen == []


def test_a_handler_exception_is_500_logged_by_type_only(
        identity: TlsIdentity, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Echo):
        def answer(self, request):  # type: ignore[no-untyped-def]
            raise KeyError(TOKEN)

    with caplog.at_level(logging.DEBUG), echo_server(identity, Broken()) as broken:
        answer = raw_exchange(broken, identity, b"GET / HTTP/1.1\r\nHost: k\r\n"
                              b"Connection: close\r\n\r\n")
    assert status_of(answer) == 500 and b"internal error" in answer
    assert TOKEN not in caplog.text and "KeyError" in caplog.text
    assert "Traceback" not in caplog.text
