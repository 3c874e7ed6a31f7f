"""The one HTTPS server of mckm: the SKM-S (TS 33.180 D.1), the ticket KMS's Ua and Zk endpoints
(TS 33.328 Annex A) and the BSF's Zn service run on it.

HTTP/1.1 parsing and framing are h11's (RFC 9112); this module keeps what the roles need around
it and nothing else:

- **One event-loop thread per server** accepts, runs the TLS handshakes (``asyncio``'s memory-BIO
  TLS) and reads requests.  A connection that stalls (no TLS, half a ClientHello, half a request)
  costs a socket, never a thread, and ends at its timeout.
- **A bounded worker pool** (``ServerLimits.workers`` threads) runs the application, one whole
  request at a time: the roles are blocking code (locks, SQLite, a Zk round trip).  The thread
  count of a server is at most ``1 + workers``, whatever the clients do.
- **Limits** (:class:`ServerLimits`): connections in all and per client address (refused at
  accept, before any TLS work), handshake, idle, read and write timeouts, head and body sizes.
- **Framing refusals** (RFC 9112 6.3, 400, connection closed): two Content-Length field lines or a
  list value (h11 merges equal values, RFC 9110 8.6 allows that; we take the other branch of that
  MAY and refuse), Content-Length together with Transfer-Encoding (RFC 9112 6.1: "ought to be
  handled as an error"), Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1), a Content-Length
  that is not ASCII digits (h11).  A chunked body (RFC 9112 7.1) is read by h11 and held to the
  same body limit; a transfer coding other than chunked is 501 (h11, RFC 9112 6.1).
- **Mutual TLS**: ``on_connect`` receives the client address and the verified client certificate
  (DER, or None) once per connection and returns the request handler of that connection, so a Zk
  or Zn handler knows its peer's verified domain without parsing the certificate per request.
- **Graceful shutdown** (:meth:`HttpsServer.stop`): stop accepting, close idle connections, let a
  request being served finish (answered with ``Connection: close``) within ``grace`` seconds.

Nothing here logs a header value, a body or a request target: only statuses, client addresses
and the kind of refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import queue
import socket
import ssl
import threading
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
    #: threads running the application (a request is read whole before it takes one)
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
#: Called once per connection after the TLS handshake (in the event-loop thread: keep it cheap).
OnConnect = Callable[[Peer], Handler]


class _Refusal(Exception):
    """A request refused before the application sees it; the connection is closed after."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(eq=False)
class _Conn:
    address: str
    task: asyncio.Task[None] | None = None
    idle: bool = True  # waiting for the first octet of a request (safe to close on stop)


def _framing_check(event: h11.Request, head: bytes) -> None:
    """What h11 accepts but this server refuses (RFC 9112 6.1, 6.3; RFC 9110 8.6).

    ``head`` is the request head exactly as h11 consumed and validated it, so a field name is
    what precedes the first colon of a line (RFC 9112 5.1 allows no blank before it) and a line
    starting with a blank is an obs-fold continuation, never a field of its own.
    """
    lengths = [line.partition(b":")[2] for line in head.split(b"\n")[1:]
               if line.partition(b":")[0].lower() == b"content-length"]
    if len(lengths) > 1 or any(b"," in value for value in lengths):
        raise _Refusal(400, "more than one Content-Length (RFC 9112 6.3)")
    has_te = any(name == b"transfer-encoding" for name, _ in event.headers)
    if has_te and lengths:
        raise _Refusal(400, "Content-Length with Transfer-Encoding (RFC 9112 6.1)")
    if has_te and event.http_version == b"1.0":
        raise _Refusal(400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1)")


class HttpsServer:
    """An HTTPS server on ``host``:``port`` (0: any free port, bound at construction); a
    context manager, or :meth:`start` / :meth:`stop`."""

    def __init__(self, on_connect: OnConnect, context: ssl.SSLContext, identity: TlsIdentity,
                 host: str = "127.0.0.1", port: int = 0, *, name: str = "https",
                 limits: ServerLimits | None = None) -> None:
        self.on_connect, self.context, self.identity = on_connect, context, identity
        self.host, self.name = host, name
        self.limits = limits or ServerLimits()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind((host, port))
            self._listener.listen(min(socket.SOMAXCONN, 4096))
        except OSError:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.port = int(self._listener.getsockname()[1])
        self._pool = _Workers(self.limits.workers, f"mckm-{name}-w")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"mckm-{name}", daemon=True)
        self._conns: dict[asyncio.Task[None], _Conn] = {}
        self._per_client: Counter[str] = Counter()
        self._stopping = False

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """Connections open now (TLS handshakes included)."""
        return len(self._conns)

    # -- life cycle (any thread)
    def start(self) -> Self:
        self._thread.start()
        self._ready.wait()
        return self

    def stop(self) -> None:
        """Stop accepting, close idle connections, let requests being served finish (within
        ``limits.grace``), then join the loop thread and the workers."""
        loop, stop = self._loop, self._stop_requested
        if loop is not None and stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
            self._thread.join(timeout=self.limits.grace + 5)
        self._listener.close()
        self._pool.shutdown()

    def close_idle_connections(self) -> None:
        """Close the kept-alive connections that wait for a request (as an idle timeout does)."""
        loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._close_idle(), loop).result(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the loop thread
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._loop_error)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        """asyncio's unexpected errors, by type only (no traceback, no data)."""
        error = context.get("exception")
        log.warning("%s: %s%s", self.name, context.get("message", "event loop error"),
                    f" ({type(error).__name__})" if error is not None else "")

    async def _main(self) -> None:
        self._stop_requested = asyncio.Event()
        self._ready.set()
        accepting = asyncio.get_running_loop().create_task(self._accept())
        await self._stop_requested.wait()
        self._stopping = True
        accepting.cancel()
        await self._close_idle()
        if self._conns:
            await asyncio.wait(list(self._conns), timeout=self.limits.grace)
        for task in list(self._conns):
            task.cancel()
        if self._conns:
            await asyncio.wait(list(self._conns), timeout=1)
        with contextlib.suppress(asyncio.CancelledError):
            await accepting

    async def _close_idle(self) -> None:
        for conn in list(self._conns.values()):
            if conn.idle and conn.task is not None:
                conn.task.cancel()

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        limits = self.limits
        while True:
            try:
                sock, address = await loop.sock_accept(self._listener)
            except OSError as error:  # EMFILE and the like: wait, do not spin
                log.warning("%s: accept failed: %s", self.name, type(error).__name__)
                await asyncio.sleep(0.1)
                continue
            client = str(address[0])
            if len(self._conns) >= limits.max_connections \
                    or self._per_client[client] >= limits.max_per_client:
                log.info("%s: connection from %s refused: limit reached", self.name, client)
                sock.close()
                continue
            conn = _Conn(client)
            conn.task = task = loop.create_task(self._connection(sock, conn))
            self._conns[task] = conn
            self._per_client[client] += 1
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        conn = self._conns.pop(task)
        self._per_client[conn.address] -= 1
        if not self._per_client[conn.address]:
            del self._per_client[conn.address]

    async def _connection(self, sock: socket.socket, conn: _Conn) -> None:
        loop, client = asyncio.get_running_loop(), conn.address
        writer: asyncio.StreamWriter | None = None
        try:
            reader = asyncio.StreamReader(limit=_READ_CHUNK, loop=loop)
            protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
            try:
                transport, _ = await loop.connect_accepted_socket(
                    lambda: protocol, sock, ssl=self.context,
                    ssl_handshake_timeout=self.limits.handshake_timeout)
            except (OSError, TimeoutError) as error:
                log.info("%s: TLS handshake with %s failed: %s", self.name, client,
                         getattr(error, "reason", None) or type(error).__name__)
                return
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            handler = self.on_connect(Peer(client, der))
            await self._serve(reader, writer, handler, conn)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client went away or timed out: nothing to answer
        except asyncio.CancelledError:
            pass  # closed by stop() or close_idle_connections()
        except Exception as error:  # a bug here must not reach the log as a traceback
            log.error("%s: connection from %s failed: %s", self.name, client,
                      type(error).__name__)
        finally:
            if writer is not None:
                writer.transport.abort()
            else:
                sock.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     handler: Handler, conn: _Conn) -> None:
        """Requests of one connection, one after the other (RFC 9112 9.3 persistence)."""
        limits = self.limits
        h = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_head)
        loop = asyncio.get_running_loop()
        while not self._stopping:
            conn.idle = True
            first = b""
            if not h.trailing_data[0]:  # else a pipelined request is already here
                async with asyncio.timeout(limits.idle_timeout):
                    first = await reader.read(_READ_CHUNK)
                if not first:
                    return  # the client closed between requests
            conn.idle = False
            try:
                async with asyncio.timeout(limits.read_timeout):
                    request = await self._read_request(h, reader, writer, first)
            except (h11.RemoteProtocolError, _Refusal) as error:
                if isinstance(error, _Refusal):
                    status, reason = error.status, error.reason
                else:
                    status = error.error_status_hint
                    reason = str(error) if str(error) in _H11_FIXED_REASONS else "malformed"
                    reason += " (h11, RFC 9112)"
                log.info("%s: request from %s refused: %d %s", self.name, conn.address, status,
                         reason)
                if h.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    await self._send(writer, h, None, SimpleReply.text(status, reason),
                                     close=True)
                return
            reply = await self._pool.submit(loop, handler, request)
            await self._send(writer, h, request.method, reply, close=self._stopping)
            if h.our_state is not h11.DONE or h.their_state is not h11.DONE:
                return  # h11 decided the connection ends (Connection: close, HTTP/1.0, ...)
            h.start_next_cycle()

    async def _read_request(self, h: h11.Connection, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter, first: bytes) -> Request:
        """The next whole request of ``h``: what h11 holds already, then ``first``, then what
        the client sends."""
        limits = self.limits
        head = bytearray(h.trailing_data[0] + first)  # the request's octets until h11 has a head
        if first:  # (b"" would tell h11 the stream ended)
            h.receive_data(first)
        while True:
            event = h.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(_READ_CHUNK)
                h.receive_data(data)  # b"" is the end of the stream: h11 refuses what is cut
                head += data
                continue
            break
        if not isinstance(event, h11.Request):
            raise h11.RemoteProtocolError("expected a request")
        head = head[:len(head) - len(h.trailing_data[0])]
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
        body = bytearray()
        if h.they_are_waiting_for_100_continue:
            # RFC 9110 10.1.1: the client waits for 100 before it sends the body
            writer.write(h.send(h11.InformationalResponse(status_code=100, headers=[],
                                                          reason=b"Continue")) or b"")
        while True:
            event2 = h.next_event()
            if event2 is h11.NEED_DATA:
                data = await reader.read(_READ_CHUNK)
                h.receive_data(data)
                continue
            if isinstance(event2, h11.Data):
                body += event2.data
                if len(body) > limits.max_body:
                    raise _Refusal(413, f"body over {limits.max_body} octets")
                continue
            if isinstance(event2, h11.EndOfMessage):
                break
            raise h11.RemoteProtocolError("unexpected event")
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key, text = name.decode("ascii"), value.decode("iso-8859-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        return Request(event.method.decode("ascii"), event.target.decode("iso-8859-1"),
                       headers, bytes(body))

    async def _send(self, writer: asyncio.StreamWriter, h: h11.Connection, method: str | None,
                    reply: Reply, *, close: bool) -> None:
        """The response in one write: head and body leave together (REQ-TKT-HTTP-09)."""
        headers = [("Content-Type", reply.content_type),
                   ("Content-Length", str(len(reply.body))),
                   ("Cache-Control", "no-store"), *reply.headers]
        if close:
            headers.append(("Connection", "close"))
        phrase = http.HTTPStatus(reply.status).phrase if reply.status in _STATUSES else ""
        out = h.send(h11.Response(status_code=reply.status, headers=headers,
                                  reason=phrase.encode()))
        if method != "HEAD":  # RFC 9110 9.3.2: a HEAD response has the fields, not the body
            out += h.send(h11.Data(data=reply.body)) or b""
        out += h.send(h11.EndOfMessage()) or b""
        writer.write(out or b"")
        async with asyncio.timeout(self.limits.write_timeout):
            await writer.drain()


_STATUSES = frozenset(int(s) for s in http.HTTPStatus)


class _Workers:
    """At most ``size`` threads, started when needed, running handlers one request at a time.

    A plain queue and one ``call_soon_threadsafe`` per answer: about half the hand-over cost of
    ``run_in_executor`` (two wake-ups, no ``concurrent.futures`` future in between).
    """

    def __init__(self, size: int, name: str) -> None:
        self._size, self._name = size, name
        self._jobs: queue.SimpleQueue[
            tuple[Handler, Request, asyncio.AbstractEventLoop, asyncio.Future[Reply]] | None
        ] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._lock = threading.Lock()

    def submit(self, loop: asyncio.AbstractEventLoop, handler: Handler,
               request: Request) -> asyncio.Future[Reply]:
        future: asyncio.Future[Reply] = loop.create_future()
        with self._lock:
            self._busy += 1
            if self._busy > len(self._threads) and len(self._threads) < self._size:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"{self._name}{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
        self._jobs.put((handler, request, loop, future))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            handler, request, loop, future = job
            reply = _call(handler, request)
            with self._lock:
                self._busy -= 1
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, future, reply)

    def shutdown(self) -> None:
        """Let queued requests run, then end and join every thread."""
        with self._lock:
            threads, self._size = list(self._threads), 0
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join()


def _settle(future: asyncio.Future[Reply], reply: Reply) -> None:
    if not future.done():
        future.set_result(reply)


def _call(handler: Handler, request: Request) -> Reply:
    """Run ``handler`` in a worker; an unexpected exception is a 500 logged by type only."""
    try:
        return handler(request)
    except Exception as error:
        log.error("request handler failed: %s", type(error).__name__)
        return SimpleReply.text(500, "internal error")


__all__ = ["KNOWN_METHODS", "Handler", "HttpsServer", "OnConnect", "Peer", "Reply", "Request",
           "ServerLimits", "SimpleReply"]
