"""The two-KMS resolve benchmark with KMS_A in a process of its own (bench/ticket.py
``apart``): KMS_B forwards every resolve over mutual-TLS Zk to that process, which holds KMS_A's
key and certificate; every resolve answered 200 (a refused one fails the benchmark)."""

from __future__ import annotations

from mckm.bench.load import LoadBudget
from mckm.bench.ticket import BOB_B, resolve_load


def test_two_kms_resolves_with_the_issuer_in_another_process() -> None:
    result = resolve_load(BOB_B, LoadBudget(40, 20.0), connections=2, apart=True)
    assert (result.count, result.errors) == (40, 0)
    assert 0 < result.p50_ms <= result.p99_ms
    assert result.server_cpu_ms is None  # KMS_A's CPU is not the measuring process's
