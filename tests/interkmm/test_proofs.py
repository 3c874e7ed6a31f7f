"""The InterKMM regression rows (``mckm.proofs.interkmm``): every row holds on the models and
every generated mutant of both models (drop, policy, field swap) is killed by a row."""

from __future__ import annotations

from mckm.proofs import cli
from mckm.proofs import interkmm as family
from mckm.proofs.result import survivors


def test_the_rows_hold_and_kill_every_mutant() -> None:
    rows = family.prove(quick=False)
    assert rows and all(r.holds for r in rows), [r.property for r in rows if not r.holds]
    assert survivors(rows) == []
    ran = {m.name for r in rows for m in r.mutants}
    assert {m.name for m in family.all_mutants(quick=False)} <= ran
    assert any(n.endswith("interkmm-ue-to-iwf step 2: drop fresh") for n in ran)


def test_the_family_is_run_by_mckm_prove() -> None:
    assert cli.FAMILIES["interkmm"] is family.prove
    assert cli.MODEL_OF["interkmm"] == "InterKMM"
