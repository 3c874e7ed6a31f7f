"""A MIKEY-TICKET KMS as replica processes on one Ua port (impl/transport/replicas.py), sound
only because they share their replay cache through one store (Kms(shared=...)): a
RESOLVE_INIT accepted by one replica is refused by every replica (REQ-TKT-11, RFC 3830 5.4),
and KMS_B's Zk forwards reach the replicas' Zk port."""

from __future__ import annotations

from pathlib import Path

import pytest

from mckm.bench.ticket import ALICE, BOB_A, BOB_B, KMS_A, KMS_B, issuer_replicas
from mckm.impl.errors import UsageError
from mckm.impl.roles.ticket.loopback import start_loopback
from mckm.impl.roles.ticket.server import KmsService, ntp_now
from mckm.impl.roles.ticket.ue_http import fetch_ticket
from mckm.impl.transport.https_ticket import TicketHttpClient
from mckm.impl.transport.ticket_http import MikeyErrorAnswer, RequestType

REPLAY = 1  # MIKEY error "Message replay" (RFC 6043 6.14 / RFC 3830 6.12)


def _outcome(client: TicketHttpClient, message: bytes) -> str | tuple[int, ...]:
    """``resolved``, or the MIKEY errors of the KMS's refusal (a 200 OK carrying a MIKEY Error
    message, TS 33.328 A.2)."""
    try:
        client.send(RequestType.TICKET_RESOLVE, message)
    except MikeyErrorAnswer as refusal:
        return refusal.mikey_errors
    return "resolved"


def test_a_resolve_accepted_by_one_replica_is_a_replay_at_every_replica(tmp_path: Path) -> None:
    with start_loopback({ALICE: KMS_A, BOB_A: KMS_A, BOB_B: KMS_B}) as world:
        with world.ua_client(KMS_A) as kms_i:
            transfer_init = fetch_ticket(world.initiator(ALICE), kms_i, BOB_A, now=ntp_now())
            to_b = fetch_ticket(world.initiator(ALICE), kms_i, BOB_B, now=ntp_now())
        now = ntp_now()
        message = world.responder(BOB_A).receive_transfer_init(transfer_init, now=now).octets
        other = world.responder(BOB_A).receive_transfer_init(transfer_init, now=now).octets
        via_b = world.responder(BOB_B).receive_transfer_init(to_b, now=now).octets
        with issuer_replicas(world, 2, str(tmp_path / "replay.db")) as (host, port):
            outcomes = []
            for _ in range(12):  # fresh connections: spread over both replicas by the kernel
                with TicketHttpClient(host, port, ca_pem=world.cas[KMS_A].cert_pem) as client:
                    outcomes.append(_outcome(client, message))
            with TicketHttpClient(host, port, ca_pem=world.cas[KMS_A].cert_pem) as client:
                fresh = _outcome(client, other)
            kms_b = world.kms[KMS_B].ua
            with TicketHttpClient(kms_b.host, kms_b.port,
                                  ca_pem=world.cas[KMS_B].cert_pem) as client:
                forwarded = _outcome(client, via_b)
    assert outcomes[0] == "resolved", outcomes
    assert outcomes[1:] == [(REPLAY,)] * 11, outcomes
    assert fresh == "resolved"  # another RAND of the same ticket: accepted
    assert forwarded == "resolved"  # KMS_B -> the replicas over Zk


def test_replicas_without_a_shared_replay_cache_are_refused() -> None:
    with start_loopback({BOB_A: KMS_A}) as world:
        service = world.kms[KMS_A]
        with pytest.raises(UsageError, match="shared replay cache"):
            KmsService(service.kms, service.identity, reuse_port=True)
