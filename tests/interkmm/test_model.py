"""The InterKMM models run by the engine without sockets: every guard of a receiving step has
its SIP answer, a message the role does not expect is refused with REQ-IKMM-15, and dropping a
guard (the model's mutant) lets through what the guard refused: the refusals come from the
model, not from the adapters."""

from __future__ import annotations

import dataclasses

import pytest

from mckm.impl.engine import DictMessage, RoleMachine, StepRefused
from mckm.impl.roles.interkmm import Directory, HopFacts, HopMessage
from mckm.impl.roles.interkmm.effects import EFFECTS
from mckm.models.procedures import interkmm as model
from mckm.models.procedures.model import Procedure
from tests.interkmm.wire import body_of, ntp_now
from tests.interkmm.world import ALICE, CSK_ALICE, CSK_BOB, KMF, SPK, ring

DIRECTORY = Directory({ALICE: CSK_ALICE, KMF: SPK}, frozenset({KMF}), frozenset({ALICE}))


def test_every_receive_guard_has_a_sip_answer() -> None:
    for procedure in model.PROCEDURES:
        for step in procedure.steps:
            for guard in step.guards:
                if step.action == "receive":
                    assert guard.name in model.SIP_ANSWERS, (procedure.name, guard.name)
                    assert guard.http_status == model.SIP_ANSWERS[guard.name][0]
                else:  # a send guard stops the sender itself: 500
                    assert model.sip_answer(guard.name) == (500, "Server Internal Error")


def _server(procedure: Procedure, cache: object = None) -> tuple[RoleMachine, dict[str, object]]:
    csks, spks = ring((CSK_ALICE, ALICE), (CSK_BOB, ALICE)), ring((SPK, ALICE))
    variables: dict[str, object] = {"replay_cache": cache or set()}
    machine = RoleMachine(procedure, "mcx_server", vars=variables,
                          facts=HopFacts(csks, DIRECTORY, out_keys=spks), effects=EFFECTS,
                          message_factory=DictMessage)
    return machine, variables


KMM = b"the-kmm:" + bytes(range(64))


def _from_ue(machine: RoleMachine, xpk_id: int = CSK_ALICE, msg_id: str | None = None
             ) -> HopMessage:
    facts = machine.facts
    assert isinstance(facts, HopFacts)
    ct, body = body_of(KMF, ALICE, KMM, facts.keys, xpk_id, msg_id=msg_id)
    return HopMessage("INTERKMM_CSK", ct, body, facts.keys)


def test_a_message_not_expected_is_refused_with_req_ikmm_15() -> None:
    machine, _ = _server(model.UE_TO_IWF)
    facts = machine.facts
    assert isinstance(facts, HopFacts)
    ct, body = body_of(KMF, ALICE, b"kmm", facts.keys, CSK_ALICE)
    with pytest.raises(StepRefused) as caught:  # an SPK-hop message at the UE side
        machine.feed(HopMessage("INTERKMM_SPK", ct, body, facts.keys), now=ntp_now())
    assert caught.value.requirement == "REQ-IKMM-15" and caught.value.guard is None
    assert model.sip_answer(caught.value.guard) == (403, "InterKMM Not Expected")


def _without(procedure: Procedure, number: str, guard: str) -> Procedure:
    step = procedure.step(number)
    return procedure.with_step(dataclasses.replace(
        step, guards=tuple(g for g in step.guards if g.name != guard)))


def test_the_fresh_guard_refuses_the_replay_and_its_mutant_does_not() -> None:
    """REQ-IKMM-09: the fresh guard."""
    for procedure, refused in ((model.UE_TO_IWF, True),
                               (_without(model.UE_TO_IWF, "2", "fresh"), False)):
        machine, variables = _server(procedure)
        first = _from_ue(machine, msg_id="f" * 32)
        machine.feed(first, now=ntp_now())
        again, _ = _server(procedure, variables["replay_cache"])
        replay = HopMessage("INTERKMM_CSK", first.content_type, first.body, first.keys)
        if refused:
            with pytest.raises(StepRefused) as caught:
                again.feed(replay, now=ntp_now())
            assert caught.value.guard == "fresh"
        else:
            again.feed(replay, now=ntp_now())
            assert again.state == "relayed"


def test_the_csk_of_user_guard_refuses_another_users_key_and_its_mutant_does_not() -> None:
    machine, _ = _server(model.UE_TO_IWF)
    with pytest.raises(StepRefused) as caught:
        machine.feed(_from_ue(machine, CSK_BOB), now=ntp_now())
    assert caught.value.guard == "csk-of-user"
    mutant, _ = _server(_without(model.UE_TO_IWF, "2", "csk-of-user"))
    mutant.feed(_from_ue(mutant, CSK_BOB), now=ntp_now())
    assert mutant.state == "relayed"


def test_the_relay_keeps_the_kmm_under_the_next_peers_key() -> None:
    machine, _ = _server(model.UE_TO_IWF)
    actions = machine.feed(_from_ue(machine), now=ntp_now())
    (sent,) = [a.message for a in actions if hasattr(a, "to")]
    assert (sent.get("kmm"), sent.get("xpk_id"), sent.get("mcptt_id")) == (KMM, SPK, ALICE)
    assert KMM[8:40] not in sent.get("body") and ALICE.encode() not in sent.get("body")
