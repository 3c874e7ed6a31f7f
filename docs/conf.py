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
# autodoc: api.md; reqlinks: requirement ids as anchors and links (docs/reqlinks.py)
extensions = ["myst_parser", "sphinx.ext.autodoc", "reqlinks"]
myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
# furo: a maintained theme, responsive (readable on a phone), light and dark, with Sphinx's
# search.  _static/mckm.css boxes wide tables and figures so that they scroll on their own.
html_theme = "furo"
html_title = "mckm: mission-critical key management, executable"
html_static_path = ["_static"]
html_css_files = ["mckm.css"]
html_favicon = "_static/favicon.svg"
suppress_warnings = ["myst.header"]
