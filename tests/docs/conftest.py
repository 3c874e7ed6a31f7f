"""The built site, shared by the tests that read it (the rendered pages, the browser test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.site import DOCS, ROOT

SITE = DOCS / "_build" / "html"
#: what the site is built from: a build older than any of these is rebuilt
SOURCES = ("spec", "docs", "models", "proofs", "impl")


def _newest_source() -> float:
    return max(p.stat().st_mtime for top in SOURCES for p in (ROOT / top).rglob("*")
               if p.is_file() and "_build" not in p.parts and "_generated" not in p.parts
               and "__pycache__" not in p.parts)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """``docs/_build/html``: the test command's own build (its ``sphinx`` step runs just before
    the tests), rebuilt here, warnings as errors, when missing or older than its sources."""
    index = SITE / "index.html"
    if not index.is_file() or index.stat().st_mtime < _newest_source():
        from sphinx.cmd.build import build_main

        assert build_main(["-q", "-W", "-b", "html", str(DOCS), str(SITE)]) == 0
    return SITE
