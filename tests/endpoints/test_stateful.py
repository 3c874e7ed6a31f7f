"""The generated state machine of each procedure (``generator.state_machine``): legal runs and
catalogue threats interleaved on one world, so what a refused attack left (or must not have
left) meets the next legal run, which must still complete with both ends holding one key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

from tests.endpoints.generator import Driver, state_machine
from tests.endpoints.worlds import DRIVERS

#: a step is a whole protocol run over real crypto (and HTTPS): few, short sequences,
#: derandomized; too_slow suppressed for the same reason
STATEFUL = settings(max_examples=4, stateful_step_count=5, deadline=None, derandomize=True,
                    database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("procedure", sorted(DRIVERS))
def test_legal_runs_and_threats_interleaved(procedure: str,
                                            driver_of: Callable[[str], Driver]) -> None:
    machine = state_machine(driver_of(procedure))
    machine.TestCase.settings = STATEFUL
    machine.TestCase("runTest").runTest()
