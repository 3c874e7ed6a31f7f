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

from mckm.impl.errors import MckmError, PolicyError
from mckm.impl.roles.ticket.wire import error_numbers
from mckm.impl.transport.https_ticket import TicketHttpClient
from mckm.impl.transport.ticket_http import MIKEY_CONTENT_TYPE, TicketHttpResponse
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


def zk_refusal(to: str, answer: TicketHttpResponse) -> PolicyError:
    """KMS_I's refusal as a PolicyError carrying KMS_I's MIKEY error (if it sent one)."""
    number: int | None = None
    if answer.content_type.split(";")[0].strip() == MIKEY_CONTENT_TYPE:
        try:
            errors = error_numbers(answer.body)
            number = int(errors[0]) if errors else None
        except MckmError:
            number = None
    return PolicyError(f"{to} refused the resolve over Zk with HTTP {answer.status}",
                       requirement="REQ-TKT-HTTP-06", mikey_error=number,
                       http_status=answer.status)


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
