"""Denial of service by stalled clients (issue 13), against the SKM-S server and the ticket Ua
endpoint, over real sockets.

A well-behaved client opens a fresh connection per request (TCP, TLS handshake, one POST), so
every request crosses the accept path that one idle socket used to block.  Its p99 over
``SAMPLES`` requests while the stalled clients hang must stay within 2x its p99 without them,
plus ``SLACK_S``: this runs on a shared, noisy 2-core VM where one descheduled sample moves a
p99 of 50 samples by 10-20 ms whatever the server does (the defects this guards against were
not slower, they never answered: the client's 5 s timeout fails the test).  A p99 over the
bound is measured once more while the clients still hang: a descheduled sample does not repeat,
a server held up by them does.  The server's threads (event loop and workers) must stay within
``1 + workers`` throughout.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Iterator

import pytest

from mckm.impl.roles.kms.service import HttpRequest, HttpResponse
from mckm.impl.transport.http_server import HttpsServer, ServerLimits
from mckm.impl.transport.https_kms import KmsHttpsServer, TlsIdentity
from mckm.impl.transport.https_ticket import ua_endpoint
from mckm.impl.transport.ticket_http import TicketHttpRequest, TicketHttpResponse
from tests.transport.wire import (
    Echo,
    client_hello,
    echo_server,
    one_request,
    p99,
    raw_exchange,
    read_all,
    server_threads,
    status_of,
    tls_connect,
)
from tests.transport.wire import (
    client_context as client_context_for,
)

SAMPLES = 50
SLACK_S = 0.025
#: source addresses of the stalled clients (Linux routes all of 127/8 to the loopback): the
#: well-behaved client is 127.0.0.1, so the per-address limit is not what protects it here
STALLERS = [f"127.0.0.{i}" for i in range(2, 12)]


class EchoKms:
    """Stands in for the SKM-S KmsService: answers 200 with the body it got."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, b"echo:" + request.body, "application/octet-stream")


def _ticket_echo(request: TicketHttpRequest) -> TicketHttpResponse:
    return TicketHttpResponse.mikey(b"echo:" + request.body)


def _kms(identity: TlsIdentity) -> HttpsServer:
    return KmsHttpsServer(EchoKms(), identity)  # type: ignore[arg-type]


def _ticket_ua(identity: TlsIdentity) -> HttpsServer:
    return ua_endpoint(_ticket_echo, identity)


SERVERS: dict[str, Callable[[TlsIdentity], HttpsServer]] = {"skm-s": _kms, "ticket-ua": _ticket_ua}


def _well_behaved(server: HttpsServer, identity: TlsIdentity) -> float:
    if server.name == "kms-ua":  # the ticket binding (TS 33.328 A.2): a base64 MIKEY body
        started = time.perf_counter()
        with tls_connect(server, identity) as tls:
            tls.sendall(b"POST /keymanagement?requesttype=ticketresolve HTTP/1.1\r\n"
                        b"Host: kms\r\nContent-Type: application/mikey\r\n"
                        b"Content-Length: 8\r\nConnection: close\r\n\r\ncGluZw==")
            answer = read_all(tls)
        assert status_of(answer) == 200 and answer.endswith(b"ZWNobzpwaW5n")  # "echo:ping"
        return time.perf_counter() - started
    return one_request(server, identity)


def _p99(server: HttpsServer, identity: TlsIdentity) -> float:
    return p99([_well_behaved(server, identity) for _ in range(SAMPLES)])


def _tcp(server: HttpsServer, source: str) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5,
                                    source_address=(source, 0))


def _stall(server: HttpsServer, identity: TlsIdentity, kind: str, source: str) -> socket.socket:
    """One stalled client: ``tcp`` (connected, sends nothing), ``half-hello`` (half a
    ClientHello), ``half-request`` (TLS done, half a request head)."""
    if kind == "half-request":
        tls = tls_connect(server, identity, source=source)
        tls.sendall(b"POST / HTTP/1.1\r\nHost: kms\r\nContent-Le")
        return tls
    sock = _tcp(server, source)
    if kind == "half-hello":
        hello = client_hello(identity)
        sock.sendall(hello[:len(hello) // 2])
    return sock


SCENARIOS = {
    "one-idle-socket": ["tcp"],
    "half-client-hello": ["half-hello"],
    "300-stalled": ["tcp", "half-hello", "half-request"] * 100,
}


@pytest.fixture(params=sorted(SERVERS))
def served(request: pytest.FixtureRequest,
           identity: TlsIdentity) -> Iterator[HttpsServer]:
    with SERVERS[request.param](identity) as server:
        yield server


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_stalled_clients_do_not_delay_a_well_behaved_one(
        served: HttpsServer, identity: TlsIdentity, scenario: str) -> None:
    cap = 1 + served.limits.workers
    _well_behaved(served, identity)  # warm up: worker started, session caches filled
    quiet = _p99(served, identity)
    stalled = [_stall(served, identity, kind, STALLERS[i % len(STALLERS)])
               for i, kind in enumerate(SCENARIOS[scenario])]
    try:
        time.sleep(0.05)  # let the server accept the last of them
        assert served.open_connections >= len(stalled)  # all held, none refused or timed out
        loaded = _p99(served, identity)
        if loaded > 2 * quiet + SLACK_S:  # one descheduled sample, or a server that is held up:
            loaded = min(loaded, _p99(served, identity))  # the second stays slow only if held
        assert served.open_connections >= len(stalled)
        assert server_threads(served) <= cap
    finally:
        for sock in stalled:
            sock.close()
    print(f"{served.name} {scenario}: p99 {quiet * 1e3:.1f} ms quiet, "
          f"{loaded * 1e3:.1f} ms with {len(stalled)} stalled")
    assert loaded <= 2 * quiet + SLACK_S


def test_timeouts_close_every_kind_of_stalled_client(identity: TlsIdentity) -> None:
    """The handshake, read and idle timeouts end each stalled connection (the server closes
    it: the client reads the end of the stream)."""
    limits = {"handshake_timeout": 0.3, "read_timeout": 0.3, "idle_timeout": 0.3}
    with echo_server(identity, Echo(), **limits) as server:
        kept = tls_connect(server, identity)  # idle between requests: served one, then silent
        kept.sendall(b"GET / HTTP/1.1\r\nHost: k\r\n\r\n")
        kept.recv(65536)
        stalled = [_stall(server, identity, kind, "127.0.0.1")
                   for kind in ("tcp", "half-hello", "half-request")] + [kept]
        time.sleep(0.05)
        assert server.open_connections == 4
        started = time.monotonic()
        for sock in stalled:
            sock.settimeout(3)
            # closed mid-handshake: a reset or a TLS alert ends it as well as an empty read
            with contextlib.suppress(ConnectionResetError, ssl.SSLError):
                assert sock.recv(65536) == b""
            sock.close()
        assert time.monotonic() - started < 2
        while server.open_connections and time.monotonic() - started < 3:
            time.sleep(0.01)  # the server forgets a connection just after it closed it
        assert server.open_connections == 0


def test_connection_limits_in_all_and_per_client(identity: TlsIdentity) -> None:
    """Over ``max_per_client`` from one address, or ``max_connections`` in all, a connection is
    closed at accept, before any TLS work; other clients are still served."""
    with echo_server(identity, Echo(), max_per_client=4, max_connections=6) as server:
        held = [_tcp(server, "127.0.0.2") for _ in range(4)]
        refused = _tcp(server, "127.0.0.2")
        refused.settimeout(2)
        assert refused.recv(1) == b""  # closed by the server at once
        assert one_request(server, identity) < 2  # another address is served
        held += [_tcp(server, "127.0.0.3") for _ in range(2)]
        time.sleep(0.05)
        assert server.open_connections == 6
        with pytest.raises((ConnectionResetError, ssl.SSLError, OSError)):
            one_request(server, identity)  # the seventh, whoever it is
        held.pop().close()
        time.sleep(0.05)
        assert one_request(server, identity) < 2
        for sock in [*held, refused]:
            sock.close()


def test_stop_lets_a_request_being_served_finish(identity: TlsIdentity) -> None:
    """Graceful shutdown: the request in a worker gets its answer (with Connection: close),
    idle connections are closed, the threads are joined."""
    import threading

    echo = Echo(delay=0.4)
    server = echo_server(identity, echo, workers=2).start()
    idle = tls_connect(server, identity)
    answers: list[bytes] = []
    busy = threading.Thread(target=lambda: answers.append(raw_exchange(
        server, identity, b"POST / HTTP/1.1\r\nHost: k\r\nContent-Length: 1\r\n\r\nx")))
    busy.start()
    time.sleep(0.15)  # the request is in the worker now
    started = time.monotonic()
    server.stop()
    busy.join()
    assert time.monotonic() - started < 2
    assert status_of(answers[0]) == 200 and b"Connection: close" in answers[0]
    idle.settimeout(1)
    assert idle.recv(1) == b""
    assert server_threads(server) == 0
    with pytest.raises(OSError):
        socket.create_connection((server.host, server.port), timeout=1).close()


def test_limits_defaults() -> None:
    """The defaults the spec pages state (spec/skm-s.md, spec/ticket-http.md)."""
    limits = ServerLimits()
    assert (limits.max_connections, limits.max_per_client, limits.workers) == (512, 64, 8)
    assert (limits.handshake_timeout, limits.idle_timeout, limits.read_timeout,
            limits.write_timeout, limits.grace) == (10.0, 30.0, 10.0, 10.0, 5.0)
    assert (limits.max_head, limits.max_fields, limits.max_body) == (16384, 100, 65536)


def _flood(tls: socket.socket, request: bytes) -> None:
    """Pipeline ``request`` until the server stops reading (or the socket is closed)."""
    with contextlib.suppress(OSError):
        while True:
            tls.sendall(request)


def test_a_client_that_reads_no_response_costs_no_thread(identity: TlsIdentity) -> None:
    """Responses a client leaves unread wait with their connection in the workers' epoll set,
    not in a worker: 4 such clients against 2 workers, and a well-behaved client is still
    served; the write timeout then closes them."""
    import threading

    request = b"POST / HTTP/1.1\r\nHost: k\r\nContent-Length: 60000\r\n\r\n" + b"x" * 60000
    with echo_server(identity, Echo(), workers=2, write_timeout=1.5) as server:
        flooders = []
        for _ in range(4):
            plain = socket.socket()
            plain.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
            plain.settimeout(5)
            plain.connect((server.host, server.port))
            tls = client_context_for(identity).wrap_socket(plain, server_hostname=server.host)
            threading.Thread(target=_flood, args=(tls, request), daemon=True).start()
            flooders.append(tls)
        time.sleep(0.5)  # every flooder's responses fill its socket: the server waits to write
        started = time.monotonic()
        assert server.open_connections == 4
        assert one_request(server, identity) < 1
        assert server_threads(server) <= 1 + 2
        while server.open_connections and time.monotonic() - started < 4:
            time.sleep(0.05)
        closed_after = time.monotonic() - started
        for tls in flooders:
            tls.close()
    print(f"write-stalled: served meanwhile, closed {closed_after:.2f} s later")
    assert closed_after < 3
