"""MIKEY-TICKET (RFC 6043; TS 33.328 Annex A; seed 002 B.2.2) keeps its contract where the
happy path would not show it: the base ticket's V is the MAC RFC 6043 A.1 defines (another
implementation must verify it), unexpected Ticket Data payloads are ignored, refusals name
their clause and MIKEY error (a reflected KMS_I answer on Zk is error 11, a NULL MAC on Ua is
REQ-TKT-MSG-12), undecodable octets name their offset, and a KMS built from its configuration
files - one process or replicas sharing a TPK and a replay store (REQ-TKT-11) - serves over
HTTPS with one Zn round trip per B-TID (TS 33.220 4.5.3).  Survivors of ``./dev mutate
ticket``, driven through the role end points with real octets."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from mckm.impl.codec import Payload, decode, encode
from mckm.impl.codec.chains import encode_chain
from mckm.impl.crypto.mikey_prf import MessageKeyConstant, PrfFunc, prf
from mckm.impl.errors import DecodeError, PolicyError
from mckm.impl.roles.bsf import BootstrapContext, Bsf, NafKeyAnswer
from mckm.impl.roles.ticket import base_ticket as B
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.config import (
    BsfServerConfig,
    KmsServerConfig,
    PeerConfig,
    contexts_to_json,
    write_private,
)
from mckm.impl.roles.ticket.endpoints import Forward, Initiator, Kms, Responder, error_reply
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.keys import prf_func_of, tpk_keys, tpk_label
from mckm.impl.roles.ticket.loopback import BSF_DOMAIN, fresh_context
from mckm.impl.roles.ticket.protection import mac_octets
from mckm.impl.roles.ticket.server import KmsService, build_kms, kms_replica, ntp_now
from mckm.impl.roles.ticket.ue_http import fetch_ticket, keys_fingerprint, resolve_ticket
from mckm.impl.roles.ticket.wire import (
    MalformedMessage,
    PayloadBlob,
    TicketView,
    error_numbers,
)
from mckm.impl.roles.ticket.zn import RemoteBsf
from mckm.impl.transport.https_bsf import bsf_endpoint
from mckm.impl.transport.https_ticket import (
    DomainCa,
    DomainTrust,
    TicketHttpClient,
    make_domain_ca,
)
from mckm.impl.transport.ticket_http import MikeyErrorAnswer, RequestType
from mckm.models.grammar.namespaces import ERROR_NO, ID_ROLE, ID_TYPE, MAC_ALG
from tests.e2e.processes import ready, spawn
from tests.e2e.ticket_fixtures import (
    ALICE,
    BOB,
    KMS_A,
    KMS_B,
    NOW,
    TRUST,
    context,
    link,
)

TPK_A = hashlib.sha256(b"TPK of KMS A (test)").digest()
INVALID_TICKET = int(ERROR_NO.value_of("Invalid TICKET"))
INVALID_DT = int(ERROR_NO.value_of("Invalid DT"))
INVALID_MAC = int(ERROR_NO.value_of("Invalid MAC"))
INVALID_TPPAR = int(ERROR_NO.value_of("Invalid TPpar"))
REPLAY = int(ERROR_NO.value_of("Invalid TS"))  # a replay (RFC 3830 5.4, 6.12)
UNSPECIFIED = int(ERROR_NO.value_of("Unspecified error"))


# -- in memory: the role end points with a known TPK ------------------------------------------

@dataclass
class Two:
    """KMS_A (TPK known to the test) and KMS_B, Alice at A, Bob at B (TWO_DOMAINS)."""

    kms: dict[str, Kms]


def _two() -> Two:
    bsf = Bsf()
    for uri in (ALICE, BOB):
        bsf.provision(context(uri))
    return Two({KMS_A: Kms(KMS_A, tpk=TPK_A, bsf=bsf, trust=TRUST),
                KMS_B: Kms(KMS_B, tpk=hashlib.sha256(b"TPK B").digest(), bsf=bsf,
                           trust=TRUST)})


def _issued_ticket(w: Two) -> Payload:
    """The TICKET payload KMS_A issues to Alice for Bob (RFC 6043 4.2.1), from its octets."""
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    resp = w.kms[KMS_A].receive_request(alice.request_ticket(BOB, now=NOW), now=NOW)
    ticket = decode(resp).get("TICKET")
    assert ticket is not None
    return ticket


def _a1_tag(ticket: Payload, tpk: bytes, rand: bytes, mac_alg: int, encr_alg: int) -> bytes:
    """RFC 6043 A.1, computed here: the MAC under the TPK's auth_key (A.2.1) over the TICKET
    payload without its Next Payload, Initiator Data length and Data, and the MAC itself."""
    auth_key = tpk_keys(tpk, rand=rand, encr_alg=encr_alg, mac_alg=mac_alg,
                        prf_func=prf_func_of(ticket.fields["prf_func"])).auth_key
    assert auth_key is not None
    octets = B.encode_payload(ticket)
    tag_len = mac_octets(mac_alg)
    # the Initiator Data length field is 16 bits (RFC 6043 6.10)
    end = len(octets) - 2 - len(ticket.fields["initiator_data"]) - tag_len
    hash_name = {MAC_ALG.value_of("HMAC-SHA-256-256"): "sha256",
                 MAC_ALG.value_of("HMAC-SHA-1-160"): "sha1"}[mac_alg]
    return hmac.new(auth_key, octets[1:end], hash_name).digest()[:tag_len]


def _with_ticket_data(ticket: Payload, thdr: bytes, chain: list[Payload]) -> Payload:
    """``ticket`` with Ticket Data THDR(thdr), ``chain`` (A.1: THDR's Next Payload is the
    chain's first payload)."""
    body = bytes(encode_chain(chain))
    data = body[:1] + len(thdr).to_bytes(2, "big") + thdr + body[1:]
    return Payload("TICKET", {**ticket.fields, "ticket_data": data})


def test_an_issued_ticket_carries_the_v_of_rfc_6043_a1() -> None:
    """RFC 6043 A.1: the base ticket's V covers the TICKET payload except its Next Payload, the
    Initiator Data fields and the MAC - recomputed here from the KMS's TPK, as the KMS_I of
    another implementation would, so a ticket MACed over other octets is refused there."""
    ticket = _issued_ticket(_two())
    _, chain = B.read_ticket_data(ticket.fields["ticket_data"])
    by = {p.name: p for p in chain}
    v = by["V"]
    expected = _a1_tag(ticket, TPK_A, by["RAND"].fields["rand"], v.fields["auth_alg"],
                       by["KEMAC"].fields["encr_alg"])
    assert v.fields["ver_data"] == expected


def test_an_unexpected_ticket_data_payload_is_ignored_and_idrpsk_is_not_unexpected() -> None:
    """RFC 6043 A.1: Ticket Data = THDR, T, RAND, KEMAC, [IDRpsk], V; a payload outside that
    (here an IDRi) is ignored - the ticket opens to the same keys - and reported in
    ``TicketContents.extra``; the IDRpsk naming the TPK is not."""
    w = _two()
    issued = _issued_ticket(w)
    thdr, chain = B.read_ticket_data(issued.fields["ticket_data"])
    by = {p.name: p for p in chain}
    opened = B.open_ticket(issued, lambda _id: TPK_A)
    odd = Payload("IDR", {"id_role": ID_ROLE.value_of("IDRi"), "id_type": ID_TYPE.value_of("URI"),
                          "id_data": b"sip:mallory@a.example"})
    psk = Payload("IDR", {"id_role": ID_ROLE.value_of("IDRpsk"),
                          "id_type": ID_TYPE.value_of("byte string"), "id_data": b"tpk-1"})
    mac_alg, encr_alg = by["V"].fields["auth_alg"], by["KEMAC"].fields["encr_alg"]
    head = [p for p in chain if p.name != "V"]
    for inserted, want_extra in (([odd], (odd,)), ([psk], ()), ([psk, odd], (odd,))):
        blank = Payload("V", {"auth_alg": mac_alg, "ver_data": bytes(mac_octets(mac_alg))})
        draft = _with_ticket_data(issued, thdr, [*head, *inserted, blank])
        tag = _a1_tag(draft, TPK_A, by["RAND"].fields["rand"], mac_alg, encr_alg)
        ticket = _with_ticket_data(issued, thdr, [*head, *inserted, Payload(
            "V", {"auth_alg": mac_alg, "ver_data": tag})])
        contents = B.open_ticket(ticket, lambda _id: TPK_A)
        assert (contents.mpk, contents.session_keys) == (opened.mpk, opened.session_keys)
        assert contents.extra == want_extra
        assert contents.tpk_id == (b"tpk-1" if psk in inserted else None)


def test_ticket_data_that_does_not_parse_names_a1_and_the_thdr_length_offset() -> None:
    """RFC 6043 A.1 / A.3: a THDR Data length beyond the Ticket Data is a DecodeError at the
    THDR Data length field (offset 1, after THDR's Next Payload); a ticket carrying it is
    refused as Invalid TICKET (error 14) under A.1."""
    issued = _issued_ticket(_two())
    data = bytes(issued.fields["ticket_data"])
    bad = data[:1] + (len(data)).to_bytes(2, "big") + data[3:]
    with pytest.raises(DecodeError) as err:
        B.read_ticket_data(bad)
    assert (err.value.offset, err.value.payload, err.value.field) == (1, "THDR",
                                                                      "thdr_data_length")
    with pytest.raises(PolicyError) as refused:
        B.open_ticket(Payload("TICKET", {**issued.fields, "ticket_data": bad}),
                      lambda _id: TPK_A)
    assert (refused.value.requirement, refused.value.mikey_error) == ("RFC 6043 A.1",
                                                                      INVALID_TICKET)


def test_a_mac_algorithm_outside_the_name_space_is_invalid_mac() -> None:
    """RFC 3830 6.2 / 6.12: a MAC algorithm number the name space does not define has no tag
    length; it is refused as Invalid MAC (error 3) naming the clause."""
    unknown = max(int(v) for v in MAC_ALG.sizes()) + 1
    with pytest.raises(PolicyError) as err:
        mac_octets(unknown)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 3830 6.2", INVALID_MAC)


def test_a_null_mac_on_ua_is_refused_by_req_tkt_msg_12() -> None:
    """REQ-TKT-MSG-12 (spec/mikey-ticket-messages.md): on Ua a V with the NULL MAC is refused
    (Invalid MAC, error 3) - only Zk messages carry it."""
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    message = decode(alice.request_ticket(BOB, now=NOW))
    v = message.get("V")
    assert v is not None
    v.fields.update(auth_alg=MAC_ALG.value_of("NULL"), ver_data=b"")
    view = TicketView.decode(bytes(encode(message)), expect="REQUEST_INIT")
    with pytest.raises(PolicyError) as err:
        view.verify(context(ALICE).ue_ks_naf(naf_id(KMS_A)))
    assert (err.value.requirement, err.value.mikey_error) == ("REQ-TKT-MSG-12", INVALID_MAC)


def test_a_tp_data_naming_no_kms_is_invalid_tppar_under_6_10() -> None:
    """RFC 6043 6.10 / Table 6.14: a Ticket Policy whose TP Data has no IDRkms is unreadable:
    Invalid TPpar (error 15) naming 6.10."""
    ticket = _issued_ticket(_two())
    no_kms = bytes(encode_chain([Payload("IDR", {"id_role": ID_ROLE.value_of("IDRi"),
                                                 "id_type": ID_TYPE.value_of("URI"),
                                                 "id_data": ALICE.encode()})]))
    blob = PayloadBlob.of(Payload("TICKET", {**ticket.fields, "tp_data": no_kms}))
    with pytest.raises(PolicyError) as err:
        _ = blob.policy
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 6.10", INVALID_TPPAR)


def test_kms_i_answers_its_own_reflected_resolve_resp_with_invalid_dt() -> None:
    """RFC 6043 6.1 / 10, seed 002 B.2.2.3: over Zk KMS_I takes only a RESOLVE_INIT; its own
    RESOLVE_RESP sent back to it is another data type - PolicyError 11 (Invalid DT), and the
    Error message it answers carries 11."""
    w = _two()
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    bob = Responder(BOB, KMS_B, context(BOB))
    ti = alice.receive_request_resp(
        w.kms[KMS_A].receive_request(alice.request_ticket(BOB, now=NOW), now=NOW), now=NOW)
    fwd = w.kms[KMS_B].receive_resolve(bob.receive_transfer_init(ti, now=NOW).octets, now=NOW)
    assert isinstance(fwd, Forward)
    answer = w.kms[KMS_A].receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW)
    with pytest.raises(PolicyError) as err:
        w.kms[KMS_A].receive_zk_resolve(answer, link(KMS_B, KMS_A), now=NOW)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 6.1", INVALID_DT)
    reply = error_reply(answer, err.value, now=NOW)
    assert reply is not None and error_numbers(reply) == (INVALID_DT,)


def test_octets_that_do_not_decode_name_the_offset_the_codec_found() -> None:
    """REQ-TKT-MSG-11 / RFC 6043 5.4: bytes that do not decode are MalformedMessage (error 12)
    naming where the decoder stopped (a DecodeError names the offset, payload and field)."""
    raw = Initiator(ALICE, KMS_A, context(ALICE)).request_ticket(BOB, now=NOW)
    cut = raw[:len(raw) // 2]
    with pytest.raises(DecodeError) as codec:
        decode(cut)
    with pytest.raises(MalformedMessage) as err:
        _two().kms[KMS_A].receive_request(cut, now=NOW)
    assert err.value.mikey_error == UNSPECIFIED
    assert err.value.offset is not None
    assert (err.value.offset, err.value.payload, err.value.field) == (
        codec.value.offset, codec.value.payload, codec.value.field)


# -- over HTTPS: KMSs built from their configuration files ------------------------------------

class CountingBsf(Bsf):
    """The BSF's own count of the Zn lookups it served, per NAF_Id."""

    def __init__(self) -> None:
        super().__init__()
        self.served: dict[bytes, int] = {}
        self._count_lock = threading.Lock()

    def lookup(self, b_tid: str, naf_id: bytes, *, now: float) -> NafKeyAnswer:
        with self._count_lock:
            self.served[bytes(naf_id)] = self.served.get(bytes(naf_id), 0) + 1
        return super().lookup(b_tid, naf_id, now=now)


def _pem(d: Path, name: str, data: bytes) -> str:
    path = d / name
    path.write_bytes(data)
    return str(path)


def _config(d: Path, ca: DomainCa, bsf_ca: DomainCa, bsf_at: str,
            peers: tuple[PeerConfig, ...], *, tpk_file: str | None = None,
            db: str | None = None, processes: int = 1) -> KmsServerConfig:
    identity = ca.issue("kms")
    return KmsServerConfig(
        uri=ca.domain, cert_file=_pem(d, f"{ca.domain}.pem", identity.cert_pem),
        key_file=str(write_private(d / f"{ca.domain}.key", identity.key_pem, "a TLS key")),
        ca_file=_pem(d, f"{ca.domain}.ca.pem", ca.cert_pem), bsf=bsf_at, bsf_domain=BSF_DOMAIN,
        bsf_ca_file=_pem(d, "bsf.ca.pem", bsf_ca.cert_pem), peers=peers, tpk_file=tpk_file,
        db=db, processes=processes)


@dataclass
class Net:
    cas: dict[str, DomainCa]
    bsf: CountingBsf
    replicas: tuple[KmsService, KmsService]  # KMS_A
    kms_b: KmsService
    contexts: dict[str, BootstrapContext]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """KMS_A as two replicas (``kms_replica``: one TPK file, one replay store) and KMS_B
    (``build_kms``, Zk peer KMS_A), each from its configuration files, and a BSF over Zn."""
    d = tmp_path_factory.mktemp("ticket-configs")
    cas = {u: make_domain_ca(u) for u in (KMS_A, KMS_B, BSF_DOMAIN)}
    now = ntp_now()
    contexts = {u: fresh_context(u, now) for u in (ALICE, BOB, "sip:bob@a.example")}
    bsf = CountingBsf()
    for c in contexts.values():
        bsf.provision(c)
    zn = bsf_endpoint(bsf, cas[BSF_DOMAIN].issue("bsf"),
                      DomainTrust.of(cas[KMS_A], cas[KMS_B]),
                      clock=lambda: float(ntp_now())).start()
    started: list[KmsService] = []
    try:
        bsf_at = f"{zn.host}:{zn.port}"
        a_config = _config(d, cas[KMS_A], cas[BSF_DOMAIN], bsf_at, (PeerConfig(
            KMS_B, _pem(d, "b-peer.ca.pem", cas[KMS_B].cert_pem)),),
            tpk_file=str(write_private(d / "a.tpk", TPK_A, "a TPK")),
            db=str(d / "a-replay.db"), processes=2)
        for _ in range(2):
            started.append(kms_replica(a_config, "127.0.0.1", 0, 0).start())
        zk_a = started[0].zk
        assert zk_a is not None
        b_config = _config(d, cas[KMS_B], cas[BSF_DOMAIN], bsf_at, (PeerConfig(
            KMS_A, _pem(d, "a-peer.ca.pem", cas[KMS_A].cert_pem), f"{zk_a.host}:{zk_a.port}"),))
        started.append(build_kms(b_config).start())
        yield Net(cas, bsf, (started[0], started[1]), started[2], dict(contexts))
    finally:
        for service in started:
            service.stop()
        zn.stop()


def _client(net: Net, service: KmsService, kms_uri: str) -> TicketHttpClient:
    return TicketHttpClient(service.ua.host, service.ua.port, ca_pem=net.cas[kms_uri].cert_pem)


def test_replicas_built_from_one_config_share_the_tpk_and_the_replay_store(net: Net) -> None:
    """A KMS's replicas (config ``processes``, ``tpk_file``, ``db``): a ticket one replica
    issued resolves at another (one TPK, RFC 6043 A), and the RESOLVE_INIT one accepted is a
    replay (Invalid TS, error 1) at the other (REQ-TKT-11, RFC 3830 5.4)."""
    bob_a = "sip:bob@a.example"
    alice = Initiator(ALICE, KMS_A, net.contexts[ALICE])
    bob = Responder(bob_a, KMS_A, net.contexts[bob_a])
    one, two = net.replicas
    with contextlib.closing(_client(net, one, KMS_A)) as c1, \
            contextlib.closing(_client(net, two, KMS_A)) as c2:
        now = ntp_now()
        transfer_init = fetch_ticket(alice, c1, bob_a, now=now)
        step = bob.receive_transfer_init(transfer_init, now=now)
        resolve_resp = c2.send(RequestType.TICKET_RESOLVE, step.octets)
        _, keys = bob.receive_resolve_resp(resolve_resp, now=now)
        with pytest.raises(MikeyErrorAnswer) as replay:
            c1.send(RequestType.TICKET_RESOLVE, step.octets)
    assert replay.value.mikey_errors == (REPLAY,)
    assert keys.tgk.reveal()


def test_two_kms_domains_from_config_files_resolve_over_zk_with_one_zn_trip_per_btid(
        net: Net) -> None:
    """Seed 002 B.2.2.3 over TS 33.328 A.3: KMS_B, built from its config (Zk peer KMS_A with
    its CA file and address), forwards Bob's resolve to KMS_A over mutual TLS and both UEs end
    with the same keys; each KMS's Zn client counts the round trips the BSF served it - one per
    B-TID, the NAF key and USS answers kept for their lifetime (TS 33.220 4.5.3)."""
    alice = Initiator(ALICE, KMS_A, net.contexts[ALICE])
    bob = Responder(BOB, KMS_B, net.contexts[BOB])
    with contextlib.closing(_client(net, net.replicas[0], KMS_A)) as ca, \
            contextlib.closing(_client(net, net.kms_b, KMS_B)) as cb:
        for _ in range(2):
            now = ntp_now()
            transfer_init = fetch_ticket(alice, ca, BOB, now=now)
            transfer_resp, keys = resolve_ticket(bob, cb, transfer_init, now=now)
            assert alice.receive_transfer_resp(transfer_resp, now=now) == keys
    zn_b = net.kms_b.kms.facts.bsf
    assert isinstance(zn_b, RemoteBsf)
    assert zn_b.lookups == net.bsf.served[naf_id(KMS_B)] == 1  # Bob's B-TID, once
    zn_a = [s.kms.facts.bsf for s in net.replicas]
    assert all(isinstance(z, RemoteBsf) for z in zn_a)
    assert sum(z.lookups for z in zn_a if isinstance(z, RemoteBsf)) == \
        net.bsf.served[naf_id(KMS_A)]


# -- the Ticket Transfer carried by SIP, the TPK label, the UE's key fingerprint --------------

def test_sip_carries_the_transfer_and_refuses_a_message_in_the_wrong_carrier() -> None:
    """RFC 6043 7 / RFC 4567 (seed 002 B.2.2.2 steps 1, 9): TRANSFER_INIT travels in the
    INVITE's offer and TRANSFER_RESP in the 200 OK's answer, and the UEs complete over them; a
    TRANSFER_INIT looked for in a response, or a TRANSFER_RESP in a request, is a DecodeError
    naming the SIP start line."""
    w = _two()
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    bob = Responder(BOB, KMS_A, context(BOB))
    ti = alice.receive_request_resp(
        w.kms[KMS_A].receive_request(alice.request_ticket(BOB, now=NOW), now=NOW), now=NOW)
    offer = sip.invite(ti, from_uri=ALICE, to_uri=BOB)
    request, carried = sip.transfer_init_of(offer)
    assert carried == ti
    resolve = w.kms[KMS_A].receive_resolve(bob.receive_transfer_init(carried, now=NOW).octets,
                                           now=NOW)
    assert isinstance(resolve, bytes)
    tr, bob_keys = bob.receive_resolve_resp(resolve, now=NOW)
    ok = sip.answer(request, tr)
    assert alice.receive_transfer_resp(sip.transfer_resp_of(ok), now=NOW) == bob_keys
    for wrong, read in ((ok, sip.transfer_init_of), (offer, sip.transfer_resp_of)):
        with pytest.raises(DecodeError) as err:
            read(wrong)  # type: ignore[operator]
        assert (err.value.payload, err.value.field) == ("SIP", "start-line")


def test_tpk_label_is_the_a21_label_the_tpk_keys_come_from() -> None:
    """RFC 6043 A.2.1: the TPK's keys are PRF(TPK, c || 0xFF || 0xFFFFFFFF || 0x05 || len8(RAND)
    || RAND); ``tpk_label`` is that label (checked against the auth_key ``tpk_keys`` derives)."""
    rand = bytes(range(16))
    label = tpk_label(MessageKeyConstant.AUTH_KEY, rand)
    assert label == bytes.fromhex("2D22AC75" "FF" "FFFFFFFF" "05") + bytes([len(rand)]) + rand
    keys = tpk_keys(TPK_A, rand=rand, encr_alg=3, mac_alg=2, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert keys.auth_key == bytes(prf(TPK_A, label, 256, prf_func=PrfFunc.PRF_HMAC_SHA_256))


# -- the KMS and BSF processes (``mckm ticket kms-serve`` with replicas, ``bsf-serve``) -------



def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_kms_replica_processes_and_the_bsf_process_serve_from_their_configs(
        tmp_path: Path) -> None:
    """TS 33.328 A.2 / TS 33.220 4.5.3 with the process entry points: ``bsf-serve`` answers Zn
    over mutual TLS to the KMS domains of its config, ``kms-serve`` with ``processes`` 2 (one
    ``tpk_file``, one ``db``) serves Ua on one port - a ticket request and resolve complete,
    both UEs show the same key fingerprint (never the keys), the resolve sent again is a
    replay at whichever replica takes it (Invalid TS, REQ-TKT-11) - and both stop on SIGTERM
    with status 0."""
    cas = {u: make_domain_ca(u) for u in (KMS_A, BSF_DOMAIN)}
    now = ntp_now()
    bob_a = "sip:bob@a.example"
    contexts = [fresh_context(u, now) for u in (ALICE, bob_a)]
    contexts_file = write_private(tmp_path / "contexts.json",
                                  contexts_to_json(contexts).encode(), "contexts")
    bsf_id = cas[BSF_DOMAIN].issue("bsf")
    bsf_config = BsfServerConfig(
        BSF_DOMAIN, _pem(tmp_path, "bsf.pem", bsf_id.cert_pem),
        str(write_private(tmp_path / "bsf.key", bsf_id.key_pem, "a TLS key")),
        _pem(tmp_path, "bsf-own.ca.pem", cas[BSF_DOMAIN].cert_pem),
        {KMS_A: _pem(tmp_path, "naf-a.ca.pem", cas[KMS_A].cert_pem)}, str(contexts_file),
        ready_file=str(tmp_path / "bsf.ready"))
    bsf = spawn(tmp_path, "bsf", "bsf-serve", bsf_config.to_json())
    kms: subprocess.Popen[bytes] | None = None
    try:
        zn = ready(tmp_path, "bsf", bsf)
        config = replace(_config(
            tmp_path, cas[KMS_A], cas[BSF_DOMAIN], f"127.0.0.1:{zn['port']}", (),
            tpk_file=str(write_private(tmp_path / "a.tpk", TPK_A, "a TPK")),
            db=str(tmp_path / "replay.db"), processes=2), ready_file=str(tmp_path / "a.ready"))
        kms = spawn(tmp_path, "kms", "kms-serve", config.to_json())
        ua = ready(tmp_path, "a", kms)["ua_port"]
        alice = Initiator(ALICE, KMS_A, contexts[0])
        bob = Responder(bob_a, KMS_A, contexts[1])
        with contextlib.closing(TicketHttpClient("127.0.0.1", ua,
                                                 ca_pem=cas[KMS_A].cert_pem)) as client:
            transfer_init = fetch_ticket(alice, client, bob_a, now=ntp_now())
            step = bob.receive_transfer_init(transfer_init, now=ntp_now())
            transfer_resp, bob_keys = bob.receive_resolve_resp(
                client.send(RequestType.TICKET_RESOLVE, step.octets), now=ntp_now())
        with contextlib.closing(TicketHttpClient("127.0.0.1", ua, ca_pem=cas[KMS_A].cert_pem)
                                ) as other, pytest.raises(MikeyErrorAnswer) as replay:
            other.send(RequestType.TICKET_RESOLVE, step.octets)
        assert replay.value.mikey_errors == (REPLAY,)
        alice_keys = alice.receive_transfer_resp(transfer_resp, now=ntp_now())
        shown = keys_fingerprint(alice_keys)
        assert shown == keys_fingerprint(bob_keys)
        assert alice_keys.tgk.reveal().hex() not in shown
        assert alice_keys.mpki.reveal().hex()[:16] not in shown
        assert (_stop(kms), _stop(bsf)) == (0, 0)
    finally:
        for proc in (kms, bsf):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
