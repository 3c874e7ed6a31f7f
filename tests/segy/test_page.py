"""The seed 003 spec page: lint-clean, every ``mckm-segy`` block renders from the models."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.segy import docs
from mckm.impl.segy.simulator import METRICS
from mckm.models.segy.approaches import APPROACHES
from mckm.models.segy.claims import CLAIMS
from mckm.proofs import segy as proofs
from tests.docs.site import splice

PAGE = Path(__file__).parents[2] / "spec" / "segy-gateway.md"


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(docs, "SIZES", {"users": 2_000, "groups": 100, "periods": 1})
    monkeypatch.setattr(docs, "SWEEP", (10, 100))
    monkeypatch.setattr(docs, "CLAIMS_USERS", 1_000)


def test_mckm_lint_is_clean_on_the_page():
    result = CliRunner().invoke(main, ["lint", str(PAGE)])
    assert result.exit_code == 0 and result.output.strip() == "", result.output


def test_the_page_splices_every_table_and_the_plots(small):
    text = PAGE.read_text(encoding="utf-8")
    names = re.findall(r"^```\{mckm-segy\} (\S+)$", text, re.M)
    assert set(names) == set(docs.TABLES)
    rendered = {n: docs.render(n) for n in names}
    for c in CLAIMS:
        assert f"| {c.id} | " in rendered["claims"]
    for name, _ in proofs.PROPERTIES:
        assert f"| {name} |" in rendered["security"]
    for a in APPROACHES:
        assert a.title in rendered["approaches"]
    images = re.findall(r'<img alt="([^"]+) against N" src="data:image/png;base64,([^"]+)"/>',
                        rendered["plots"])
    assert [alt for alt, _ in images] == [METRICS[m] for m in docs.PLOTTED]
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for _, data in images)


def test_a_wrong_table_name_stops_the_build():
    with pytest.raises(ValueError, match="no table 'nope'"):
        docs.render("nope")


def test_the_directive_is_registered_in_the_splice():
    assert "mckm-segy" in splice.RENDERERS
