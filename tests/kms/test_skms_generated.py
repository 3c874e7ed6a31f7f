"""Stateful tests generated from the SKM-S model (``tests/properties/generator.py``), played on
the real runtime of ``skms_world``: legal runs end with client and KMS agreeing on the response,
and every attack is refused by the guard the model names for it, changing nothing."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from mckm.models.procedures import skm_s
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.kms import skms_world
from tests.properties.generator import build_state_machine, play

FAST = settings(max_examples=25, stateful_step_count=6, deadline=None)
NO_SHRINK = settings(FAST, max_examples=200, phases=(Phase.generate,), derandomize=True,
                     database=None, report_multiple_bugs=False)


def _run(machine_class: type, fast: settings = FAST) -> None:
    machine_class.TestCase.settings = fast
    machine_class.TestCase("runTest").runTest()


@pytest.mark.parametrize("resource", sorted(skm_s.RESOURCES))
def test_generated_skms_machine(resource: str) -> None:
    _run(build_state_machine(skms_world.scenario(resource)))


def test_a_legal_keyprov_run_hands_the_client_valid_key_sets() -> None:
    scn = skms_world.scenario("keyprov")
    params = skms_world._params(skms_world.USERS[0], skm_s.BODY_SIGNED, True)
    run = play(scn, scn.make_machines(params, False), params)
    (key_sets,) = [e.value for e in run.emitted["client"] if e.name == "key_sets"]
    w = skms_world.world()
    current = w.role.period_at(skms_world.NOW)
    assert [k.period_no for k in key_sets] == [current, current + 1]
    stored = w.role.store.key_sets(skms_world.USERS[0], [current, current + 1])
    assert [k.ssk for k in key_sets] == [stored[p].ssk for p in (current, current + 1)]


@pytest.mark.parametrize(("step", "guard"), [
    ("6", "request-signed-by-user"), ("6", "path-user-is-subject"), ("6", "token-valid"),
    ("8", "signed-with-ink")])
def test_generated_machine_catches_the_model_without(step: str, guard: str) -> None:
    mutant = next(m for m in drop_guard_mutants(skm_s.PROCEDURE)
                  if (m.step, m.guard) == (step, guard))
    with pytest.raises(AssertionError):
        _run(build_state_machine(skms_world.scenario("keyprov", mutant.procedure)), NO_SHRINK)
