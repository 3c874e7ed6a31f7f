"""Each refusal of the InterKMM models over real sockets, with the SIP status and reason phrase
the model names (``interkmm.SIP_ANSWERS``): unknown KMF ID, user not affiliated for
interworking, key not available, payload too large, not protected, wrong key, stale, a replay
on either hop, a tampered hop; and the relay's own re-protection cannot change the KMM."""

from __future__ import annotations

import os
import threading

import pytest

from mckm.impl.engine import EffectRegistry
from mckm.impl.roles.interkmm import effects, nodes
from mckm.models.procedures.interkmm import POLICY, SIP_ANSWERS
from tests.interkmm.wire import body_of, ntp_now, post, resend
from tests.interkmm.world import ALICE, BOB, CAROL, CSK_ALICE, CSK_BOB, KMF, SPK, world

KMM = b"kmm:" + bytes(range(200))


def test_unknown_kmf_id_is_404() -> None:
    with world() as w:
        outcome = w.alice.send_kmm(KMM, peer="kmf.nobody.example")
        assert (outcome.status, outcome.reason) == SIP_ANSWERS["known-kmf"] == \
            (404, "Unknown KMF ID")
        ct, body = body_of("kmf.nobody.example", ALICE, KMM, w.spks, SPK)
        assert post(w.iwf.sip, w.server.iwf_side.address, ct, body) == (404, "Unknown KMF ID")
        assert w.iwf.delivered == [] and w.alice.delivered == []


def test_user_not_affiliated_is_403_both_ways() -> None:
    with world() as w:
        want = (403, "User Not Affiliated For Interworking")
        outcome = w.bob.send_kmm(KMM, peer=KMF)
        assert (outcome.status, outcome.reason) == want
        outcome = w.iwf.send_kmm(KMM, peer=BOB)
        assert (outcome.status, outcome.reason) == want
        assert w.bob.delivered == [] and w.iwf.delivered == []


def test_key_not_available_is_480() -> None:
    with world() as w:
        outcome = w.iwf.send_kmm(KMM, peer=CAROL)  # affiliated, but no CSK of hers
        assert (outcome.status, outcome.reason) == (480, "Key Not Available")


def test_payload_too_large_is_413_from_the_guard_and_from_the_transport() -> None:
    """REQ-IKMM-10: a body over the limit is 413, by the guard and by the transport."""
    with world("TCP") as w:
        limit = int(POLICY["max_body_octets"])
        ct = 'multipart/mixed; boundary="x"'
        assert post(w.alice.sip, w.server.ue_side.address, ct, b"x" * (limit + 1),
                    transport="TCP") == (413, "Request Entity Too Large")
        assert post(w.alice.sip, w.server.ue_side.address, ct, b"x" * (w.server.ue_side
                    .max_body + 1), transport="TCP") == (413, "Request Entity Too Large")
        assert w.server.ue_side.handled == 1  # the second never reached the relay


def test_a_64k_kmm_goes_through_over_tcp() -> None:
    """REQ-IKMM-10: a protected InterKMM with a KMM at the 64 KiB limit fits."""
    with world("TCP") as w:
        kmm = os.urandom(64 * 1024)
        outcome = w.iwf.send_kmm(kmm, peer=ALICE, transport="TCP")
        assert outcome.status == 202, outcome.reason
        assert w.alice.delivered[0].kmm == kmm


def test_an_unprotected_interkmm_is_refused() -> None:
    with world() as w:
        ct, body = body_of(KMF, ALICE, KMM, None)
        assert post(w.alice.sip, w.server.ue_side.address, ct, body) == \
            (403, "InterKMM Not Protected")
        assert post(w.iwf.sip, w.server.iwf_side.address, ct, body) == \
            (403, "InterKMM Not Protected")
        assert w.alice.delivered == [] and w.iwf.delivered == []


def test_another_users_csk_is_refused() -> None:
    """Bob's CSK, Alice's MCPTT ID: the server's keyring opens it, csk-of-user refuses it."""
    with world() as w:
        ct, body = body_of(KMF, ALICE, KMM, w.csks, CSK_BOB)
        assert post(w.bob.sip, w.server.ue_side.address, ct, body) == (403, "Wrong CSK")
        ct, body = body_of(KMF, ALICE, KMM, w.csks, CSK_ALICE)  # the control: accepted
        assert post(w.alice.sip, w.server.ue_side.address, ct, body) == (202, "Accepted")


def test_a_stale_interkmm_is_refused() -> None:
    """REQ-IKMM-09: sent outside the replay window is refused."""
    with world() as w:
        outcome = w.alice.send_kmm(KMM, peer=KMF, now=ntp_now() - 10 * int(
            POLICY["replay_window"]))
        assert (outcome.status, outcome.reason) == (403, "InterKMM Stale")


def test_a_replay_on_the_first_hop_is_refused() -> None:
    """REQ-IKMM-09: a msg-id accepted before is refused (first hop)."""
    with world() as w:
        outcome = w.alice.send_kmm(KMM, peer=KMF)
        assert outcome.status == 202
        again = resend(w.alice.sip, outcome.request.encode(), w.server.ue_side.address)
        assert again == (403, "InterKMM Replayed")
        assert len(w.iwf.delivered) == 1


def test_a_replay_on_the_second_hop_is_refused() -> None:
    """REQ-IKMM-09: a msg-id accepted before is refused (second hop)."""
    with world() as w:
        captured: list[bytes] = []
        w.alice.sip.tap = lambda raw, transport: captured.append(raw)
        assert w.iwf.send_kmm(KMM, peer=ALICE).status == 202
        (hop2,) = captured
        assert resend(w.server.ue_side, hop2, w.alice.address) == (403, "InterKMM Replayed")
        assert len(w.alice.delivered) == 1


@pytest.mark.parametrize("hop", [1, 2])
def test_a_tampered_hop_is_refused(hop: int) -> None:
    """One base64 character of the KMM's CipherValue changed, on the first or second hop."""
    with world() as w:
        captured: list[bytes] = []
        w.alice.sip.tap = lambda raw, transport: captured.append(raw)
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        raw = outcome.request.encode() if hop == 1 else captured[0]
        body = raw.split(b"\r\n\r\n", 1)[1]
        at = body.rindex(b"</CipherValue>") - 5
        tampered = body[:at] + (b"A" if body[at:at + 1] != b"A" else b"B") + body[at + 1:]
        sender, to = (w.iwf.sip, w.server.iwf_side.address) if hop == 1 else \
            (w.server.ue_side, w.alice.address)
        assert resend(sender, raw, to, body=tampered) == (403, "InterKMM Not Authentic")
        assert len(w.alice.delivered) == 1  # only the genuine one


def test_the_relay_cannot_alter_the_kmm_unnoticed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A relay whose re-protection changes the KMM: its own send guard keeps-kmm (the field sent
    against what the server opened) stops it, so nothing reaches the UE and the IWF is told
    500."""
    def altering_visible(ctx: effects.EffectContext) -> None:
        effects.reprotect(ctx)
        ctx.set_field("kmm", ctx.fields["kmm"] + b"!")

    registry = EffectRegistry({**{n: effects.EFFECTS[n] for n in effects.EFFECTS},
                               "interkmm.server.reprotect": altering_visible})
    monkeypatch.setattr(nodes, "EFFECTS", registry)
    with world() as w:
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (500, "Server Internal Error")
        assert w.alice.delivered == []


def test_concurrent_replays_are_accepted_once() -> None:
    """REQ-IKMM-09: four concurrent replays of an accepted msg-id are all refused."""
    with world() as w:
        outcome = w.alice.send_kmm(KMM, peer=KMF)
        raw = outcome.request.encode()
        results: list[tuple[int, str]] = []
        threads = [threading.Thread(target=lambda: results.append(
            resend(w.alice.sip, raw, w.server.ue_side.address))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [(403, "InterKMM Replayed")] * 4
        assert len(w.iwf.delivered) == 1


def test_a_next_hop_that_never_answers_is_408_and_its_refusal_is_passed_back() -> None:
    import socket

    with world() as w:
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        try:
            w.server.ues[ALICE] = silent.getsockname()
            outcome = w.iwf.send_kmm(KMM, peer=ALICE)  # Timer F at the server: 64*T1
            assert (outcome.status, outcome.reason) == (408, "Request Timeout")
        finally:
            silent.close()
        w.server.ues[ALICE] = w.bob.address  # Bob holds no CSK of Alice: he cannot open it
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (403, "InterKMM Not Authentic")


def test_an_interkmm_without_msg_id_and_sent_is_refused_on_both_hops() -> None:
    """REQ-IKMM-09: an InterKMM that does not name itself (no msg-id, no sent), otherwise
    protected under the right key, is refused 403 InterKMM Without Id by the MCX server from
    the UE and from the IWF, and nothing is relayed."""
    from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build

    with world() as w:
        anonymous = InterKmm(KMF, ALICE, KMM, "application/octet-stream")
        ct, body = build(anonymous, protection=Protection(w.csks, CSK_ALICE))
        assert post(w.alice.sip, w.server.ue_side.address, ct, body) == \
            (403, "InterKMM Without Id")
        ct, body = build(anonymous, protection=Protection(w.spks, SPK))
        assert post(w.iwf.sip, w.server.iwf_side.address, ct, body) == \
            (403, "InterKMM Without Id")
        assert w.alice.delivered == [] and w.iwf.delivered == []
        named = body_of(KMF, ALICE, KMM, w.csks, CSK_ALICE)  # the control: accepted
        assert post(w.alice.sip, w.server.ue_side.address, *named) == (202, "Accepted")
