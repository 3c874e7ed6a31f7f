"""Write the generated pages of the site: spec/ pages and tables rendered from the models.

Each entry of ``GENERATORS`` names a function that returns ``{page name: markdown}``; the pages
land in ``docs/_generated/`` and are listed by ``docs/index.md``'s toctree glob.  The ``spec/``
pages are copied through ``splice.expand``, which fills their ``mckm-*`` directives with tables
rendered from the models (see ``splice.py``).
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from pathlib import Path

import reqlinks
import splice
import traceability
import unverified

#: "module:function" returning {page name: markdown text}.
GENERATORS: tuple[str, ...] = (
    "mckm.impl.codec.docs:render_pages",
    "mckm.impl.vectors.docs:render_pages",
    "mckm.impl.lint.docs:render_pages",
    "mckm.proofs.docs:render_pages",
)


def spec_page(path: Path) -> str:
    """A ``spec/`` page as the site shows it: its ``mckm-*`` directives filled from the models."""
    return splice.expand(path.read_text(encoding="utf-8"), f"spec/{path.name}")


def _spec_pages(root: Path) -> dict[str, str]:
    return {f"spec-{path.stem}": spec_page(path) for path in sorted((root / "spec").glob("*.md"))}


def write_all(docs: Path) -> None:
    out = docs / "_generated"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    pages = _spec_pages(docs.parent)
    for target in GENERATORS:
        module_name, attr = target.split(":")
        func: Callable[[], dict[str, str]] = getattr(importlib.import_module(module_name), attr)
        pages.update({name: splice.expand(text, f"{target} page {name}")
                      for name, text in func().items()})  # model pages hold figure directives
    from mckm.impl.proposed.docs import render_pages as proposed_pages

    pages.update(proposed_pages(out))  # and the Word files the pages offer for download
    pages[unverified.PAGE] = unverified.page()
    pages = traced(pages, docs.parent)
    for name, text in pages.items():
        (out / f"{name}.md").write_text(text, encoding="utf-8")
    write_exports(out / "exports")


def traced(pages: dict[str, str], root: Path) -> dict[str, str]:
    """``pages`` with requirement ids linked, and the traceability matrix; stops the build on
    any problem of :func:`traceability.problems`, listing them all."""
    from mckm.models.procedures.registry import PROCEDURES
    from mckm.models.procedures.threats import CATALOGUES
    from mckm.proofs.docs import quick_results

    trace = traceability.Trace()
    linked = traceability.link_pages(pages, trace)
    traceability.add_models(PROCEDURES, trace)
    traceability.add_threats(((c.procedure, t.requirement, t.kind, t.message)
                              for c in CATALOGUES.values() for t in c.threats), trace,
                             ((c.procedure, rid, reason) for c in CATALOGUES.values()
                              for rid, reason in c.not_attackable.items()))
    traceability.add_tests(root / "tests", trace)
    found = traceability.add_proofs(((family, r.property, r.assumption, r.requirements)
                                     for family, rows in quick_results().items() for r in rows),
                                    trace)
    found += traceability.problems(trace, PROCEDURES)
    if found:
        raise ValueError("traceability: " + "; ".join(found))
    matrix = traceability.page(trace)
    linked[traceability.PAGE] = reqlinks.link(matrix, defining=False,
                                              known=trace.defined_on.__contains__).text
    return linked


def write_exports(out: Path) -> None:
    """The files of every installed ``mckm codec export`` format, attached to the site as
    downloads, and ``downloads.inc``: their links, which ``implementers.md`` includes."""
    from mckm.impl.cli import CliError
    from mckm.impl.codec.export import FORMATS, export

    links = []
    for fmt in FORMATS:
        try:
            paths = export(fmt, out / fmt)
        except CliError:  # an exporter this installation does not have
            continue
        links += [f"- {fmt}: {{download}}`{p.name} </_generated/exports/{fmt}/{p.name}>`"
                  for p in paths]
    (out / "downloads.inc").write_text("\n".join(links) + "\n", encoding="utf-8")
