"""KMS_R cannot reach KMS_I over Zk (REQ-TKT-HTTP-11): the TLS handshake fails (KMS_I's
certificate is not from the CA KMS_R holds for it) or nothing listens.  The responder gets HTTP
502 naming the failed Zk hop (TS 33.328 A.3: the KMS erred; no MIKEY Error message, which A.2
keeps for refusals of the request), KMS_R stays up, and a later resolve over a good Zk link
completes.  Real HTTPS on 127.0.0.1 (``loopback``)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from mckm.impl.roles.ticket.loopback import Loopback, start_loopback
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.roles.ticket.ue_http import fetch_ticket, resolve_ticket
from mckm.impl.transport.ticket_http import HttpRefusal

KMS_A, KMS_B = "kms.a.example", "kms.b.example"
ALICE, BOB = "sip:alice@a.example", "sip:bob@b.example"
UPSTREAM_FAILED = 502


def _resolve(world: Loopback) -> tuple[bytes, object]:
    alice, bob = world.initiator(ALICE), world.responder(BOB)
    kms_a, kms_b = world.ua_client(KMS_A), world.ua_client(KMS_B)
    try:
        transfer_init = fetch_ticket(alice, kms_a, BOB, now=ntp_now())
        return resolve_ticket(bob, kms_b, transfer_init, now=ntp_now())
    finally:
        kms_a.close()
        kms_b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("fault", ["wrong-ca", "nothing-listens"])
def test_zk_failure_is_502_with_an_error_message_and_kms_r_recovers(fault: str) -> None:
    hops: list[str] = []
    with start_loopback({ALICE: KMS_A, BOB: KMS_B}, observer=hops.append) as world:
        service = world.kms[KMS_B]
        good = service.peers[KMS_A]
        if fault == "wrong-ca":  # KMS_A's certificate is not from this CA: handshake refused
            service.set_peer(replace(good, ca_pem=world.cas[KMS_B].cert_pem))
        else:
            service.set_peer(replace(good, zk=("127.0.0.1", _free_port())))
        with pytest.raises(HttpRefusal) as exc:
            _resolve(world)
        refusal = exc.value
        assert refusal.status == UPSTREAM_FAILED and not refusal.mikey_errors
        assert refusal.content_type.startswith("text/plain")
        assert f"Zk to {KMS_A} failed".encode() in refusal.body, refusal.body
        assert any(f"{KMS_B} -> {KMS_A} Zk:" in line for line in hops), hops
        # the same KMS_R, with the Zk link repaired, serves the next resolve
        service.set_peer(good)
        transfer_resp, keys = _resolve(world)
        assert transfer_resp and keys is not None
