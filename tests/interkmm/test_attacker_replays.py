"""The attacks ``mckm.proofs.attacker_interkmm`` finds, as octets on the real relay over real
UDP sockets: the runtime does what the model does.

- reflection (row "an end point never accepts an InterKMM it originated", which holds since
  REQ-IKMM-16): the IWF's own MESSAGE, and the UE's, sent back to it, is refused 403 Wrong
  Direction; the mutant without the end point's direction check accepts it as its peer's;
- a compromised MCX server (expected): it opens the UE's InterKMM, changes the KMM and seals it
  for the IWF, which accepts it as the UE's;
- a leaked CSK (expected): the CSK hop is read and forged both ways; the SPK hop stays closed;
- a leaked SPK (expected): the same on the SPK hop;
- the rows that hold: another UE's CSK in Alice's name is refused (and accepted by the model
  without ``csk-of-user``, the mutant's counterexample); the content of one send re-wrapped in
  another body is refused as a replay on either hop; a relay that forwards unprotected (the
  effect mutant) puts the KMM in clear on the wire, and the UE refuses it; a relay sealing for
  another user is stopped by ``next-hop-key``, and without it that user reads the KMM; a
  receiver that checks no signature (the unsigned mutant) takes a new msg-id as a new message.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from mckm.impl.engine import EffectRegistry
from mckm.impl.errors import MckmError
from mckm.impl.roles.interkmm import effects, nodes
from mckm.impl.transport.sip_message import parse_message
from mckm.impl.xmlprotect import interkmm as xmlprotect_interkmm
from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build, parse
from mckm.impl.xmlprotect.keys import Keyring
from mckm.models.procedures import interkmm as model
from mckm.models.procedures.mutants import mutants
from tests.interkmm.wire import body_of, post, resend
from tests.interkmm.world import ALICE, CSK_ALICE, CSK_BOB, KMF, SPK, world

KMM = b"kmm:" + os.urandom(300)


def _content(raw: bytes) -> tuple[str, bytes]:
    message = parse_message(raw)
    return message.header("Content-Type") or "", message.body


def test_reflection_the_iwf_refuses_its_own_interkmm_sent_back_to_it() -> None:
    """REQ-IKMM-16 (the finding, closed): the MESSAGE the IWF sent towards Alice, sent back to
    the IWF, opens under its SPK, names its KMF ID and a msg-id it never received, but its
    signed direction is iwf-to-ue: 403 Wrong Direction, nothing delivered."""
    with world() as w:
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert outcome.status == 202
        assert b"<direction>iwf-to-ue</direction>" in outcome.request.body
        assert resend(w.server.iwf_side, outcome.request.encode(), w.iwf.address) == \
            model.SIP_ANSWERS["direction"] == (403, "Wrong Direction")
        assert w.iwf.delivered == []
        assert len(w.alice.delivered) == 1  # the honest delivery, once


def test_reflection_the_ue_refuses_its_own_interkmm_sent_back_to_it() -> None:
    """REQ-IKMM-16: the UE's own MESSAGE (ue-to-iwf) sent back to the UE is refused 403 Wrong
    Direction; the MCX server refuses it too when it is reflected to the server's IWF side
    (the server's replay cache would also stop that one: the direction guard comes first)."""
    with world() as w:
        outcome = w.alice.send_kmm(KMM, peer=KMF)
        assert outcome.status == 202 and w.alice.delivered == []
        assert resend(w.server.ue_side, outcome.request.encode(), w.alice.address) == \
            (403, "Wrong Direction")
        assert w.alice.delivered == []
        captured: list[bytes] = []
        w.iwf.sip.tap = lambda raw, t: captured.append(raw)
        assert w.alice.send_kmm(b"again", peer=KMF).status == 202
        assert resend(w.iwf.sip, captured[0], w.server.iwf_side.address) == \
            (403, "Wrong Direction")
        assert [d.kmm for d in w.iwf.delivered] == [KMM, b"again"]
        assert w.alice.delivered == []


def test_reflection_is_accepted_without_the_direction_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutant "step 4: drop direction" (the attacker family's counterexample to row
    'reflection'): the IWF's own InterKMM sent back to it is accepted as Alice's."""
    mutant = next(m for m in mutants(model.UE_TO_IWF) if m.name == "step 4: drop direction")
    monkeypatch.setattr(model, "UE_TO_IWF", mutant.procedure)
    with world() as w:
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert resend(w.server.iwf_side, outcome.request.encode(), w.iwf.address) == (200, "OK")
        (got,) = w.iwf.delivered
        assert (got.kmm, got.mcptt_id, got.kmf_id) == (KMM, ALICE, KMF)


def test_a_compromised_server_alters_the_kmm_unnoticed() -> None:
    """Expected: the server opens Alice's InterKMM under her CSK, changes the KMM and seals
    it under the SPK with the same msg-id and sent; the IWF accepts it as Alice's."""
    with world() as w:
        ct, body = body_of(KMF, ALICE, KMM, Keyring({CSK_ALICE: w.csks[CSK_ALICE]}), CSK_ALICE)
        opened = parse(ct, body, keys=w.csks).message
        altered = dataclasses.replace(opened, kmm=b"chosen by the server")
        ct2, body2 = build(altered, protection=Protection(w.spks, SPK))
        assert post(w.server.iwf_side, w.iwf.address, ct2, body2) == (200, "OK")
        (got,) = w.iwf.delivered
        assert (got.kmm, got.mcptt_id) == (b"chosen by the server", ALICE)


def test_a_leaked_csk_opens_and_forges_the_csk_hop_only() -> None:
    with world() as w:
        leaked = Keyring({CSK_ALICE: w.csks[CSK_ALICE]})
        hop1: list[bytes] = []
        hop2: list[bytes] = []
        w.alice.sip.tap = lambda raw, t: hop2.append(raw)
        w.iwf.sip.tap = lambda raw, t: hop1.append(raw)
        assert w.iwf.send_kmm(KMM, peer=ALICE).status == 202
        assert parse(*_content(hop2[0]), keys=leaked).message.kmm == KMM  # CSK hop read
        assert w.alice.send_kmm(b"reply", peer=KMF).status == 202
        with pytest.raises(MckmError, match="XPK"):  # the SPK hop: not under this key
            parse(*_content(hop1[-1]), keys=leaked)
        forged = body_of(KMF, ALICE, b"forged as alice", leaked, CSK_ALICE)
        assert post(w.bob.sip, w.server.ue_side.address, *forged) == (202, "Accepted")
        assert w.iwf.delivered[-1].kmm == b"forged as alice"  # as the UE, through the relay
        forged = body_of(KMF, ALICE, b"forged as the iwf", leaked, CSK_ALICE,
                         direction="iwf-to-ue")
        assert post(w.server.ue_side, w.alice.address, *forged) == (200, "OK")
        assert w.alice.delivered[-1].kmm == b"forged as the iwf"  # as the server, to the UE
        forged = body_of(KMF, ALICE, b"to the iwf", leaked, CSK_ALICE)
        assert post(w.server.iwf_side, w.iwf.address, *forged) == \
            (403, "InterKMM Not Authentic")  # never accepted on the SPK hop


def test_a_leaked_spk_forges_the_spk_hop_both_ways() -> None:
    with world() as w:
        forged = body_of(KMF, ALICE, b"forged as alice", w.spks, SPK)
        assert post(w.server.iwf_side, w.iwf.address, *forged) == (200, "OK")
        assert (w.iwf.delivered[-1].kmm, w.iwf.delivered[-1].mcptt_id) == \
            (b"forged as alice", ALICE)
        forged = body_of(KMF, ALICE, b"forged as the iwf", w.spks, SPK,
                         direction="iwf-to-ue")
        assert post(w.iwf.sip, w.server.iwf_side.address, *forged) == (202, "Accepted")
        assert w.alice.delivered[-1].kmm == b"forged as the iwf"


def test_another_users_csk_is_refused_and_the_mutant_without_csk_of_user_accepts_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The compromised-UE row holds: Bob seals an InterKMM in Alice's name under his own CSK,
    the server refuses it (csk-of-user).  The mutant's counterexample, on the relay running
    the mutant: the IWF accepts it as Alice's."""
    with world() as w:
        forged = body_of(KMF, ALICE, b"bob as alice", w.csks, CSK_BOB)
        assert post(w.bob.sip, w.server.ue_side.address, *forged) == (403, "Wrong CSK")
    mutant = next(m for m in mutants(model.UE_TO_IWF) if m.name == "step 2: drop csk-of-user")
    monkeypatch.setattr(model, "UE_TO_IWF", mutant.procedure)
    with world() as w:
        forged = body_of(KMF, ALICE, b"bob as alice", w.csks, CSK_BOB)
        assert post(w.bob.sip, w.server.ue_side.address, *forged) == (202, "Accepted")
        (got,) = w.iwf.delivered
        assert (got.kmm, got.mcptt_id) == (b"bob as alice", ALICE)


@pytest.mark.parametrize("hop", [1, 2])
def test_a_new_msg_id_on_captured_ciphertext_is_refused_unless_signatures_go_unchecked(
        hop: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unsigned mutant ("step N: opens without its signatures"): msg-id travels in clear
    under the signature only, so a receiver that checks no signature takes a captured
    InterKMM with a new msg-id as new, and the KMM arrives twice; the model's refuses it."""
    with world() as w:
        captured: list[bytes] = []
        w.alice.sip.tap = lambda raw, t: captured.append(raw)
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        ct, body = _content(outcome.request.encode() if hop == 1 else captured[0])
        start = body.index(b"<msg-id>") + len(b"<msg-id>")
        renamed = body[:start] + b"f" * 32 + body[start + 32:]
        sender, to = (w.iwf.sip, w.server.iwf_side.address) if hop == 1 else \
            (w.server.ue_side, w.alice.address)
        assert post(sender, to, ct, renamed) == (403, "InterKMM Not Authentic")
        monkeypatch.setattr(xmlprotect_interkmm, "verify_bodies", lambda *a, **k: ())
        assert post(sender, to, ct, renamed)[0] in (200, 202)
        assert [d.kmm for d in w.alice.delivered] == [KMM, KMM]


@pytest.mark.parametrize("hop", [1, 2])
def test_one_sends_content_in_another_body_is_a_replay_on_either_hop(hop: int) -> None:
    """The model's replay is of content, not of octets: the same protected parts behind a
    MIME preamble (RFC 2046 5.1.1, ignored) are refused as a replay on each hop."""
    with world() as w:
        captured: list[bytes] = []
        w.alice.sip.tap = lambda raw, t: captured.append(raw)
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        ct, body = _content(outcome.request.encode() if hop == 1 else captured[0])
        sender, to = (w.iwf.sip, w.server.iwf_side.address) if hop == 1 else \
            (w.server.ue_side, w.alice.address)
        assert post(sender, to, ct, b"another envelope\r\n" + body) == (403, "InterKMM Replayed")
        assert len(w.alice.delivered) == 1


def test_a_relay_that_forwards_unprotected_puts_the_kmm_in_clear(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The effect mutant "step 3: forwards unprotected": its counterexample is the KMM in clear
    on the CSK hop; the UE refuses the message (protected), the KMM is out all the same."""
    def forward_clear(ctx: effects.EffectContext) -> None:
        effects.reprotect(ctx)
        values = {name: ctx.var(name) for name in model.KEPT}
        values["msg_id"] = values["msg_id"].decode("ascii")
        content_type, body = build(InterKmm(**values), protection=None)
        ctx.set_field("content_type", content_type)
        ctx.set_field("body", body)
        ctx.set_field("body_octets", len(body))

    registry = EffectRegistry({**{n: effects.EFFECTS[n] for n in effects.EFFECTS},
                               "interkmm.server.reprotect": forward_clear})
    monkeypatch.setattr(nodes, "EFFECTS", registry)
    with world() as w:
        captured: list[bytes] = []
        w.alice.sip.tap = lambda raw, t: captured.append(raw)
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (403, "InterKMM Not Protected")
        assert KMM in captured[0] and ALICE.encode() in captured[0]
        assert w.alice.delivered == []


def test_a_relay_sealing_for_another_user_is_stopped_by_next_hop_key(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The compromised-UE counterexample of the mutant without ``next-hop-key``: a relay whose
    re-protection picks Bob's CSK for Alice's InterKMM.  The model's send guard stops it (the
    server answers 500, nothing is sent); the mutant sends it, and Bob's CSK opens the octets
    on Alice's hop: a compromised UE reads another user's KMM."""
    def sealed_for_bob(ctx: effects.EffectContext) -> None:
        effects.reprotect(ctx)
        values = {name: ctx.var(name) for name in model.KEPT}
        values["msg_id"] = values["msg_id"].decode("ascii")
        keys = ctx.facts.out_keys
        content_type, body = build(InterKmm(**values), protection=Protection(keys, CSK_BOB))
        ctx.set_field("xpk_id", CSK_BOB)
        ctx.set_field("content_type", content_type)
        ctx.set_field("body", body)
        ctx.set_field("body_octets", len(body))

    registry = EffectRegistry({**{n: effects.EFFECTS[n] for n in effects.EFFECTS},
                               "interkmm.server.reprotect": sealed_for_bob})
    monkeypatch.setattr(nodes, "EFFECTS", registry)
    with world() as w:
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (500, "Server Internal Error")
    mutant = next(m for m in mutants(model.IWF_TO_UE) if m.name == "step 3: drop next-hop-key")
    monkeypatch.setattr(model, "IWF_TO_UE", mutant.procedure)
    with world() as w:
        captured: list[bytes] = []
        w.alice.sip.tap = lambda raw, t: captured.append(raw)
        outcome = w.iwf.send_kmm(KMM, peer=ALICE)
        assert (outcome.status, outcome.reason) == (403, "InterKMM Not Authentic")
        bob = Keyring({CSK_BOB: w.csks[CSK_BOB]})
        assert parse(*_content(captured[0]), keys=bob).message.kmm == KMM
