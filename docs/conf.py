"""Sphinx configuration: the site is the prose of spec/ plus pages generated from models/.

Generated pages are written into ``docs/_generated/`` by ``docs/generate.py`` before the build
reads anything, so a table in the site cannot drift from the grammar or model it shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

generate.write_all(HERE)

project = "mckm"
author = "mckm developers"
extensions = ["myst_parser", "sphinx.ext.autodoc"]  # autodoc: api.md
myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
suppress_warnings = ["myst.header"]
