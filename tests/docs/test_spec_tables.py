"""Spec pages type no model fact by hand, and every model requirement reaches its page.

The tables of requirements, steps, guards, MIKEY errors, key purposes and the key-id layout are
spliced into ``spec/`` pages from the models (``docs/splice.py``); these tests keep it so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import PROCEDURES
from tests.docs.site import cell, pages_listing_requirements_of, rendered, spec_pages
from tests.docs.typed_facts import typed_facts


@pytest.mark.parametrize("page", spec_pages(), ids=lambda p: p.name)
def test_no_spec_page_types_a_model_fact(page: Path) -> None:
    typed = typed_facts(page.read_text(encoding="utf-8"))
    assert not typed, "\n".join(f"spec/{page.name}:{t.line}: {t.restates} typed by hand; "
                                "splice it with an mckm-* directive" for t in typed)


#: Rows as they were typed by hand before the tables were spliced (spec pages at 924b157).
HAND_TYPED = """\
| id | requirement | step |
|---|---|---|
| REQ-SEAL-KD-02 | On creating K the initiator generates a SK-ID. | 1 (`registered-purpose`) |
| value | purpose | status of the fact |
|---|---|---|
| 2 | CSK, client-server key | verified (TS 36.579-1 Table 5.5.9.1-1: "0010"B) |
| id | requirement (short) | one KMS | two KMSs |
|---|---|---|---|
| REQ-TKT-24 | responder: a TRANSFER_INIT whose RANDRi it accepted is a replay (1) | 1 | 1 |
"""


def test_the_hand_typed_tables_of_before_are_found() -> None:
    found = {(t.line, t.restates) for t in typed_facts(HAND_TYPED)}
    assert found == {(3, "requirement REQ-SEAL-KD-02 (a model's REQUIREMENTS)"),
                     (3, "guard registered-purpose"), (6, "key purpose CSK = 2"),
                     (9, "requirement REQ-TKT-24 (a model's REQUIREMENTS)")}


@pytest.mark.parametrize("line,restates", [
    ("| 2-3 | responder | RESOLVE_INIT | send |", "step 2-3 of mikey-ticket-one-kms"),
    ("| `purpose` | 31..28 | 4 |", "key-id field purpose bits 31..28"),
    ("| 0110 | MuSiK, multicast signalling key |", "key purpose MuSiK = 6"),
    ("- **REQ-SEAL-KD-99** a requirement typed as a list item", "requirement REQ-SEAL-KD-99 "
                                                                 "(a model's REQUIREMENTS)"),
])
def test_each_kind_of_typed_fact_is_found(line: str, restates: str) -> None:
    assert restates in {t.restates for t in typed_facts(line + "\n")}


def test_a_table_of_requirements_no_model_owns_may_stay() -> None:
    assert typed_facts("| REQ-ECCSI-01 | The KMS key pair ... | 4.2 |\n") == []


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_every_requirement_of_a_model_is_on_its_page(procedure: Procedure) -> None:
    pages = pages_listing_requirements_of(procedure)
    assert len(pages) == 1, f"{procedure.name}: spliced by {len(pages)} pages, not one"
    text = rendered(pages[0])
    for rid, requirement in procedure.requirements.items():
        assert re.search(rf"^\| {re.escape(rid)} \| {re.escape(cell(requirement))} \|", text,
                         re.MULTILINE), f"{rid} is not a row of spec/{pages[0].name}"


def test_status_codes_are_named_by_the_protocol_that_carries_them() -> None:
    """The SKM-S answers over HTTP, the InterKMM relay over SIP: each table says which."""
    from docs.spec_tables import errors_table, requirements_table
    from mckm.models.procedures.interkmm import PROCEDURES as INTERKMM
    from mckm.models.procedures.skm_s import PROCEDURE as SKMS

    sip, http = errors_table(INTERKMM), errors_table([SKMS])
    assert "| SIP 413 |" in sip and "HTTP" not in sip
    assert "| HTTP 401 |" in http and "SIP" not in http
    assert "refused by guard (SIP status)" in requirements_table(INTERKMM)
