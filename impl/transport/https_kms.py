"""HTTPS adapter of the KMS (TS 33.180 D.1: "All KMS communications are made via HTTPS").

The server is :class:`~mckm.impl.transport.http_server.HttpsServer` (h11 framing, TLS 1.2 or
later, handshakes off the accept path, timeouts and connection limits of
:class:`~mckm.impl.transport.http_server.ServerLimits`); it only moves bytes to and from
:class:`~mckm.impl.roles.kms.service.KmsService`.
Its log names the method, the resource and the status: never a token, a header, a body, a
path option or a query (REQ-SKMS-23); the query string is handed to the model with the path.
The TLS identity is a private CA and a server certificate made with ``cryptography`` at start
(or read from files).  The client side (:class:`KmsClient`) keeps one HTTP/1.1 connection.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import logging
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mckm.impl.roles.kms.service import BASE_PATH, HttpRequest, KmsService
from mckm.impl.transport.http_server import (
    Handler,
    HttpsServer,
    Peer,
    Reply,
    Request,
    ServerLimits,
)
from mckm.models.procedures import skm_s

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TlsIdentity:
    """PEM server certificate chain and key, and the CA certificate clients trust."""

    cert_pem: bytes
    key_pem: bytes
    ca_pem: bytes


def _validity(builder: x509.CertificateBuilder, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (builder.serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days)))


def new_ca(name: x509.Name, days: int) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A fresh self-signed P-256 CA (path length 0, certificate and CRL signing only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _validity(x509.CertificateBuilder().subject_name(name).issuer_name(name)
                  .public_key(key.public_key()), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                     False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def host_name(host: str) -> x509.GeneralName:
    """The SAN entry of ``host``: an IP address, else a DNS name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue_identity(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
                   subject: x509.Name, sans: list[x509.GeneralName],
                   usages: list[x509.ObjectIdentifier], days: int) -> TlsIdentity:
    """A fresh P-256 key and an end-entity certificate for it, signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _validity(x509.CertificateBuilder().subject_name(subject)
                  .issuer_name(ca_cert.subject).public_key(key.public_key()), days)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return TlsIdentity(
        cert_pem=cert.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
        ca_pem=ca_cert.public_bytes(pem),
    )


def make_tls_identity(host: str = "127.0.0.1", days: int = 7) -> TlsIdentity:
    """A fresh P-256 CA and a server certificate for ``host`` (an IP address or DNS name)."""
    ca_key, ca_cert = new_ca(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mckm KMS test CA")]), days)
    return issue_identity(ca_key, ca_cert,
                          x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]),
                          [host_name(host)], [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH], days)


def load_identity(context: ssl.SSLContext, identity: TlsIdentity) -> None:
    """Load ``identity`` into ``context`` (through a 0600 temp file: ``ssl`` reads keys only
    from files)."""
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(identity.cert_pem)
        key_file.touch(mode=0o600)
        key_file.write_bytes(identity.key_pem)
        context.load_cert_chain(cert_file, key_file)


def server_context(identity: TlsIdentity) -> ssl.SSLContext:
    """TLS 1.2+ server context holding ``identity``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_identity(context, identity)
    return context


def client_context(ca_pem: bytes) -> ssl.SSLContext:
    """TLS 1.2+ client context trusting only ``ca_pem``, with host name checking."""
    context = ssl.create_default_context(cadata=ca_pem.decode())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _resource_for_log(path: str) -> str:
    """The D.2 resource a path names, or a fixed text (REQ-SKMS-23): user URIs and times in
    the path, and whatever a client typed as an unknown resource (a token, a user URI), are
    not logged."""
    base: str = BASE_PATH
    if path.startswith(base + "/"):
        name = path[len(base) + 1:].split("/")[0]
        if name in skm_s.RESOURCES:
            return base + "/" + name
        return base + "/(not served)"
    return "(not a KMS path)"


class KmsHttpsServer(HttpsServer):
    """A running HTTPS KMS; use as a context manager or call :meth:`stop`."""

    def __init__(self, service: KmsService, identity: TlsIdentity, host: str = "127.0.0.1",
                 port: int = 0, *, limits: ServerLimits | None = None,
                 reuse_port: bool = False) -> None:
        self.service = service
        super().__init__(self._handler_for, server_context(identity), identity, host, port,
                         name="kms-https", limits=limits, reuse_port=reuse_port)

    def _handler_for(self, peer: Peer) -> Handler:
        return self._answer

    def _answer(self, request: Request) -> Reply:
        path, _, query = request.target.partition("?")  # the query goes to the model, not the log
        response = self.service.handle(HttpRequest(request.method, path, request.headers,
                                                   request.body, query))
        # logged before the reply, so the line exists once the client has its answer
        if log.isEnabledFor(logging.INFO):  # the resource is cut for the log only then
            log.info("%s %s -> %d", request.method, _resource_for_log(path), response.status)
        return response


class KmsClient:
    """An HTTPS client of one KMS with one bearer token; keeps its connection alive."""

    def __init__(self, host: str, port: int, ca_pem: bytes, token: str,
                 timeout: float = 10.0) -> None:
        self.host, self.port, self.token = host, port, token
        self._conn = http.client.HTTPSConnection(host, port, context=client_context(ca_pem),
                                                 timeout=timeout)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def post(self, path: str, body: bytes = b"", token: str | None = None) -> tuple[int, bytes]:
        """POST ``path`` (below the host); the status and body of the answer."""
        headers = {"Content-Type": "application/xml"}
        bearer = self.token if token is None else token
        if bearer:
            headers["Authorization"] = "Bearer " + bearer
        self._conn.request("POST", path, body=body, headers=headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self._conn.close()
