"""Requirement ids of one series must not repeat, go backwards or leave gaps.

A requirement id is a bracketed label with a numeric last part, ``[MCSEC-7.1-2]`` or
``[R-5.13-001]``, or a ``REQ-...-n`` token, at the start of a line (where the requirement is
stated; ids cited in running text are not definitions).  Ids are grouped by everything before the
last number.  Reported: an id stated twice (error), an id lower than the one before it (warning),
and numbers missing inside the series (warning).  A series need not start at 1, and a series
with more missing numbers than present ones is taken as a selection of requirements quoted from
elsewhere; neither is reported as a gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding

ID = "requirement-ids"

_REQ = re.compile(r"^\s*\[?((?:REQ|[A-Z][A-Za-z]*)(?:-[A-Za-z0-9.]+)*?)-(\d{1,4})\]?(?=\s|$|:)")


def _fmt(prefix: str, n: int, width: int) -> str:
    return f"{prefix}-{n:0{width}d}"


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    series: dict[str, list[tuple[int, int, int, str]]] = {}
    for ln, line in enumerate(doc.lines, 1):
        m = _REQ.match(line)
        if not m or not (line.lstrip().startswith("[") or m.group(1).startswith("REQ")):
            continue
        if line.lstrip().startswith("[") and "]" not in line[: m.end() + 1]:
            continue
        series.setdefault(m.group(1), []).append((int(m.group(2)), ln, m.start(1) + 1, m.group(2)))
    for prefix, ids in series.items():
        width = len(ids[0][3]) if ids[0][3].startswith("0") else 1
        seen: dict[int, int] = {}
        prev = 0
        for n, ln, col, _ in ids:
            if n in seen:
                yield finding(
                    doc,
                    ID,
                    "error",
                    ln,
                    col,
                    f"{_fmt(prefix, n, width)} is stated twice (also line {doc.at(seen[n])})",
                    "give it the next free number",
                )
            elif n < prev:
                yield finding(
                    doc,
                    ID,
                    "warning",
                    ln,
                    col,
                    f"{_fmt(prefix, n, width)} follows {_fmt(prefix, prev, width)}",
                    "keep the series in order",
                )
            seen.setdefault(n, ln)
            prev = max(prev, n)
        numbers = sorted(seen)
        missing = [k for k in range(numbers[0], numbers[-1] + 1) if k not in seen]
        if not missing or len(missing) > len(numbers):
            continue
        inner = [k for k in missing if k > numbers[0]]
        if inner:
            names = ", ".join(_fmt(prefix, k, width) for k in inner)
            yield finding(
                doc,
                ID,
                "warning",
                ids[0][1],
                ids[0][2],
                f"series {prefix} has gaps: {names} missing",
                "renumber the series",
            )
