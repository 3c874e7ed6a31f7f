"""HTTPS of the CEK service: HTTP-1 at the KMS (server-authenticated TLS, seed 001 7.x.2), and
the pushes from the KMS to the SIP endpoints over mutually authenticated TLS (REQ-CEK-14, -16).

All servers run on :class:`~mckm.impl.transport.http_server.HttpsServer` and only move bytes:
the KMS's requests go to :class:`~mckm.impl.roles.cek.service.CekService`, a push to the
endpoint's role machine (:func:`~mckm.impl.roles.cek.endpoint.server_machine`, or a client's
:class:`~mckm.impl.roles.cek.endpoint.CekClientRole`).

Identities (project decision): one deployment CA (:class:`CekPki`) issues the KMS's TLS server
certificate, the KMS's client certificate and the MCPTT server's server certificate.  A push
endpoint requires a client certificate from that CA (``ssl.CERT_REQUIRED``: no certificate, or
one from another CA, fails the handshake) and reads the pusher's identity from the verified
certificate's SAN URI, once per connection; the model's guard ``pushed-by-the-kms`` compares it
with the KMS identity the endpoint is configured with (403 otherwise).  Logs name method,
resource and status only: never a token, a body, a Key ID or a CEK.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mckm.impl.engine.messages import DictMessage
from mckm.impl.engine.refusal import StepRefused
from mckm.impl.errors import DecodeError
from mckm.impl.roles.cek import wire
from mckm.impl.roles.cek.endpoint import CekClientRole, CekKeyring, server_machine
from mckm.impl.roles.cek.service import BASE_PATH, CekService
from mckm.impl.transport.http_server import (
    Handler,
    HttpsServer,
    Peer,
    Reply,
    Request,
    ServerLimits,
    SimpleReply,
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
from mckm.models.procedures import cek as model

log = logging.getLogger(__name__)

#: the identity of a verified certificate that carries no SAN URI (no endpoint expects it)
NO_URI = "urn:mckm:no-san-uri"


@dataclass(frozen=True)
class CekPki:
    """The deployment CA of the CEK links; its key stays out of the repr."""

    cert_pem: bytes
    _key: ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def create(cls, days: int = 7) -> CekPki:
        key, cert = new_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                         "mckm CEK deployment CA")]), days)
        return cls(cert.public_bytes(serialization.Encoding.PEM), key)

    def issue(self, identity: str, host: str = "127.0.0.1", days: int = 7) -> TlsIdentity:
        """A certificate for TLS server (``host``) and client, SAN URI = ``identity``."""
        return issue_identity(
            self._key, x509.load_pem_x509_certificate(self.cert_pem),
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]),
            [host_name(host), x509.UniformResourceIdentifier(identity)],
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], days)


def identity_of(cert_der: bytes | None) -> str:
    """The first SAN URI of a certificate TLS has verified (:data:`NO_URI` if it has none)."""
    if cert_der is None:
        return NO_URI
    cert = x509.load_der_x509_certificate(cert_der)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return NO_URI
    uris = sans.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else NO_URI


def mutual_server_context(identity: TlsIdentity, ca_pem: bytes) -> ssl.SSLContext:
    """TLS 1.2+ server context requiring a client certificate issued by ``ca_pem``."""
    context = server_context(identity)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ca_pem.decode())
    return context


def mutual_client_context(identity: TlsIdentity, ca_pem: bytes) -> ssl.SSLContext:
    """TLS 1.2+ client context presenting ``identity`` and trusting only ``ca_pem``."""
    context = client_context(ca_pem)
    load_identity(context, identity)
    return context


def _reply(status: int, body: bytes, content_type: str = "text/plain; charset=utf-8",
           headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return SimpleReply(status, body, content_type, headers)


class CekHttpsServer(HttpsServer):
    """The KMS's HTTP-1 CEK endpoint (server-authenticated TLS)."""

    def __init__(self, service: CekService, identity: TlsIdentity, host: str = "127.0.0.1",
                 port: int = 0, *, limits: ServerLimits | None = None) -> None:
        self.service = service
        super().__init__(self._handler_for, server_context(identity), identity, host, port,
                         name="cek-https", limits=limits)

    def _handler_for(self, peer: Peer) -> Handler:
        return self._answer

    def _answer(self, request: Request) -> Reply:
        path = request.target.partition("?")[0]
        r = self.service.handle(request.method, path, request.headers, request.body)
        if log.isEnabledFor(logging.INFO):
            resource = path if path[len(BASE_PATH) + 1:] in model.RESOURCES else "(other)"
            log.info("%s %s -> %d", request.method, resource, r.status)
        return _reply(r.status, r.body, r.content_type, r.headers)


class PushEndpoint(HttpsServer):
    """A SIP endpoint's HTTPS push receiver (mutual TLS): the MCPTT server, or with
    ``client`` set, an MCPTT client's notification endpoint."""

    def __init__(self, identity: TlsIdentity, ca_pem: bytes, kms_identity: str, *,
                 client: CekClientRole | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.keyring = CekKeyring() if client is None else client.keyring
        self.kms_identity, self.client = kms_identity, client
        self.refusals: list[str] = []  # what it refused (reasons: no keys in them)
        super().__init__(self._handler_for, mutual_server_context(identity, ca_pem), identity,
                         host, port, name="cek-push")

    def _handler_for(self, peer: Peer) -> Handler:
        pusher = identity_of(peer.cert_der)  # once per connection: the verified identity
        return lambda request: self._answer(request, pusher)

    def _answer(self, request: Request, pusher: str) -> Reply:
        path = request.target.partition("?")[0]
        name = model.PUSH_RESOURCES.get(path[len(BASE_PATH) + 1:]) \
            if path.startswith(BASE_PATH + "/") and request.method == "POST" else None
        try:
            if name is None:
                message = DictMessage("not served: unknown resource", {})
            else:
                message = wire.push_message(name, pusher, request.body)
            if self.client is not None:
                self.client.notified(message)
            else:
                server_machine(self.keyring, self.kms_identity).feed(
                    message, now=int(time.time()))
        except StepRefused as exc:
            self.refusals.append(str(exc))
            return _reply(model.http_status(exc.step, exc.guard), (str(exc) + "\n").encode())
        except DecodeError as exc:
            self.refusals.append(str(exc))
            return _reply(400, (str(exc) + "\n").encode())
        log.info("push %s -> 200", name)
        return _reply(200, b"{}", "application/json")


class Pusher:
    """The KMS's HTTPS client for pushes: its client certificate, one kept-alive connection per
    endpoint (host, port), a lock each."""

    def __init__(self, identity: TlsIdentity, ca_pem: bytes, timeout: float = 10.0) -> None:
        self._context = mutual_client_context(identity, ca_pem)
        self._timeout = timeout
        self._conns: dict[tuple[str, int], tuple[threading.Lock,
                                                  list[http.client.HTTPSConnection]]] = {}
        self._lock = threading.Lock()

    def push(self, url: str, resource: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body`` to ``url``'s ``/cek/v1/<resource>``; (status, body)."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            return 0, b"not an https URL"
        key = (parts.hostname, parts.port or 443)
        with self._lock:
            lock, pool = self._conns.setdefault(key, (threading.Lock(), []))
        with lock:
            for attempt in (0, 1):  # a kept-alive connection the server closed: once more
                if not pool:
                    pool.append(http.client.HTTPSConnection(
                        key[0], key[1], context=self._context, timeout=self._timeout))
                conn = pool[0]
                try:
                    conn.request("POST", f"{BASE_PATH}/{resource}", body=body,
                                 headers={"Content-Type": "application/json"})
                    response = conn.getresponse()
                    return response.status, response.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    pool.clear()
                    if attempt:
                        return 0, f"no connection: {type(exc).__name__}".encode()
        return 0, b"no connection"

    def close(self) -> None:
        with self._lock:
            for _, pool in self._conns.values():
                for conn in pool:
                    conn.close()
            self._conns.clear()


class CekClient:
    """An MCPTT client's HTTP-1 connection to the KMS (server-authenticated TLS, kept alive);
    :meth:`role` gives the engine-run client for one (user, SIP session)."""

    def __init__(self, host: str, port: int, ca_pem: bytes, timeout: float = 10.0) -> None:
        self._conn = http.client.HTTPSConnection(host, port, context=client_context(ca_pem),
                                                 timeout=timeout)
        self._lock = threading.Lock()

    def post(self, resource: str, token: str, body: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        with self._lock:
            self._conn.request("POST", f"{BASE_PATH}/{resource}", body=body, headers=headers)
            response = self._conn.getresponse()
            return response.status, response.read()

    def role(self, user: str, session: str, kms_identity: str,
             clock: Callable[[], float]) -> CekClientRole:
        return CekClientRole(user, session, kms_identity, self.post, clock)

    def close(self) -> None:
        self._conn.close()
