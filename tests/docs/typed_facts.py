"""Find model facts typed by hand into a spec page (a table row or list item that restates what
a directive should splice from the models).

What counts as a model fact: a requirement id of a family a registered procedure owns (its text
lives in the model), a guard name, a step of a procedure with its message, a key purpose with its
value, a key-id field with its bit range.  Requirement ids of other families (REQ-ECCSI-...,
REQ-KDF-...: no model holds them) are the page's own and may stay in its tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from mckm.models.policy.key_id import SK_ID, slots
from mckm.models.policy.key_purposes import default_registry
from mckm.models.procedures.registry import PROCEDURES

ROW = re.compile(r"^\s*\|(?P<cells>.*)\|\s*$")
SEPARATOR = re.compile(r"^[\s|:-]+$")
LIST_ITEM = re.compile(r"^\s*[-*+]\s+(?:\*\*)?(?P<id>REQ-[A-Z0-9-]+)")
REQ_ID = re.compile(r"REQ-[A-Z0-9-]+")


@dataclass(frozen=True)
class Typed:
    """One hand-typed model fact: the line number, the line and what it restates."""

    line: int
    text: str
    restates: str


def family(requirement_id: str) -> str:
    """``REQ-SEAL-KD-07`` -> ``REQ-SEAL-KD``."""
    return requirement_id.rsplit("-", 1)[0]


@cache
def model_families() -> frozenset[str]:
    """The requirement families the registered procedures own."""
    return frozenset(family(r) for p in PROCEDURES for r in p.requirements)


@cache
def guard_names() -> tuple[str, ...]:
    """Every guard name of the registered procedures."""
    return tuple(sorted({g.name for p in PROCEDURES for s in p.steps for g in s.guards}))


def cells_of(line: str) -> list[str] | None:
    """The stripped cells of a table row, or None for a line that is not a (non-separator) row."""
    m = ROW.match(line)
    if m is None or SEPARATOR.match(line):
        return None
    return [c.strip() for c in re.split(r"(?<!\\)\|", m["cells"])]


def _row_facts(cells: list[str]) -> Iterator[str]:
    first = REQ_ID.match(cells[0])
    if first and family(first[0]) in model_families():
        yield f"requirement {first[0]} (a model's REQUIREMENTS)"
    text = " ".join(cells)
    for name in guard_names():
        if f"`{name}`" in text:
            yield f"guard {name}"
    for p in PROCEDURES:
        for s in p.steps:
            if cells[0] == s.number and any(s.message in c for c in cells[1:]):
                yield f"step {s.number} of {p.name}"
    registry = default_registry()
    for purpose in registry:
        values = {str(purpose.value), f"{purpose.value:0{registry.width}b}"}
        names = {re.split(r"[^A-Za-z0-9]", c, maxsplit=1)[0] for c in cells}
        if values & set(cells) and purpose.name in names:
            yield f"key purpose {purpose.name} = {purpose.value}"
    for slot in slots(SK_ID).values():
        bits = re.compile(rf"\b{slot.msb}\s*(\.\.|-|:)\s*{slot.lsb}\b")
        if slot.name in text and bits.search(text):
            yield f"key-id field {slot.name} bits {slot.msb}..{slot.lsb}"


def typed_facts(text: str) -> list[Typed]:
    """Every line of a page (outside fenced blocks) that restates a model fact."""
    out = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        cells = cells_of(line)
        if cells is not None:
            out += [Typed(number, line, fact) for fact in dict.fromkeys(_row_facts(cells))]
            continue
        item = LIST_ITEM.match(line)
        if item and family(item["id"]) in model_families():
            out.append(Typed(number, line, f"requirement {item['id']} (a model's REQUIREMENTS)"))
    return out
