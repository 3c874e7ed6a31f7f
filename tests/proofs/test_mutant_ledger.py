"""Every generated mutant counts: each is killed by a row of a family of its model or explained
by an equivalence mark in its model (``Guard.equivalent``); every mark names a guard.

The default run uses ``mckm prove --quick`` (drop, when and policy mutants); the field-swap
mutants run in the ``slow`` test (``pytest -m slow tests/proofs/test_mutant_ledger.py``, or
``mckm prove``)."""

from __future__ import annotations

import functools

import pytest

from mckm.models.procedures.mutants import marked_guards, mutants
from mckm.proofs.cli import run_all, summary
from mckm.proofs.docs import PROCEDURES, proofs_page
from mckm.proofs.result import ProofResult, equivalents, generated


@functools.cache
def quick_run() -> dict[str, list[ProofResult]]:
    return run_all(quick=True)


def _assert_ledger(results: dict[str, list[ProofResult]], quick: bool) -> None:
    for family, rows in results.items():
        assert all(r.as_expected for r in rows), family
    ran = {n for rows in results.values() for n in generated(rows)}
    for p in PROCEDURES:  # every generated mutant of every model ran (names carry a prefix)
        for m in mutants(p, quick=quick):
            assert any(n.endswith(m.name) for n in ran), (p.name, m.name)
    ok, notes = summary(results)  # a survivor of one family may be killed by another of its model
    assert ok, notes


def test_every_quick_mutant_is_killed_or_marked() -> None:
    _assert_ledger(quick_run(), quick=True)


@pytest.mark.slow
def test_every_mutant_is_killed_or_marked() -> None:
    _assert_ledger(run_all(quick=False), quick=False)


def test_every_mark_names_a_guard_of_its_model() -> None:
    """A mark lives on a guard (so it names one that exists); a marked guard's mutants that a
    row kills need no mark, so a stale mark is reported here: each marked guard is one whose
    mutant some family left alive."""
    explained = {reason for rows in quick_run().values() for reason in equivalents(rows).values()}
    for p in PROCEDURES:
        for (number, guard), reason in marked_guards(p).items():
            assert guard in [g.name for g in p.step(number).guards]
            assert reason.split(":")[0].split(" ")[0] in ("implied", "defence", "not"), reason
            assert reason in explained, f"{p.name} {number} {guard}: the mark explains nothing"


def test_the_proof_page_lists_the_marks_with_their_reasons() -> None:
    page = proofs_page()
    assert "## Equivalence marks" in page
    for p in PROCEDURES:
        for (number, guard), reason in marked_guards(p).items():
            assert f"| {p.name} | {number} | {guard} | {reason} |" in page
