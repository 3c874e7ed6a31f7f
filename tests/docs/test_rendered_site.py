"""The spliced spec pages through Sphinx (MyST, warnings are errors): every requirement of every
registered procedure is a cell of a table in its page's HTML."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sphinx.cmd.build import build_main

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import PROCEDURES
from tests.docs.site import DOCS, pages_listing_requirements_of, rendered, spec_pages

#: The MyST settings of docs/conf.py that the spec pages need (conf.py itself writes every
#: generated page, proofs included, when it is read, so it is not reused here).
CONF = """\
extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence", "deflist"]
suppress_warnings = ["myst.header"]
exclude_patterns = ["_build"]
"""
INDEX = "# spec\n\n```{toctree}\n:glob:\n\nspec-*\n```\n"
#: Sphinx's smart quotes, undone to compare cell text with the model's.
SMART = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spec pages built to HTML; the build fails on any warning."""
    src = tmp_path_factory.mktemp("site")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    for page in spec_pages():
        (src / f"spec-{page.stem}.md").write_text(rendered(page), encoding="utf-8")
    out = src / "_build"
    assert build_main(["-q", "-W", "-b", "html", str(src), str(out)]) == 0
    return out


def test_the_conf_settings_are_those_of_the_site() -> None:
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert all(line in conf for line in CONF.splitlines())


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_every_requirement_is_a_table_cell_of_its_page(site: Path, procedure: Procedure) -> None:
    (page,) = pages_listing_requirements_of(procedure)
    cells = {html.unescape(re.sub(r"<[^>]+>", "", c)).translate(SMART).strip() for c in re.findall(
        r"<td[^>]*>(.*?)</td>", (site / f"spec-{page.stem}.html").read_text(encoding="utf-8"),
        re.DOTALL)}
    missing = [rid for rid, text in procedure.requirements.items()
               if rid not in cells or text not in cells]
    assert not missing, f"spec/{page.name}: not in its HTML tables: {missing}"
