"""HTTPS endpoints of a MIKEY-TICKET KMS: Ua (server-authenticated TLS) and Zk (mutual TLS).

Seed 002 4.2.4: Zk end-points "shall be mutually authenticated", protected by NDS/IP
(TS 33.210).  mckm stands NDS/IP in with mutual TLS: every KMS domain has its own CA
(:func:`make_domain_ca`); a Zk server requires a client certificate (``ssl.CERT_REQUIRED``)
from one of the domain CAs it trusts (:class:`DomainTrust`), so a peer with no certificate or
one from an untrusted domain fails the handshake.  A verified certificate whose domain claim
(SAN URI ``urn:mckm:kms-domain:<domain>``) does not match its CA's domain gets 403.

The servers only move bytes: :func:`mckm.impl.transport.ticket_http.dispatch` turns the request
into a :class:`TicketHttpRequest` (with the verified :class:`PeerIdentity`) for the KMS role.
They run on :class:`~mckm.impl.transport.http_server.HttpsServer` (h11 framing; TLS handshakes,
timeouts and connection limits in its event loop; the role in a bounded worker pool); the peer
of a mutual-TLS connection is identified once, when its handshake is done.  The log names
method, request type, status and peer domain only, never a body.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import h11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.transport.http_server import (
    Handler as ConnectionHandler,
)
from mckm.impl.transport.http_server import (
    HttpsServer,
    Peer,
    Reply,
    Request,
    ServerLimits,
)
from mckm.impl.transport.https_kms import (
    TlsIdentity,
    client_context,
    host_name,
    issue_identity,
    load_identity,
    new_ca,
    server_context,
)
from mckm.impl.transport.ticket_http import (
    DEFAULT_PATH,
    Handler,
    PeerIdentity,
    ReferencePoint,
    RequestType,
    TicketHttpResponse,
    dispatch,
    encode_body,
    request_headers,
    request_target,
    response_message,
)

log = logging.getLogger(__name__)

#: SAN URI prefix naming the KMS domain a certificate belongs to (project decision).
DOMAIN_URI_PREFIX = "urn:mckm:kms-domain:"
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")


def _check_domain(domain: str) -> str:
    if not _DOMAIN_RE.fullmatch(domain) or len(domain) > 253:
        raise UsageError(f"KMS domain {domain!r} is not a lower-case DNS name")
    return domain


# -- per-domain CAs and certificates -------------------------------------------------------

@dataclass(frozen=True)
class DomainCa:
    """The CA of one KMS domain; issues the TLS certificates of that domain's KMSs.  The CA key
    is kept out of the repr."""

    domain: str
    cert_pem: bytes
    _key: ec.EllipticCurvePrivateKey = field(repr=False)

    def issue(self, name: str, host: str = "127.0.0.1", days: int = 7) -> TlsIdentity:
        """A certificate for ``name`` of this domain, valid as TLS server (for ``host``) and
        client; subject CN=name, O=domain; SAN = host + ``urn:mckm:kms-domain:<domain>``."""
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.domain),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        sans = [host_name(host), x509.UniformResourceIdentifier(DOMAIN_URI_PREFIX + self.domain)]
        return issue_identity(self._key, x509.load_pem_x509_certificate(self.cert_pem), subject,
                              sans, [ExtendedKeyUsageOID.SERVER_AUTH,
                                     ExtendedKeyUsageOID.CLIENT_AUTH], days)


def make_domain_ca(domain: str, days: int = 7) -> DomainCa:
    """A fresh P-256 CA for KMS domain ``domain`` (subject CN="mckm KMS domain CA", O=domain)."""
    key, cert = new_ca(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                     _check_domain(domain)),
                                  x509.NameAttribute(NameOID.COMMON_NAME, "mckm KMS domain CA")]),
                       days)
    return DomainCa(domain, cert.public_bytes(serialization.Encoding.PEM), key)


class DomainTrust:
    """The KMS domains a party trusts on a mutually authenticated link: domain -> CA (PEM).

    ``identify`` maps a certificate that TLS has already verified against these CAs to its
    domain: the CA is found by the certificate's issuer name (so CA subjects must differ), and
    the certificate's own domain claim must name that same domain.
    """

    def __init__(self, cas: Mapping[str, bytes]) -> None:
        if not cas:
            raise UsageError("a DomainTrust needs at least one domain CA")
        self._by_subject: dict[bytes, str] = {}
        for domain, pem in cas.items():
            subject = x509.load_pem_x509_certificate(pem).subject.public_bytes()
            if subject in self._by_subject:
                raise UsageError(f"the CAs of {self._by_subject[subject]!r} and {domain!r} "
                                 "have the same subject name")
            self._by_subject[subject] = _check_domain(domain)
        self.domains = frozenset(cas)
        self.cadata = "".join(pem.decode() for pem in cas.values())

    @classmethod
    def of(cls, *cas: DomainCa) -> DomainTrust:
        return cls({ca.domain: ca.cert_pem for ca in cas})

    def identify(self, cert_der: bytes) -> PeerIdentity:
        """The peer identity of a verified certificate; PolicyError (403) when its issuer is
        not one of these CAs or its domain claim names another domain."""
        try:
            cert = x509.load_der_x509_certificate(cert_der)
        except ValueError as error:
            raise PolicyError(f"unreadable peer certificate: {error}",
                              requirement="REQ-TKT-HTTP-12", http_status=403) from None
        domain = self._by_subject.get(cert.issuer.public_bytes())
        if domain is None:
            raise PolicyError("peer certificate issuer is not a trusted domain CA",
                              requirement="REQ-TKT-HTTP-12", http_status=403)
        try:
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            claims = [uri[len(DOMAIN_URI_PREFIX):]
                      for uri in sans.get_values_for_type(x509.UniformResourceIdentifier)
                      if uri.startswith(DOMAIN_URI_PREFIX)]
        except x509.ExtensionNotFound:
            claims = []
        if claims != [domain]:
            raise PolicyError(f"peer certificate claims domain(s) {claims!r} but was issued by "
                              f"the CA of {domain!r}", requirement="REQ-TKT-HTTP-12",
                              http_status=403)
        return PeerIdentity(domain, cert.subject.rfc4514_string())


def mutual_server_context(identity: TlsIdentity, trust: DomainTrust) -> ssl.SSLContext:
    """TLS 1.2+ server context that requires a client certificate from a trusted domain CA."""
    context = server_context(identity)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=trust.cadata)
    return context


def mutual_client_context(identity: TlsIdentity, trust: DomainTrust) -> ssl.SSLContext:
    """TLS 1.2+ client context presenting ``identity`` and trusting only ``trust``'s CAs."""
    context = client_context(trust.cadata.encode())
    load_identity(context, identity)
    return context


# -- server ----------------------------------------------------------------------------------

#: An endpoint's application: (method, target, lower-case headers, body, peer, peer problem)
#: -> response.  ``peer problem`` is why a verified client certificate was not accepted.
App = Callable[[str, str, Mapping[str, str], bytes, PeerIdentity | None, str | None],
               TicketHttpResponse]


def _query_for_log(target: str) -> str:
    query = target.split("?", 1)[1] if "?" in target else ""
    return query[:40] if query.startswith("requesttype=") else "(other)"


class HttpsEndpoint(HttpsServer):
    """One TLS listening socket serving ``app``; a context manager.

    With ``trust`` the endpoint requires a client certificate from one of its domain CAs
    (mutual TLS) and hands ``app`` the :class:`PeerIdentity` of each connection (or why its
    verified certificate was not accepted); without it, TLS authenticates the server only.
    """

    def __init__(self, app: App, identity: TlsIdentity, *, trust: DomainTrust | None = None,
                 host: str = "127.0.0.1", port: int = 0, name: str = "https",
                 limits: ServerLimits | None = None, reuse_port: bool = False) -> None:
        self.app, self.trust = app, trust
        context = (server_context(identity) if trust is None
                   else mutual_server_context(identity, trust))
        super().__init__(self._handler_for, context, identity, host, port, name=name,
                         limits=limits, reuse_port=reuse_port)

    def _handler_for(self, connection: Peer) -> ConnectionHandler:
        peer: PeerIdentity | None = None
        problem: str | None = None
        if connection.cert_der and self.trust is not None:
            try:
                peer = self.trust.identify(connection.cert_der)
            except PolicyError as error:
                problem = error.reason

        def answer(request: Request) -> Reply:
            response = self.app(request.method, request.target, request.headers, request.body,
                                peer, problem)
            if log.isEnabledFor(logging.INFO):  # the query is cut for the log only then
                log.info("%s %s %s -> %d (peer %s)", self.name, request.method,
                         _query_for_log(request.target), response.status,
                         peer.domain if peer else "-")
            return response

        return answer


def ticket_app(handler: Handler, reference_point: ReferencePoint,
               path: str = DEFAULT_PATH) -> App:
    """The Annex A application of a KMS endpoint around the role's ``handler``."""

    def app(method: str, target: str, headers: Mapping[str, str], body: bytes,
            peer: PeerIdentity | None, peer_problem: str | None) -> TicketHttpResponse:
        if peer_problem is not None:
            return TicketHttpResponse.refusal(403, f"PolicyError: {peer_problem} "
                                              "[REQ-TKT-HTTP-12]")
        return dispatch(handler, method, target, headers, body,
                        reference_point=reference_point, peer=peer, path=path)

    return app


def ua_endpoint(handler: Handler, identity: TlsIdentity, *, host: str = "127.0.0.1",
                port: int = 0, path: str = DEFAULT_PATH,
                reuse_port: bool = False) -> HttpsEndpoint:
    """The KMS's Ua endpoint (UE - KMS): server-authenticated TLS; the UE is authenticated by
    its GBA-keyed MIKEY message, not by TLS.  ``reuse_port``: one of a KMS's replicas."""
    return HttpsEndpoint(ticket_app(handler, ReferencePoint.UA, path), identity, host=host,
                         port=port, name="kms-ua", reuse_port=reuse_port)


def zk_endpoint(handler: Handler, identity: TlsIdentity, trust: DomainTrust, *,
                host: str = "127.0.0.1", port: int = 0, path: str = DEFAULT_PATH,
                reuse_port: bool = False) -> HttpsEndpoint:
    """The KMS's Zk endpoint (KMS - KMS): mutual TLS with the domains of ``trust``; only
    ``requesttype=ticketresolve``.  ``reuse_port``: one of a KMS's replicas."""
    return HttpsEndpoint(ticket_app(handler, ReferencePoint.ZK, path), identity, trust=trust,
                         host=host, port=port, name="kms-zk", reuse_port=reuse_port)


# -- client ----------------------------------------------------------------------------------

class HttpsClient:
    """One kept-alive HTTPS connection.  With ``identity`` it presents that client certificate;
    with ``expect_domain`` it checks that the server's verified certificate belongs to it.

    HTTP/1.1 framing is h11's (the server's library, RFC 9112); a request goes out as one TLS
    write, head and body together (``http.client`` wrote them as two records, so the server
    woke twice per request)."""

    def __init__(self, host: str, port: int, *, ca_pem: bytes | None = None,
                 trust: DomainTrust | None = None, identity: TlsIdentity | None = None,
                 expect_domain: str | None = None, timeout: float = 10.0) -> None:
        if (ca_pem is None) == (trust is None):
            raise UsageError("give exactly one of ca_pem (Ua) or trust (mutual TLS)")
        if trust is not None:
            if identity is None:
                raise UsageError("mutual TLS needs the client's own identity")
            context = mutual_client_context(identity, trust)
        else:
            assert ca_pem is not None
            context = client_context(ca_pem)
            if identity is not None:
                load_identity(context, identity)
        self.host, self.port, self.timeout = host, port, timeout
        self._context = context
        self._trust, self._expect_domain = trust, expect_domain
        self._host_field = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._sock: ssl.SSLSocket | None = None
        self._h: h11.Connection | None = None
        self.server_peer: PeerIdentity | None = None

    def _connect(self) -> ssl.SSLSocket:
        plain = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock = self._context.wrap_socket(plain, server_hostname=self.host)
        except BaseException:
            plain.close()
            raise
        if self._trust is not None:
            der = sock.getpeercert(binary_form=True)
            try:
                peer = self._trust.identify(der or b"")
                if self._expect_domain is not None and peer.domain != self._expect_domain:
                    raise PolicyError(f"server belongs to {peer.domain!r}, expected "
                                      f"{self._expect_domain!r}", requirement="REQ-TKT-HTTP-12")
            except BaseException:
                sock.close()
                raise
            self.server_peer = peer
        self._sock, self._h = sock, h11.Connection(h11.CLIENT)
        return sock

    def exchange(self, method: str, target: str, body: bytes,
                 headers: Mapping[str, str]) -> TicketHttpResponse:
        """Send one request; on a kept-alive connection the server closed meanwhile (nothing
        of the answer received), reconnect and send it once more.  A connection that fails is
        an ``OSError`` (``ssl.SSLError``), an answer that breaks HTTP/1.1 a ``ConnectionError``."""
        for attempt in (0, 1):
            reused = self._sock is not None
            sock = self._sock if self._sock is not None else self._connect()
            try:
                return self._round_trip(sock, method, target, body, headers)
            except _Stale:
                self.close()
                if reused and attempt == 0:
                    continue
                raise ConnectionResetError("the server closed the connection without an "
                                           "answer") from None
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def _round_trip(self, sock: ssl.SSLSocket, method: str, target: str, body: bytes,
                    headers: Mapping[str, str]) -> TicketHttpResponse:
        h = self._h
        assert h is not None
        fields = [("Host", self._host_field), *((n, v) for n, v in headers.items()
                                               if n.lower() != "content-length"),
                  ("Content-Length", str(len(body)))]
        try:
            out = h.send(h11.Request(method=method, target=target, headers=fields))
            if body:
                out += h.send(h11.Data(data=body))
            out += h.send(h11.EndOfMessage())
        except h11.LocalProtocolError as error:
            raise UsageError(f"request not sent: {error}") from None
        try:
            sock.sendall(out)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            raise _Stale from None
        response: h11.Response | None = None
        data = bytearray()
        try:
            while True:
                event = h.next_event()
                if event is h11.NEED_DATA:
                    try:
                        chunk = sock.recv(65536)
                    except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                        chunk = b""
                    if not chunk and response is None:
                        raise _Stale
                    h.receive_data(chunk)
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    data += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise _Stale
        except h11.RemoteProtocolError as error:
            raise ConnectionError(f"the server's answer breaks HTTP/1.1 (h11): {error}") from None
        assert response is not None
        if h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()
        else:  # Connection: close, or HTTP/1.0
            self.close()
        named = [(n.decode("ascii"), v.decode("iso-8859-1"))
                 for n, v in response.headers.raw_items()]
        content_type = next((v for n, v in named if n.lower() == "content-type"), "")
        return TicketHttpResponse(response.status_code, bytes(data), content_type, tuple(named))

    def close(self) -> None:
        sock, self._sock, self._h = self._sock, None, None
        if sock is not None:
            sock.close()

    def __enter__(self) -> HttpsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Stale(Exception):
    """The server closed a connection before any octet of the answer (an idle kept-alive
    connection it timed out): the request may be sent again on a new one."""


class TicketHttpClient(HttpsClient):
    """A client of a KMS Ua or Zk endpoint (Annex A requests)."""

    def __init__(self, host: str, port: int, *, path: str = DEFAULT_PATH, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self.path = path

    def post(self, requesttype: RequestType, message: bytes) -> TicketHttpResponse:
        """POST one MIKEY message, base64 (TS 33.328 A.2); the answer as received (any status,
        its body still base64)."""
        body = encode_body(message)
        return self.exchange("POST", request_target(requesttype, self.path), body,
                             request_headers(body))

    def send(self, requesttype: RequestType, message: bytes) -> bytes:
        """POST one MIKEY message; the MIKEY answer (decoded), MikeyErrorAnswer when the KMS
        answered a MIKEY Error message (A.2), HttpRefusal for any other answer."""
        answer = self.post(requesttype, message)
        return response_message(answer.status, answer.content_type, answer.body)
