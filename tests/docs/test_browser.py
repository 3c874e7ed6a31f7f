"""The built site in a real browser: Debian's Chromium driven by Playwright opens every page
over HTTP and checks what a reader would notice first.

- no console error and no failed request (a missing stylesheet, script, figure or download);
- every figure rendered: each ``<img>`` loaded with a non-zero size, each visible inline
  ``<svg>`` drawn with a non-zero box;
- at 1280 px the page does not scroll sideways: wide tables and figures scroll in their own box;
- the search page finds a requirement id.

The site is the test command's own build (``docs/_build/html``, fixture ``built_site``).
Screenshots of the index, a seed page, a sequence diagram and the traceability matrix go to
``docs/_build/screenshots/`` (CI keeps them as artefacts).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from tests.docs.site import DOCS

SCREENSHOTS = DOCS / "_build" / "screenshots"
WIDTH, HEIGHT = 1280, 900
#: the pages shown as screenshots: (file name, page), the first that exists of each row
SHOTS = (("index", ("index.html",)),
         ("seed-page", ("_generated/spec-seeds.html",)),
         ("sequence-diagram", ("_generated/model-mikey-ticket-two-kms.html",)),
         ("traceability", ("_generated/traceability.html",)))
#: a requirement id that search must find
SEARCHED = "REQ-SEAL-KD-07"


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The site over HTTP on a free loopback port (a file: URL hides failed requests)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_tool("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a dev dependency
        pytest.fail("playwright is a dev dependency (pyproject) and is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


#: what the page says about its figures and width, computed in the browser
_CHECK = """() => {
  const out = {images: [], svgs: [], overflow: 0};
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0 || img.naturalHeight === 0)
      out.images.push(img.getAttribute('src'));
  }
  for (const svg of document.querySelectorAll('svg')) {
    const style = getComputedStyle(svg);
    if (svg.closest('[hidden]') || style.display === 'none' || style.visibility === 'hidden'
        || svg.getClientRects().length === 0) continue;
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) out.svgs.push(svg.outerHTML.slice(0, 80));
  }
  const root = document.documentElement;
  out.overflow = root.scrollWidth - root.clientWidth;
  return out;
}"""


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts)


def test_every_page_opens_cleanly_in_chromium(site: Path, base_url: str, browser: Any) -> None:
    pages = _pages(site)
    assert "index.html" in pages and len(pages) > 20
    problems: list[str] = []
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    current = {"name": ""}
    page.on("console", lambda m: m.type == "error" and problems.append(
        f"{current['name']}: console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"{current['name']}: script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(
        f"{current['name']}: request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(
        f"{current['name']}: HTTP {r.status} for {r.url}"))
    for name in pages:
        current["name"] = name
        # every request of the page (the favicon too) settled before the next page starts
        page.goto(base_url + name, wait_until="networkidle")
        found = page.evaluate(_CHECK)
        problems += [f"{name}: image not rendered: {src}" for src in found["images"]]
        problems += [f"{name}: svg with an empty box: {svg}" for svg in found["svgs"]]
        if found["overflow"] > 1:
            problems.append(f"{name}: scrolls sideways by {found['overflow']} px at {WIDTH} px")
    context.close()
    assert not problems, "\n".join(problems)


def test_search_finds_a_requirement_id(base_url: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}search.html?q={SEARCHED}", wait_until="load")
    hits = page.locator("#search-results a, ul.search li a")
    hits.first.wait_for(timeout=20_000)
    assert hits.count() >= 1
    page.close()


def test_screenshots_of_the_pages_reviewers_open_first(site: Path, base_url: str,
                                                       browser: Any) -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    taken = []
    for shot, candidates in SHOTS:
        name = next((c for c in candidates if (site / c).is_file()), None)
        if name is None:
            continue
        page.goto(base_url + name, wait_until="load")
        target = SCREENSHOTS / f"{shot}.png"
        page.screenshot(path=str(target), full_page=False)
        assert target.stat().st_size > 10_000, f"{shot}: a blank screenshot?"
        taken.append(shot)
    page.close()
    assert {"index", "seed-page", "sequence-diagram"} <= set(taken)
