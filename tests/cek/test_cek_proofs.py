"""The CEK model's guard regression rows (proofs/cek.py) hold, and kill every generated
mutant of the model (drop, when, policy and field-swap); ``mckm prove`` runs them."""

from __future__ import annotations

from mckm.models.procedures.mutants import mutants
from mckm.proofs import cek, cli
from mckm.proofs.docs import PROCEDURES
from mckm.proofs.result import survivors


def test_every_row_holds_and_every_mutant_is_killed() -> None:
    rows = cek.prove(quick=False)
    assert rows and all(r.holds for r in rows)
    assert survivors(rows) == []
    names = {m.name for r in rows for m in r.mutants}
    assert names == {f"cek {m.name}" for m in mutants(cek.PROCEDURE)}


def test_the_family_is_registered_and_the_model_has_its_page() -> None:
    assert cli.FAMILIES["cek"] is cek.prove and cli.MODEL_OF["cek"] == "CEK"
    assert cek.PROCEDURE in PROCEDURES
