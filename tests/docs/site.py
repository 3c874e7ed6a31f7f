"""The docs' splice machinery as the tests see it: ``docs/`` is not a package, so it is put on
``sys.path`` here, once, the way ``docs/conf.py`` does for Sphinx."""

from __future__ import annotations

import sys
from pathlib import Path

from mckm.models.procedures.model import Procedure

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SPEC = ROOT / "spec"
if str(DOCS) not in sys.path:
    sys.path.insert(0, str(DOCS))

import generate  # noqa: E402
import reqlinks as reqlinks  # noqa: E402  (re-exported for the tests)
import spec_tables  # noqa: E402
import splice  # noqa: E402
import traceability as traceability  # noqa: E402
import unverified as unverified  # noqa: E402
from figures import bitlayout as bitlayout  # noqa: E402  (re-exported for the tests)
from figures import sequence as sequence  # noqa: E402
from figures import states as states  # noqa: E402
from figures import svg as svg  # noqa: E402

cell = spec_tables.cell


def spec_pages() -> list[Path]:
    """Every ``spec/*.md`` page."""
    return sorted(SPEC.glob("*.md"))


def rendered(page: Path) -> str:
    """``page`` as the site shows it (directives filled from the models)."""
    return generate.spec_page(page)


def pages_listing_requirements_of(procedure: Procedure) -> list[Path]:
    """The spec pages whose ``mckm-requirements`` directive names ``procedure``."""
    return [page for page in spec_pages()
            for d in splice.directives(page.read_text(encoding="utf-8"))
            if d.name == "mckm-requirements" and procedure.name in d.args]
