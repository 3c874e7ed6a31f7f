"""One world per procedure for the whole run (servers started once, closed at the end): the
drivers of ``worlds.DRIVERS``, built when a test first asks for one."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.endpoints.generator import Driver
from tests.endpoints.worlds import DRIVERS


@pytest.fixture(scope="session")
def driver_of() -> Iterator[Callable[[str], Driver]]:
    made: dict[str, Driver] = {}

    def get(procedure: str) -> Driver:
        if procedure not in made:
            made[procedure] = DRIVERS[procedure]()
        return made[procedure]

    yield get
    for driver in made.values():
        driver.close()
