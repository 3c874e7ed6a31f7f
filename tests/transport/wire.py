"""Real-socket helpers for the HTTPS server tests: a server around a recording echo handler,
raw TLS exchanges, and a stalled client of each kind."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from mckm.impl.transport.http_server import (
    Handler,
    HttpsServer,
    Peer,
    Reply,
    Request,
    ServerLimits,
    SimpleReply,
)
from mckm.impl.transport.https_kms import TlsIdentity, make_tls_identity, server_context


@dataclass
class Echo:
    """Answers 200 with the body it got; keeps every request (and sleeps ``delay`` first)."""

    seen: list[Request] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_connect(self, peer: Peer) -> Handler:
        return self.answer

    def answer(self, request: Request) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.seen.append(request)
        return SimpleReply(200, b"echo:" + request.body, "application/octet-stream")


@pytest.fixture(scope="module")
def identity() -> TlsIdentity:
    return make_tls_identity("127.0.0.1")


def echo_server(identity: TlsIdentity, echo: Echo, **limits: float) -> HttpsServer:
    return HttpsServer(echo.on_connect, server_context(identity), identity, "127.0.0.1", 0,
                       name="test", limits=ServerLimits(**limits))  # type: ignore[arg-type]


@pytest.fixture()
def echo() -> Echo:
    return Echo()


@pytest.fixture()
def server(identity: TlsIdentity, echo: Echo) -> Iterator[HttpsServer]:
    with echo_server(identity, echo) as running:
        yield running


def client_context(identity: TlsIdentity) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=identity.ca_pem.decode())


def tls_connect(server: HttpsServer, identity: TlsIdentity, *, source: str = "127.0.0.1",
                timeout: float = 5.0) -> ssl.SSLSocket:
    plain = socket.create_connection((server.host, server.port), timeout=timeout,
                                     source_address=(source, 0))
    return client_context(identity).wrap_socket(plain, server_hostname=server.host)


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (or the socket's timeout ends the wait)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def raw_exchange(server: HttpsServer, identity: TlsIdentity, data: bytes) -> bytes:
    """Send ``data`` on a fresh TLS connection; what the server wrote until it closed."""
    with tls_connect(server, identity) as tls:
        tls.sendall(data)
        return read_all(tls)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def one_request(server: HttpsServer, identity: TlsIdentity, body: bytes = b"ping") -> float:
    """Seconds for a well-behaved client: connect, TLS handshake, one POST, its answer."""
    started = time.perf_counter()
    with tls_connect(server, identity) as tls:
        tls.sendall(b"POST / HTTP/1.1\r\nHost: kms\r\nConnection: close\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
        answer = read_all(tls)
    assert status_of(answer) == 200 and answer.endswith(b"echo:" + body)
    return time.perf_counter() - started


def client_hello(identity: TlsIdentity) -> bytes:
    """The octets of a real ClientHello (from a memory-BIO handshake that is never finished)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(identity).wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def server_threads(server: HttpsServer) -> int:
    """Threads of this server: its event-loop thread and its workers (its own, not those of
    another server of the same name that a module fixture of the same test worker keeps)."""
    return len(server.threads)


class PidEcho(Echo):
    """Answers 200 with the serving process's id and the body it got."""

    def answer(self, request: Request) -> Reply:
        return SimpleReply(200, b"pid:%d:" % os.getpid() + request.body,
                           "application/octet-stream")


def pid_echo_replica(identity: TlsIdentity, host: str, port: int) -> HttpsServer:
    """A replica's server (``functools.partial(pid_echo_replica, identity)``): answers with
    its process id."""
    return HttpsServer(PidEcho().on_connect, server_context(identity), identity, host, port,
                       name="replica", reuse_port=True)
