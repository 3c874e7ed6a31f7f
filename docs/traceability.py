"""Traceability of requirement ids, generated and enforced (SpecTec-style coverage).

For every requirement defined on a ``spec/`` page the matrix page lists the model steps and
guards that implement it, the threats of the catalogue that the generated endpoint tests play
against it (``models/procedures/threats.py``), the tests that name it, and the proof rows that
cover it; each id links to its definition and the definition back to its row.

:func:`problems` is the build check: the site is not built while one of these holds:
- a requirement is defined on no page, or on two (a formal element shown twice or not at all);
- a page mentions an id that no page defines;
- a requirement of a model has no step or guard and the model does not say it leaves it out
  (``leaves_out``); a step without a requirement cannot be built (``Procedure`` refuses it);
- a proof row names no requirement, or one that is not defined;
- a requirement has no trace at all: no threat, no test and no proof row.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import reqlinks
import spec_tables

from mckm.models.procedures.model import Procedure

#: page name of the matrix
PAGE = "traceability"


@dataclass
class Trace:
    """What the site knows of each requirement id."""

    defined_on: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    mentioned_on: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    steps: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    threats: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    tests: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    proofs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: why the catalogue stages no threat against a requirement (not a trace by itself)
    unattackable: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: requirements a model leaves to the runtime (named in its ``leaves_out``), and where
    left: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def link_pages(pages: Mapping[str, str], trace: Trace) -> dict[str, str]:
    """Every page with its requirement ids linked; ``spec-*`` pages define them.  Records in
    ``trace`` where each id is defined and mentioned."""
    defined = set()
    for name, text in pages.items():
        if name.startswith("spec-"):
            defined |= set(reqlinks.link(text, defining=True, known=lambda r: True).defines)
    out = {}
    for name, text in pages.items():
        linked = reqlinks.link(text, defining=name.startswith("spec-"), known=defined.__contains__)
        for rid in linked.defines:
            trace.defined_on[rid].append(name)
        for rid in linked.mentions:
            trace.mentioned_on[rid].add(name)
        out[name] = linked.text
    return out


#: "REQ-CEK-01..09": a range of ids of one family, as a model's ``leaves_out`` writes it
_RANGE = re.compile(rf"({reqlinks.ID})\.\.(\d+)")


def named_in(text: str) -> list[str]:
    """The requirement ids ``text`` names, ranges ("REQ-CEK-01..09") spelt out."""
    out = list(reqlinks.mentioned(text))
    for m in _RANGE.finditer(text):
        family, _, first = m[1].rpartition("-")
        out += [f"{family}-{n:0{len(first)}d}" for n in range(int(first) + 1, int(m[2]) + 1)]
    return list(dict.fromkeys(out))


def add_models(procedures: Sequence[Procedure], trace: Trace) -> None:
    """Each requirement's steps and guards; and what a model says it leaves out (a
    requirement named in ``leaves_out`` is the runtime's, outside the model's steps)."""
    for p in procedures:
        for text in p.leaves_out:
            for rid in named_in(text):
                trace.left[rid].append(f"[{p.name}](model-{p.name}.md) leaves it out: {text}")
        for s in p.steps:
            for rid in s.all_requirements:
                trace.steps[rid].append(f"[{p.name}](model-{p.name}.md) step {s.number}")
            for g in s.guards:
                trace.steps[g.requirement].append(
                    f"[{p.name}](model-{p.name}.md) step {s.number} guard `{g.name}`")
        trace.steps[p.unexpected.requirement].append(
            f"[{p.name}](model-{p.name}.md) any step (unexpected message)")


def add_threats(catalogue: Iterable[tuple[str, str, str, str]], trace: Trace,
                unattackable: Iterable[tuple[str, str, str]] = ()) -> None:
    """(procedure, requirement, kind, message) of each threat the endpoint tests play; and
    (procedure, requirement, reason) of each requirement the catalogue stages none against."""
    for procedure, rid, kind, message in catalogue:
        trace.threats[rid].append(f"{procedure}: {kind} {message}".rstrip())
    for procedure, rid, reason in unattackable:
        trace.unattackable[rid].append(f"{procedure}: no threat: {reason}")


#: tests of the site itself: an id they name is shown, not checked
_SITE_TESTS = "docs"


def add_tests(root: Path, trace: Trace) -> None:
    """Each test function (or module, by its docstring) that names a requirement id (ranges
    spelt out), the site's own tests left out."""
    for path in sorted(root.rglob("test_*.py")):
        if path.relative_to(root).parts[0] == _SITE_TESTS:
            continue
        source = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(root.parent).as_posix()
        tree = ast.parse(source)
        for rid in named_in(ast.get_docstring(tree) or ""):
            trace.tests[rid].append(rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and node.name.startswith("test"):
                text = ast.get_source_segment(source, node) or ""
                decorators = "".join(ast.get_source_segment(source, d) or ""
                                     for d in node.decorator_list)
                for rid in named_in(decorators + text):
                    trace.tests[rid].append(f"{rel}::{node.name}")


def add_proofs(rows: Iterable[tuple[str, str, str, Sequence[str]]], trace: Trace) -> list[str]:
    """(family, property, assumption, requirement ids) of each proof row; the problems."""
    out = []
    for family, prop, assumption, rids in rows:
        if not rids:
            out.append(f"proof row {family}: {prop!r} ({assumption}) names no requirement")
        for rid in rids:
            trace.proofs[rid].append(f"{family}: {prop} ({assumption})")
    return out


def problems(trace: Trace, procedures: Sequence[Procedure]) -> list[str]:
    """What the build check refuses (see the module docstring)."""
    out = []
    for rid, pages in sorted(trace.defined_on.items()):
        if len(pages) > 1:
            out.append(f"{rid} is defined on {len(pages)} pages: {', '.join(pages)}")
    for rid in sorted(set(trace.mentioned_on) - set(trace.defined_on)):
        out.append(f"{rid} is mentioned on {', '.join(sorted(trace.mentioned_on[rid]))} but "
                   "defined on no page")
    for p in procedures:
        for rid in p.requirements:
            if rid not in trace.defined_on:
                out.append(f"{rid} of model {p.name} is shown on no page")
            if not trace.steps.get(rid) and not trace.left.get(rid):
                out.append(f"{rid} of model {p.name} has no step or guard, and the model does "
                           "not say it leaves it out")
    for rid in sorted(set(trace.proofs) - set(trace.defined_on)):
        out.append(f"a proof row names {rid}, which no page defines")
    for rid in sorted(trace.defined_on):
        if not (trace.threats.get(rid) or trace.tests.get(rid) or trace.proofs.get(rid)):
            out.append(f"{rid} has no trace: no threat, test or proof row names it")
    return out


def _cell(items: Sequence[str], most: int = 6) -> str:
    items = list(dict.fromkeys(items))
    shown = "<br>".join(spec_tables.cell(x) for x in items[:most])
    return shown + (f"<br>and {len(items) - most} more" if len(items) > most else "") or "—"


def page(trace: Trace) -> str:
    """The matrix page."""
    counts = Counter(bool(trace.proofs.get(r)) for r in trace.defined_on)
    out = ["# Traceability", "",
           "Every requirement id of the site, where it is defined, and what implements and checks "
           "it: the model steps and guards, the threats the generated endpoint tests play "
           "against it, the tests that name it, and the proof rows of `mckm prove` that cover "
           f"it.  {len(trace.defined_on)} requirements; {counts[True]} covered by a proof row.  "
           "The build stops if a requirement has no trace, a model step has no requirement, a "
           "proof row names none, or an id is defined twice or not at all.", "",
           "| requirement | defined on | model steps and guards | threats | tests | proof rows |",
           "|---|---|---|---|---|---|"]
    for rid in sorted(trace.defined_on, key=_order):
        defined = ", ".join(f"[]({p}.md)" for p in trace.defined_on[rid])  # the page's title
        out.append(f"| {{req-trace}}`{rid}` | {defined} | "
                   f"{_cell([*trace.steps.get(rid, []), *trace.left.get(rid, [])], 4)} | "
                   f"{_cell([*trace.threats.get(rid, []), *trace.unattackable.get(rid, [])], 4)} "
                   f"| {_cell([_test(t) for t in trace.tests.get(rid, [])], 4)} | "
                   f"{_cell(trace.proofs.get(rid, []), 3)} |")
    return "\n".join(out) + "\n"


def _test(where: str) -> str:
    """``tests/smime/test_cms.py::test_x`` as "test_x (smime/test_cms.py)": the name first."""
    path, _, function = where.partition("::")
    short = path.removeprefix("tests/")
    return f"{function} ({short})" if function else short


def _order(rid: str) -> tuple[str, int]:
    family, _, number = rid.rpartition("-")
    return family, int(number)
