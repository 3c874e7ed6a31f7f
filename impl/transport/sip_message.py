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
- :meth:`SipEndpoint.close` wakes its receive loops and closes every connection, so the port
  is free again when it returns.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Self

from mckm.impl.errors import DecodeError, MckmError, UsageError
from mckm.impl.transport.sdp_mikey import SipMessage

log = logging.getLogger(__name__)

MAX_UDP = 65_507  # the largest UDP payload over IPv4 (RFC 768; 65,535 - 8 - 20)
MAX_HEADERS = 64 * 1024
MAX_BODY = 1 << 20
#: a TCP body over the limit but at most this long is read past (answered 413, the connection
#: kept); a longer one closes the connection after the 413
DISCARD_MAX = 16 << 20
T1, T2 = 0.5, 4.0  # RFC 3261 17.1.1.1 / 17.1.2.2 defaults (seconds)
MAGIC = "z9hG4bK"  # RFC 3261 8.1.1.7
POLL = 0.2  # seconds close() waits for a receive loop to end
#: a request must carry these (RFC 3261 8.1.1); a response copies all but Max-Forwards
REQUIRED = ("To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via")
_REQUEST_LINE = re.compile(r"(?P<method>[A-Za-z0-9.!%*_+`'~-]+) (?P<uri>[A-Za-z][A-Za-z0-9+.-]*:"
                           r"[^\s]+) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 (?P<code>[1-6][0-9][0-9]) (?P<reason>[^\r\n\x00]*)")
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
    offset = len(start) + 2
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            raise _fail("a folded header line (line folding is not accepted)", offset, "header")
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not _TOKEN.fullmatch(name):
            raise _fail(f"not a header line: {line[:60]!r}", offset, "header")
        if any(c in value for c in "\x00\r\n"):
            raise _fail(f"header {name}: a control character", offset, name)
        headers.append((name, value.strip()))
        offset += len(line) + 2
    message = SipMessage(start, tuple(headers), body)
    length = message.header("Content-Length")
    if length is None or not length.isdigit() or len(length) > 10:
        raise _fail("Content-Length is required and decimal", len(head), "Content-Length")
    if int(length) > max_body:
        raise _fail(f"a {length}-octet body: more than {max_body}", len(head), "Content-Length")
    if int(length) != len(body):
        raise _fail(f"Content-Length {length} but {len(body)} octets follow", len(head) + 4,
                    "Content-Length")
    for name in REQUIRED if request else (*REQUIRED[:4], "Via"):
        if message.header(name) is None:
            raise _fail(f"no {name} header (RFC 3261 8.1.1)", len(head), name)
    cseq = _CSEQ.fullmatch(message.header("CSeq") or "")
    if cseq is None:
        raise _fail("CSeq is not '<number> <method>'", len(head), "CSeq")
    if request and cseq["method"] != request["method"]:
        raise _fail(f"CSeq method {cseq['method']} is not the request's {request['method']}",
                    len(head), "CSeq")
    top_via(message)
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


Handler = Callable[[SipMessage, str], tuple[int, str] | SipMessage]
"""The application: (request, transport) -> (status, reason phrase) of the final response, or
the final response itself (headers and a body of its own, e.g. built by :func:`response_to`)."""


class SipEndpoint:
    """A SIP user agent for MESSAGE on UDP and TCP at ``host`` (one port for both): a server
    that answers requests with ``handler`` and a client (:meth:`send`).  ``t1`` is Timer T1
    (tests shorten it).  ``methods``: the request methods the handler takes (others are 405).
    Start with :meth:`start`, stop with :meth:`close`."""

    def __init__(self, handler: Handler | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, t1: float = T1, t2: float = T2, max_body: int = MAX_BODY,
                 workers: int = 8, methods: tuple[str, ...] = ("MESSAGE",)) -> None:
        self.handler = handler
        self.methods = methods
        #: called with every message's octets as received (a capture point for tests)
        self.tap: Callable[[bytes, str], None] | None = None
        self.t1, self.t2, self.max_body = t1, t2, max_body
        self.udp, self.tcp = _bind_pair(host, port)
        self.host, self.port = self.udp.getsockname()[:2]
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sip")
        self._lock = threading.Lock()
        #: server transactions: key -> (final response octets or None while running, expiry)
        self._server: dict[tuple[str, str, str], tuple[bytes | None, float]] = {}
        #: client transactions: branch -> (event, [final response], [provisional seen])
        self._client: dict[str, tuple[threading.Event, list[SipMessage], list[bool]]] = {}
        self._tcp_out: dict[tuple[str, int], tuple[socket.socket, threading.Lock]] = {}
        self._threads: list[threading.Thread] = []
        self._accepted: set[socket.socket] = set()
        self._closed = threading.Event()
        #: requests whose handler ran (what absorbing retransmissions is checked by)
        self.handled = 0

    # ---- life
    def start(self) -> SipEndpoint:
        for target in (self._udp_loop, self._accept_loop):
            thread = threading.Thread(target=target, daemon=True, name=f"sip-{target.__name__}")
            thread.start()
            self._threads.append(thread)
        return self

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            streams = [*self._accepted, *(s for s, _ in self._tcp_out.values())]
        for sock in (self.udp, self.tcp, *streams):  # wakes a blocked receive (Linux)
            with contextlib.suppress(OSError):  # not connected, or already closed
                sock.shutdown(socket.SHUT_RDWR)
        # a receive blocked in another thread keeps the port: wake the loops, which see _closed
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET,
                                                         socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", self.address)
        with contextlib.suppress(OSError), socket.create_connection(self.address, timeout=POLL):
            pass
        for thread in self._threads:
            thread.join(timeout=2 * POLL)
        for sock in (self.udp, self.tcp, *streams):
            with contextlib.suppress(OSError):  # already closed
                sock.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

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
        """Send ``request`` and return its final response; :class:`SipTimeout` on Timer F."""
        branch = top_via(request).branch
        octets = request.encode()
        if transport == "UDP" and len(octets) > MAX_UDP:
            raise UsageError(f"a {len(octets)}-octet request does not fit a UDP datagram: "
                             "send it over TCP (RFC 3261 18.1.1)")
        event, final, provisional = threading.Event(), list[SipMessage](), [False]
        with self._lock:
            self._client[branch] = (event, final, provisional)
        try:
            deadline = time.monotonic() + 64 * self.t1  # Timer F
            if transport == "TCP":
                self._tcp_send(to, octets)
                if not event.wait(max(0.0, deadline - time.monotonic())):
                    raise SipTimeout(f"no final response to {method_of(request)} within "
                                     f"{64 * self.t1:g} s (Timer F, RFC 3261 17.1.2.2)")
                return final[0]
            interval = self.t1  # Timer E
            while True:
                self.udp.sendto(octets, to)
                wait = min(interval, deadline - time.monotonic())
                if wait > 0 and event.wait(wait):
                    return final[0]
                if time.monotonic() >= deadline:
                    raise SipTimeout(f"no final response to {method_of(request)} within "
                                     f"{64 * self.t1:g} s (Timer F, RFC 3261 17.1.2.2)")
                interval = self.t2 if provisional[0] else min(2 * interval, self.t2)
        finally:
            with self._lock:
                self._client.pop(branch, None)

    def _tcp_send(self, to: tuple[str, int], octets: bytes) -> None:
        with self._lock:
            found = self._tcp_out.get(to)
        if found is None:
            sock = socket.create_connection(to, timeout=64 * self.t1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            found = (sock, threading.Lock())
            with self._lock:
                self._tcp_out[to] = found
            thread = threading.Thread(target=self._tcp_reader, args=(sock, to), daemon=True)
            thread.start()
        try:
            with found[1]:
                found[0].sendall(octets)
        except OSError:
            with self._lock:  # a broken connection: the next send opens a new one
                if self._tcp_out.get(to) is found:
                    del self._tcp_out[to]
            raise

    def _on_response(self, response: SipMessage) -> None:
        branch = top_via(response).branch
        with self._lock:
            waiting = self._client.get(branch)
        if waiting is None:
            return  # a stray or late response: dropped (RFC 3261 18.1.2)
        event, final, provisional = waiting
        if (response.status or 0) < 200:
            provisional[0] = True
        elif not event.is_set():
            final.append(response)
            event.set()

    # ---- server side (RFC 3261 17.2.2)
    def _on_request(self, request: SipMessage, transport: str,
                    reply: Callable[[bytes], None]) -> None:
        key = _transaction_key(request)
        now = time.monotonic()
        with self._lock:
            if key in self._server:
                answer = self._server[key][0]
                if answer is not None:
                    reply(answer)  # a retransmission: the final response again
                return
            self._server[key] = (None, now + 64 * self.t1)
            if len(self._server) > 4096:
                for k in [k for k, (a, exp) in self._server.items() if a and exp < now]:
                    del self._server[k]
        self._pool.submit(self._answer, request, transport, key, reply)

    def _answer(self, request: SipMessage, transport: str, key: tuple[str, str, str],
                reply: Callable[[bytes], None]) -> None:
        if method_of(request) not in self.methods:
            response = response_to(request, 405, "Method Not Allowed",
                                   extra=(("Allow", ", ".join(self.methods)),))
        elif self.handler is None:
            response = response_to(request, 501, "Not Implemented")
        else:
            try:
                answer = self.handler(request, transport)
            except Exception:  # a fault of the application: 500, logged without the body
                log.exception("SIP handler failed on %s", method_of(request))
                answer = (500, "Server Internal Error")
            self.handled += 1
            response = answer if isinstance(answer, SipMessage) else \
                response_to(request, *answer)
        octets = response.encode()
        with self._lock:
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

    def _udp_loop(self) -> None:
        while not self._closed.is_set():
            try:
                raw, peer = self.udp.recvfrom(MAX_UDP + 1)
            except OSError:
                return
            if len(raw) > MAX_UDP:
                continue

            def reply(octets: bytes, peer: tuple[str, int] = peer) -> None:
                with contextlib.suppress(OSError):  # closing
                    self.udp.sendto(octets, peer)

            self._dispatch(raw, "UDP", reply)

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, peer = self.tcp.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._accepted.add(conn)
            threading.Thread(target=self._tcp_reader, args=(conn, peer), daemon=True).start()

    def _tcp_reader(self, conn: socket.socket, peer: tuple[str, int]) -> None:
        """Frame messages on a TCP stream by Content-Length (RFC 3261 18.3)."""
        lock = threading.Lock()

        def reply(octets: bytes) -> None:
            with lock, contextlib.suppress(OSError):
                conn.sendall(octets)

        buffer = b""
        try:
            while not self._closed.is_set():
                while buffer.startswith(b"\r\n"):  # keep-alive CRLFs (RFC 5626 3.5.1)
                    buffer = buffer[2:]
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEADERS:
                        return
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    continue
                length = _content_length(buffer[:end])
                if length is None or length > self.max_body:
                    raw = buffer[:end + 4]
                    error = _fail("Content-Length missing or over the limit", end,
                                  "Content-Length")
                    answer = _salvage_response(raw, error) if length is None else \
                        _salvage_response(raw, error, 413, "Request Entity Too Large")
                    if length is not None and length <= DISCARD_MAX:
                        rest = _read_past(conn, buffer[end + 4:], length)
                        if rest is None:
                            return
                        buffer = rest
                        if answer is not None:
                            reply(answer.encode())
                        continue  # read past the body: the stream is still framed
                    if answer is not None:
                        reply(answer.encode())
                    return  # the stream cannot be framed any further: closed
                total = end + 4 + length
                while len(buffer) < total:
                    chunk = conn.recv(max(65536, total - len(buffer)))
                    if not chunk:
                        return
                    buffer += chunk
                raw, buffer = buffer[:total], buffer[total:]
                self._dispatch(raw, "TCP", reply)
        except OSError:
            return
        finally:
            conn.close()
            with self._lock:  # an outgoing connection that ended: the next send reconnects
                if self._tcp_out.get(peer, (None,))[0] is conn:
                    del self._tcp_out[peer]
                self._accepted.discard(conn)


def _read_past(conn: socket.socket, buffer: bytes, length: int) -> bytes | None:
    """Read and drop ``length`` octets of a body (``buffer`` holds its start); what follows it,
    or None when the stream ended first."""
    while len(buffer) < length:
        length -= len(buffer)
        buffer = conn.recv(min(1 << 20, length))
        if not buffer:
            return None
    return buffer[length:]


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP socket and a listening TCP socket on one port; with port 0, a port free for both
    (the port the UDP bind picked may be taken for TCP: another is tried)."""
    for _ in range(1 if port else 20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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


__all__ = ["MAX_BODY", "MAX_UDP", "T1", "T2", "Handler", "SipEndpoint", "SipTimeout", "Via",
           "message_request", "method_of", "new_branch", "parse_message", "response_to",
           "top_via"]
