"""The two-domain MIKEY-TICKET exchange for ``mckm demo`` (seed 002 B.2.2.3; RFC 6043 4.2).

In this process, over real HTTPS on 127.0.0.1: a BSF (Zn), KMS_A (Alice's, the ticket issuer)
and KMS_B (Bob's), each with its own domain CA; Alice fetches a ticket at KMS_A, hands it to
Bob in the SDP offer of a SIP INVITE (RFC 4567), Bob resolves it at KMS_B, which forwards the
resolve to KMS_A over mutual-TLS Zk; the ticket is reusable (J flag), so Alice then offers it
again and Bob answers from his store, with no KMS (RFC 6043 5.3).  Each hop is printed with its
message and size; the keys only as fingerprints.
"""

from __future__ import annotations

from collections.abc import Callable

from mckm.impl.codec import decode
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.loopback import start_loopback
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.roles.ticket.ue_http import keys_fingerprint
from mckm.impl.transport.ticket_http import RequestType

KMS_A, KMS_B = "kms.a.example", "kms.b.example"
ALICE, BOB = "sip:alice@a.example", "sip:bob@b.example"


def _name(raw: bytes) -> str:
    return f"{decode(raw).data_type_name} ({len(raw)} octets)"


def two_domain_exchange(echo: Callable[[str], None]) -> bool:
    """Run the exchange, printing each hop through ``echo``; True if both UEs hold the same
    keys (MPKi and TGK)."""
    hops: list[str] = []
    with start_loopback({ALICE: KMS_A, BOB: KMS_B}, observer=hops.append) as world:
        a, b = world.kms[KMS_A], world.kms[KMS_B]
        echo(f"  BSF Zn https://{world.bsf.host}:{world.bsf.port} (mutual TLS)")
        for uri, s in ((KMS_A, a), (KMS_B, b)):
            zk = f", Zk :{s.zk.port} (mutual TLS)" if s.zk else ""
            echo(f"  {uri}: Ua https://{s.ua.host}:{s.ua.port}{zk}; domain CA of its own")
        alice, bob = world.initiator(ALICE), world.responder(BOB)
        kms_i, kms_r = world.ua_client(KMS_A), world.ua_client(KMS_B)
        try:
            request = alice.request_ticket(BOB, now=ntp_now(), reusable=True)
            echo(f"  1 {ALICE} -> {KMS_A} Ua ticketrequest: {_name(request)}")
            response = kms_i.send(RequestType.TICKET_REQUEST, request)
            echo(f"  2 {KMS_A} -> {ALICE}: {_name(response)} (TICKET, KEMAC)")
            transfer_init = alice.receive_request_resp(response, now=ntp_now())
            offer = sip.invite(transfer_init, from_uri=ALICE, to_uri=BOB)
            echo(f"  3 {ALICE} -> {BOB} SIP INVITE ({len(offer)} octets), SDP "
                 f"a=key-mgmt:mikey {_name(transfer_init)}")
            invite, received = sip.transfer_init_of(offer)
            resolve = bob.receive_transfer_init(received, now=ntp_now()).octets
            echo(f"  4 {BOB} -> {KMS_B} Ua ticketresolve: {_name(resolve)}")
            answer = kms_r.send(RequestType.TICKET_RESOLVE, resolve)
            for line in hops:
                echo(f"  5 {line} (KMS_B trusts KMS_A; TLS authenticated both)")
            echo(f"  6 {KMS_B} -> {BOB}: {_name(answer)} (KEMAC under Bob's NAF key)")
            transfer_resp, bob_keys = bob.receive_resolve_resp(answer, now=ntp_now())
            ok = sip.answer(invite, transfer_resp)
            echo(f"  7 {BOB} -> {ALICE} SIP 200 OK ({len(ok)} octets), SDP a=key-mgmt:mikey "
                 f"{_name(transfer_resp)}")
            alice_keys = alice.receive_transfer_resp(sip.transfer_resp_of(ok), now=ntp_now())
            again = sip.invite(alice.offer_again(now=ntp_now()), from_uri=ALICE, to_uri=BOB)
            echo(f"  8 {ALICE} -> {BOB} SIP INVITE ({len(again)} octets): the same ticket "
                 "again in TRANSFER_INIT, new RANDRi")
            invite2, offered = sip.transfer_init_of(again)
            reused = bob.receive_transfer_init(offered, now=ntp_now())
            ok2 = sip.answer(invite2, reused.octets)
            echo(f"  9 {BOB} -> {ALICE} SIP 200 OK ({len(ok2)} octets): {_name(reused.octets)} "
                 "(reusable ticket, J flag: no resolve, keys from Bob's store)")
            same_again = (reused.keys == bob_keys and not reused.to_kms
                          and alice.receive_transfer_resp(sip.transfer_resp_of(ok2),
                                                          now=ntp_now()) == alice_keys)
        finally:
            kms_i.close()
            kms_r.close()
    same = alice_keys == bob_keys
    echo(f"  Alice holds MPKi+TGK fingerprint {keys_fingerprint(alice_keys)}")
    echo(f"  Bob   holds MPKi+TGK fingerprint {keys_fingerprint(bob_keys)}"
         f"  -> {'same keys' if same else 'KEYS DIFFER'}")
    echo(f"  reuse (steps 8-9): {'same keys, no KMS contacted' if same_again else 'FAILED'}")
    return same and same_again


__all__ = ["two_domain_exchange"]
