"""SIP MESSAGE (RFC 3428) on real sockets: UDP and TCP, non-INVITE transactions (RFC 3261 17).

What this carries: MESSAGE requests with a body up to a stated limit, and their final
responses; any other method is answered 405 (RFC 3261 8.2.1).  It is the transport of the
InterKMM relay (``mckm.impl.roles.interkmm``); it moves octets and decides nothing about them.

- Parsing (:func:`parse_message`) is strict: a request or status line, header lines without
  folding, the headers a request must have (RFC 3261 8.1.1: To, From, CSeq, Call-ID,
  Max-Forwards, Via), a CSeq whose method is the request's (8.1.1.5), a top Via whose branch
  starts with the magic cookie ``z9hG4bK`` (8.1.1.7), and a Content-Length that is the body's
  (18.3; required here on both transports).  Bad input is a
  :class:`~mckm.impl.errors.DecodeError` naming the field and the offset; a request that still
  has what a response needs is answered ``400`` with the reason (8.2.2, 21.4.1), otherwise
  dropped (18.3).
- Client transaction (17.1.2): over UDP the request is sent again after Timer E (T1, doubling
  up to T2, and T2 once a provisional response came), until a final response or Timer F
  (64*T1): then :class:`SipTimeout`.  Over TCP it is sent once, Timer F still applies.
- Server transaction (17.2.2): keyed by the top Via's branch, sent-by and the method (17.2.3);
  a retransmitted request is absorbed (the final response is sent again; nothing reaches the
  handler twice) for 64*T1 after the final response (Timer J).
- Limits: one UDP datagram (65,507 octets, IPv4); over TCP headers up to 64 KiB and a body up to
  ``max_body`` octets (1 MiB by default), beyond which the request is answered 413 (21.4.11):
  a body up to 16 MiB is read past and the connection kept, a longer one closes it.
- I/O: the sockets of an end point are served by one asyncio event loop running in a thread of
  its own (:class:`SipLoop`), which several end points may share (the MCX server's two sides):
  receiving, parsing, both kinds of transaction and their timers run on it, so a message is
  not handed from thread to thread.  A handler runs in a worker thread (it may block, e.g. on
  :meth:`SipEndpoint.send`), or with ``inline=True`` on the loop itself: then it must not block,
  and it may return an awaitable (a coroutine awaiting :meth:`SipEndpoint.exchange`, the client
  transaction on the loop); the request is answered when that completes.
- :meth:`SipEndpoint.close` closes the sockets and every connection, so the port is free again
  when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Self, TypeVar, cast

from mckm.impl.errors import DecodeError, MckmError, UsageError
from mckm.impl.transport.sdp_mikey import _COMPACT, SipMessage

log = logging.getLogger(__name__)

MAX_UDP = 65_507  # the largest UDP payload over IPv4 (RFC 768; 65,535 - 8 - 20)
MAX_HEADERS = 64 * 1024
MAX_BODY = 1 << 20
#: a TCP body over the limit but at most this long is read past (answered 413, the connection
#: kept); a longer one closes the connection after the 413
DISCARD_MAX = 16 << 20
T1, T2 = 0.5, 4.0  # RFC 3261 17.1.1.1 / 17.1.2.2 defaults (seconds)
MAGIC = "z9hG4bK"  # RFC 3261 8.1.1.7
#: the UDP socket's receive buffer (octets): the loop takes one datagram at a time, so a burst
#: of requests waits here; a datagram the kernel drops is only sent again after Timer E
UDP_RECEIVE_BUFFER = 4 << 20
#: how far a TCP stream is buffered while looking for the end of the headers
STREAM_LIMIT = MAX_HEADERS + 4
#: a request must carry these (RFC 3261 8.1.1); a response copies all but Max-Forwards
REQUIRED = ("To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via")
_REQUEST_LINE = re.compile(r"(?P<method>[A-Za-z0-9.!%*_+`'~-]+) (?P<uri>[A-Za-z][A-Za-z0-9+.-]*:"
                           r"[^\s]+) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 (?P<code>[1-6][0-9][0-9]) (?P<reason>[^\r\n\x00]*)")
#: RFC 3261 7.3.3: the long name of each compact header name this reads
_LONG_NAMES = {short: name for name, short in _COMPACT.items()}
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_CSEQ = re.compile(r"(?P<number>[0-9]{1,10}) (?P<method>[A-Za-z0-9.!%*_+`'~-]+)")
_VIA = re.compile(r"SIP */ *2\.0 */ *(?P<transport>[A-Za-z]+) +(?P<sent_by>[^;\s]+)"
                  r"(?P<params>(?: *;[^;]*)*)")


class SipNode:
    """A role served on one :class:`SipEndpoint` (``self.sip``): start, close, a context
    manager, and the address it listens on."""

    sip: SipEndpoint

    def start(self) -> Self:
        self.sip.start()
        return self

    def close(self) -> None:
        self.sip.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> tuple[str, int]:
        return self.sip.address


class SipTimeout(MckmError):
    """Timer F fired: no final response to a request within 64*T1 (RFC 3261 17.1.2.2)."""


@dataclass(frozen=True)
class Via:
    """The top Via of a message: transport, sent-by and branch (RFC 3261 20.42)."""

    transport: str
    sent_by: str
    branch: str


def _fail(reason: str, offset: int, field: str) -> DecodeError:
    return DecodeError(reason, offset=offset, payload="SIP", field=field)


def top_via(message: SipMessage) -> Via:
    """The first Via value of ``message`` (RFC 3261 20.42), with a branch of RFC 3261 form."""
    value = message.header("Via")
    if value is None:
        raise _fail("no Via header", 0, "Via")
    return _via(value)


@functools.lru_cache(maxsize=256)  # a message's Via is read by parsing, transaction and reply
def _via(value: str) -> Via:
    first = value.split(",", 1)[0].strip()
    m = _VIA.fullmatch(first)
    if m is None:
        raise _fail(f"Via {first[:60]!r} is not SIP/2.0/<transport> <sent-by>;params", 0, "Via")
    params = dict(p.strip().partition("=")[::2] for p in m["params"].split(";") if p.strip())
    branch = params.get("branch", "")
    if not branch.startswith(MAGIC) or len(branch) <= len(MAGIC) or not _TOKEN.fullmatch(branch):
        raise _fail(f"the Via branch {branch!r} does not start with {MAGIC}", 0, "Via")
    return Via(m["transport"].upper(), m["sent_by"], branch)


def parse_message(raw: bytes, *, max_body: int = MAX_BODY) -> SipMessage:
    """One SIP message, strictly (module docstring)."""
    head, sep, body = bytes(raw).partition(b"\r\n\r\n")
    if not sep:
        raise _fail("no empty line after the headers", len(raw), "headers")
    if len(head) > MAX_HEADERS:
        raise _fail(f"headers over {MAX_HEADERS} octets", MAX_HEADERS, "headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail("headers are not UTF-8", exc.start, "headers") from None
    lines = text.split("\r\n")
    start = lines[0]
    request = _REQUEST_LINE.fullmatch(start)
    if request is None and _STATUS_LINE.fullmatch(start) is None:
        raise _fail(f"not a SIP/2.0 request or status line: {start[:60]!r}", 0, "start-line")
    headers: list[tuple[str, str]] = []
    #: the first value of each header, by its lower-case long name (compact forms expanded)
    first: dict[str, str] = {}
    offset = len(start) + 2
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            raise _fail("a folded header line (line folding is not accepted)", offset, "header")
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not _TOKEN.fullmatch(name):
            raise _fail(f"not a header line: {line[:60]!r}", offset, "header")
        if "\x00" in value or "\r" in value or "\n" in value:
            raise _fail(f"header {name}: a control character", offset, name)
        value = value.strip()
        headers.append((name, value))
        key = name.lower()
        first.setdefault(_LONG_NAMES.get(key, key), value)
        offset += len(line) + 2
    message = SipMessage(start, tuple(headers), body)
    length = first.get("content-length")
    if length is None or not length.isdigit() or len(length) > 10:
        raise _fail("Content-Length is required and decimal", len(head), "Content-Length")
    if int(length) > max_body:
        raise _fail(f"a {length}-octet body: more than {max_body}", len(head), "Content-Length")
    if int(length) != len(body):
        raise _fail(f"Content-Length {length} but {len(body)} octets follow", len(head) + 4,
                    "Content-Length")
    for name in REQUIRED if request else (*REQUIRED[:4], "Via"):
        if name.lower() not in first:
            raise _fail(f"no {name} header (RFC 3261 8.1.1)", len(head), name)
    cseq = _CSEQ.fullmatch(first["cseq"])
    if cseq is None:
        raise _fail("CSeq is not '<number> <method>'", len(head), "CSeq")
    if request and cseq["method"] != request["method"]:
        raise _fail(f"CSeq method {cseq['method']} is not the request's {request['method']}",
                    len(head), "CSeq")
    _via(first["via"])
    return message


def method_of(message: SipMessage) -> str:
    """The method of a request, or the CSeq method of a response."""
    if message.is_request:
        return message.start.split(" ", 1)[0]
    return (message.header("CSeq") or " ").split(" ", 1)[1]


def new_branch() -> str:
    return MAGIC + secrets.token_hex(12)


def request(method: str, uri: str, *, from_uri: str, to_uri: str, local: tuple[str, int],
            transport: str, headers: tuple[tuple[str, str], ...] = (), body: bytes = b"",
            call_id: str | None = None, cseq: int = 1) -> SipMessage:
    """A request of ``method`` with the headers RFC 3261 8.1.1 requires and a fresh branch."""
    if transport not in ("UDP", "TCP"):
        raise UsageError(f"transport {transport!r}: UDP or TCP")
    if any(c in v for v in (uri, from_uri, to_uri, *(v for _, v in headers)) for c in "\r\n"):
        raise UsageError("URIs and header values are one line each")
    host, port = local
    return SipMessage(f"{method} {uri} SIP/2.0", (
        ("Via", f"SIP/2.0/{transport} {host}:{port};branch={new_branch()}"),
        ("Max-Forwards", "70"), ("From", f"<{from_uri}>;tag={secrets.token_hex(6)}"),
        ("To", f"<{to_uri}>"), ("Call-ID", call_id or f"{secrets.token_hex(12)}@{host}"),
        ("CSeq", f"{cseq} {method}"), *headers), bytes(body))


def message_request(*, uri: str, from_uri: str, to_uri: str, local: tuple[str, int],
                    transport: str, content_type: str, body: bytes, call_id: str | None = None,
                    cseq: int = 1) -> SipMessage:
    """A MESSAGE request (RFC 3428 4) from ``from_uri`` to ``to_uri``, with a fresh branch."""
    return request("MESSAGE", uri, from_uri=from_uri, to_uri=to_uri, local=local,
                   transport=transport, headers=(("Content-Type", content_type),), body=body,
                   call_id=call_id, cseq=cseq)


def response_to(request: SipMessage, code: int, reason: str, *,
                extra: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> SipMessage:
    """A response to ``request`` (RFC 3261 8.2.6.2): Via (all), From, Call-ID and CSeq copied,
    To copied with a tag added if it had none; ``body`` (none by default; its Content-Type goes
    in ``extra``)."""
    if not 100 <= code <= 699 or any(c in reason for c in "\r\n\x00"):
        raise UsageError("a status code is 100..699 and a reason phrase one line")
    copied = tuple((k, v) for k, v in request.headers
                   if k.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq"))
    to = request.header("To") or ""
    if code > 100 and ";tag=" not in to.replace(" ", ""):
        to = f"{to};tag={secrets.token_hex(6)}"
    return SipMessage(f"SIP/2.0 {code} {reason}", (*copied, ("To", to), *extra), bytes(body))


def _transaction_key(request: SipMessage) -> tuple[str, str, str]:
    via = top_via(request)
    method = method_of(request)
    return via.branch, via.sent_by, "INVITE" if method == "ACK" else method


def _salvage_response(raw: bytes, error: DecodeError, code: int = 400,
                      reason: str | None = None) -> SipMessage | None:
    """A 400 (or ``code``) to a request that failed parsing but has what a response needs,
    else None."""
    head = raw.split(b"\r\n\r\n", 1)[0][:MAX_HEADERS].decode("utf-8", "replace")
    lines = head.split("\r\n")
    if not _REQUEST_LINE.fullmatch(lines[0]):
        return None
    wanted = {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"}
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() in wanted and not any(c in value for c in "\r\n\x00"):
            headers.append((name.strip(), value.strip()))
    probe = SipMessage(lines[0], tuple(headers), b"")
    if any(probe.header(n) is None for n in ("Via", "From", "To", "Call-ID", "CSeq")):
        return None
    text = reason or f"Bad Request ({error.field}: {str(error)[:80]})"
    return response_to(probe, code, text.replace("\r", " ").replace("\n", " "))


Answer = tuple[int, str] | SipMessage
Handler = Callable[[SipMessage, str], Answer | Awaitable[Answer]]
"""The application: (request, transport) -> (status, reason phrase) of the final response, or
the final response itself (headers and a body of its own, e.g. built by :func:`response_to`).
An ``inline`` handler may instead return an awaitable of either (it runs on the loop and may
await :meth:`SipEndpoint.exchange`)."""

_T = TypeVar("_T")


class SipLoop:
    """One asyncio event loop in a daemon thread, serving the sockets of one or more
    :class:`SipEndpoint` (module docstring).  The thread starts on first use; :meth:`close`
    ends it."""

    def __init__(self, name: str = "sip-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name=name)
        self._lock = threading.Lock()
        self._closed = False

    def on_loop(self) -> bool:
        """Whether the caller runs on this loop's thread."""
        return threading.get_ident() == self._thread.ident

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float | None = None) -> _T:
        """Run ``coroutine`` on the loop and wait for its result (from another thread)."""
        if self.on_loop():
            coroutine.close()
            raise UsageError("a blocking SIP call on the SIP loop's own thread would wait for "
                             "itself: await SipEndpoint.exchange() there instead")
        with self._lock:
            if self._closed:
                coroutine.close()
                raise UsageError("the SIP loop is closed")
            if not self._thread.is_alive():
                self._thread.start()
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what still runs on the loop, stop it and end its thread."""
        if self.on_loop():
            raise UsageError("a SIP loop is closed from another thread than its own")
        with self._lock:
            started, self._closed = self._thread.is_alive(), True
        if started:
            with contextlib.suppress(Exception):  # a task that fails while cancelled
                asyncio.run_coroutine_threadsafe(_cancel_all(), self.loop).result(2)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=2)
        if not self._thread.is_alive():
            self.loop.close()


async def _cancel_all() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class _ClientTransaction:
    """A client transaction (RFC 3261 17.1.2): its final response to come, whether a
    provisional response came (Timer E then stays at T2) and the pending Timer E."""

    __slots__ = ("future", "provisional", "timer")

    def __init__(self, future: asyncio.Future[SipMessage]) -> None:
        self.future = future
        self.provisional = False
        self.timer: asyncio.TimerHandle | None = None


class _Udp(asyncio.DatagramProtocol):
    """The UDP socket of an end point: each datagram to :meth:`SipEndpoint._dispatch`."""

    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if len(data) <= MAX_UDP:
            self.endpoint._dispatch(data, "UDP", functools.partial(self.reply, addr))

    def reply(self, addr: tuple[str, int], octets: bytes) -> None:
        if self.transport is not None:
            self.transport.sendto(octets, addr)

    def error_received(self, exc: Exception) -> None:
        """An ICMP error for an earlier datagram (a peer's port closed): Timer F answers it."""


class SipEndpoint:
    """A SIP user agent for MESSAGE on UDP and TCP at ``host`` (one port for both): a server
    that answers requests with ``handler`` and a client (:meth:`send`, :meth:`exchange`).
    ``t1`` is Timer T1 (tests shorten it).  ``methods``: the request methods the handler takes
    (others are 405).  ``loop``: a :class:`SipLoop` shared with other end points (the owner
    closes it), else the end point runs one of its own.  ``inline``: the handler runs on the loop
    (it must not block; it may return an awaitable), else in one of ``workers`` threads.  Start
    with :meth:`start`, stop with :meth:`close`."""

    def __init__(self, handler: Handler | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, t1: float = T1, t2: float = T2, max_body: int = MAX_BODY,
                 workers: int = 8, methods: tuple[str, ...] = ("MESSAGE",),
                 loop: SipLoop | None = None, inline: bool = False) -> None:
        self.handler = handler
        self.methods = methods
        self.inline = inline
        #: called with every message's octets as received (a capture point for tests)
        self.tap: Callable[[bytes, str], None] | None = None
        self.t1, self.t2, self.max_body = t1, t2, max_body
        self.udp, self.tcp = _bind_pair(host, port)
        self.host, self.port = self.udp.getsockname()[:2]
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sip")
        self._loop, self._own_loop = loop, loop is None
        self._started = self._closed = False
        self._udp: _Udp | None = None
        self._tcp_server: asyncio.Server | None = None
        #: server transactions: key -> (final response octets or None while running, expiry)
        self._server: dict[tuple[str, str, str], tuple[bytes | None, float]] = {}
        #: client transactions by branch
        self._client: dict[str, _ClientTransaction] = {}
        #: outgoing TCP connections by peer (the connecting task, then its writer)
        self._tcp_out: dict[tuple[str, int], asyncio.Task[asyncio.StreamWriter]] = {}
        self._streams: set[asyncio.StreamWriter] = set()
        #: requests whose handler ran (what absorbing retransmissions is checked by)
        self.handled = 0

    # ---- life
    def start(self) -> SipEndpoint:
        if self._closed:
            raise UsageError("a closed SIP end point cannot start again")
        if not self._started:
            if self._loop is None:
                self._loop = SipLoop(f"sip-{self.port}")
            self._loop.run(self._open())
            self._started = True
        return self

    async def _open(self) -> None:
        udp = self._udp = _Udp(self)
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: udp, sock=self.udp)
        self._tcp_server = await asyncio.start_server(self._serve_stream, sock=self.tcp,
                                                      limit=STREAM_LIMIT)

    def close(self) -> None:
        """Stop serving: the ports are free again when this returns; transactions still waiting
        for a response end with an OSError."""
        if self._closed:
            return
        self._closed = True
        if self._started and self._loop is not None:
            with contextlib.suppress(OSError, TimeoutError, UsageError):
                self._loop.run(self._close_sockets(), timeout=2)
        for sock in (self.udp, self.tcp):
            with contextlib.suppress(OSError):  # already closed
                sock.close()
        if self._own_loop and self._loop is not None:
            self._loop.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _close_sockets(self) -> None:
        for transaction in self._client.values():
            if not transaction.future.done():
                transaction.future.set_exception(OSError("the SIP end point closed"))
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
        for writer in list(self._streams):
            writer.close()
        for task in self._tcp_out.values():
            task.cancel()
        await asyncio.sleep(0)  # the transports close their sockets on the next turn

    def __enter__(self) -> SipEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> tuple[str, int]:
        return str(self.host), int(self.port)

    # ---- client side (RFC 3261 17.1.2)
    def send(self, request: SipMessage, to: tuple[str, int], *, transport: str = "UDP"
             ) -> SipMessage:
        """Send ``request`` and return its final response; :class:`SipTimeout` on Timer F.
        Blocks the calling thread (not the loop's: there, await :meth:`exchange`)."""
        if not self._started or self._loop is None or self._closed:
            raise UsageError("the SIP end point is not running: start() it first")
        return self._loop.run(self.exchange(request, to, transport=transport))

    async def exchange(self, request: SipMessage, to: tuple[str, int], *,
                       transport: str = "UDP") -> SipMessage:
        """:meth:`send` on the loop: the final response to ``request``."""
        branch = top_via(request).branch
        octets = request.encode()
        if transport == "UDP" and len(octets) > MAX_UDP:
            raise UsageError(f"a {len(octets)}-octet request does not fit a UDP datagram: "
                             "send it over TCP (RFC 3261 18.1.1)")
        if self._closed or self._udp is None or self._udp.transport is None:
            raise OSError("the SIP end point is closed")
        loop = asyncio.get_running_loop()
        transaction = _ClientTransaction(loop.create_future())
        self._client[branch] = transaction
        timer_f = loop.call_later(64 * self.t1, self._timer_f, transaction, method_of(request))
        try:
            if transport == "TCP":  # reliable: sent once, Timer F still applies (17.1.2.2)
                await self._tcp_send(to, octets)
            else:
                self._udp_send(octets, to)
                transaction.timer = loop.call_later(self.t1, self._timer_e, transaction, octets,
                                                    to, self.t1)
            return await transaction.future
        finally:
            timer_f.cancel()
            if transaction.timer is not None:
                transaction.timer.cancel()
            if self._client.get(branch) is transaction:
                del self._client[branch]

    def _udp_send(self, octets: bytes, to: tuple[str, int]) -> None:
        """A request's first send: on the socket itself, so that an unreachable address is an
        OSError for the caller; queued on the transport while the socket's buffer is full."""
        try:
            self.udp.sendto(octets, to)
        except (BlockingIOError, InterruptedError):
            assert self._udp is not None and self._udp.transport is not None
            self._udp.transport.sendto(octets, to)

    def _timer_e(self, transaction: _ClientTransaction, octets: bytes, to: tuple[str, int],
                 interval: float) -> None:
        """Timer E: the request again, then T1 doubling up to T2 (T2 once a provisional
        response came)."""
        if transaction.future.done() or self._udp is None or self._udp.transport is None:
            return
        self._udp.transport.sendto(octets, to)
        interval = self.t2 if transaction.provisional else min(2 * interval, self.t2)
        transaction.timer = asyncio.get_running_loop().call_later(
            interval, self._timer_e, transaction, octets, to, interval)

    def _timer_f(self, transaction: _ClientTransaction, method: str) -> None:
        if not transaction.future.done():
            transaction.future.set_exception(SipTimeout(
                f"no final response to {method} within {64 * self.t1:g} s (Timer F, "
                "RFC 3261 17.1.2.2)"))

    async def _tcp_send(self, to: tuple[str, int], octets: bytes) -> None:
        task = self._tcp_out.get(to)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None
                                             or task.result().is_closing())):
            task = asyncio.ensure_future(self._connect(to))
            self._tcp_out[to] = task
        try:
            writer = await task
        except BaseException:
            if self._tcp_out.get(to) is task:  # the next send tries again
                del self._tcp_out[to]
            raise
        writer.write(octets)

    async def _connect(self, to: tuple[str, int]) -> asyncio.StreamWriter:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(to[0], to[1], limit=STREAM_LIMIT), 64 * self.t1)
        self._streams.add(writer)
        reading = asyncio.ensure_future(self._read_stream(reader, writer, to))
        reading.add_done_callback(_quiet)
        return writer

    def _on_response(self, response: SipMessage) -> None:
        transaction = self._client.get(top_via(response).branch)
        if transaction is None or transaction.future.done():
            return  # a stray or late response: dropped (RFC 3261 18.1.2)
        if (response.status or 0) < 200:
            transaction.provisional = True
        else:
            transaction.future.set_result(response)

    # ---- server side (RFC 3261 17.2.2)
    def _on_request(self, request: SipMessage, transport: str,
                    reply: Callable[[bytes], None]) -> None:
        key = _transaction_key(request)
        now = time.monotonic()
        found = self._server.get(key)
        if found is not None:
            if found[0] is not None:
                reply(found[0])  # a retransmission: the final response again
            return
        self._server[key] = (None, now + 64 * self.t1)
        if len(self._server) > 4096:
            for k in [k for k, (a, exp) in self._server.items() if a and exp < now]:
                del self._server[k]
        if method_of(request) not in self.methods:
            self._finish(request, key, reply, response_to(
                request, 405, "Method Not Allowed", extra=(("Allow", ", ".join(self.methods)),)))
        elif self.handler is None:
            self._finish(request, key, reply, response_to(request, 501, "Not Implemented"))
        elif self.inline:
            answer = self._call_handler(request, transport)
            if inspect.isawaitable(answer):
                pending = asyncio.ensure_future(answer)
                pending.add_done_callback(functools.partial(self._answered, request, key, reply))
            else:
                self._finish(request, key, reply, answer, handled=True)
        else:
            try:
                running = asyncio.get_running_loop().run_in_executor(
                    self._pool, self._call_handler, request, transport)
            except RuntimeError:  # the pool is shut down: closing, the request is dropped
                return
            running.add_done_callback(functools.partial(self._answered, request, key, reply))

    def _call_handler(self, request: SipMessage, transport: str
                      ) -> Answer | Awaitable[Answer]:
        assert self.handler is not None
        try:
            return self.handler(request, transport)
        except Exception:  # a fault of the application: 500, logged without the body
            log.exception("SIP handler failed on %s", method_of(request))
            return 500, "Server Internal Error"

    def _answered(self, request: SipMessage, key: tuple[str, str, str],
                  reply: Callable[[bytes], None], done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            return  # closing
        error = done.exception()
        answer = done.result() if error is None else (500, "Server Internal Error")
        if error is not None:
            log.error("SIP handler failed on %s: %s", method_of(request),
                      type(error).__name__)
        elif inspect.isawaitable(answer):  # a worker's handler gave an awaitable: run it here
            pending = asyncio.ensure_future(answer)
            pending.add_done_callback(functools.partial(self._answered, request, key, reply))
            return
        self._finish(request, key, reply, answer, handled=True)

    def _finish(self, request: SipMessage, key: tuple[str, str, str],
                reply: Callable[[bytes], None], answer: Answer, *,
                handled: bool = False) -> None:
        if handled:
            self.handled += 1
        try:
            response = answer if isinstance(answer, SipMessage) else \
                response_to(request, *answer)
        except (UsageError, TypeError) as exc:  # the handler's answer is not a status
            log.error("SIP handler answered %s: %s", method_of(request), exc)
            response = response_to(request, 500, "Server Internal Error")
        octets = response.encode()
        self._server[key] = (octets, time.monotonic() + 64 * self.t1)  # Timer J
        reply(octets)

    def _dispatch(self, raw: bytes, transport: str, reply: Callable[[bytes], None]) -> None:
        if self.tap is not None:
            self.tap(raw, transport)
        try:
            message = parse_message(raw, max_body=self.max_body)
        except DecodeError as exc:
            answer = _salvage_response(raw, exc)
            log.info("SIP %s: %s", transport, exc)
            if answer is not None:
                reply(answer.encode())
            return
        if message.is_request:
            self._on_request(message, transport, reply)
        else:
            self._on_response(message)

    # ---- TCP (RFC 3261 18.3)
    async def _serve_stream(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        self._streams.add(writer)
        peer = writer.get_extra_info("peername")
        await self._read_stream(reader, writer, (str(peer[0]), int(peer[1])))

    async def _read_stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           peer: tuple[str, int]) -> None:
        """Frame messages on a TCP stream by Content-Length (RFC 3261 18.3)."""

        def reply(octets: bytes) -> None:
            if not writer.is_closing():
                writer.write(octets)

        try:
            while not self._closed:
                head = await reader.readuntil(b"\r\n\r\n")
                while head.startswith(b"\r\n"):  # keep-alive CRLFs (RFC 5626 3.5.1)
                    head = head[2:]
                if not head:
                    continue
                length = _content_length(head[:-4])
                if length is None or length > self.max_body:
                    error = _fail("Content-Length missing or over the limit", len(head) - 4,
                                  "Content-Length")
                    answer = _salvage_response(head, error) if length is None else \
                        _salvage_response(head, error, 413, "Request Entity Too Large")
                    if length is not None and length <= DISCARD_MAX:
                        await _read_past(reader, length)
                        if answer is not None:
                            reply(answer.encode())
                        continue  # read past the body: the stream is still framed
                    if answer is not None:
                        reply(answer.encode())
                    return  # the stream cannot be framed any further: closed
                body = await reader.readexactly(length) if length else b""
                self._dispatch(head + body, "TCP", reply)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            return  # the stream ended, or its headers are over the limit
        finally:
            writer.close()
            self._streams.discard(writer)
            found = self._tcp_out.get(peer)
            if found is not None and found.done() and not found.cancelled() and \
                    found.exception() is None and found.result() is writer:
                del self._tcp_out[peer]  # the next send reconnects


def _quiet(task: asyncio.Future[Any]) -> None:
    """Retrieve a background task's end (cancelled or failed) so none is logged as lost."""
    if not task.cancelled():
        task.exception()


async def _read_past(reader: asyncio.StreamReader, length: int) -> None:
    """Read and drop ``length`` octets of a body."""
    while length:
        chunk = await reader.read(min(1 << 20, length))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", length)
        length -= len(chunk)


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP socket and a listening TCP socket on one port; with port 0, a port free for both
    (the port the UDP bind picked may be taken for TCP: another is tried)."""
    for _ in range(1 if port else 20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):  # the kernel caps it (net.core.rmem_max)
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        udp.bind((host, port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            if port:
                raise
            continue
        tcp.listen(64)
        return udp, tcp
    raise OSError(f"no port on {host} free for both UDP and TCP")


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):
            text = value.strip()
            return int(text) if text.isdigit() and len(text) <= 10 else None
    return None



__all__ = ["MAX_BODY", "MAX_UDP", "T1", "T2", "Answer", "Handler", "SipEndpoint", "SipLoop",
           "SipTimeout", "Via", "message_request", "method_of", "new_branch", "parse_message",
           "response_to", "top_via"]
