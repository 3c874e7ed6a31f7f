"""The IdM model's guard regression rows (proofs/idm.py) hold and kill every generated mutant
of the model (drop and field-swap); ``mckm prove`` runs them as the family ``idm``."""

from __future__ import annotations

from mckm.models.procedures.mutants import mutants
from mckm.models.procedures.registry import by_name
from mckm.proofs import cli, idm
from mckm.proofs.result import survivors


def test_every_row_holds_and_every_mutant_is_killed() -> None:
    rows = idm.prove(quick=False)
    assert rows and all(r.holds for r in rows)
    assert survivors(rows) == []
    names = {m.name for r in rows for m in r.mutants}
    assert names == {f"idm {m.name}" for m in mutants(idm.PROCEDURE)}


def test_every_guarded_step_has_a_row() -> None:
    guarded = {(s.role, s.message, s.action) for s in idm.PROCEDURE.steps if s.guards}
    assert guarded == {(k.role, k.message, k.action) for k in idm.STATEMENTS}


def test_the_family_is_registered_with_its_model() -> None:
    assert cli.FAMILIES["idm"] is idm.prove and cli.MODEL_OF["idm"] == "IdM"
    assert by_name("idm-authorisation") is idm.PROCEDURE
