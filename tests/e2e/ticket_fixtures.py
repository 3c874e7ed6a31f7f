"""A MIKEY-TICKET world with real crypto: a BSF, two KMS domains (A trusts B and back, C is
trusted by nobody), Alice at KMS A, Bob at KMS B (or A), Carol at B; deterministic keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings
from mckm.impl.roles.ticket.endpoints import Forward, Initiator, Kms, Responder
from mckm.impl.roles.ticket.wire import ZkLink
from mckm.models.policy.trust import TrustRelation

NOW = 3_900_000_000  # NTP seconds (2023)
KMS_A, KMS_B, KMS_C = "kms.a.example", "kms.b.example", "kms.c.example"
ALICE, BOB, CAROL = "sip:alice@a.example", "sip:bob@b.example", "sip:carol@b.example"
TRUST = TrustRelation.of([(KMS_A, KMS_B)], mutual=True)


def _octets(label: str, n: int = 32) -> bytes:
    return hashlib.sha256(label.encode()).digest()[:n]


def context(uri: str) -> BootstrapContext:
    return BootstrapContext(b_tid=f"btid-{uri.split(':')[1]}@bsf.example",
                            ks=Secret(_octets("Ks " + uri)), rand=_octets("RAND " + uri, 16),
                            impi=uri.replace("sip:", "impi:"), expires_at=NOW + 86_400,
                            uss=UserSecuritySettings((uri,)))


@dataclass
class World:
    bsf: Bsf
    kms: dict[str, Kms]
    alice: Initiator
    bob: Responder
    carol: Responder


def world(*, bob_kms: str = KMS_B, trust: TrustRelation = TRUST) -> World:
    bsf = Bsf()
    for uri in (ALICE, BOB, CAROL):
        bsf.provision(context(uri))
    kms = {u: Kms(u, tpk=_octets("TPK " + u), bsf=bsf, trust=trust)
           for u in (KMS_A, KMS_B, KMS_C)}
    return World(bsf, kms, Initiator(ALICE, KMS_A, context(ALICE)),
                 Responder(BOB, bob_kms, context(BOB)), Responder(CAROL, KMS_B, context(CAROL)))


def link(sender: str, to: str, *, authenticated: bool = True) -> ZkLink:
    return ZkLink(sender, authenticated, to)


def forwarded(w: World) -> Forward:
    """Alice's ticket from KMS A offered to Bob, whose KMS B forwards the resolve to KMS A over
    Zk (seed 002 B.2.2.3 steps 1-6): the Forward KMS B holds, at ``NOW``."""
    alice, bob = w.alice, w.bob
    ti = alice.receive_request_resp(
        w.kms[KMS_A].receive_request(alice.request_ticket(BOB, now=NOW), now=NOW), now=NOW)
    fwd = w.kms[KMS_B].receive_resolve(bob.receive_transfer_init(ti, now=NOW).octets, now=NOW)
    assert isinstance(fwd, Forward)
    return fwd
