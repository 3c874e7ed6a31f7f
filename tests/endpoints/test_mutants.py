"""Dropping a guard fails a catalogue threat's test: each receiving step's refusing guard is
dropped from the model the endpoints run (``mutants.drop_guard_mutants``), and the threats of
the catalogue aimed at that step's message are run against the endpoints until one fails.

A guard whose drop no threat notices is listed in :data:`NOT_CAUGHT` with the reason (another
guard refuses the same threats with the same error, or the catalogue has no threat for it):
the test fails if the list is wrong either way, so a new hole or a new kill is seen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import Mutant, drop_guard_mutants
from mckm.models.procedures.registry import by_name
from mckm.models.procedures.threats import CATALOGUES, Threat
from tests.endpoints.generator import Driver, check
from tests.endpoints.worlds import DRIVERS, MUTANT_DRIVERS

#: one example, no shrinking: the first failure is the answer (one example is a whole run)
ONE = settings(max_examples=1, deadline=None, derandomize=True, database=None,
               phases=(Phase.generate,), report_multiple_bugs=False,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])

#: (procedure, step, guard) -> why no catalogue threat fails without the guard
NOT_CAUGHT: dict[tuple[str, str, str], str] = {
}


def _refusing(procedure: Procedure) -> list[Mutant]:
    """Drop mutants of the guards that refuse a received message with a MIKEY error or an
    HTTP status (the security checks; a send step's guards check what the role itself writes)."""
    out = []
    for m in drop_guard_mutants(procedure):
        step = procedure.step(str(m.step))
        guard = next(g for g in step.guards if g.name == m.guard)
        if step.action == "receive" and (guard.mikey_error is not None
                                         or guard.http_status is not None
                                         or step.role == "client"):
            out.append(m)
    return out


def _threats_for(procedure: Procedure, mutant: Mutant) -> list[Threat]:
    step = procedure.step(str(mutant.step))
    guard = next(g for g in step.guards if g.name == mutant.guard)
    aimed = [t for t in CATALOGUES[procedure.name].threats if t.message == step.message]
    return sorted(aimed, key=lambda t: t.requirement != guard.requirement)


def _attack(driver: Driver, threat: Threat) -> Callable[[], None]:
    @ONE
    @given(st.data())
    def attack(data: st.DataObject) -> None:
        check(driver, threat, data)

    return attack


def _caught(make: Callable[[Procedure], Driver], base: Procedure, mutant: Mutant) -> str | None:
    """The name of the first threat whose test fails against the mutant's endpoints."""
    driver = make(mutant.procedure)
    for threat in _threats_for(base, mutant):
        try:
            _attack(driver, threat)()
        except HypothesisException:
            raise  # the test itself is broken, not the endpoint
        except Exception:  # accepted, wrong refusal, state changed, or a crash: the test fails
            return threat.name
    return None


CASES = [(name, m) for name in MUTANT_DRIVERS for m in _refusing(by_name(name))]


@pytest.mark.parametrize(("procedure", "mutant"), CASES,
                         ids=[f"{n}: {m.name}" for n, m in CASES])
def test_dropping_a_guard_fails_a_threat(procedure: str, mutant: Mutant) -> None:
    base = by_name(procedure)
    caught = _caught(MUTANT_DRIVERS[procedure], base, mutant)
    key = (procedure, str(mutant.step), str(mutant.guard))
    if key in NOT_CAUGHT:
        assert caught is None, f"{mutant.name} is now caught by {caught}: drop it from NOT_CAUGHT"
    else:
        assert caught is not None, f"{procedure} {mutant.name}: no catalogue threat fails"


def test_the_unmutated_model_passes_every_threat() -> None:
    """The control: the same loop on the model itself catches nothing."""
    for procedure, make in MUTANT_DRIVERS.items():
        driver = make(by_name(procedure))
        for threat in CATALOGUES[procedure].threats:
            _attack(driver, threat)()


def test_every_driver_runs_mutants() -> None:
    assert set(MUTANT_DRIVERS) == set(DRIVERS)
