"""The one HTTPS server of mckm: the SKM-S (TS 33.180 D.1), the ticket KMS's Ua and Zk endpoints
(TS 33.328 Annex A) and the BSF's Zn service run on it.

HTTP/1.1 request parsing and framing are h11's (RFC 9112; a fresh ``h11.Connection`` per
request); responses are written here (status line, Content-Length framing, the handler's
fields checked as h11 would, RFC 9110 5.1, 5.5); TLS is OpenSSL's through :mod:`ssl` on
non-blocking sockets; readiness is Linux ``epoll``.  This module keeps what the roles need
around them and nothing else:

- **One acceptor thread per server** accepts and runs each TLS handshake step when its octets
  arrive, and closes what outlives its timeout.  It never reads a request.
- **Workers** (at most ``ServerLimits.workers`` threads) wait on one ``epoll`` set holding every
  established connection that waits for octets (``EPOLLONESHOT``: a ready connection goes to
  exactly one worker, no hand-over between threads).  The worker reads what has arrived,
  feeds h11, runs the application when a request is whole (the roles are blocking code: locks,
  SQLite, a Zk round trip) and writes the response, then reads again; when the socket has
  nothing more it re-arms the connection and waits for the next ready one.  A connection that
  stalls (no TLS, half a ClientHello, half a request, a response it does not read) therefore
  costs a socket, never a thread, and ends at its timeout.  The thread count of a server is at
  most ``1 + workers``, whatever the clients do.
- **Limits** (:class:`ServerLimits`): connections in all and per client address (refused at
  accept, before any TLS work), handshake, idle, read and write timeouts (enforced to about
  ``_TICK`` seconds), head and body sizes.
- **Framing refusals** (RFC 9112 6.3, 400, connection closed): two Content-Length field lines or a
  list value (h11 merges equal values, RFC 9110 8.6 allows that; we take the other branch of that
  MAY and refuse), Content-Length together with Transfer-Encoding (RFC 9112 6.1: "ought to be
  handled as an error"), Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1), a Content-Length
  that is not ASCII digits (h11).  A chunked body (RFC 9112 7.1) is read by h11 and held to the
  same body limit; a transfer coding other than chunked is 501 (h11, RFC 9112 6.1).
- **Persistence** (RFC 9112 9.3): requests of a connection are answered in order, pipelined ones
  included; the ``close`` connection option, HTTP/1.0 and every refusal end the connection
  (as h11 would decide, :func:`_keep_alive`).
- **Mutual TLS**: ``on_connect`` receives the client address and the verified client certificate
  (DER, or None) once per connection and returns the request handler of that connection, so a Zk
  or Zn handler knows its peer's verified domain without parsing the certificate per request.
- **Graceful shutdown** (:meth:`HttpsServer.stop`): stop accepting, close idle connections, let a
  request being served finish (answered with ``Connection: close``) within ``grace`` seconds.

Nothing here logs a header value, a body or a request target: only statuses, client addresses
and the kind of refusal.
"""

from __future__ import annotations

import http
import logging
import os
import re
import select
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self

import h11

if TYPE_CHECKING:
    from mckm.impl.transport.https_kms import TlsIdentity

log = logging.getLogger(__name__)

#: Methods this server knows (RFC 9110 9.3, and PATCH, RFC 5789); any other is 501 (RFC 9110 9.1).
KNOWN_METHODS = frozenset({b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"CONNECT", b"OPTIONS",
                           b"TRACE", b"PATCH"})
_READ_CHUNK = 65536
#: seconds between two looks at the deadlines (the precision of every timeout)
_TICK = 0.05
#: h11's refusals whose text is fixed (others may quote the client's octets: not echoed, not
#: logged, answered with a generic reason)
_H11_FIXED_REASONS = frozenset({
    "bad Content-Length", "conflicting Content-Length headers", "Missing mandatory Host: header",
    "Found multiple Host: headers", "multiple Transfer-Encoding headers",
    "Only Transfer-Encoding: chunked is supported", "Receive buffer too long",
    "illegal request line", "continuation line at start of headers",
    "peer unexpectedly closed connection"})


@dataclass(frozen=True)
class ServerLimits:
    """What one server grants its clients; the defaults are those of every mckm endpoint."""

    #: connections open at once (TLS handshakes included); more are closed at accept
    max_connections: int = 512
    #: connections open at once from one client IP address
    max_per_client: int = 64
    #: worker threads: each reads, runs the application and writes for one ready connection
    workers: int = 8
    #: seconds for the TLS handshake, counted from accept
    handshake_timeout: float = 10.0
    #: seconds a connection may wait for the first octet of its next request
    idle_timeout: float = 30.0
    #: seconds from a request's first octet to its last (head and body)
    read_timeout: float = 10.0
    #: seconds to hand a response to a client that does not read it
    write_timeout: float = 10.0
    #: largest request head, request line and field lines (431 beyond, RFC 6585 5)
    max_head: int = 16 * 1024
    #: most header fields in a request head (431 beyond, RFC 6585 5)
    max_fields: int = 100
    #: largest request body, after any chunked decoding (413 beyond, RFC 9110 15.5.14)
    max_body: int = 64 * 1024
    #: seconds :meth:`HttpsServer.stop` lets a request being served finish
    grace: float = 5.0


@dataclass(frozen=True, repr=False)
class Request:
    """One whole request: method, target (origin form, query included), header fields with
    lower-case names (a repeated field's values joined by ", ", RFC 9110 5.3), body."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes

    def __repr__(self) -> str:  # no target, header value or body: they may carry tokens
        return f"Request({self.method}, {len(self.body)} octets)"


class Reply(Protocol):
    """What a handler answers; the roles' own response classes have these attributes."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def headers(self) -> tuple[tuple[str, str], ...]: ...


@dataclass(frozen=True)
class SimpleReply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def text(cls, status: int, reason: str) -> SimpleReply:
        return cls(status, (reason + "\n").encode())


@dataclass(frozen=True)
class Peer:
    """The client of one connection: its IP address and its TLS-verified certificate (DER),
    None when the server does not ask for one."""

    address: str
    cert_der: bytes | None


#: The application of one connection: runs in a worker thread, one request at a time.
Handler = Callable[[Request], Reply]
#: Called once per connection after the TLS handshake (in the acceptor thread: keep it cheap).
OnConnect = Callable[[Peer], Handler]


class _Refusal(Exception):
    """A request refused before the application sees it; the connection is closed after."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


#: a Content-Length field line of a request head and its value: a line (after the request
#: line) whose name, what precedes its first colon, is Content-Length in any case
_CONTENT_LENGTH_LINE = re.compile(rb"\ncontent-length(?::([^\n]*)|(?=\n)|\Z)", re.IGNORECASE)


def _framing_check(event: h11.Request, head: bytes) -> None:
    """What h11 accepts but this server refuses (RFC 9112 6.1, 6.3; RFC 9110 8.6).

    ``head`` is the request head exactly as h11 consumed and validated it, so a field name is
    what precedes the first colon of a line (RFC 9112 5.1 allows no blank before it) and a line
    starting with a blank is an obs-fold continuation, never a field of its own.
    """
    lengths = _CONTENT_LENGTH_LINE.findall(head)
    if len(lengths) > 1 or any(b"," in value for value in lengths):
        raise _Refusal(400, "more than one Content-Length (RFC 9112 6.3)")
    has_te = any(name == b"transfer-encoding" for name, _ in event.headers)
    if has_te and lengths:
        raise _Refusal(400, "Content-Length with Transfer-Encoding (RFC 9112 6.1)")
    if has_te and event.http_version == b"1.0":
        raise _Refusal(400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1)")


# Where a connection is; the owner of each state is the only thread that touches its socket.
_HANDSHAKE = 0  # in the acceptor's epoll set (owner: the acceptor)
_ARMED = 1  # in the workers' epoll set, waiting for octets or for room to write (owner: none)
_BUSY = 2  # a worker reads, runs the application or writes (owner: that worker)
_CLOSED = 3


class _Conn:
    """One client connection and the request being read on it."""

    __slots__ = ("address", "body", "close_after", "deadline", "fd", "h", "handler", "head",
                 "out", "request", "sock", "started", "state")

    def __init__(self, sock: ssl.SSLSocket, address: str, deadline: float) -> None:
        self.sock, self.fd, self.address = sock, sock.fileno(), address
        self.state, self.deadline = _HANDSHAKE, deadline
        self.handler: Handler | None = None
        self.h: h11.Connection | None = None
        self.started: float | None = None  # when the request being read sent its first octet
        self.head = bytearray()  # the request's octets until h11 has its head
        self.request: h11.Request | None = None
        self.body = bytearray()
        self.out = b""  # response octets the socket has not taken yet
        self.close_after = False  # close once ``out`` is written

    def next_cycle(self, max_head: int) -> None:
        """Forget the request answered: a fresh h11 connection (the response was not written
        through h11, so the old one waits for it forever) fed whatever h11 holds beyond the
        request, a pipelined one perhaps."""
        assert self.h is not None
        pipelined, closed = self.h.trailing_data
        self.h = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head)
        if pipelined:
            self.h.receive_data(pipelined)
        if closed:
            self.h.receive_data(b"")
        self.head = bytearray(pipelined)
        self.started = time.monotonic() if pipelined else None
        self.request, self.body = None, bytearray()


class HttpsServer:
    """An HTTPS server on ``host``:``port`` (0: any free port, bound at construction); a
    context manager, or :meth:`start` / :meth:`stop`.  Linux only (``epoll``).  With
    ``reuse_port`` its listening socket joins the ``SO_REUSEPORT`` group of that address: one
    replica among several processes (:mod:`mckm.impl.transport.replicas`)."""

    def __init__(self, on_connect: OnConnect, context: ssl.SSLContext, identity: TlsIdentity,
                 host: str = "127.0.0.1", port: int = 0, *, name: str = "https",
                 limits: ServerLimits | None = None, reuse_port: bool = False) -> None:
        self.on_connect, self.context, self.identity = on_connect, context, identity
        self.host, self.name = host, name
        self.limits = limits or ServerLimits()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:  # one of several replicas on this port (mckm.impl.transport.replicas)
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            self._listener.bind((host, port))
            self._listener.listen(min(socket.SOMAXCONN, 4096))
        except OSError:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()  # guards the tables below and every state change
        self._conns: dict[int, _Conn] = {}  # by file descriptor: every open connection
        self._armed: dict[int, _Conn] = {}  # taking one from here is taking ownership
        self._per_client: Counter[str] = Counter()
        self._established = 0
        self._handshakes = select.epoll()  # the acceptor's: listener, handshakes, its wake-up
        self._ready = select.epoll()  # the workers': established connections, their wake-up
        self._wake_acceptor, self._wake_workers = os.eventfd(0), os.eventfd(0)
        self._ready.register(self._wake_workers, select.EPOLLIN)  # level: wakes every worker
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"mckm-{name}",
                                          daemon=True)
        self._workers: list[threading.Thread] = []
        self._stopping = False

    @property
    def threads(self) -> list[threading.Thread]:
        """This server's live threads: its acceptor and its workers (never more than
        ``limits.workers`` of these, however many clients hold connections)."""
        return [t for t in (self._acceptor, *self._workers) if t.is_alive()]

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """Connections open now (TLS handshakes included)."""
        return len(self._conns)

    # -- life cycle (any thread)
    def start(self) -> Self:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close idle connections, let requests being served finish (within
        ``limits.grace``), then close the rest and join every thread."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        if self._acceptor.is_alive():
            os.eventfd_write(self._wake_acceptor, 1)
            self._acceptor.join()  # it closed the listener, the handshakes, the idle connections
        else:  # never started
            self._listener.close()
        ends = time.monotonic() + self.limits.grace
        while self._conns and time.monotonic() < ends:
            time.sleep(0.01)
        self._close_armed(lambda conn: True)
        os.eventfd_write(self._wake_workers, 1)
        for worker in list(self._workers):
            worker.join(timeout=self.limits.grace)
        if not any(worker.is_alive() for worker in self._workers):
            self._release()

    def _release(self) -> None:
        self._handshakes.close()
        self._ready.close()
        os.close(self._wake_acceptor)
        os.close(self._wake_workers)

    def close_idle_connections(self) -> None:
        """Close the kept-alive connections that wait for a request (as an idle timeout does)."""
        self._close_armed(lambda conn: conn.started is None and not conn.out)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- ownership
    def _close(self, conn: _Conn) -> None:
        """Close a connection its caller owns (or has just taken out of ``_armed``)."""
        with self._lock:
            if conn.state == _CLOSED:
                return
            if conn.state != _HANDSHAKE:
                self._established -= 1
            conn.state = _CLOSED
            del self._conns[conn.fd]
            self._per_client[conn.address] -= 1
            if not self._per_client[conn.address]:
                del self._per_client[conn.address]
        conn.sock.close()  # leaves both epoll sets with its descriptor

    def _close_armed(self, which: Callable[[_Conn], bool], now: float | None = None) -> None:
        """Close the armed connections ``which`` selects (past their deadline with ``now``)."""
        with self._lock:
            chosen = [conn for conn in self._armed.values()
                      if which(conn) and (now is None or now >= conn.deadline)]
            for conn in chosen:
                del self._armed[conn.fd]
        for conn in chosen:
            self._close(conn)

    def _arm(self, conn: _Conn, writing: bool = False) -> None:
        """Give ``conn`` back to the workers' epoll set until its socket is ready (one event,
        to one worker); its deadline is the write, read or idle timeout."""
        limits = self.limits
        if writing:
            conn.deadline = time.monotonic() + limits.write_timeout
        elif conn.started is not None:
            conn.deadline = conn.started + limits.read_timeout
        elif self._stopping:
            self._close(conn)
            return
        else:
            conn.deadline = time.monotonic() + limits.idle_timeout
        events = (select.EPOLLOUT if writing else select.EPOLLIN) | select.EPOLLONESHOT
        with self._lock:
            registered = conn.state != _HANDSHAKE
            conn.state = _ARMED
            self._armed[conn.fd] = conn
        if registered:
            self._ready.modify(conn.fd, events)
        else:
            self._ready.register(conn.fd, events)

    # -- the acceptor thread
    def _accept_loop(self) -> None:
        listener = self._listener.fileno()
        self._handshakes.register(listener, select.EPOLLIN)
        self._handshakes.register(self._wake_acceptor, select.EPOLLIN)
        next_look = time.monotonic() + _TICK
        while not self._stopping:
            for fd, _ in self._handshakes.poll(_TICK):
                if fd == listener:
                    self._accept()
                elif (conn := self._conns.get(fd)) is not None and conn.state == _HANDSHAKE:
                    self._handshake(conn)
            now = time.monotonic()
            if now >= next_look:
                next_look = now + _TICK
                for conn in self._handshaking(now):
                    log.info("%s: TLS handshake with %s failed: timeout", self.name,
                             conn.address)
                    self._close(conn)
                self._close_armed(lambda conn: True, now)
        self._listener.close()
        for conn in self._handshaking():
            self._close(conn)
        self.close_idle_connections()

    def _handshaking(self, now: float | None = None) -> list[_Conn]:
        """The connections in their TLS handshake (past their deadline with ``now``)."""
        with self._lock:  # workers remove connections meanwhile
            return [conn for conn in self._conns.values() if conn.state == _HANDSHAKE
                    and (now is None or now >= conn.deadline)]

    def _accept(self) -> None:
        limits = self.limits
        while True:
            try:
                sock, address = self._listener.accept()
            except BlockingIOError:
                return
            except OSError as error:  # EMFILE and the like: the next tick tries again
                log.warning("%s: accept failed: %s", self.name, type(error).__name__)
                time.sleep(_TICK)
                return
            client = str(address[0])
            with self._lock:
                refused = (len(self._conns) >= limits.max_connections
                           or self._per_client[client] >= limits.max_per_client)
                if not refused:
                    self._per_client[client] += 1
            if refused:
                log.info("%s: connection from %s refused: limit reached", self.name, client)
                sock.close()
                continue
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                tls = self.context.wrap_socket(sock, server_side=True,
                                               do_handshake_on_connect=False)
            except OSError:
                with self._lock:
                    self._per_client[client] -= 1
                    if not self._per_client[client]:
                        del self._per_client[client]
                sock.close()
                continue
            conn = _Conn(tls, client, time.monotonic() + limits.handshake_timeout)
            with self._lock:
                self._conns[conn.fd] = conn
            self._handshakes.register(conn.fd, select.EPOLLIN)
            self._handshake(conn)

    def _handshake(self, conn: _Conn) -> None:
        """One step of ``conn``'s TLS handshake; once done, the connection goes to the workers."""
        try:
            conn.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._handshakes.modify(conn.fd, select.EPOLLIN)
            return
        except ssl.SSLWantWriteError:
            self._handshakes.modify(conn.fd, select.EPOLLOUT)
            return
        except (OSError, ValueError) as error:  # ssl.SSLError included
            log.info("%s: TLS handshake with %s failed: %s", self.name, conn.address,
                     getattr(error, "reason", None) or type(error).__name__)
            self._close(conn)
            return
        self._handshakes.unregister(conn.fd)
        try:
            conn.handler = self.on_connect(Peer(conn.address,
                                                conn.sock.getpeercert(binary_form=True)))
        except Exception as error:  # a bug here must not reach the log as a traceback
            log.error("%s: connection from %s failed: %s", self.name, conn.address,
                      type(error).__name__)
            self._close(conn)
            return
        conn.h = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_head)
        with self._lock:
            self._established += 1
            if len(self._workers) < min(self.limits.workers, self._established):
                worker = threading.Thread(target=self._work, daemon=True,
                                          name=f"mckm-{self.name}-w{len(self._workers)}")
                self._workers.append(worker)
                worker.start()
        # OpenSSL reads no record ahead (no read_ahead), so nothing waits in it unannounced
        self._arm(conn)

    # -- the workers
    def _work(self) -> None:
        wake = self._wake_workers
        while True:
            for fd, _ in self._ready.poll(-1, 1):
                if fd == wake:
                    return
                with self._lock:
                    conn = self._armed.pop(fd, None)
                    if conn is not None:
                        conn.state = _BUSY
                if conn is None:  # closed by a timeout or stop() meanwhile
                    continue
                try:
                    self._advance(conn)
                except Exception as error:  # a bug here must not reach the log as a traceback
                    log.error("%s: connection from %s failed: %s", self.name, conn.address,
                              type(error).__name__)
                    self._close(conn)

    def _advance(self, conn: _Conn) -> None:
        """Do all that ``conn``'s socket allows now: write what is pending, read, answer each
        whole request (RFC 9112 9.3: in order), then re-arm or close it."""
        assert conn.h is not None and conn.handler is not None
        limits = self.limits
        sock = conn.sock
        answered = False  # a request answered in this call: the socket was read dry for it
        while True:
            if conn.out:
                try:
                    sock.sendall(conn.out)  # non-blocking: all, or SSLWantWriteError
                except ssl.SSLWantWriteError:
                    self._arm(conn, writing=True)  # OpenSSL resumes with the same octets
                    return
                except OSError:
                    self._close(conn)
                    return
                conn.out = b""
            if conn.close_after or (self._stopping and conn.started is None):
                self._close(conn)
                return
            h = conn.h  # a fresh one after each answered request (_Conn.next_cycle)
            try:
                event = h.next_event()
                if event is h11.NEED_DATA:
                    if answered and conn.started is None and not sock.pending():
                        self._arm(conn)  # spare a read that would only say "nothing yet"
                        return
                    if conn.started is not None \
                            and time.monotonic() > conn.started + limits.read_timeout:
                        self._close(conn)
                        return
                    try:
                        data = sock.recv(_READ_CHUNK)
                    except ssl.SSLWantReadError:
                        self._arm(conn)
                        return
                    except OSError:  # ssl.SSLError included
                        self._close(conn)
                        return
                    if conn.started is None:
                        conn.started = time.monotonic()
                    if conn.request is None:
                        conn.head += data
                    h.receive_data(data)  # b"" is the end of the stream: h11 refuses what is cut
                elif isinstance(event, h11.Request):
                    self._check(conn, event)
                    if h.they_are_waiting_for_100_continue:
                        # RFC 9110 10.1.1: the client waits for 100 before it sends the body
                        conn.out = _CONTINUE
                elif isinstance(event, h11.Data):
                    conn.body += event.data
                    if len(conn.body) > limits.max_body:
                        raise _Refusal(413, f"body over {limits.max_body} octets")
                elif isinstance(event, h11.EndOfMessage):
                    self._serve_request(conn)
                    answered = True
                elif isinstance(event, h11.ConnectionClosed):
                    self._close(conn)
                    return
                else:
                    raise h11.RemoteProtocolError("unexpected event")
            except (h11.RemoteProtocolError, _Refusal) as error:
                self._refuse(conn, error)

    def _check(self, conn: _Conn, event: h11.Request) -> None:
        """The limits and framing rules h11 leaves to us, on a request head h11 accepted."""
        limits = self.limits
        assert conn.h is not None
        conn.request = event
        head = conn.head[:len(conn.head) - len(conn.h.trailing_data[0])]
        conn.head = bytearray()
        if len(head) > limits.max_head:  # h11 checks only a head still incomplete
            raise _Refusal(431, f"request head over {limits.max_head} octets (RFC 6585 5)")
        if event.http_version not in (b"1.0", b"1.1"):
            raise _Refusal(505, "HTTP version not supported (RFC 9110 15.6.6)")
        if len(event.headers) > limits.max_fields:
            raise _Refusal(431, f"more than {limits.max_fields} header fields (RFC 6585 5)")
        if event.method not in KNOWN_METHODS:
            raise _Refusal(501, "method not implemented (RFC 9110 9.1)")
        _framing_check(event, bytes(head))
        declared = next((int(v) for n, v in event.headers if n == b"content-length"), 0)
        if declared > limits.max_body:
            raise _Refusal(413, f"body over {limits.max_body} octets")

    def _serve_request(self, conn: _Conn) -> None:
        """Run the application on the whole request; queue its response (head and body in one
        write, REQ-TKT-HTTP-09) and start the next cycle, or mark the connection to close."""
        event = conn.request
        assert event is not None and conn.handler is not None
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key, text = name.decode("ascii"), value.decode("iso-8859-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        method = event.method.decode("ascii")
        request = Request(method, event.target.decode("iso-8859-1"), headers, bytes(conn.body))
        reply = _call(conn.handler, request)
        close = self._stopping or not _keep_alive(event, headers)
        try:
            conn.out += _response(method, reply, close=close)
        except ValueError as error:  # a handler's bug: not a traceback, not a broken reply
            log.error("%s: response to %s not sent: %s", self.name, conn.address, error)
            conn.out += _response(method, SimpleReply.text(500, "internal error"), close=close)
        if close:
            conn.close_after = True
        else:
            conn.next_cycle(self.limits.max_head)

    def _refuse(self, conn: _Conn, error: h11.RemoteProtocolError | _Refusal) -> None:
        """Answer a refused request and close the connection after the answer."""
        if isinstance(error, _Refusal):
            status, reason = error.status, error.reason
        else:
            status = error.error_status_hint
            reason = str(error) if str(error) in _H11_FIXED_REASONS else "malformed"
            reason += " (h11, RFC 9112)"
        log.info("%s: request from %s refused: %d %s", self.name, conn.address, status, reason)
        # a refusal comes before any response to its request (a request is answered only
        # once h11 has read all of it), so the refusal is that response
        conn.out += _response(None, SimpleReply.text(status, reason), close=True)
        conn.close_after = True


def _keep_alive(event: h11.Request, headers: Mapping[str, str]) -> bool:
    """Whether the connection persists after this request (RFC 9112 9.3: HTTP/1.1 without the
    ``close`` connection option; HTTP/1.0 ends, as h11 decides it)."""
    if event.http_version != b"1.1":
        return False
    option = headers.get("connection")
    return option is None or "close" not in (t.strip().lower() for t in option.split(","))


#: RFC 9110 5.1: a field name is a token; 5.5: a field value has no CR, LF or NUL (h11's own
#: checks of what it sends, kept for the responses this server writes itself)
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[^\x00\r\n]*")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_STATUSES = {int(s): f"{int(s)} {s.phrase}".encode() for s in http.HTTPStatus}


def _response(method: str | None, reply: Reply, *, close: bool) -> bytes:
    """The octets of ``reply`` (RFC 9112 4, 5: status line and field lines; RFC 9112 6:
    Content-Length framing; no body for HEAD, RFC 9110 9.3.2), written here, not by h11: h11's
    three ``send`` calls (and ``start_next_cycle``) validated the same fixed fields twice per
    response, about 95 of its 137 microseconds per request cycle; the bench's
    ``ticket-http-stub-request`` went from 1.21 M to 0.99 M instructions per request."""
    status = reply.status
    if not 100 <= status <= 999:
        raise ValueError(f"status {status} is not three digits (RFC 9110 15)")
    lines = [b"HTTP/1.1 " + (_STATUSES.get(status) or b"%d " % status),
             b"Content-Type: " + _value(reply.content_type),
             b"Content-Length: %d" % len(reply.body),
             b"Cache-Control: no-store"]
    for name, value in reply.headers:
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"response field name {name!r} is not a token (RFC 9110 5.1)")
        lines.append(name.encode("ascii") + b": " + _value(value))
    if close:
        lines.append(b"Connection: close")
    lines.append(b"")
    head = b"\r\n".join(lines) + b"\r\n"
    return head if method == "HEAD" else head + reply.body


def _value(value: str) -> bytes:
    """A response field value, refused if it would end its field line (RFC 9110 5.5)."""
    if not _FIELD_VALUE.fullmatch(value):
        raise ValueError("a response field value holds CR, LF or NUL (RFC 9110 5.5)")
    return value.strip(" \t").encode("iso-8859-1")


def _call(handler: Handler, request: Request) -> Reply:
    """Run ``handler`` in a worker; an unexpected exception is a 500 logged by type only."""
    try:
        return handler(request)
    except Exception as error:
        log.error("request handler failed: %s", type(error).__name__)
        return SimpleReply.text(500, "internal error")


__all__ = ["KNOWN_METHODS", "Handler", "HttpsServer", "OnConnect", "Peer", "Reply", "Request",
           "ServerLimits", "SimpleReply"]
