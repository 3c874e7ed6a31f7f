"""The full mutant run (every field-swap mutant too, as ``mckm prove`` does) is a separate
command, not part of ``./dev test``:

    MCKM_FULL_PROOFS=1 .venv/bin/python -m pytest -m slow tests/proofs/test_mutant_ledger.py

(or ``./dev mckm prove``, which exits 1 on an unexplained survivor)."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("MCKM_FULL_PROOFS"):
        return
    skip = pytest.mark.skip(reason="full mutant run: set MCKM_FULL_PROOFS=1")
    for item in items:
        if "slow" in item.keywords and "tests/proofs" in str(item.fspath):
            item.add_marker(skip)
