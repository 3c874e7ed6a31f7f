"""MIKEY-TICKET (RFC 6043; RFC 3830; seed 002 B.2.2), third sample of ``./dev mutate ticket``
survivors: tickets and requested policies say "no forking" (6.10 I flag), a RAND of 255 octets
fits its 8-bit length and RANDRr enters the 5.1.3 label, AES-CM keeps to its 16-bit block
counter (RFC 3830 4.2.3), an Error message carries the current NTP-UTC time (5.4), and every
refusal - a late answer, a MAC where NULL is due on Zk, a base ticket that is not one - names
its clause, MIKEY error and offset.  Driven through the role end points with real octets."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import pytest

from mckm.impl.codec import Payload, decode, encode
from mckm.impl.codec.chains import encode_chain
from mckm.impl.crypto.mikey_prf import PrfFunc, TgkConstant
from mckm.impl.engine import StepRefused
from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.roles.bsf import Bsf
from mckm.impl.roles.ticket import base_ticket as B
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.endpoints import Forward, Initiator, Kms, Responder, error_reply
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.keys import FIXED_CSB_ID, prf_func_of, session_key, tpk_keys
from mckm.impl.roles.ticket.protection import (
    KemacKeys,
    encrypt_key_data,
    timestamp64,
)
from mckm.impl.roles.ticket.wire import MalformedMessage, TicketView, error_numbers
from mckm.models.grammar.namespaces import DATA_TYPE, ENCR_ALG, ERROR_NO, MAC_ALG, TS_TYPE
from tests.e2e.ticket_fixtures import ALICE, BOB, KMS_A, KMS_B, NOW, TRUST, context, link, world

TPK = hashlib.sha256(b"TPK of KMS A (survivors 3)").digest()
HMAC_256 = MAC_ALG.value_of("HMAC-SHA-256-256")
AES_CM_128 = ENCR_ALG.value_of("AES-CM-128")
AUTH_FAILURE = int(ERROR_NO.value_of("Auth failure"))
INVALID_TS = int(ERROR_NO.value_of("Invalid TS"))
INVALID_MAC = int(ERROR_NO.value_of("Invalid MAC"))
INVALID_TICKET = int(ERROR_NO.value_of("Invalid TICKET"))
UNSPECIFIED = int(ERROR_NO.value_of("Unspecified error"))


@dataclass
class Issued:
    kms: Kms
    alice: Initiator
    request: bytes
    response: bytes

    @property
    def ticket(self) -> Payload:
        ticket = decode(self.response).get("TICKET")
        assert ticket is not None
        return ticket


def _issue(rand: bytes | None = None) -> Issued:
    """KMS_A (TPK known here) issues Alice a ticket for Bob (RFC 6043 4.2.1)."""
    bsf = Bsf()
    for uri in (ALICE, BOB):
        bsf.provision(context(uri))
    kms = Kms(KMS_A, tpk=TPK, bsf=bsf, trust=TRUST)
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    params: dict[str, Any] = {} if rand is None else {"rand": rand}  # RANDRi (effects: _send)
    request = alice.request_ticket(BOB, now=NOW, **params)
    return Issued(kms, alice, request, kms.receive_request(request, now=NOW))


# -- the Ticket Policy flags and RAND lengths (RFC 6043 6.10, 5.1.2, 5.1.3) -------------------

def test_the_requested_policy_and_the_issued_ticket_say_no_forking() -> None:
    """RFC 6043 6.10: I = 1 means key forking SHALL be used; this runtime never forks (it sends
    no forked MPKr' / TGK'), so the TP of REQUEST_INIT and the TICKET issued both say I = 0."""
    issued = _issue()
    tp = decode(issued.request).get("TP")
    assert tp is not None and tp.fields["i"] == 0
    assert issued.ticket.fields["i"] == 0


def test_a_randri_of_255_octets_fits_its_8_bit_length_end_to_end() -> None:
    """RFC 3830 6.11 / RFC 6043 5.1.2: a RAND's length is one octet, so a RANDRi of 255 octets
    is valid; the KMS issues a ticket for it and the initiator checks the answer."""
    issued = _issue(rand=bytes(range(255)))
    randr = decode(issued.request).get("RANDR")
    assert randr is not None and len(randr.fields["rand"]) == 255
    transfer_init = issued.alice.receive_request_resp(issued.response, now=NOW)
    assert decode(transfer_init).data_type == DATA_TYPE.TRANSFER_INIT


def _ref_prf(inkey: bytes, label: bytes, out_octets: int) -> bytes:
    """RFC 3830 4.1.2 with HMAC-SHA-256 (RFC 6043 6.1), written afresh for a 32-octet inkey."""
    a, out = label, b""
    while len(out) < out_octets:
        a = hmac.new(inkey, a, hashlib.sha256).digest()
        out += hmac.new(inkey, a + label, hashlib.sha256).digest()
    return out[:out_octets]


def test_a_session_key_with_the_g_flag_covers_randrr_in_the_5_1_3_label() -> None:
    """RFC 6043 5.1.3: label = constant || CS ID || 0xFFFFFFFF || 0x03 || len8(RANDRi) ||
    RANDRi || len8(RANDRr) || RANDRr; with G set RANDRr (here 255 octets, the 8-bit maximum)
    enters the label, so a TEK from another RANDRr differs."""
    tgk, randri, randrr = bytes(range(32)), bytes(range(16)), bytes(range(1, 256))
    label = (int(TgkConstant.TEK).to_bytes(4, "big") + b"\x01" + b"\xff" * 4 + b"\x03"
             + bytes([len(randri)]) + randri + bytes([len(randrr)]) + randrr)
    tek = session_key(tgk, TgkConstant.TEK, cs_id=1, randri=randri, randrr=randrr,
                      outkey_octets=16, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert tek == _ref_prf(tgk, label, 16)
    only_r = session_key(tgk, TgkConstant.TEK, cs_id=1, randri=None, randrr=randrr,
                         outkey_octets=16, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert only_r != tek


# -- AES-CM (RFC 3830 4.2.3) -------------------------------------------------------------------

def test_aes_cm_encrypts_at_most_2_16_blocks_under_one_iv() -> None:
    """RFC 3830 4.2.3: the AES-CM block counter is 16 bits, so one IV covers 2**16 blocks;
    beyond that the counter would run into the IV's T and CSB ID octets (key stream reuse), so
    a longer input is refused."""
    keys = KemacKeys(bytes(16), bytes(14))
    t64 = timestamp64(TS_TYPE.NTP_UTC, NOW << 32)
    limit = 16 << 16
    cipher = encrypt_key_data(AES_CM_128, keys, csb_id=1, t64=t64, plaintext=bytes(limit))
    assert len(cipher) == limit
    with pytest.raises(UsageError):
        encrypt_key_data(AES_CM_128, keys, csb_id=1, t64=t64, plaintext=bytes(limit + 1))


def test_a_timestamp_type_outside_the_name_space_is_invalid_ts_under_6_6() -> None:
    """RFC 3830 6.6 / 6.12: a TS type the name space does not define has no width; it is
    refused as Invalid TS (error 1) naming 6.6."""
    unknown = max(int(t) for t in TS_TYPE.sizes()) + 1
    with pytest.raises(PolicyError) as err:
        timestamp64(unknown, 0)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 3830 6.6", INVALID_TS)


# -- the Error message (RFC 6043 5.4) and refusals on Ua --------------------------------------

def test_the_error_message_answering_a_replay_carries_the_current_ntp_utc_time() -> None:
    """RFC 6043 5.4: Error = HDR, T, ERR; T is the sender's current time, NTP-UTC (seconds in
    the upper 32 bits, RFC 3830 6.6).  A KMS sent the same REQUEST_INIT twice refuses it (a
    replay, Invalid TS) and answers with that time."""
    issued = _issue()
    with pytest.raises(StepRefused) as err:
        issued.kms.receive_request(issued.request, now=NOW + 5)
    reply = error_reply(issued.request, err.value, now=NOW + 5)
    assert reply is not None and error_numbers(reply) == (INVALID_TS,)
    t = decode(reply).get("T")
    assert t is not None and t.fields["ts_type"] == TS_TYPE.NTP_UTC
    assert (t.fields["ts_value"] >> 32, t.fields["ts_value"] & 0xFFFFFFFF) == (NOW + 5, 0)


def test_error_numbers_of_another_message_name_the_hdr_data_type_octet() -> None:
    """RFC 3830 6.1 / RFC 6043 5.4: octets read as an Error message that hold another data type
    are MalformedMessage (error 12) naming the HDR data type field at its offset."""
    request = _issue().request
    with pytest.raises(MalformedMessage) as err:
        error_numbers(request)
    assert (err.value.payload, err.value.field, err.value.mikey_error) == (
        "HDR", "data_type", UNSPECIFIED)
    assert err.value.offset is not None
    assert request[err.value.offset] == DATA_TYPE.REQUEST_INIT_PSK


def test_a_late_answer_to_an_earlier_request_is_refused_under_5_4() -> None:
    """RFC 6043 4.2.1.5 / 5.4: a REQUEST_RESP copies the HDR of the request it answers; once
    the initiator has sent a new request, the answer to the earlier one is refused, naming 5.4
    and Unspecified error (12)."""
    issued = _issue()
    newer = issued.alice.request_ticket(BOB, now=NOW)
    with pytest.raises(StepRefused):
        issued.alice.receive_request_resp(issued.response, now=NOW)
    view = TicketView.decode(issued.response, expect="REQUEST_RESP",
                             answers=TicketView.decode(newer, expect="REQUEST_INIT"))
    with pytest.raises(PolicyError) as err:
        view.verify(context(ALICE).ue_ks_naf(naf_id(KMS_A)))
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 5.4", UNSPECIFIED)


# -- SIP carrier (RFC 6043 7, RFC 4567) --------------------------------------------------------

def test_a_truncated_transfer_init_in_sip_is_refused_where_it_stops_not_by_its_type() -> None:
    """RFC 4567 / RFC 3830 6.1: an INVITE whose key-mgmt MIKEY is only a HDR's version and
    data type (TRANSFER_INIT) is the right carrier; the responder refuses the MIKEY octets as
    malformed (error 12) where they end, not as another data type."""
    carried_in = bytes([1, DATA_TYPE.TRANSFER_INIT])
    _, carried = sip.transfer_init_of(sip.invite(carried_in, from_uri=ALICE, to_uri=BOB))
    assert carried == carried_in
    with pytest.raises(MalformedMessage) as err:
        Responder(BOB, KMS_A, context(BOB)).receive_transfer_init(carried, now=NOW)
    assert (err.value.offset, err.value.payload) == (len(carried), "HDR")
    assert err.value.field != "data_type"


# -- Zk: KMS_I's answer to KMS_R (seed 002 B.2.2.3 step 10; REQ-TKT-MSG-12) -------------------

def test_kms_r_refuses_a_zk_answer_with_a_mac_in_v_or_in_the_kemac() -> None:
    """REQ-TKT-MSG-12 / RFC 6043 4.2.1.5: on Zk KMS_I's RESOLVE_RESP carries the NULL MAC in V
    and in the KEMAC.  KMS_R refuses an answer with a real MAC in V (Invalid MAC, error 3) or
    in the KEMAC (the MAC belongs in V: Unspecified error), and completes with the untouched
    answer."""
    w = world()
    alice, bob = w.alice, w.bob
    transfer_init = alice.receive_request_resp(
        w.kms[KMS_A].receive_request(alice.request_ticket(BOB, now=NOW), now=NOW), now=NOW)
    fwd = w.kms[KMS_B].receive_resolve(bob.receive_transfer_init(transfer_init, now=NOW).octets,
                                       now=NOW)
    assert isinstance(fwd, Forward)
    answer = w.kms[KMS_A].receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW)

    def tampered(name: str, **fields: object) -> bytes:
        message = decode(answer)
        payload = message.get(name)
        assert payload is not None
        payload.fields.update(fields)
        return bytes(encode(message))

    cases = ((tampered("V", auth_alg=HMAC_256, ver_data=bytes(32)), "REQ-TKT-MSG-12", INVALID_MAC),
             (tampered("KEMAC", mac_alg=HMAC_256, mac=bytes(32)), "RFC 6043 4.2.1.5", UNSPECIFIED))
    for raw, requirement, number in cases:
        with pytest.raises(StepRefused):
            w.kms[KMS_B].complete(fwd, raw, link(KMS_A, KMS_B), now=NOW)
        view = TicketView.decode(raw, zk=link(KMS_A, KMS_B), expect="RESOLVE_RESP_ZK",
                                 answers=fwd.machine.vars["zk_request"])
        with pytest.raises(PolicyError) as err:
            view.verify(None)
        assert (err.value.requirement, err.value.mikey_error) == (requirement, number)
    resolved = w.kms[KMS_B].complete(fwd, answer, link(KMS_A, KMS_B), now=NOW)
    assert decode(resolved).data_type == DATA_TYPE.RESOLVE_RESP


# -- the base ticket (RFC 6043 6.10, Appendix A) -----------------------------------------------

def _sealed(ticket: Payload, thdr: bytes, chain: list[Payload]) -> Payload:
    """``ticket`` with Ticket Data THDR(thdr) + ``chain`` (last: V), V recomputed under TPK as
    RFC 6043 A.1 defines it: HMAC-SHA-256 over the TICKET payload without its Next Payload,
    Initiator Data length and Data, and the MAC; auth_key from the TPK (A.2.1)."""
    by = {p.name: p for p in chain}
    keys = tpk_keys(TPK, rand=by["RAND"].fields["rand"], encr_alg=by["KEMAC"].fields["encr_alg"],
                    mac_alg=HMAC_256, prf_func=prf_func_of(ticket.fields["prf_func"]))
    assert keys.auth_key is not None

    def with_tag(tag: bytes) -> Payload:
        body = bytes(encode_chain([*chain[:-1], Payload("V", {"auth_alg": HMAC_256,
                                                              "ver_data": tag})]))
        data = body[:1] + len(thdr).to_bytes(2, "big") + thdr + body[1:]
        return Payload("TICKET", {**ticket.fields, "ticket_data": data})

    octets = B.encode_payload(with_tag(bytes(32)))
    end = len(octets) - 2 - len(ticket.fields["initiator_data"]) - 32
    return with_tag(hmac.new(keys.auth_key, octets[1:end], hashlib.sha256).digest())


def test_a_ticket_of_another_type_or_with_v_not_last_is_invalid_ticket() -> None:
    """RFC 6043 6.10: only Ticket Type 1, subtype 1, version 1 is the MIKEY base ticket; A.1:
    V is the last Ticket Data payload.  Either is Invalid TICKET (14) naming its clause."""
    issued = _issue().ticket
    assert B.open_ticket(issued, lambda _id: TPK).mpk is not None
    other = Payload("TICKET", {**issued.fields, "subtype": 2})
    with pytest.raises(PolicyError) as err:
        B.open_ticket(other, lambda _id: TPK)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 6.10, Appendix A",
                                                              INVALID_TICKET)
    thdr, chain = B.read_ticket_data(issued.fields["ticket_data"])
    psk = Payload("IDR", {"id_role": B.IDR_PSK, "id_type": B.BYTE_STRING, "id_data": b"tpk-1"})
    body = bytes(encode_chain([*chain, psk]))
    v_not_last = Payload("TICKET", {**issued.fields, "ticket_data": body[:1] + len(thdr).to_bytes(
        2, "big") + thdr + body[1:]})
    with pytest.raises(PolicyError) as err:
        B.open_ticket(v_not_last, lambda _id: TPK)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 A.1", INVALID_TICKET)


def test_a_kemac_that_does_not_decrypt_to_key_data_is_auth_failure_under_a1() -> None:
    """RFC 6043 A.1: a ticket whose V verifies but whose KEMAC does not hold key data cannot be
    used: VerifyError, Auth failure (0), naming A.1."""
    issued = _issue().ticket
    thdr, chain = B.read_ticket_data(issued.fields["ticket_data"])
    by = {p.name: p for p in chain}
    kemac, t = by["KEMAC"], by["T"]
    keys = tpk_keys(TPK, rand=by["RAND"].fields["rand"], encr_alg=kemac.fields["encr_alg"],
                    mac_alg=HMAC_256, prf_func=prf_func_of(issued.fields["prf_func"]))
    garbage = encrypt_key_data(kemac.fields["encr_alg"], keys.kemac, csb_id=FIXED_CSB_ID,
                               t64=timestamp64(t.fields["ts_type"], t.fields["ts_value"]),
                               plaintext=b"\xff" * len(kemac.fields["encr_data"]))
    broken = [Payload("KEMAC", {**p.fields, "encr_data": garbage}) if p.name == "KEMAC" else p
              for p in chain]
    assert B.open_ticket(_sealed(issued, thdr, chain), lambda _id: TPK).mpk is not None
    with pytest.raises(VerifyError) as err:
        B.open_ticket(_sealed(issued, thdr, broken), lambda _id: TPK)
    assert (err.value.clause, err.value.mikey_error) == ("RFC 6043 A.1", AUTH_FAILURE)


def test_ticket_data_shorter_than_thdr_is_refused_at_its_first_octet() -> None:
    """RFC 6043 A.1 / A.3: Ticket Data begins with THDR (Next Payload, 16-bit THDR Data
    length); Ticket Data too short for that is a DecodeError at THDR's first octet (offset 0),
    and a ticket carrying it is Invalid TICKET (14)."""
    issued = _issue().ticket
    for short in (b"", bytes(issued.fields["ticket_data"])[:2]):
        with pytest.raises(DecodeError) as err:
            B.read_ticket_data(short)
        assert (err.value.offset, err.value.payload) == (0, "THDR")
        with pytest.raises(PolicyError) as refused:
            B.open_ticket(Payload("TICKET", {**issued.fields, "ticket_data": short}),
                          lambda _id: TPK)
        assert refused.value.mikey_error == INVALID_TICKET

