"""The refusals come from the model: every guard of a receiving step has its SIP answer, and the
SIP core or MCPTT server run on the model's mutant without one guard (on real sockets, with real
IdM tokens) lets through exactly what that guard refused in ``test_refusals.py``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.transport import sip_message
from mckm.impl.transport.sip_message import SipEndpoint
from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.idm.conftest import ALICE
from tests.sip_core.conftest import IMPU_ALICE, IMPU_BOB, IMPU_STRANGER, T1, World, make_world
from tests.sip_core.test_refusals import answer_of, publish


def test_every_receive_guard_has_a_sip_answer() -> None:
    for step in model.PROCEDURE.steps:
        for guard in step.guards:
            if step.action == "receive" and step.role != "ue":
                assert guard.http_status == model.SIP_ANSWERS[guard.name][0], guard.name
            else:  # a send guard, or the UE's check of an answer: no SIP answer of its own
                assert guard.http_status is None and guard.name not in model.SIP_ANSWERS
    receive_guards = {g.name for s in model.PROCEDURE.steps if s.action == "receive"
                      for g in s.guards}
    assert set(model.SIP_ANSWERS) <= receive_guards


def _without(guard: str) -> Procedure:
    (mutant,) = [m for m in drop_guard_mutants(model.PROCEDURE) if m.guard == guard]
    return mutant.procedure


def _expired(w: World) -> tuple[int, str]:
    ue = w.ue()
    assert ue.register().status == 200
    now = int(time.time())
    outcome = ue.publish(w.sign(iat=now - 120, nbf=now - 120, exp=now - 1))
    return outcome.status, outcome.reason


def _wrong_scope(w: World) -> tuple[int, str]:
    ue = w.ue()
    assert ue.register().status == 200
    outcome = ue.publish(w.tokens(scopes=("openid", KMS_SCOPE))["access_token"])
    return outcome.status, outcome.reason


def _replayed(w: World) -> tuple[int, str]:
    token = w.access_token()
    alice, thief = w.ue(IMPU_ALICE), w.ue(IMPU_BOB, "bob")
    assert alice.register().status == 200 and thief.register().status == 200
    assert alice.publish(token).status == 200
    outcome = thief.publish(token)
    return outcome.status, outcome.reason


def _with_peer(act: Callable[[World, SipEndpoint], tuple[int, str]]
               ) -> Callable[[World], tuple[int, str]]:
    def run(w: World) -> tuple[int, str]:
        with SipEndpoint(None, t1=T1, methods=()) as peer:
            return act(w, peer)
    return run


def _other_event(w: World, peer: SipEndpoint) -> tuple[int, str]:
    assert w.ue().register().status == 200
    request = publish(peer, IMPU_ALICE, w.access_token(), event="presence")
    return answer_of(peer.send(request, w.core.address))


def _bypass(w: World, peer: SipEndpoint) -> tuple[int, str]:
    assert w.ue().register().status == 200
    request = publish(peer, IMPU_ALICE, w.access_token(),
                      extra=(("P-Asserted-Identity", f"<{IMPU_ALICE}>"),
                             ("Contact", "<sip:evil@127.0.0.1>")))
    return answer_of(peer.send(request, w.server.address))


def _forged_third_party(w: World, peer: SipEndpoint) -> tuple[int, str]:
    request = sip_message.request("REGISTER", w.server.uri, from_uri=w.core.uri, to_uri=IMPU_ALICE,
                           local=peer.address, transport="UDP",
                           headers=(("Contact", f"<{w.core.uri}>"), ("Expires", "600")))
    return answer_of(peer.send(request, w.server.address))


def _stranger(w: World) -> tuple[int, str]:
    outcome = w.ue(IMPU_STRANGER).register()
    return outcome.status, outcome.reason


def _brief(w: World) -> tuple[int, str]:
    outcome = w.ue().register(expires=model.MIN_EXPIRES - 1)
    return outcome.status, outcome.reason


#: guard -> (the role whose model loses it, the request it refused)
CASES: dict[str, tuple[str, Callable[[World], tuple[int, str]]]] = {
    "token-valid": ("server", _expired),
    "token-scope": ("server", _wrong_scope),
    "token-unused": ("server", _replayed),
    "event-package": ("server", _with_peer(_other_event)),
    "through-sip-core": ("server", _with_peer(_bypass)),
    "from-sip-core": ("server", _with_peer(_forged_third_party)),
    "impu-served": ("core", _stranger),
    "expires-acceptable": ("core", _brief),
}


#: what the mutant answers where it is not 200: the token predicates read claims only from a
#: valid token, so without ``token-valid`` an expired token grants no scope and the next guard
#: refuses it (the binding still needs a valid token)
WITHOUT = {"token-valid": model.SIP_ANSWERS["token-scope"]}


def _world(role: str, procedure: Procedure) -> Iterator[World]:
    if role == "server":
        return make_world(server_procedure=procedure)
    return make_world(core_procedure=procedure)


@pytest.mark.parametrize("guard", sorted(CASES))
def test_the_guard_is_what_refuses(guard: str) -> None:
    """REQ-SIPREG-09: a role's refusal is answered with the SIP status and reason phrase its
    guard names (and the model without the guard lets the request through)."""
    role, act = CASES[guard]
    for procedure, expected in ((model.PROCEDURE, model.SIP_ANSWERS[guard]),
                                (_without(guard), WITHOUT.get(guard, model.OK))):
        worlds = _world(role, procedure)
        world = next(worlds)
        try:
            assert act(world) == expected, (guard, procedure is model.PROCEDURE)
        finally:
            worlds.close()


def test_without_the_core_check_the_server_still_refuses_an_unregistered_impu() -> None:
    """Defence in depth: a SIP core that forwards an unregistered IMPU's PUBLISH (its guard
    dropped) meets the MCPTT server's own registration check."""
    worlds = make_world(core_procedure=_without("publisher-registered"))
    world = next(worlds)
    try:
        with SipEndpoint(None, t1=T1, methods=()) as peer:
            request = publish(peer, IMPU_ALICE, world.access_token())
            response = peer.send(request, world.core.address)
        assert answer_of(response) == model.SIP_ANSWERS["impu-registered"]
        assert ALICE not in world.server.bindings()
    finally:
        worlds.close()
