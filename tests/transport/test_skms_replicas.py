"""The SKM-S as replica processes on one SQLite store (impl/transport/replicas.py), driven by the
load benchmark's generator from a second process: every keyprov of a distinct enrolled user is
answered 200 whichever replica takes it (bench/kms.py checks one answer with the model's
client first and fails on any other status)."""

from __future__ import annotations

import pytest

from mckm.bench.kms import provision_load
from mckm.bench.load import LoadBudget


@pytest.mark.parametrize("processes", [0, 2])
def test_keyprov_under_load_from_replicas(processes: int) -> None:
    result = provision_load(LoadBudget(30, 20.0), processes=processes, connections=3,
                            warmup=3)
    assert (result.count, result.errors) == (30, 0)
    assert 0 < result.p50_ms <= result.p99_ms
