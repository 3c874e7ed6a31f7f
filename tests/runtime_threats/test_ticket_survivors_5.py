"""MIKEY-TICKET (RFC 6043; TS 33.328 Annex A; seed 002 B.2.2), survivors of a sampled run of
``./dev mutate ticket`` (fifth set): a responder refusing another data type as its
RESOLVE_RESP (RFC 6043 6.1 Invalid DT) with an Error whose ERR reserved field is zero (RFC 3830
6.12), a KMS checking a REQUEST_INIT under the MIKEY-1 PRF (RFC 3830 4.1.2, 6.1), the
responder's stored-MPKi fact for a ticket it never stored (RFC 6043 5.3), a KMS config's Zk port
and a Zk hop that cannot connect (REQ-TKT-HTTP-11).  Driven through the role end points and
real HTTPS on 127.0.0.1 with real octets."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from mckm.impl.codec import decode, encode
from mckm.impl.codec.model import Message, Payload
from mckm.impl.crypto.mikey_prf import PrfFunc
from mckm.impl.errors import PolicyError
from mckm.impl.roles.ticket import wire
from mckm.impl.roles.ticket.config import KmsServerConfig, PeerConfig
from mckm.impl.roles.ticket.endpoints import error_reply
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.loopback import BSF_DOMAIN, start_loopback
from mckm.impl.roles.ticket.protection import AES_CM_128
from mckm.impl.roles.ticket.server import build_kms, ntp_now
from mckm.impl.roles.ticket.ue_http import fetch_ticket, resolve_ticket
from mckm.impl.roles.ticket.wire import SPEC, TicketView, error_numbers
from mckm.impl.transport.https_ticket import make_domain_ca
from mckm.impl.transport.ticket_http import UPSTREAM_FAILED, HttpRefusal
from mckm.models.grammar.namespaces import ERROR_NO
from mckm.models.policy.ticket_policy import ReusableTicketStore
from tests.e2e.ticket_fixtures import ALICE, BOB, KMS_A, KMS_B, NOW, context, forwarded, link, world

INVALID_DT = int(ERROR_NO.value_of("Invalid DT"))
UNSPECIFIED = int(ERROR_NO.value_of("Unspecified error"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the responder's RESOLVE_RESP (RFC 6043 6.1; RFC 3830 6.12) ------------------------------

def test_a_responder_refuses_another_data_type_as_its_resolve_resp_with_invalid_dt() -> None:
    """RFC 6043 6.1 / seed 002 B.2.2.2 step 8: a responder waiting for its KMS's RESOLVE_RESP
    that gets another MIKEY data type (its own RESOLVE_INIT reflected, or a TRANSFER_INIT)
    refuses it with Invalid DT (11); its Error message (RFC 6043 5.4) carries 11 in ERR
    payloads whose reserved field is zero (RFC 3830 6.12: set to zero by the sender).  The
    genuine RESOLVE_RESP then still completes the transfer."""
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    ti = w.alice.receive_request_resp(
        kms.receive_request(w.alice.request_ticket(BOB, now=NOW), now=NOW), now=NOW)
    step = w.bob.receive_transfer_init(ti, now=NOW)
    for other in (step.octets, ti):
        with pytest.raises(PolicyError) as err:
            w.bob.receive_resolve_resp(other, now=NOW)
        assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 6.1", INVALID_DT)
        reply = error_reply(other, err.value, now=NOW)
        assert reply is not None and error_numbers(reply) == (INVALID_DT,)
        errs = decode(reply).all("ERR")
        assert [p.fields["reserved"] for p in errs] == [0]
    resolve_resp = kms.receive_resolve(step.octets, now=NOW)
    assert isinstance(resolve_resp, bytes)
    transfer_resp, keys = w.bob.receive_resolve_resp(resolve_resp, now=NOW)
    assert w.alice.receive_transfer_resp(transfer_resp, now=NOW) == keys


# -- the PRF a message names in its HDR (RFC 3830 4.1.2, 6.1) --------------------------------

def test_a_kms_checks_a_request_init_under_the_mikey_1_prf_its_hdr_names() -> None:
    """RFC 3830 4.1.2 / 6.1 (HDR PRF func; MIKEY-1 is value 0), RFC 6043 5.1.2: the keys that
    check a message's V are derived with the PRF its HDR names.  A REQUEST_INIT_PSK whose HDR
    names MIKEY-1 and whose MAC was made with MIKEY-1 keys from Ks_NAF is answered by the KMS;
    its REQUEST_RESP names MIKEY-1 too and verifies under MIKEY-1 keys of the same Ks_NAF."""
    w = world(bob_kms=KMS_A)
    ks_naf = context(ALICE).ue_ks_naf(naf_id(KMS_A))
    sent = TicketView.decode(w.alice.request_ticket(BOB, now=NOW), expect="REQUEST_INIT")
    values = {n: sent.get(n) for n in SPEC["REQUEST_INIT"].wire if n != "v"}
    hdr = {"csb_id": sent.message.hdr.fields["csb_id"], "prf_func": int(PrfFunc.MIKEY_1)}
    mikey_1 = wire.build("REQUEST_INIT", values, inkey=ks_naf, hdr=hdr)
    assert mikey_1.raw != sent.raw  # other keys, another MAC
    resp = w.kms[KMS_A].receive_request(mikey_1.raw, now=NOW)
    assert decode(resp).hdr.fields["prf_func"] == int(PrfFunc.MIKEY_1)
    answer = TicketView.decode(resp, answers=mikey_1, expect="REQUEST_RESP")
    answer.verify(ks_naf)  # raises unless its MAC is under MIKEY-1 keys


# -- KMS_R's answer from KMS_I over Zk (seed 002 B.2.2.3 steps 10-11) ------------------------

def test_kms_r_refuses_a_zk_answer_whose_kemac_names_an_encryption_it_has_no_key_for() -> None:
    """Seed 002 B.2.2.3 steps 10-11 / RFC 6043 4.2.3.5, 5.4 (predicate ZkKeys: the answer over
    Zk carries the keys in a clear KEMAC under the NULL MAC): a RESOLVE_RESP from KMS_I whose
    KEMAC says AES-CM-128 - a cipher no Zk key exists for - is refused by KMS_R's guard
    zk-keys-clear (REQ-TKT-20, MIKEY error 12, answered with an Error message), not a crash;
    KMS_I's genuine answer still completes the resolve."""
    w = world()
    fwd = forwarded(w)
    answer = w.kms[KMS_A].receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW)
    clear = decode(answer)
    body = [Payload("KEMAC", {**p.fields, "encr_alg": AES_CM_128}) if p.name == "KEMAC" else p
            for p in clear.payloads]
    claimed = bytes(encode(Message(clear.hdr, body)))
    with pytest.raises(PolicyError) as err:
        w.kms[KMS_B].complete(fwd, claimed, link(KMS_A, KMS_B), now=NOW)
    assert (getattr(err.value, "guard", None), err.value.requirement,
            err.value.mikey_error) == ("zk-keys-clear", "REQ-TKT-20", UNSPECIFIED)
    reply = error_reply(fwd.octets, err.value, now=NOW)
    assert reply is not None and error_numbers(reply) == (UNSPECIFIED,)
    resolve_resp = w.kms[KMS_B].complete(fwd, answer, link(KMS_A, KMS_B), now=NOW)
    transfer_resp, keys = w.bob.receive_resolve_resp(resolve_resp, now=NOW)
    assert w.alice.receive_transfer_resp(transfer_resp, now=NOW) == keys


# -- the responder's reusable-ticket store (RFC 6043 5.3) ------------------------------------

def test_the_stored_mpki_of_a_ticket_the_responder_never_stored_is_none() -> None:
    """RFC 6043 5.3 / predicate StoredMpki ("MPKi stored with the ticket in the store", the fact
    behind guard stored-mpki-mac): the responder's fact answers the MPKi kept with a reusable
    ticket it resolved, and no MPKi (None: the MAC check then fails) for a ticket its store does
    not hold or for something that is not a store - never an exception."""
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    ti = w.alice.receive_request_resp(kms.receive_request(
        w.alice.request_ticket(BOB, now=NOW, reusable=True), now=NOW), now=NOW)
    step = w.bob.receive_transfer_init(ti, now=NOW)
    resolve_resp = kms.receive_resolve(step.octets, now=NOW)
    assert isinstance(resolve_resp, bytes)
    _, keys = w.bob.receive_resolve_resp(resolve_resp, now=NOW)
    (ticket,) = w.bob.reusable.entries
    facts = w.bob.facts
    assert facts.stored_mpki(w.bob.reusable, ticket) == keys.mpki
    assert facts.stored_mpki(ReusableTicketStore(), ticket) is None
    assert facts.stored_mpki(None, ticket) is None


# -- a KMS process: its config's ports and its Zk hop (REQ-TKT-HTTP-11) ----------------------

def test_a_kms_config_zk_port_is_where_its_zk_endpoint_listens(tmp_path: Path) -> None:
    """``ticket kms-serve`` config (config.py: ``zk_port``; REQ-TKT-HTTP-11: Zk is its own
    mutual-TLS endpoint): a KMS with a peer serves Zk on the port its config names, so the
    peer configured with that address reaches it."""
    ca, peer_ca = make_domain_ca(KMS_A), make_domain_ca(KMS_B)
    identity = ca.issue("kms")
    files = {"kms.pem": identity.cert_pem, "kms.key": identity.key_pem, "ca.pem": ca.cert_pem,
             "peer.pem": peer_ca.cert_pem}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "kms.key").chmod(0o600)
    zk_port = _free_port()
    config = KmsServerConfig(KMS_A, str(tmp_path / "kms.pem"), str(tmp_path / "kms.key"),
                             str(tmp_path / "ca.pem"), "127.0.0.1:1", BSF_DOMAIN,
                             str(tmp_path / "ca.pem"),
                             peers=(PeerConfig(KMS_B, str(tmp_path / "peer.pem")),),
                             zk_port=zk_port)
    service = build_kms(config).start()
    try:
        assert service.ports["zk_port"] == zk_port
        with socket.create_connection(("127.0.0.1", zk_port), timeout=5):
            pass  # something listens there
    finally:
        service.stop()


def test_a_zk_hop_that_cannot_connect_is_a_502_naming_req_tkt_http_11() -> None:
    """REQ-TKT-HTTP-11 / TS 33.328 A.3: when KMS_R cannot connect to KMS_I's Zk endpoint
    (nothing listens), the responder's resolve is answered 502 with a text naming the failed
    Zk hop and the requirement it breaks - no MIKEY Error message."""
    with start_loopback({ALICE: KMS_A, BOB: KMS_B}) as lb:
        service = lb.kms[KMS_B]
        service.set_peer(replace(service.peers[KMS_A], zk=("127.0.0.1", _free_port())))
        alice, bob = lb.initiator(ALICE), lb.responder(BOB)
        with contextlib.closing(lb.ua_client(KMS_A)) as kms_a, \
                contextlib.closing(lb.ua_client(KMS_B)) as kms_b:
            transfer_init = fetch_ticket(alice, kms_a, BOB, now=ntp_now())
            with pytest.raises(HttpRefusal) as refused:
                resolve_ticket(bob, kms_b, transfer_init, now=ntp_now())
    assert (refused.value.status, refused.value.mikey_errors) == (UPSTREAM_FAILED, ())
    assert f"Zk to {KMS_A} failed".encode() in refused.value.body
    assert b"REQ-TKT-HTTP-11" in refused.value.body, refused.value.body
