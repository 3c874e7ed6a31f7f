"""Several MIKEY-TICKET KMS domains and a BSF over real HTTPS on 127.0.0.1, in this process
(threads): for ``mckm demo`` and ``mckm bench``.  Each KMS domain gets a CA named after its KMS
URI; the BSF has its own CA and serves Zn to every KMS domain; every KMS trusts every other
(mutual pairs) unless ``untrusted`` says otherwise.  Bootstrapping contexts are fresh random
ones, valid for a day.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings
from mckm.impl.roles.ticket.endpoints import Initiator, Kms, Responder
from mckm.impl.roles.ticket.server import KmsService, Observer, ntp_now
from mckm.impl.roles.ticket.zk import ZkPeer, trust_of
from mckm.impl.roles.ticket.zn import RemoteBsf
from mckm.impl.transport.https_bsf import BsfClient, bsf_endpoint
from mckm.impl.transport.https_ticket import (
    DomainCa,
    DomainTrust,
    HttpsEndpoint,
    TicketHttpClient,
    make_domain_ca,
)

BSF_DOMAIN = "bsf.example"
CONTEXT_LIFETIME = 86_400  # seconds


def fresh_context(uri: str, now: int) -> BootstrapContext:
    """A provisioned context for ``uri`` with random Ks and RAND (GBA run not executed)."""
    user = uri.split(":", 1)[-1]
    return BootstrapContext(b_tid=f"{os.urandom(6).hex()}@{BSF_DOMAIN}", ks=Secret(os.urandom(32)),
                            rand=os.urandom(16), impi=f"impi:{user}",
                            expires_at=now + CONTEXT_LIFETIME,
                            uss=UserSecuritySettings((uri,)))


@dataclass
class Loopback:
    """The running world; close it (or use ``with``)."""

    cas: dict[str, DomainCa]
    bsf: HttpsEndpoint
    kms: dict[str, KmsService]
    contexts: dict[str, BootstrapContext]
    home: dict[str, str]  # user URI -> KMS URI

    def ua_client(self, kms_uri: str) -> TicketHttpClient:
        service = self.kms[kms_uri]
        return TicketHttpClient(service.ua.host, service.ua.port,
                                ca_pem=self.cas[kms_uri].cert_pem)

    def initiator(self, uri: str) -> Initiator:
        return Initiator(uri, self.home[uri], self.contexts[uri])

    def responder(self, uri: str) -> Responder:
        return Responder(uri, self.home[uri], self.contexts[uri])

    def close(self) -> None:
        for service in self.kms.values():
            service.stop()
        self.bsf.stop()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_loopback(users: Mapping[str, str], *,
                   untrusted: Iterable[tuple[str, str]] = (),
                   observer: Observer | None = None) -> Loopback:
    """Start a BSF and one KMS per distinct KMS URI of ``users`` (user URI -> KMS URI).
    ``untrusted`` lists (a, b) pairs where KMS a does not trust KMS b (TLS still accepted)."""
    now = ntp_now()
    kms_uris = sorted(set(users.values()))
    cas = {uri: make_domain_ca(uri) for uri in [*kms_uris, BSF_DOMAIN]}
    contexts = {uri: fresh_context(uri, now) for uri in users}
    registry = Bsf()
    for context in contexts.values():
        registry.provision(context)
    bsf = bsf_endpoint(registry, cas[BSF_DOMAIN].issue("bsf"),
                       DomainTrust.of(*(cas[u] for u in kms_uris)),
                       clock=lambda: float(ntp_now())).start()
    refused = set(untrusted)
    services: dict[str, KmsService] = {}
    try:
        for uri in kms_uris:
            identity = cas[uri].issue("kms")
            peers = [ZkPeer(p, cas[p].cert_pem, None, (uri, p) not in refused)
                     for p in kms_uris if p != uri]
            zn = BsfClient(bsf.host, bsf.port, trust=DomainTrust.of(cas[BSF_DOMAIN]),
                           identity=identity, expect_domain=BSF_DOMAIN)
            kms = Kms(uri, tpk=os.urandom(32), bsf=RemoteBsf(zn), trust=trust_of(uri, peers))
            services[uri] = KmsService(kms, identity, peers=peers, observer=observer).start()
        for service in services.values():  # every Zk port is bound: tell each KMS the others'
            for peer_uri, peer in list(service.peers.items()):
                zk = services[peer_uri].zk
                assert zk is not None
                service.set_peer(replace(peer, zk=(zk.host, zk.port)))
    except BaseException:
        for service in services.values():
            service.stop()
        bsf.stop()
        raise
    return Loopback(cas, bsf, services, contexts, dict(users))


__all__ = ["BSF_DOMAIN", "Loopback", "fresh_context", "start_loopback"]
