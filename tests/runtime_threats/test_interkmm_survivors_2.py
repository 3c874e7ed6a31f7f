"""The InterKMM relay of seed 000 (``mckm.impl.roles.interkmm``, spec/interkmm.md) over SIP
MESSAGE keeps what the happy path would not show: a KMM's own media type travels end to end
(REQ-IKMM-12), the Via of every MESSAGE names its sender's address (RFC 3261 18.1.1), a next
hop's reason phrase is passed back as it came (RFC 3261 25.1), and the MCX server's Timer T1
holds on its UE side too (RFC 3261 17.1.2.2).  Survivors of the second sample of
``./dev mutate interkmm``."""

from __future__ import annotations

import socket

from mckm.impl.roles.interkmm import Directory, EndPoint, McxServer
from mckm.impl.transport.sip_message import SipEndpoint, parse_message, top_via
from tests.interkmm.world import ALICE, BOB, CSK_ALICE, CSK_BOB, KMF, SPK, T1, ring, world

KMM = b"kmm:" + bytes(range(64))
MIKEY = "application/mikey"  # a KMM type other than the default application/octet-stream


def _requests(captured: list[bytes]) -> list[bytes]:
    return [raw for raw in captured if raw.startswith(b"MESSAGE ")]


def test_a_kmm_type_given_travels_end_to_end() -> None:
    """The KMM part keeps the type its originator gave (its MimeType, seed 000 7.8.x.3) and
    each hop keeps it (REQ-IKMM-12): in the originated message and as delivered."""
    with world() as w:
        assert w.alice.originate(KMM, peer=KMF, kmm_type=MIKEY).get("kmm_type") == MIKEY
        assert w.iwf.send_kmm(KMM, peer=ALICE, kmm_type=MIKEY).status == 202
        (delivered,) = w.alice.delivered
        assert (delivered.kmm, delivered.kmm_type) == (KMM, MIKEY)


def test_the_via_of_each_message_names_its_sender() -> None:
    """RFC 3261 18.1.1: the sent-by of the top Via is the sending element's address and port,
    for the IWF's MESSAGE and for the one the MCX server relays to the UE."""
    with world() as w:
        at_server: list[bytes] = []
        at_alice: list[bytes] = []
        w.server.iwf_side.tap = lambda raw, transport: at_server.append(raw)
        w.alice.sip.tap = lambda raw, transport: at_alice.append(raw)
        assert w.iwf.send_kmm(KMM, peer=ALICE).status == 202
    for captured, sender in ((at_server, w.iwf.sip.address), (at_alice, w.server.ue_side.address)):
        (raw,) = _requests(captured)
        assert top_via(parse_message(raw)).sent_by == f"{sender[0]}:{sender[1]}"


def test_a_reason_phrase_is_passed_back_as_it_came() -> None:
    """RFC 3261 25.1: a Reason-Phrase may hold SP anywhere, a leading one too; the MCX server
    passes a next hop's non-2xx answer back as it came (nodes module docstring), and the
    originator's Outcome reads it as sent."""
    reason = " Multiple  Choices"
    hop = SipEndpoint(lambda request, transport: (300, reason), t1=T1).start()
    try:
        with world() as w:
            w.server.ues[ALICE] = hop.address
            outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (300, reason)
    finally:
        hop.close()


def test_the_server_times_out_on_its_ue_side_by_its_own_t1() -> None:
    """RFC 3261 17.1.2.2: the MCX server's client transaction towards a UE ends at its own
    Timer F (64*T1, T1 as configured); it answers the IWF 408 itself, long before the IWF's own
    Timer F (3.2 s here) would end the IWF's transaction."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    csks, spks = ring((CSK_ALICE, ALICE), (CSK_BOB, BOB)), ring((SPK, ALICE))
    directory = Directory({ALICE: CSK_ALICE, BOB: CSK_BOB, KMF: SPK}, frozenset({KMF}),
                          frozenset({ALICE}))
    server = McxServer(csks=csks, spks=spks, directory=directory,
                       ues={ALICE: silent.getsockname()}, iwfs={}, t1=0.005).start()
    iwf = EndPoint("iwf", KMF, SPK, spks, server=server.iwf_side.address, t1=T1).start()
    heard: list[bytes] = []
    iwf.sip.tap = lambda raw, transport: heard.append(raw)
    try:
        outcome = iwf.send_kmm(KMM, peer=ALICE)
    finally:
        iwf.close()
        server.close()
        silent.close()
    assert (outcome.status, outcome.reason) == (408, "Request Timeout")
    assert any(raw.startswith(b"SIP/2.0 408 ") for raw in heard)  # the server's own answer
