"""MIKEY-TICKET (RFC 6043; TS 33.328 Annex A; seed 002 B.2.2), second sample of ``./dev mutate
ticket`` survivors: a Ticket Policy's TP Data is read as RFC 6043 6.10 defines it (TR times
in the unit of their TS type, absent bounds unbounded, unreadable TP Data Invalid TPpar), SIP
and MIKEY refusals name where they stopped, and two KMSs over HTTPS - KMS_R without a Zk
address for KMS_I, KMS_I refusing a message on Zk - answer MIKEY Error messages (TS 33.328
A.2, A.3).  Driven through the role end points and servers with real octets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from mckm.impl.codec import Payload, decode
from mckm.impl.codec.chains import encode_chain
from mckm.impl.errors import DecodeError, PolicyError
from mckm.impl.roles.bsf import BootstrapContext, Bsf
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.base_ticket import encode_payload, open_ticket, read_ticket_data
from mckm.impl.roles.ticket.endpoints import Initiator, Kms, Responder
from mckm.impl.roles.ticket.keys import prf_func_of, tpk_keys
from mckm.impl.roles.ticket.loopback import fresh_context
from mckm.impl.roles.ticket.policy_data import policy_of
from mckm.impl.roles.ticket.protection import compute_mac, mac_octets
from mckm.impl.roles.ticket.server import KmsService, ntp_now
from mckm.impl.roles.ticket.ue_http import fetch_ticket, resolve_ticket
from mckm.impl.roles.ticket.wire import MalformedMessage, error_numbers
from mckm.impl.roles.ticket.zk import ZkPeer, trust_of, zk_refusal
from mckm.impl.transport.https_ticket import DomainCa, DomainTrust, TicketHttpClient, make_domain_ca
from mckm.impl.transport.ticket_http import (
    UPSTREAM_FAILED,
    HttpRefusal,
    MikeyErrorAnswer,
    RequestType,
    response_message,
)
from mckm.models.grammar.namespaces import ERROR_NO, ID_ROLE, ID_TYPE, MAC_ALG, TS_ROLE, TS_TYPE
from mckm.models.policy.ticket_policy import UNBOUNDED_END, UNBOUNDED_START
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN
from tests.e2e.ticket_fixtures import ALICE, BOB, KMS_A, KMS_B, NOW, context

INVALID_TICKET = int(ERROR_NO.value_of("Invalid TICKET"))
INVALID_TPPAR = int(ERROR_NO.value_of("Invalid TPpar"))
REPLAY = int(ERROR_NO.value_of("Invalid TS"))  # a replay (RFC 3830 5.4, 6.12)
UNSPECIFIED = int(ERROR_NO.value_of("Unspecified error"))


# -- TP Data (RFC 6043 6.10) ------------------------------------------------------------------

def _idr(role: str, uri: str) -> Payload:
    return Payload("IDR", {"id_role": ID_ROLE.value_of(role), "id_type": ID_TYPE.value_of("URI"),
                           "id_data": uri.encode()})


def _tr(role: str, ts_type: str, value: int) -> Payload:
    return Payload("TR", {"ts_role": TS_ROLE.value_of(role), "ts_type": TS_TYPE.value_of(ts_type),
                          "ts_value": value})


def test_tp_data_times_keep_their_ts_type_and_absent_bounds_are_unbounded() -> None:
    """RFC 6043 6.10 / RFC 3830 6.6: a TR time is read in the unit of its TS type - an NTP
    value's seconds are its upper 32 bits, a COUNTER is taken as it is - and a TP Data without
    TRs bounds the ticket on neither side (TRS, TRE absent)."""
    kms = _idr("IDRkms", KMS_A)
    fields = {"j": 0, "tp_data": bytes(encode_chain([kms, _tr("TRs", "COUNTER", 1000),
                                                     _tr("TRe", "NTP-UTC", 5000 << 32)]))}
    policy = policy_of(fields, initiator=ALICE)
    assert (policy.trs, policy.tre) == (1000, 5000)
    open_ended = policy_of({"j": 0, "tp_data": bytes(encode_chain([kms]))}, initiator=ALICE)
    assert (open_ended.trs, open_ended.tre) == (UNBOUNDED_START, UNBOUNDED_END)
    assert open_ended.initiator == ALICE and open_ended.kms == KMS_A


def test_tp_data_that_does_not_parse_is_invalid_tppar_under_6_10() -> None:
    """RFC 6043 6.10 / 5.4: TP Data whose payload chain does not decode is Invalid TPpar
    (error 15), naming 6.10 and saying why."""
    good = bytes(encode_chain([_idr("IDRkms", KMS_A)]))
    with pytest.raises(PolicyError) as err:
        policy_of({"j": 0, "tp_data": good[:-3]})
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 6.10", INVALID_TPPAR)
    assert "TP Data does not parse" in str(err.value)



# -- the base ticket (RFC 6043 A.1) and the desired policy (RFC 6043 6.10, 4.2.1) -------------

TPK = bytes(range(32))


def _issued(kms: Kms) -> Payload:
    """The TICKET payload ``kms`` issues to Alice for Bob, from its REQUEST_RESP octets."""
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    ticket = decode(kms.receive_request(alice.request_ticket(BOB, now=NOW), now=NOW)).get("TICKET")
    assert ticket is not None
    return ticket


def _resealed(ticket: Payload, chain: list[Payload], thdr: bytes) -> Payload:
    """``ticket`` with Ticket Data THDR(thdr) + ``chain`` (last: V), V recomputed under TPK as
    RFC 6043 A.1 defines it (over the TICKET payload without Next Payload, Initiator Data
    length and Data, and the MAC)."""
    v = chain[-1]
    mac_alg = v.fields["auth_alg"]
    by = {p.name: p for p in chain}
    keys = tpk_keys(TPK, rand=by["RAND"].fields["rand"], encr_alg=by["KEMAC"].fields["encr_alg"],
                    mac_alg=mac_alg, prf_func=prf_func_of(ticket.fields["prf_func"]))

    def with_v(tag: bytes) -> Payload:
        body = bytes(encode_chain([*chain[:-1], Payload("V", {"auth_alg": mac_alg,
                                                              "ver_data": tag})]))
        data = body[:1] + len(thdr).to_bytes(2, "big") + thdr + body[1:]
        return Payload("TICKET", {**ticket.fields, "ticket_data": data})

    tag_len = mac_octets(mac_alg)
    octets = encode_payload(with_v(bytes(tag_len)))
    end = len(octets) - 2 - len(ticket.fields["initiator_data"]) - tag_len
    return with_v(compute_mac(mac_alg, keys.auth_key, octets[1:end]))


def test_a_base_ticket_whose_kemac_carries_a_mac_is_invalid_ticket_under_a1() -> None:
    """RFC 6043 A.1: the base ticket's KEMAC SHALL use the NULL MAC (V protects it); a ticket
    with a valid V whose KEMAC names a MAC is refused as Invalid TICKET (14) naming A.1."""
    kms, _ = _transfer_init()
    issued = _issued(kms)
    thdr, chain = read_ticket_data(issued.fields["ticket_data"])
    assert open_ticket(_resealed(issued, chain, thdr), lambda _id: TPK).mpk is not None
    hmac_alg = MAC_ALG.value_of("HMAC-SHA-256-256")
    macced = [Payload("KEMAC", {**p.fields, "mac_alg": hmac_alg,
                                "mac": bytes(mac_octets(hmac_alg))}) if p.name == "KEMAC" else p
              for p in chain]
    with pytest.raises(PolicyError) as err:
        open_ticket(_resealed(issued, macced, thdr), lambda _id: TPK)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 A.1", INVALID_TICKET)


def test_a_ticket_request_without_a_reusable_parameter_asks_for_a_one_time_ticket() -> None:
    """RFC 6043 6.10 (J flag) / 4.2.1: the ``reusable`` step parameter is optional; an
    initiator's REQUEST_INIT sent without it asks for a ticket that is not reusable (TP J=0),
    and the KMS issues one with J=0."""
    bsf = Bsf()
    bsf.provision(context(ALICE))
    kms = Kms(KMS_A, tpk=TPK, bsf=bsf)
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    machine = alice._machine(ONE_DOMAIN, "initiator",
                             {**alice._vars(), "peer": BOB, "mpki": None})
    with alice.facts.step(NOW):
        machine.send("REQUEST_INIT", now=NOW)
    raw = bytes(machine.vars["request_init"].raw)  # the octets sent (effects: request_init)
    request = decode(raw)
    tp = request.get("TP")
    assert tp is not None and tp.fields["j"] == 0
    assert policy_of(tp.fields).reusable == 0
    ticket = decode(kms.receive_request(raw, now=NOW)).get("TICKET")
    assert ticket is not None and ticket.fields["j"] == 0


# -- SIP carrier and undecodable MIKEY (RFC 6043 7, RFC 4567; RFC 3830 6.1) -------------------

def _transfer_init() -> tuple[Kms, bytes]:
    bsf = Bsf()
    for uri in (ALICE, BOB):
        bsf.provision(context(uri))
    kms = Kms(KMS_A, tpk=TPK, bsf=bsf)
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    ti = alice.receive_request_resp(kms.receive_request(alice.request_ticket(BOB, now=NOW),
                                                        now=NOW), now=NOW)
    return kms, ti


def test_sip_refusals_name_the_start_line_offset_and_the_mikey_data_type() -> None:
    """RFC 6043 7 / RFC 4567: a TRANSFER_INIT is looked for only in an INVITE (DecodeError at
    offset 0 of the SIP start line), an offer whose MIKEY HDR data type is not TRANSFER_INIT
    is a DecodeError at the HDR data type (offset 1, RFC 3830 6.1), and the 200 OK carrying
    the TRANSFER_RESP has the status line ``SIP/2.0 200 OK`` (RFC 3261 7.2)."""
    kms, ti = _transfer_init()
    bob = Responder(BOB, KMS_A, context(BOB))
    offer = sip.invite(ti, from_uri=ALICE, to_uri=BOB)
    request, carried = sip.transfer_init_of(offer)
    resolve = kms.receive_resolve(bob.receive_transfer_init(carried, now=NOW).octets, now=NOW)
    assert isinstance(resolve, bytes)
    tr, _ = bob.receive_resolve_resp(resolve, now=NOW)
    ok = sip.answer(request, tr)
    assert ok.split(b"\r\n", 1)[0] == b"SIP/2.0 200 OK"
    with pytest.raises(DecodeError) as not_invite:
        sip.transfer_init_of(ok)
    assert (not_invite.value.offset, not_invite.value.payload, not_invite.value.field) == (
        0, "SIP", "start-line")
    with pytest.raises(DecodeError) as wrong_type:
        sip.transfer_init_of(sip.invite(tr, from_uri=ALICE, to_uri=BOB))
    assert (wrong_type.value.offset, wrong_type.value.payload, wrong_type.value.field) == (
        1, "HDR", "data_type")


def test_malformed_mikey_names_where_it_stopped() -> None:
    """REQ-TKT-MSG-11 / RFC 6043 5.4: octets read as an Error message that do not decode are
    MalformedMessage naming the offset and payload where the decoder stopped."""
    _, ti = _transfer_init()
    cut = ti[:len(ti) // 2]
    with pytest.raises(DecodeError) as codec:
        decode(cut)
    with pytest.raises(MalformedMessage) as err:
        error_numbers(cut)
    assert (err.value.offset, err.value.payload) == (codec.value.offset, codec.value.payload)
    assert err.value.offset is not None


# -- two KMSs over HTTPS: Ua and Zk (TS 33.328 A.2, A.3; seed 002 B.2.2.3) --------------------

@dataclass
class Pair:
    cas: dict[str, DomainCa]
    a: KmsService  # KMS_I, with a Zk endpoint
    b: KmsService  # KMS_R, no Zk address for KMS_A yet
    contexts: dict[str, BootstrapContext]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """KMS_A and KMS_B, each trusting the other (ZkPeer with its CA), neither knowing where
    the other's Zk endpoint listens; one BSF the KMSs ask in process."""
    cas = {u: make_domain_ca(u) for u in (KMS_A, KMS_B)}
    now = ntp_now()
    contexts = {u: fresh_context(u, now) for u in (ALICE, BOB)}
    bsf = Bsf()
    for c in contexts.values():
        bsf.provision(c)
    services: list[KmsService] = []
    for me, other in ((KMS_A, KMS_B), (KMS_B, KMS_A)):
        peers = [ZkPeer(other, cas[other].cert_pem)]
        kms = Kms(me, tpk=bytes(32 * [len(services) + 1]), bsf=bsf, trust=trust_of(me, peers))
        services.append(KmsService(kms, cas[me].issue("kms"), peers=peers).start())
    try:
        yield Pair(cas, services[0], services[1], contexts)
    finally:
        for s in services:
            s.stop()


def _ua(pair: Pair, service: KmsService) -> TicketHttpClient:
    return TicketHttpClient(service.ua.host, service.ua.port,
                            ca_pem=pair.cas[service.kms.uri].cert_pem)


def test_kms_r_without_a_zk_address_and_kms_i_refusing_on_zk_answer_mikey_errors(
        pair: Pair) -> None:
    """TS 33.328 A.2 / A.3, REQ-TKT-16, REQ-TKT-HTTP-06: KMS_R asked to resolve KMS_I's ticket
    with no Zk address for KMS_I answers 200 OK with a MIKEY Error message, Invalid TICKET
    (14); KMS_I, sent on Zk (mutual TLS, KMS_R's certificate) a message it refuses, answers it
    with an Error message too (here the RESOLVE_INIT it answered, sent again: Invalid TS,
    RFC 3830 5.4), which KMS_R takes as KMS_I's refusal naming REQ-TKT-HTTP-06 and
    that MIKEY error; once KMS_R knows the Zk address the resolve completes and both UEs hold
    the same keys."""
    alice = Initiator(ALICE, KMS_A, pair.contexts[ALICE])
    bob = Responder(BOB, KMS_B, pair.contexts[BOB])
    with contextlib.closing(_ua(pair, pair.a)) as ua_a, \
            contextlib.closing(_ua(pair, pair.b)) as ua_b:
        transfer_init = fetch_ticket(alice, ua_a, BOB, now=ntp_now())
        step = bob.receive_transfer_init(transfer_init, now=ntp_now())
        with pytest.raises(MikeyErrorAnswer) as no_route:
            ua_b.send(RequestType.TICKET_RESOLVE, step.octets)
        assert (no_route.value.status, no_route.value.mikey_errors) == (200, (INVALID_TICKET,))
        with pytest.raises(PolicyError) as unknown:
            pair.b._clients(KMS_A)  # where KMS_R looks up KMS_I's Zk address
        assert (unknown.value.requirement, unknown.value.mikey_error,
                unknown.value.http_status) == ("REQ-TKT-16", INVALID_TICKET, UPSTREAM_FAILED)

        zk = pair.a.zk
        assert zk is not None
        with contextlib.closing(TicketHttpClient(
                zk.host, zk.port, trust=DomainTrust({KMS_A: pair.cas[KMS_A].cert_pem}),
                identity=pair.cas[KMS_B].issue("kms"), expect_domain=KMS_A)) as zk_b:
            first = zk_b.send(RequestType.TICKET_RESOLVE, step.octets)  # KMS_I answers it
            answer = zk_b.post(RequestType.TICKET_RESOLVE, step.octets)  # the same again
        assert decode(first).data_type_name == "RESOLVE_RESP"
        assert answer.status == 200
        with pytest.raises(HttpRefusal) as refused:
            response_message(answer.status, answer.content_type, answer.body)
        assert refused.value.mikey_errors == (REPLAY,)
        as_kms_r = zk_refusal(KMS_A, refused.value)
        assert (as_kms_r.requirement, as_kms_r.mikey_error) == (
            "REQ-TKT-HTTP-06", refused.value.mikey_errors[0])

        pair.b.set_peer(ZkPeer(KMS_A, pair.cas[KMS_A].cert_pem, (zk.host, zk.port)))
        bob = Responder(BOB, KMS_B, pair.contexts[BOB])
        transfer_init = fetch_ticket(alice, ua_a, BOB, now=ntp_now())
        transfer_resp, keys = resolve_ticket(bob, ua_b, transfer_init, now=ntp_now())
        assert alice.receive_transfer_resp(transfer_resp, now=ntp_now()) == keys
