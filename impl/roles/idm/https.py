"""HTTPS adapter of the IdM (TS 33.180 B.12: TLS between the IdM client and the IdM server is
mandatory) and the relying party's JWKS fetcher.

The server is :class:`~mckm.impl.transport.http_server.HttpsServer` (h11, TLS 1.2+, limits);
it moves bytes to and from :class:`~mckm.impl.roles.idm.role.IdmRole` and logs the method,
the path (never its query: it carries codes and states) and the status.

:class:`JwksFetcher` is what a KMS holds instead of one public key: the IdM's JWKS fetched over
HTTPS from ``jwks_uri``, fetched again when a token names a kid it does not know (a rollover,
REQ-IDM-13), at most once per ``min_interval`` seconds so that tokens with made-up kids cannot
make the KMS hammer the IdM.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.transport.http_server import (
    Handler,
    HttpsServer,
    Peer,
    Reply,
    Request,
    ServerLimits,
)
from mckm.impl.transport.https_kms import TlsIdentity, client_context, server_context

log = logging.getLogger(__name__)


class IdmHttpsServer(HttpsServer):
    """A running HTTPS IdM; its issuer is its base URL unless the role already names one."""

    def __init__(self, role: IdmRole, identity: TlsIdentity, host: str = "127.0.0.1",
                 port: int = 0, *, limits: ServerLimits | None = None) -> None:
        self.role = role
        super().__init__(self._handler_for, server_context(identity), identity, host, port,
                         name="idm-https", limits=limits)
        if not role.issuer:
            role.issuer = self.base_url

    def _handler_for(self, peer: Peer) -> Handler:
        return self._answer

    def _answer(self, request: Request) -> Reply:
        path, _, query = request.target.partition("?")
        response = self.role.handle(request.method, path, query, request.body,
                                    request.headers.get("content-type", ""))
        log.info("%s %s -> %d", request.method, path if len(path) < 64 else "(long path)",
                 response.status)
        return response


def https_get(url: str, ca_pem: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET ``url`` over HTTPS trusting only ``ca_pem``; the status and body."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(f"{url}: not an https URL")
    conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443,
                                       context=client_context(ca_pem), timeout=timeout)
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class JwksFetcher:
    """The IdM's JWKS fetched over HTTPS; a :data:`~mckm.impl.roles.kms.access_token.KeySource`
    (call it with the token's kid)."""

    def __init__(self, jwks_uri: str, ca_pem: bytes, *, min_interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.jwks_uri, self.ca_pem = jwks_uri, ca_pem
        self.min_interval, self.clock = min_interval, clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched = float("-inf")
        #: how many times the JWKS was fetched (for tests and the log)
        self.fetches = 0

    def refresh(self) -> KeySet:
        """Fetch the JWKS now; PolicyError (503) if the IdM cannot be read."""
        try:
            status, body = https_get(self.jwks_uri, self.ca_pem)
            if status != 200:
                raise ValueError(f"HTTP {status}")
            keys = KeySet.import_key_set(json.loads(body))
        except (OSError, ValueError, KeyError, TypeError, JoseError) as exc:
            raise PolicyError(f"the IdM's JWKS cannot be read ({type(exc).__name__})",
                              requirement="REQ-IDM-13", http_status=503) from exc
        with self._lock:
            self._keys, self._fetched = keys, self.clock()
            self.fetches += 1
        log.info("JWKS fetched: %d keys", len(keys.keys))
        return keys

    def __call__(self, kid: str | None) -> KeySet:
        with self._lock:
            keys, age = self._keys, self.clock() - self._fetched
        known = keys is not None and any(key.kid == kid for key in keys.keys)
        if keys is None or (not known and kid is not None and age >= self.min_interval):
            try:
                return self.refresh()
            except PolicyError:
                if keys is None:
                    raise
        assert keys is not None
        return keys
