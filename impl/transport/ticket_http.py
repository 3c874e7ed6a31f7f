"""HTTP binding of the MIKEY-TICKET KMS messages (TS 33.328 Annex A; seed 002 4.2.4 for Zk).

Sans-IO: pure functions from request parts to a :class:`TicketHttpRequest` and from a handler's
answer or error to a :class:`TicketHttpResponse`.  The HTTPS server
(:mod:`mckm.impl.transport.https_ticket`) only moves bytes through :func:`dispatch`.

TS 33.328 A.2: an HTTP/1.1 POST to ``/keymanagement?requesttype=ticketrequest`` (or
``ticketresolve``; the UE may add other URI parameters), ``Content-Type: application/mikey``,
the message-body "a base64 encoded MIKEY-TICKET message"; the KMS answers 200 OK with a base64
REQUEST_RESP / RESOLVE_RESP or an Error message (RFC 3830 6.12).  A.3: HTTP errors are 4xx
(the UE erred) or 5xx (the KMS erred).  On Zk the Request-URI "only can contain 'requesttype'
equal to 'ticketresolve'" (seed 002 4.2.4).  The statuses of the HTTP-level refusals are
project decisions within A.3 (``spec/ticket-http.md``).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qs, urlsplit

from mckm.impl.errors import DecodeError, MckmError, PolicyError, UsageError, VerifyError
from mckm.impl.roles.ticket.wire import ERROR, error_numbers

log = logging.getLogger(__name__)

#: The media type of a binary MIKEY message (IANA media type registry, application/mikey).
MIKEY_CONTENT_TYPE = "application/mikey"
#: Plain-text media type of the short reason a refusal carries.
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
#: The only method of the binding (TS 33.328 A.2, REQ-TKT-HTTP-01).
METHOD = "POST"
#: Request-URI path of the KMS (TS 33.328 A.2, REQ-TKT-HTTP-02).
DEFAULT_PATH = "/keymanagement"
#: Name of the URI parameter naming the procedure (TS 33.328 A.2; seed 002 clause 4.2.4).
REQUESTTYPE_PARAM = "requesttype"
#: A base64 body (RFC 4648 4 alphabet and "=" padding) with line breaks as MIME writes them
#: (CRLF, or LF alone): the part of a body that matches it is well formed.
_BASE64_BODY = re.compile(rb"(?:[A-Za-z0-9+/=]+|\r\n|\n)*")


class RequestType(enum.Enum):
    """The ``requesttype`` values: one per Annex A procedure (A.1)."""

    TICKET_REQUEST = "ticketrequest"
    TICKET_RESOLVE = "ticketresolve"


class ReferencePoint(enum.Enum):
    """Where a request arrived: Ua (UE - KMS) or Zk (KMS - KMS) (seed 002 4.2.4)."""

    UA = "Ua"
    ZK = "Zk"


#: Which request types each reference point carries (seed 002 4.2.4: Zk only ticketresolve).
ALLOWED: Mapping[ReferencePoint, frozenset[RequestType]] = {
    ReferencePoint.UA: frozenset(RequestType),
    ReferencePoint.ZK: frozenset({RequestType.TICKET_RESOLVE}),
}


@dataclass(frozen=True)
class PeerIdentity:
    """The TLS client of a mutually authenticated link: the KMS domain whose CA verified its
    certificate, and the certificate subject (for logs and policy, never for trust)."""

    domain: str
    subject: str


@dataclass(frozen=True, repr=False)
class TicketHttpRequest:
    """A well-formed Annex A request as the KMS role receives it."""

    requesttype: RequestType
    body: bytes
    reference_point: ReferencePoint
    #: the verified TLS client (Zk); None on Ua, where the UE is authenticated by the MIKEY
    #: message itself (GBA NAF key, seed 002 B.2.2.2 step 4)
    peer: PeerIdentity | None = None

    @property
    def authenticated_peer(self) -> bool:
        """True when the transport authenticated a KMS peer (mutual TLS standing in for NDS/IP)."""
        return self.peer is not None

    def __repr__(self) -> str:
        return (f"TicketHttpRequest({self.requesttype.value}, {self.reference_point.value}, "
                f"{len(self.body)} octets, peer={self.peer!r})")


@dataclass(frozen=True, repr=False)
class TicketHttpResponse:
    """Status, body and content type of an answer; ``headers`` are extra header fields."""

    status: int
    body: bytes
    content_type: str = MIKEY_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def mikey(cls, message: bytes) -> TicketHttpResponse:
        """200 OK carrying a MIKEY message, base64: a RESP, or the Error message of a refusal
        (TS 33.328 A.2)."""
        return cls(200, encode_body(message), MIKEY_CONTENT_TYPE)

    @classmethod
    def refusal(cls, status: int, reason: str,
                headers: tuple[tuple[str, str], ...] = ()) -> TicketHttpResponse:
        """A refusal with a one-line reason, no MIKEY payload."""
        return cls(status, (reason.rstrip() + "\n").encode(), TEXT_CONTENT_TYPE, headers)

    def __repr__(self) -> str:
        return f"TicketHttpResponse({self.status}, {self.content_type}, {len(self.body)} octets)"


#: What the KMS role provides: one answer per well-formed request.  It may raise an mckm error;
#: :func:`dispatch` maps it to a status (:func:`status_for`).
Handler = Callable[[TicketHttpRequest], TicketHttpResponse]


class BindingError(PolicyError):
    """A request that breaks the Annex A binding; carries the status it is answered with."""

    def __init__(self, reason: str, *, requirement: str, http_status: int,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason, requirement=requirement, http_status=http_status)
        self.headers = headers


def request_target(requesttype: RequestType, path: str = DEFAULT_PATH) -> str:
    """The Request-URI (origin form) of ``requesttype`` at the KMS path ``path``."""
    if not path.startswith("/") or "?" in path or "#" in path:
        raise UsageError(f"KMS path {path!r} must be an absolute path without query")
    return f"{path}?{REQUESTTYPE_PARAM}={requesttype.value}"


def request_headers(body: bytes) -> dict[str, str]:
    """Header fields of a request whose message-body (base64, :func:`encode_body`) is
    ``body``."""
    return {"Content-Type": MIKEY_CONTENT_TYPE, "Content-Length": str(len(body)),
            "Accept": MIKEY_CONTENT_TYPE}


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def encode_body(message: bytes) -> bytes:
    """The message-body carrying the MIKEY message ``message``: base64 (TS 33.328 A.2, RFC 4648
    4), one line, padded."""
    return base64.b64encode(message)


def decode_body(body: bytes, *, what: str = "message-body") -> bytes:
    """The MIKEY message a base64 message-body carries (TS 33.328 A.2; RFC 4648 4: its alphabet,
    "=" padding required; CRLF or LF line breaks skipped, as MIME base64 writes them).
    :class:`DecodeError` naming the offset of the first octet that is not base64."""
    # a CR left alone after the line breaks are gone is refused by the strict decoder
    joined = body.replace(b"\r\n", b"").replace(b"\n", b"") if b"\n" in body else body
    try:
        message = binascii.a2b_base64(joined, strict_mode=True)
    except binascii.Error as error:
        end = _BASE64_BODY.match(body)
        bad = end.end() if end is not None else 0
        if bad != len(body):
            raise DecodeError(f"the {what} is not base64 (RFC 4648 4): octet "
                              f"0x{body[bad]:02x}", offset=bad, payload=what) from None
        raise DecodeError(f"the {what} is not base64 (RFC 4648 4): {error}",
                          payload=what) from None
    if not message:
        raise DecodeError(f"the {what} carries no MIKEY message", payload=what)
    return message


@functools.lru_cache(maxsize=64)
def _split_target(target: str) -> tuple[str, Mapping[str, tuple[str, ...]]]:
    """The path and the query parameters of a request target (RFC 3986 3.3, 3.4); a parameter
    without "=" has the empty value, an octet that is not UTF-8 decodes to U+FFFD (so another
    parameter never hides ``requesttype``); a query of more than 32 parameters has none.
    Cached: every request of a client names the same target."""
    parts = urlsplit(target)
    try:
        query = parse_qs(parts.query, keep_blank_values=True, errors="replace",
                         max_num_fields=32)
    except ValueError:
        query = {}
    return parts.path, MappingProxyType({k: tuple(v) for k, v in query.items()})


def parse_request(method: str, target: str, headers: Mapping[str, str], body: bytes, *,
                  reference_point: ReferencePoint, peer: PeerIdentity | None = None,
                  path: str = DEFAULT_PATH) -> TicketHttpRequest:
    """Check one request against the binding; :class:`BindingError` names what is wrong.

    ``headers`` have lower-case names.  Checks, in order: path (404), method (405),
    ``requesttype`` (400; other URI parameters are ignored, A.2 lets the UE add them), request
    type allowed on this reference point (403), content type (415), body: base64 of a message
    (400).  The request carries the decoded MIKEY message.
    """
    target_path, query = _split_target(target)
    if target_path != path:
        raise BindingError(f"no KMS resource at {target_path[:64]!r}",
                           requirement="REQ-TKT-HTTP-02", http_status=404)
    if method != METHOD:
        raise BindingError(f"method {method[:16]!r} is not allowed; use POST",
                           requirement="REQ-TKT-HTTP-01", http_status=405,
                           headers=(("Allow", METHOD),))
    values = query.get(REQUESTTYPE_PARAM, ())
    if len(values) != 1:
        raise BindingError("the Request-URI must carry the URI parameter "
                           f"{REQUESTTYPE_PARAM}=<ticketrequest|ticketresolve> exactly once",
                           requirement="REQ-TKT-HTTP-03", http_status=400)
    try:
        requesttype = RequestType(values[0])
    except ValueError:
        raise BindingError(f"unknown {REQUESTTYPE_PARAM} {values[0][:32]!r}",
                           requirement="REQ-TKT-HTTP-03", http_status=400) from None
    if reference_point is ReferencePoint.ZK and peer is None:
        raise BindingError("Zk needs a mutually authenticated KMS peer",
                           requirement="REQ-TKT-HTTP-11", http_status=403)
    if requesttype not in ALLOWED[reference_point]:
        raise BindingError(f"{REQUESTTYPE_PARAM}={requesttype.value} is not allowed on "
                           f"{reference_point.value}", requirement="REQ-TKT-HTTP-04",
                           http_status=403)
    if _media_type(headers.get("content-type")) != MIKEY_CONTENT_TYPE:
        raise BindingError(f"the body must be {MIKEY_CONTENT_TYPE}",
                           requirement="REQ-TKT-HTTP-05", http_status=415)
    if not body:
        raise BindingError("the body must carry a MIKEY message", requirement="REQ-TKT-HTTP-05",
                           http_status=400)
    try:
        message = decode_body(body)
    except DecodeError as error:
        raise BindingError(str(error), requirement="REQ-TKT-HTTP-05", http_status=400) from None
    return TicketHttpRequest(requesttype, message, reference_point, peer)


#: HTTP status when KMS_I or the BSF cannot be reached or fails the TLS handshake (project
#: decision: a gateway error, the role never decided).
UPSTREAM_FAILED = 502


def status_for(error: MckmError) -> int:
    """The HTTP status of an error raised while handling a request (REQ-TKT-HTTP-06)."""
    if isinstance(error, PolicyError):
        return error.http_status or 403
    if isinstance(error, DecodeError):
        return 400
    if isinstance(error, VerifyError):
        return 403
    return 400


def refusal_for(error: MckmError) -> TicketHttpResponse:
    """The refusal answering ``error``: its status and its one-line message (no key material:
    mckm errors name payloads, offsets and requirements, never key values)."""
    headers = error.headers if isinstance(error, BindingError) else ()
    return TicketHttpResponse.refusal(status_for(error), f"{type(error).__name__}: {error}",
                                      headers)


def dispatch(handler: Handler, method: str, target: str, headers: Mapping[str, str],
             body: bytes, *, reference_point: ReferencePoint,
             peer: PeerIdentity | None = None, path: str = DEFAULT_PATH) -> TicketHttpResponse:
    """One request in, one response out: parse, call ``handler``, map its errors.  Never
    raises: an unexpected exception is a 500 with a generic body (logged by type only)."""
    try:
        request = parse_request(method, target, headers, body, reference_point=reference_point,
                                peer=peer, path=path)
        response = handler(request)
    except MckmError as error:
        return refusal_for(error)
    except Exception as error:  # a bug in the handler must not reach the peer as a traceback
        log.error("ticket handler failed: %s", type(error).__name__)
        return TicketHttpResponse.refusal(500, "internal error")
    if not isinstance(response, TicketHttpResponse):
        log.error("ticket handler returned %s", type(response).__name__)
        return TicketHttpResponse.refusal(500, "internal error")
    return response


class HttpRefusal(PolicyError):
    """The server (KMS or BSF) refused at the HTTP level (a status other than 200, or a 200
    without a MIKEY message); keeps status and body.  ``mikey_errors`` are the MIKEY error
    numbers of a refusal the KMS answered with an Error message (:class:`MikeyErrorAnswer`)."""

    mikey_errors: tuple[int, ...] = ()

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        text = body[:200].decode("utf-8", "replace").strip() if content_type.startswith(
            "text/") else f"{len(body)} octets of {content_type or 'no type'}"
        super().__init__(f"server answered {status}: {text}", requirement="REQ-TKT-HTTP-07",
                         http_status=status)


class MikeyErrorAnswer(HttpRefusal):
    """The KMS answered 200 OK with a MIKEY Error message (TS 33.328 A.2; RFC 3830 6.12, RFC
    6043 5.4): the refusal it names.  ``body`` is the decoded Error message; ``mikey_error``
    its first error number."""

    def __init__(self, message: bytes, errors: tuple[int, ...]) -> None:
        self.status, self.body, self.content_type = 200, message, MIKEY_CONTENT_TYPE
        self.mikey_errors = errors
        PolicyError.__init__(self, f"the KMS answered a MIKEY Error message, error "
                             f"{list(errors)}", requirement="REQ-TKT-HTTP-07",
                             mikey_error=errors[0] if errors else None, http_status=200)


def response_message(status: int, content_type: str, body: bytes) -> bytes:
    """The MIKEY message of a 200 answer (its base64 body decoded, TS 33.328 A.2).
    :class:`MikeyErrorAnswer` when that message is an Error message, :class:`HttpRefusal` for
    any other answer, :class:`DecodeError` for a body that is not base64 or an Error message
    that does not decode."""
    if status != 200 or _media_type(content_type) != MIKEY_CONTENT_TYPE or not body:
        raise HttpRefusal(status, body, content_type)
    message = decode_body(body, what="KMS answer")
    if len(message) > 1 and message[1] == ERROR:  # HDR data type (RFC 3830 6.1)
        raise MikeyErrorAnswer(message, error_numbers(message))
    return message
