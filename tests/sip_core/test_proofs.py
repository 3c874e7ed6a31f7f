"""The SIP registration model's guard regression rows (proofs/sip_registration.py) hold, and
kill every generated mutant of the model (drop and field-swap); ``mckm prove`` runs them."""

from __future__ import annotations

from mckm.models.procedures.mutants import mutants
from mckm.proofs import cli, sip_registration
from mckm.proofs.docs import PROCEDURES, procedure_page
from mckm.proofs.result import survivors


def test_every_row_holds_and_every_mutant_is_killed() -> None:
    rows = sip_registration.prove(quick=False)
    assert rows and all(r.holds for r in rows)
    assert survivors(rows) == []
    names = {m.name for r in rows for m in r.mutants}
    assert names == {f"sip {m.name}" for m in mutants(sip_registration.PROCEDURE)}


def test_the_family_is_registered_and_the_model_has_its_page() -> None:
    assert cli.FAMILIES["sip-registration"] is sip_registration.prove
    assert sip_registration.PROCEDURE in PROCEDURES
    page = procedure_page(sip_registration.PROCEDURE)
    assert "THIRD_PARTY_REGISTER" in page and "token-unused" in page
