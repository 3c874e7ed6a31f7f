"""REQ-SEAL-KD-13, deterministically: after a legal SEAL key distribution, an I_MESSAGE fed
again to the receiver that consumed it (now holding its key) or to the initiator (which never
receives one) is a message the model does not expect in that state: refused with the model's
unexpected-message refusal (no step, no guard, MIKEY error 'unspecified'), and the machine's
state and variables stay as they were."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from mckm.impl.engine import StepRefused
from mckm.models.procedures.seal_key_distribution import UNSPECIFIED
from tests.properties import seal_world
from tests.properties.generator import play


def _snapshot(variables: Any) -> dict[str, Any]:
    """The variables, with their containers (replay cache, key store) copied one level."""
    return {k: type(v)(v) if isinstance(v, dict | set | list) else v
            for k, v in dict(variables).items()}


@settings(max_examples=10, deadline=None)
@given(params=seal_world.PARAMS)
def test_an_i_message_the_role_does_not_expect_is_refused(params: dict[str, Any]) -> None:
    """REQ-SEAL-KD-13: the consumed I_MESSAGE again at the receiver, and at the initiator."""
    scn = seal_world.scenario()
    run = play(scn, scn.make_machines(params, False), params)
    (delivery,) = run.deliveries
    assert run.machines["receiver"].state != scn.procedure.role("receiver").initial
    for role in ("receiver", "initiator"):
        machine = run.machines[role]
        before = (machine.state, _snapshot(machine.vars))
        try:
            machine.feed(delivery.message, now=delivery.now)
        except StepRefused as exc:
            assert (exc.requirement, exc.step, exc.guard) == ("REQ-SEAL-KD-13", None, None), exc
            assert exc.mikey_error == UNSPECIFIED
        else:
            raise AssertionError(f"the {role} took an I_MESSAGE it does not expect")
        assert (machine.state, _snapshot(machine.vars)) == before
