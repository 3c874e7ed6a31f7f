"""The requirement tables of ``spec/`` and the procedure models name the same requirements: the
spec page gives the short form, the model holds the text; neither may gain an id alone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from mckm.models.procedures import mikey_ticket, seal_key_distribution

SPEC = Path(__file__).resolve().parents[2] / "spec"


@pytest.mark.parametrize("page,requirements", [
    ("mikey-ticket.md", mikey_ticket.REQUIREMENTS),
    ("seal-key-distribution.md", seal_key_distribution.PROCEDURE.requirements),
])
def test_spec_table_and_model_list_the_same_requirements(page: str,
                                                         requirements: Mapping[str, str]) -> None:
    rows = re.findall(r"^\| (REQ-[A-Z0-9-]+) \|", (SPEC / page).read_text(), re.MULTILINE)
    assert len(rows) == len(set(rows)), f"{page}: an id appears in two rows"
    assert set(rows) == set(requirements)
