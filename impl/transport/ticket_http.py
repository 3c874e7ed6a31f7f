"""HTTP binding of the MIKEY-TICKET KMS messages (TS 33.328 Annex A, as changed by seed 002).

Sans-IO: pure functions from request parts to a :class:`TicketHttpRequest` and from a handler's
answer or error to a :class:`TicketHttpResponse`.  The HTTPS server
(:mod:`mckm.impl.transport.https_ticket`) only moves bytes through :func:`dispatch`.

What the sources say, and what is a project decision (``spec/ticket-http.md``):

- Ua and Zk carry MIKEY-TICKET messages over HTTP (seed 002 4.2.4, A.1); the procedures are
  Ticket Request and Ticket Resolve (A.1).  On Zk the Request-URI "only can contain
  'requesttype' equal to 'ticketresolve'" (seed 002 4.2.4).
- The query parameter name ``requesttype`` and the value ``ticketresolve`` are from seed 002;
  ``ticketrequest``, POST, the path and the status codes are project decisions (the Annex A
  text was not found); ``application/mikey`` is the IANA-registered MIKEY media type.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qs, urlsplit

from mckm.impl.errors import DecodeError, MckmError, PolicyError, UsageError, VerifyError

log = logging.getLogger(__name__)

#: The media type of a binary MIKEY message (IANA media type registry, application/mikey).
MIKEY_CONTENT_TYPE = "application/mikey"
#: Plain-text media type of the short reason a refusal carries.
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
#: The only method of the binding (project decision REQ-TKT-HTTP-01).
METHOD = "POST"
#: Request-URI path of the KMS when none is configured (project decision REQ-TKT-HTTP-02).
DEFAULT_PATH = "/"
#: Name of the query parameter (seed 002 clause 4.2.4).
REQUESTTYPE_PARAM = "requesttype"


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
    def mikey(cls, message: bytes, status: int = 200) -> TicketHttpResponse:
        """A MIKEY message (a RESP, or an Error message with the HTTP status of the refusal)."""
        return cls(status, message, MIKEY_CONTENT_TYPE)

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
    """Header fields of a request carrying the MIKEY message ``body``."""
    return {"Content-Type": MIKEY_CONTENT_TYPE, "Content-Length": str(len(body)),
            "Accept": MIKEY_CONTENT_TYPE}


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


@functools.lru_cache(maxsize=64)
def _split_target(target: str) -> tuple[str, Mapping[str, tuple[str, ...]]]:
    """The path and the query parameters of a request target (RFC 3986 3.3, 3.4); a query that
    does not parse has none.  Cached: every request of a client names the same target."""
    parts = urlsplit(target)
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True,
                         errors="strict", max_num_fields=8)
    except (ValueError, UnicodeDecodeError):
        query = {}
    return parts.path, MappingProxyType({k: tuple(v) for k, v in query.items()})


def parse_request(method: str, target: str, headers: Mapping[str, str], body: bytes, *,
                  reference_point: ReferencePoint, peer: PeerIdentity | None = None,
                  path: str = DEFAULT_PATH) -> TicketHttpRequest:
    """Check one request against the binding; :class:`BindingError` names what is wrong.

    ``headers`` have lower-case names.  Checks, in order: path (404), method (405), query
    (400), request type allowed on this reference point (403), content type (415), body (400).
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
    if len(values) != 1 or len(query) != 1:
        raise BindingError("the Request-URI must carry exactly one query parameter "
                           f"{REQUESTTYPE_PARAM}=<ticketrequest|ticketresolve>",
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
    return TicketHttpRequest(requesttype, body, reference_point, peer)


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
    """The server (KMS or BSF) answered with a status other than 200; keeps status and body."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        text = body[:200].decode("utf-8", "replace").strip() if content_type.startswith(
            "text/") else f"{len(body)} octets of {content_type or 'no type'}"
        super().__init__(f"server answered {status}: {text}", requirement="REQ-TKT-HTTP-06",
                         http_status=status)


def response_message(status: int, content_type: str, body: bytes) -> bytes:
    """The MIKEY message of a 200 answer; :class:`HttpRefusal` for any other answer."""
    if status != 200 or _media_type(content_type) != MIKEY_CONTENT_TYPE or not body:
        raise HttpRefusal(status, body, content_type)
    return body
