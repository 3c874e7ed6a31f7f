"""Tests of the model-driven generator itself, on the toy model whose answers are known."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis.errors import Flaky

from mckm.impl.engine import DictMessage, StepRefused
from mckm.models.procedures.mutants import drop_guard_mutants, swap_field_mutants
from tests.properties import toy_model
from tests.properties.generator import build_state_machine, play

FAST = settings(max_examples=25, stateful_step_count=8, deadline=None)


#: for mutants: a failure is expected, so do not spend time shrinking it
NO_SHRINK = settings(FAST, max_examples=300, phases=(Phase.generate,), derandomize=True,
                     database=None, report_multiple_bugs=False)


def _run(machine_class: type, fast: settings = FAST) -> None:
    machine_class.TestCase.settings = fast
    machine_class.TestCase("runTest").runTest()


def test_generated_machine_passes_on_the_toy_model() -> None:
    _run(build_state_machine(toy_model.scenario()))


def test_a_legal_toy_run_agrees_on_the_nonce() -> None:
    scn = toy_model.scenario()
    params = {"nonce": b"n1", "to": "bob", "now": 0}
    run = play(scn, scn.make_machines(params, False), params)
    expected = [b"n1" + bytes(4)]
    assert [e.value for e in run.emitted["a"]] == [e.value for e in run.emitted["b"]] == expected
    assert [d.step.number for d in run.deliveries] == ["2", "4"]


def test_known_refusals_of_the_toy_model() -> None:
    scn = toy_model.scenario()
    params = {"nonce": b"n1", "to": "bob", "now": 0}
    run = play(scn, scn.make_machines(params, True), params)
    ping = run.deliveries[0].message
    with pytest.raises(StepRefused) as replay:
        scn.make_machines(params, True)["b"].feed(ping, now=0)
    assert (replay.value.step, replay.value.guard, replay.value.requirement,
            replay.value.mikey_error) == ("2", "fresh-nonce", "REQ-TOY-03", 1)
    with pytest.raises(StepRefused) as early:
        scn.make_machines(params, True)["a"].feed(DictMessage("PONG", {"nonce": b"n"}), now=0)
    assert (early.value.step, early.value.requirement) == (None, "REQ-TOY-05")
    assert "state 'idle'" in str(early.value) and "step 1 (a -> b: PING)" in str(early.value)


@pytest.mark.parametrize("mutant", [m for m in drop_guard_mutants(toy_model.TOY)],
                         ids=lambda m: m.name)
def test_generator_catches_a_toy_model_with_a_dropped_guard(mutant) -> None:
    machine = build_state_machine(toy_model.scenario(mutant.procedure))
    with pytest.raises((AssertionError, Flaky)):
        _run(machine, NO_SHRINK)


def test_generator_catches_a_confused_field_mutant() -> None:
    broken = [m for m in swap_field_mutants(toy_model.TOY) if m.guard == "addressed"]
    assert broken, "the toy model has a swappable field in 'addressed'"
    for mutant in broken:
        with pytest.raises((AssertionError, Flaky)):
            _run(build_state_machine(toy_model.scenario(mutant.procedure)), NO_SHRINK)
