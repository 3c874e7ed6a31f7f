"""The responses the server writes itself (RFC 9112 4-6; RFC 9110 5.5), and when a connection
persists after one (RFC 9112 9.3), over real TLS sockets."""

from __future__ import annotations

import logging

import pytest

from mckm.impl.transport.http_server import Handler, Peer, Reply, Request, SimpleReply
from mckm.impl.transport.https_kms import TlsIdentity
from tests.transport.wire import Echo, echo_server, raw_exchange, read_all, status_of, tls_connect


class Replying(Echo):
    """Answers every request with ``reply``."""

    def __init__(self, reply: Reply) -> None:
        super().__init__()
        self.reply = reply

    def on_connect(self, peer: Peer) -> Handler:
        return lambda request: self.reply


def test_status_line_fields_and_body(identity: TlsIdentity) -> None:
    reply = SimpleReply(401, b"no", "text/plain", (("WWW-Authenticate", 'Bearer realm="kms"'),))
    with echo_server(identity, Replying(reply)) as server:
        answer = raw_exchange(server, identity, b"POST / HTTP/1.1\r\nHost: k\r\n"
                              b"Connection: close\r\nContent-Length: 0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 401 Unauthorized", b"Content-Type: text/plain", b"Content-Length: 2",
        b"Cache-Control: no-store", b'WWW-Authenticate: Bearer realm="kms"',
        b"Connection: close"]
    assert body == b"no"


@pytest.mark.parametrize("field", [("X-Bad", "a\r\nSet-Cookie: x=1"), ("X-Bad", "a\nb"),
                                   ("X-Bad", "a\x00b"), ("Bad Name", "v"), ("X-Bad", "\u20ac")])
def test_a_field_that_would_break_the_head_is_a_500(
        identity: TlsIdentity, caplog: pytest.LogCaptureFixture,
        field: tuple[str, str]) -> None:
    """A handler's header with CR, LF or NUL, a name that is not a token or a value outside
    ISO-8859-1: 500, nothing of it on the wire, no traceback."""
    with echo_server(identity, Replying(SimpleReply(200, b"secret", "text/plain", (field,)))) \
            as server, caplog.at_level(logging.DEBUG):
        answer = raw_exchange(server, identity, b"GET / HTTP/1.1\r\nHost: k\r\n"
                              b"Connection: close\r\n\r\n")
    assert status_of(answer) == 500
    assert b"Set-Cookie" not in answer and b"secret" not in answer
    assert "Traceback" not in caplog.text


def test_head_answer_has_no_body(identity: TlsIdentity) -> None:
    with echo_server(identity, Replying(SimpleReply(200, b"body", "text/plain"))) as server:
        answer = raw_exchange(server, identity, b"HEAD / HTTP/1.1\r\nHost: k\r\n"
                              b"Connection: close\r\n\r\n")
    assert answer.endswith(b"Content-Length: 4\r\nCache-Control: no-store\r\n"
                           b"Connection: close\r\n\r\n")


@pytest.mark.parametrize(("request_head", "persists"), [
    (b"GET / HTTP/1.1\r\nHost: k\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: k\r\nConnection: keep-alive\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: k\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: k\r\nConnection: x\r\nConnection: close\r\n\r\n", False),
    (b"GET / HTTP/1.0\r\n\r\n", False),
    (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", False),  # we do not keep 1.0 alive
])
def test_the_connection_persists_unless_the_request_ends_it(
        identity: TlsIdentity, request_head: bytes, persists: bool) -> None:
    """RFC 9112 9.3, 9.6: HTTP/1.1 persists unless ``close`` is a connection option; the
    answer to the last request says ``Connection: close`` and the server closes after it."""
    echo = Echo()
    with echo_server(identity, echo) as server, tls_connect(server, identity) as tls:
        tls.settimeout(2.0)
        tls.sendall(request_head)
        first = b""
        while not first.endswith(b"echo:"):
            chunk = tls.recv(65536)
            assert chunk, "closed before the answer"
            first += chunk
        assert (b"Connection: close" not in first) is persists
        if persists:  # a second request on the same connection is answered
            tls.sendall(b"POST / HTTP/1.1\r\nHost: k\r\nConnection: close\r\n"
                        b"Content-Length: 2\r\n\r\nhi")
            assert read_all(tls).endswith(b"echo:hi")
        else:
            assert read_all(tls) == b""  # closed, nothing more
    assert len(echo.seen) == (2 if persists else 1)
    assert all(isinstance(request, Request) for request in echo.seen)
