"""The requirement tables of ``spec/`` and the procedure models name the same requirements.

The tables are spliced from the models (``mckm-requirements`` directive, ``docs/splice.py``), so
the page as the site shows it must list exactly the model's ids, each once; and every registered
procedure must be spliced by a spec page, so a new model cannot go without its table.
"""

from __future__ import annotations

import re

import pytest

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import PROCEDURES
from tests.docs.site import pages_listing_requirements_of, rendered


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_spec_table_and_model_list_the_same_requirements(procedure: Procedure) -> None:
    pages = pages_listing_requirements_of(procedure)
    assert pages, f"no spec page splices {{mckm-requirements}} {procedure.name}"
    for page in pages:
        rows = re.findall(r"^\| (REQ-[A-Z0-9-]+) \|", rendered(page), re.MULTILINE)
        assert len(rows) == len(set(rows)), f"{page.name}: an id appears in two rows"
        on_page = [p for p in PROCEDURES if page in pages_listing_requirements_of(p)]
        assert set(rows) == {rid for p in on_page for rid in p.requirements}
