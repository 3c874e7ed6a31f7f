"""Every catalogue threat against every catalogued procedure's public endpoints, with real octets
and real crypto: refused with the refusal the catalogue names, nothing changed
(``generator.check``).  One world per procedure (conftest); hypothesis draws the run's
parameters and where a tamper flips."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mckm.models.procedures.threats import CATALOGUES, Threat
from tests.endpoints.generator import Driver, check
from tests.endpoints.worlds import DRIVERS

#: a run costs real signatures, SAKKE and HTTPS round trips: few examples, derandomized (the
#: threats differ by what they attack, not by the drawn parameters); too_slow is suppressed
#: because one example is one or two whole protocol runs
EXAMPLES = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

CASES = [(name, t) for name in DRIVERS for t in CATALOGUES[name].threats]


@pytest.mark.parametrize(("procedure", "threat"), CASES, ids=[f"{n}: {t.name}" for n, t in CASES])
def test_threat_is_refused_as_the_catalogue_says(procedure: str, threat: Threat,
                                                  driver_of: Callable[[str], Driver]) -> None:
    driver = driver_of(procedure)

    @EXAMPLES
    @given(st.data())
    def attack(data: st.DataObject) -> None:
        check(driver, threat, data)

    attack()
