"""The built site (fixture ``built_site``, Sphinx with warnings as errors): every requirement of
every registered procedure is a cell of a table in its spec page's HTML, with its text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import PROCEDURES
from tests.docs.site import pages_listing_requirements_of

#: Sphinx's smart quotes, undone to compare cell text with the model's.
SMART = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
#: what the definition of a requirement id adds after it: the link to its matrix row
TRACE = " (trace)"


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_every_requirement_is_a_table_cell_of_its_page(built_site: Path,
                                                        procedure: Procedure) -> None:
    (page,) = pages_listing_requirements_of(procedure)
    page_html = (built_site / "_generated" / f"spec-{page.stem}.html").read_text(encoding="utf-8")
    cells = {html.unescape(re.sub(r"<[^>]+>", "", c)).translate(SMART).strip().removesuffix(TRACE)
             for c in re.findall(r"<td[^>]*>(.*?)</td>", page_html, re.DOTALL)}
    missing = [rid for rid, text in procedure.requirements.items()
               if rid not in cells or text not in cells]
    assert not missing, f"spec/{page.name}: not in its HTML tables: {missing}"
