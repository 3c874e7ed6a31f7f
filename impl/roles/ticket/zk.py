"""Zk as a KMS sees it (seed 002 4.2.4, B.2.2.3; TS 33.210): its peer KMSs, the trust relation
they form, kept-alive clients to each, and a peer's refusal carried back with its MIKEY error.

Each KMS domain's TLS CA is named after the KMS URI (``make_domain_ca(kms_uri)``), so a Zk peer's
verified TLS domain *is* the peer KMS URI.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from mckm.impl.errors import DecodeError, PolicyError
from mckm.impl.transport.https_ticket import TicketHttpClient
from mckm.impl.transport.ticket_http import UPSTREAM_FAILED, HttpRefusal
from mckm.models.policy.trust import TrustRelation


@dataclass(frozen=True)
class ZkPeer:
    """Another KMS: its URI (= its TLS domain), where its Zk endpoint listens (needed only to
    forward resolves to it), and its TLS CA.  ``trusted`` puts the pair into this KMS's
    TrustRelation; a peer with ``trusted=False`` passes TLS but the role refuses it."""

    uri: str
    ca_pem: bytes = field(repr=False)
    zk: tuple[str, int] | None = None
    trusted: bool = True


def zk_refusal(to: str, refusal: HttpRefusal | DecodeError) -> PolicyError:
    """KMS_I's refusal as a PolicyError: KMS_I's MIKEY error when it answered an Error message
    (TS 33.328 A.2; KMS_R answers the responder with it), else a 502 (KMS_I refused at the HTTP
    level or answered no MIKEY message: from the responder's side the KMS erred, A.3)."""
    if isinstance(refusal, HttpRefusal) and refusal.mikey_errors:
        return PolicyError(f"{to} refused the resolve over Zk with MIKEY error "
                           f"{list(refusal.mikey_errors)}", requirement="REQ-TKT-HTTP-06",
                           mikey_error=refusal.mikey_errors[0])
    what = f"HTTP {refusal.status}" if isinstance(refusal, HttpRefusal) else "no MIKEY message"
    return PolicyError(f"{to} answered the resolve over Zk with {what}",
                       requirement="REQ-TKT-HTTP-06", http_status=UPSTREAM_FAILED)


class ZkPool:
    """Kept-alive Zk clients to one peer KMS, lent to one handler thread at a time; at most
    ``idle`` are kept open between requests (so short-lived Ua connections, each with its own
    thread, do not leave Zk connections behind)."""

    def __init__(self, factory: Callable[[], TicketHttpClient], idle: int = 8) -> None:
        self._factory, self._max_idle = factory, idle
        self._idle: list[TicketHttpClient] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def client(self) -> Iterator[TicketHttpClient]:
        with self._lock:
            client = self._idle.pop() if self._idle else None
        if client is None:
            client = self._factory()
        try:
            yield client
        except BaseException:
            client.close()
            raise
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(client)
                return
        client.close()

    def close(self) -> None:
        with self._lock:
            clients, self._idle = self._idle, []
        for client in clients:
            client.close()


def trust_of(uri: str, peers: Iterable[ZkPeer]) -> TrustRelation:
    """This KMS's TrustRelation: mutual pairs with each trusted peer."""
    return TrustRelation.of([(uri, p.uri) for p in peers if p.trusted], mutual=True)


__all__ = ["ZkPeer", "ZkPool", "trust_of", "zk_refusal"]
