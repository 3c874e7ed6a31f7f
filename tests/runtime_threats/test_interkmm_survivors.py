"""The InterKMM relay of seed 000 (``mckm.impl.roles.interkmm``, spec/interkmm.md) keeps its
contract where the happy path would not show it: a body whose parts are protected under two
keys is not authentic rather than unprotected (REQ-IKMM-01), refusals say why (the fact's
reason, models/procedures/verdict), the facts answer the model's predicates as
``models/procedures/predicates`` defines them, and the SIP answers of the MCX server and the
end points follow RFC 3261 / RFC 3428 (202 only for a 2xx of the next hop, 408 on Timer F, 480
for a peer without a SIP address, 503 for an unreachable one, the Via naming the transport
used).  Survivors of ``./dev mutate interkmm``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mckm.impl.engine import StepRefused
from mckm.impl.errors import MckmError, PolicyError, UsageError
from mckm.impl.roles.interkmm import Directory, EndPoint, HopFacts, McxServer, Relay
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import SipEndpoint, parse_message, top_via
from mckm.impl.xmlprotect import interkmm as codec
from mckm.impl.xmlprotect.encryption import encrypt_octets, protect
from mckm.impl.xmlprotect.keys import Keyring
from mckm.impl.xmlprotect.signature import sign_bodies
from tests.interkmm.wire import body_of, ntp_now, post
from tests.interkmm.world import ALICE, BOB, CSK_ALICE, CSK_BOB, KMF, SPK, T1, ring, world

KMM = b"kmm:" + bytes(range(100))
OCTETS = "application/octet-stream"


@contextmanager
def _relay(ues: dict[str, tuple[str, int]], *, server_t1: float = T1,
           transport: str | None = None) -> Iterator[tuple[McxServer, EndPoint, Keyring]]:
    """An MCX server (Timer T1 ``server_t1``; its default transport unless ``transport``)
    relaying to the UE addresses ``ues`` and the IWF that sends through it (T1 = T1 of
    tests/interkmm/world); the UEs' CSKs."""
    csks = ring((CSK_ALICE, ALICE), (CSK_BOB, BOB))
    spks = ring((SPK, ALICE))
    directory = Directory({ALICE: CSK_ALICE, BOB: CSK_BOB, KMF: SPK}, frozenset({KMF}),
                          frozenset({ALICE}))
    extra = {} if transport is None else {"transport": transport}
    server = McxServer(csks=csks, spks=spks, directory=directory, ues=ues, iwfs={},
                       t1=server_t1, **extra).start()
    iwf = EndPoint("iwf", KMF, SPK, spks, server=server.iwf_side.address, t1=T1).start()
    try:
        yield server, iwf, csks
    finally:
        iwf.close()
        server.close()


def _refused_port() -> tuple[str, int]:
    """A loopback TCP port bound but not listening: a connection to it is refused."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    address: tuple[str, int] = probe.getsockname()
    probe.close()
    return address


def _opened(request: SipMessage, keys: Keyring) -> codec.Received:
    return codec.parse(request.header("Content-Type") or "", request.body, keys=keys)


def _two_key_body(keys: Keyring, kmf: str, user: str) -> tuple[str, bytes]:
    """An InterKMM whose parts are each protected, but the signalling part and the signature
    under ``user``'s CSK and the KMM under Bob's (TS 33.180 9.3.4.2, 9.3.5)."""
    signalling = protect(
        f'<interkmm xmlns="{codec.NS}"><kmf-id>{kmf}</kmf-id><mcptt-id>{user}</mcptt-id>'
        "</interkmm>".encode(), (codec.KMF_ID, codec.MCPTT_ID), xpk_id=CSK_ALICE, keys=keys)
    kmm = encrypt_octets(KMM, OCTETS, xpk_id=CSK_BOB, keys=keys)
    signatures = sign_bodies({"s@x": signalling, "k@x": kmm}, xpk_id=CSK_ALICE, keys=keys)
    out = b""
    for media_type, content_id, data in ((codec.SIGNALLING_TYPE, b"s@x", signalling),
                                         (codec.PROTECTED_KMM_TYPE, b"k@x", kmm),
                                         (codec.SIGNATURES_TYPE, None, signatures)):
        out += b"--b1\r\nContent-Type: " + media_type.encode() + b"\r\n"
        if content_id:
            out += b"Content-ID: <" + content_id + b">\r\n"
        out += b"\r\n" + data + b"\r\n"
    return 'multipart/mixed; boundary="b1"', out + b"--b1--\r\n"


def test_parts_under_two_keys_are_not_authentic_rather_than_unprotected() -> None:
    """REQ-IKMM-01 / TS 33.180 9.3.5: every part protected, but under two CSKs of the hop: the
    body is protected (guard ``protected`` holds, ``facts._unprotected``) and does not open as
    one InterKMM, so the MCX server answers 403 InterKMM Not Authentic and relays nothing."""
    with world() as w:
        ct, body = _two_key_body(w.csks, KMF, ALICE)
        with pytest.raises(PolicyError, match="different XPKs"):
            codec.parse(ct, body, keys=w.csks)  # the premise: the codec's key mismatch
        assert post(w.alice.sip, w.server.ue_side.address, ct, body) == \
            (403, "InterKMM Not Authentic")
        assert w.iwf.delivered == []


def test_an_unprotected_refusal_says_why() -> None:
    """The fact ``ikmm_protected`` gives the codec's reason with its No, which the refusal
    carries (models/procedures/verdict; REQ-IKMM-01): the relay's StepRefused names why the
    clear body is not protected, not only the guard."""
    csks = ring((CSK_ALICE, ALICE))
    relay = Relay(csks=csks, spks=ring((SPK, ALICE)),
                  directory=Directory({ALICE: CSK_ALICE, KMF: SPK}, frozenset({KMF}),
                                      frozenset({ALICE})))
    ct, body = body_of(KMF, ALICE, KMM, None)
    with pytest.raises(MckmError) as codec_error:
        codec.parse(ct, body, keys=csks)
    with pytest.raises(StepRefused) as refused:
        relay.process("ue", ct, body, now=ntp_now())
    assert refused.value.guard == "protected"
    assert str(codec_error.value) in str(refused.value)


def test_the_facts_answer_the_model_predicates() -> None:
    """``IKMM_XPK_OF``: the XPK-ID shared with a peer, -1 for none (an int that is no XPK-ID);
    ``IKMM_XPK_AVAILABLE``: the role holds the key for the peer, in ``out_keys`` at the MCX
    server and in its own keyring at an end point (HopFacts without ``out_keys``)."""
    csks, spks = ring((CSK_ALICE, ALICE)), ring((SPK, ALICE))
    directory = Directory({ALICE: CSK_ALICE, KMF: SPK, BOB: CSK_BOB}, frozenset({KMF}))
    server = Relay(csks=csks, spks=spks, directory=directory)
    assert server.from_ue.ikmm_xpk_of(KMF) == SPK
    assert server.from_ue.ikmm_xpk_of("kmf.nobody.example") == -1
    assert server.from_iwf.ikmm_xpk_of("sip:nobody@mcx.example") == -1
    assert server.from_iwf.ikmm_xpk_available(ALICE)
    assert not server.from_iwf.ikmm_xpk_available(BOB)  # in the directory, no CSK held
    iwf = HopFacts(spks, Directory({KMF: SPK, ALICE: CSK_ALICE}))
    assert iwf.ikmm_xpk_available(KMF)
    assert not iwf.ikmm_xpk_available(ALICE)  # a CSK the IWF does not hold
    assert not iwf.ikmm_xpk_available("sip:nobody@mcx.example")


def test_a_next_hop_that_never_answers_is_408_from_the_server() -> None:
    """RFC 3261 17.1.2.2: the server's own Timer F (shorter than the IWF's here) ends its
    client transaction; it answers the IWF 408 Request Timeout (nodes module docstring)."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        with _relay({ALICE: silent.getsockname()}, server_t1=0.005) as (_, iwf, _keys):
            outcome = iwf.send_kmm(KMM, peer=ALICE)  # IWF Timer F 3.2 s, server's 0.32 s
            assert (outcome.status, outcome.reason) == (408, "Request Timeout")
    finally:
        silent.close()


def test_a_next_hop_that_refuses_the_connection_is_503() -> None:
    """A next hop that cannot be reached (TCP connection refused) is 503 Service Unavailable
    naming why (RFC 3261 21.5.4; ``nodes._unanswered``), at the server and at an end point,
    whose Outcome keeps the MESSAGE it sent."""
    want = (503, "Service Unavailable (ConnectionRefusedError)")
    with _relay({ALICE: _refused_port()}, transport="TCP") as (_, iwf, csks):
        outcome = iwf.send_kmm(KMM, peer=ALICE, transport="TCP")
        assert (outcome.status, outcome.reason) == want
        alice_keys = Keyring({CSK_ALICE: csks[CSK_ALICE]})
        alice = EndPoint("ue", ALICE, CSK_ALICE, alice_keys, server=_refused_port(),
                         t1=T1).start()
        try:
            outcome = alice.send_kmm(KMM, peer=KMF, transport="TCP")
        finally:
            alice.close()
        assert (outcome.status, outcome.reason) == want
        opened = _opened(outcome.request, alice_keys)
        assert (opened.message.kmm, opened.message.mcptt_id) == (KMM, ALICE)


def test_an_end_point_timing_out_keeps_the_request() -> None:
    """An end point whose server never answers gets 408 (Timer F, RFC 3261 17.1.2.2) and the
    Outcome keeps the MESSAGE it sent (``Outcome.request``: the octets sent)."""
    keys = ring((CSK_ALICE, ALICE))
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    alice = EndPoint("ue", ALICE, CSK_ALICE, keys, server=silent.getsockname(), t1=0.005)
    try:
        alice.start()
        outcome = alice.send_kmm(KMM, peer=KMF)
    finally:
        alice.close()
        silent.close()
    assert (outcome.status, outcome.reason) == (408, "Request Timeout")
    assert _opened(outcome.request, keys).message.kmm == KMM


def test_a_peer_without_a_sip_address_is_480() -> None:
    """Alice is known to the directory and holds a CSK, but the server has no SIP address for
    her: 480 Temporarily Unavailable (RFC 3261 21.4.18), nothing relayed."""
    with _relay({}) as (server, iwf, _keys):
        outcome = iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (480, "Temporarily Unavailable")
        assert server.iwf_side.handled == 1


def test_a_3xx_of_the_next_hop_is_passed_back_not_accepted() -> None:
    """RFC 3428 7 / RFC 3261 21: the server answers 202 Accepted only for a 2xx of the next
    hop; a 300 Multiple Choices is no delivery and is passed back as it came."""
    hop = SipEndpoint(lambda request, transport: (300, "Multiple Choices"), t1=T1).start()
    try:
        with _relay({ALICE: hop.address}) as (_, iwf, _keys):
            outcome = iwf.send_kmm(KMM, peer=ALICE)
            assert (outcome.status, outcome.reason) == (300, "Multiple Choices")
            assert hop.handled == 1
    finally:
        hop.close()


def test_the_relayed_message_names_its_transport_in_the_via() -> None:
    """RFC 3261 18.1.1 / 20.42: the top Via of what the server relays names the transport it is
    sent over, UDP by default."""
    captured: list[bytes] = []
    hop = SipEndpoint(lambda request, transport: (200, "OK"), t1=T1).start()
    hop.tap = lambda raw, transport: captured.append(raw)
    try:
        with _relay({ALICE: hop.address}) as (_, iwf, _keys):
            assert iwf.send_kmm(KMM, peer=ALICE).status == 202
    finally:
        hop.close()
    (relayed,) = captured
    assert top_via(parse_message(relayed)).transport == "UDP"


def test_a_kmm_without_a_type_is_application_octet_stream() -> None:
    """A KMM sent without a type is typed application/octet-stream, the type of uninterpreted
    octets (RFC 2046 4.5.1): in the originated message and as delivered at the far end."""
    with world() as w:
        message = w.alice.originate(KMM, peer=KMF)
        assert message.get("kmm_type") == OCTETS
        opened = codec.parse(message.get("content_type"), message.get("body"), keys=w.alice.keys)
        assert opened.message.kmm_type == OCTETS
        assert w.iwf.send_kmm(KMM, peer=ALICE).status == 202
        assert w.alice.delivered[0].kmm_type == OCTETS


def test_an_end_point_of_no_known_role_is_refused_naming_it() -> None:
    """An end point is a UE or the IWF (seed 000 7.8.x): any other role is a UsageError that
    names the role given."""
    with pytest.raises(UsageError, match="'kmf'"):
        EndPoint("kmf", KMF, SPK, ring((SPK, ALICE)), server=("127.0.0.1", 9))
