"""Property tests of the SEAL key-distribution model (seed 004), generated from the model and
played over the symbolic crypto layer of ``seal_world``."""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings

from mckm.impl.engine import StepRefused
from mckm.models.procedures.mutants import drop_guard_mutants
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from tests.properties import seal_world
from tests.properties.generator import build_state_machine, play

FAST = settings(max_examples=30, stateful_step_count=10, deadline=None)


#: for mutants: a failure is expected, so do not spend time shrinking it
#: (derandomized and with room to search, so that finding the attack never depends on luck)
NO_SHRINK = settings(FAST, max_examples=300, phases=(Phase.generate,), derandomize=True,
                     database=None, report_multiple_bugs=False)


def _run(machine_class: type, fast: settings = FAST) -> None:
    machine_class.TestCase.settings = fast
    machine_class.TestCase("runTest").runTest()


def test_generated_seal_machine() -> None:
    """REQ-SEAL-KD-13: among its generated threats, a delivered I_MESSAGE fed again to the
    machine that consumed it (duplicate) must be refused by the model's unexpected-message
    refusal."""
    _run(build_state_machine(seal_world.scenario()))


@settings(max_examples=20, deadline=None)
@given(params=seal_world.PARAMS)
def test_legal_run_both_sides_hold_the_same_key(params) -> None:
    scn = seal_world.scenario()
    run = play(scn, scn.make_machines(params, False), params)
    (sk_id, k_i), = [e.value for e in run.emitted["initiator"]]
    (sk_id_r, k_r), = [e.value for e in run.emitted["receiver"]]
    assert (sk_id, k_i) == (sk_id_r, k_r)
    assert run.machines["receiver"].vars["keys"][sk_id] == k_i
    assert "redacted" in repr(k_r)


def test_tampered_signature_names_step_clause_requirement_and_error() -> None:
    scn = seal_world.scenario()
    params = {"now": 3 * seal_world.PERIOD + 5000, "purpose": "PCK", "random": 7,
              "key": bytes(12), "rand": bytes(12), "to": seal_world.USERS[1]}
    run = play(scn, scn.make_machines(params, False), params)
    message = run.deliveries[0].message.replace(csb_id=run.deliveries[0].message["csb_id"] ^ 1)
    receiver = scn.make_machines(params, False)["receiver"]
    with pytest.raises(StepRefused) as exc:
        receiver.feed(message, now=params["now"])
    e = exc.value
    assert (e.step, e.guard, e.requirement, e.mikey_error) == (
        "2", "signed-by-initiator", "REQ-SEAL-KD-10", 0)
    assert "TS 33.434 6.Y.2" in str(e) and "Auth failure" in str(e)
    assert receiver.state == "waiting" and receiver.vars["replay_cache"] == frozenset()


@pytest.mark.parametrize("name", ["not-replayed", "signed-by-initiator", "addressed",
                                  "current-period"])
def test_generated_machine_catches_seal_model_without(name) -> None:
    mutant = next(m for m in drop_guard_mutants(PROCEDURE) if m.guard == name)
    with pytest.raises(AssertionError):
        _run(build_state_machine(seal_world.scenario(mutant.procedure)), NO_SHRINK)
