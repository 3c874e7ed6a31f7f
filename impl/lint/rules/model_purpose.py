"""A key purpose value stated with its purpose must be the one the purpose table assigns.

The table is ``models/policy/data/key_purposes.yaml`` (TS 33.180's purpose values, reused for
the SEAL SK-ID), read through :data:`mckm.models.policy.key_purposes.PURPOSES`; the width a
value must fit is the purpose field of the SK-ID layout (``models/policy/key_id.py``).
Reported (error), citing the table entry:

* "purpose value 2 (GMK)", "GMK purpose value 2", "a purpose of 1 indicates a GMK", "the
  purpose tag for the PCK is 3" where the table gives that purpose another value;
* a purpose value that does not fit the purpose field ("purpose value 16" in a 4-bit field);
* a row of a table of purpose values (a header line naming the purpose tag or value, then rows
  ``value  name``, or, as Word tables are read, the value and the name on lines of their own)
  whose value is not the table's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with
from mckm.models.policy.key_id import PURPOSE_BITS
from mckm.models.policy.key_purposes import PURPOSES, Purpose

ID = "model-purpose"

TABLE = "models/policy/data/key_purposes.yaml (TS 33.180 key purpose values)"
_VALUE = r"(0x[0-9A-Fa-f]+|\d{1,3}|'?[01]{4}'?B?)"
_PURPOSE = r"purpose(?:\s+(?:tag|value|code|field|bits))?"


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], ...]:
    """Value-then-name and name-then-value statements over the registered purpose names."""
    names = "|".join(sorted((re.escape(p.name) for p in PURPOSES), key=len, reverse=True))
    name = rf"(?P<name>{names})"
    value = rf"(?P<value>{_VALUE[1:-1]})"
    gap = r"[^.;\n]{0,30}?"
    return (
        re.compile(rf"\b{_PURPOSE}\s+(?:of\s+|=\s*|is\s+)?{value}\s*\(\s*(?:the\s+)?{name}\b"),
        re.compile(rf"\b{_PURPOSE}\s+(?:of\s+|=\s*)?{value}\s+(?:indicates|means|denotes|"
                   rf"identifies|for|is)\s+(?:the\s+|a\s+|an\s+)?{name}\b"),
        re.compile(rf"\b{name}\b{gap}\b{_PURPOSE}\s+(?:of\s+|=\s*|is\s+|:\s*)?{value}\b"),
        re.compile(rf"\b{_PURPOSE}\s+(?:for|of)\s+(?:the\s+|a\s+|an\s+)?{name}\b{gap}"
                   rf"\b(?:is|=|:)\s*{value}\b"),
    )


_ANY_VALUE = re.compile(rf"\b{_PURPOSE}\s+(?:value\s+)?(?:of\s+|=\s*)?(\d{{1,3}})\b")


def _number(text: str) -> int:
    t = text.strip("'B")
    if t.lower().startswith("0x"):
        return int(t, 16)
    if len(t) == 4 and set(t) <= {"0", "1"} and not text.isdigit():
        return int(t, 2)
    return int(t)


def _cite(p: Purpose) -> str:
    return f"{p.name} = {p.value} ({p.meaning}; {TABLE}, status {p.status})"


_HEADER = re.compile(r"\bpurpose\s+(?:tag|value)", re.I)
_ROW = re.compile(r"^[\s|]*(\d{1,2})[\s|]+([A-Za-z][\w-]*)\b")
_CELL = re.compile(r"^[\s|]*(\d{1,2})[\s|]*$")
#: lines after a table header searched for its rows
TABLE_LINES = 30


def _table_rows(doc: Document, header: int) -> Iterator[tuple[int, int, int, str]]:
    """(line, column, value, name) of the rows that follow a purpose table's header line."""
    names = {p.name for p in PURPOSES}
    last = min(len(doc.lines), header + TABLE_LINES)
    for ln in range(header + 1, last + 1):
        line = doc.lines[ln - 1]
        m = _ROW.match(line)
        if m and m.group(2) in names:
            yield ln, m.start(1), int(m.group(1)), m.group(2)
            continue
        cell = _CELL.match(line)
        if cell and ln < len(doc.lines) and doc.lines[ln].strip() in names:
            yield ln, cell.start(1), int(cell.group(1)), doc.lines[ln].strip()


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    for ln in lines_with(doc, ("purpose", "Purpose")):
        if _HEADER.search(doc.lines[ln - 1]):
            for row, col, value, name in _table_rows(doc, ln):
                purpose = PURPOSES.by_name(name)
                if value != purpose.value:
                    yield finding(
                        doc, ID, "error", row, col + 1,
                        f"the purpose value of {name} is {purpose.value}, not {value}: "
                        f"{_cite(purpose)}",
                        str(purpose.value),
                    )
    for ln in lines_with(doc, ("purpose",)):
        line = doc.lines[ln - 1]
        reported: set[int] = set()
        for pat in _patterns():
            for m in pat.finditer(line):
                col = m.start("value")
                if col in reported:
                    continue
                value = _number(m.group("value"))
                purpose = PURPOSES.by_name(m.group("name"))
                if value == purpose.value:
                    continue
                reported.add(col)
                yield finding(
                    doc, ID, "error", ln, col + 1,
                    f"the purpose value of {purpose.name} is {purpose.value}, not {value}: "
                    f"{_cite(purpose)}",
                    str(purpose.value),
                )
        for m in _ANY_VALUE.finditer(line):
            value = int(m.group(1))
            if m.start(1) not in reported and value >= 1 << PURPOSE_BITS:
                yield finding(
                    doc, ID, "error", ln, m.start(1) + 1,
                    f"purpose value {value} does not fit the {PURPOSE_BITS}-bit purpose field of "
                    "the key identifier (SK_ID, models/policy/key_id.py: TS 33.434 6.Y.2)",
                    f"a value below {1 << PURPOSE_BITS}",
                )
