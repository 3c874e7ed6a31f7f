"""A MIKEY error number, data type or payload type stated with its name must be the grammar's.

Numbers are read from the name spaces of ``mckm.models.grammar.namespaces`` (RFC 3830 6.1,
6.12; RFC 6043 6.1, 6.9; RFC 6509 4.1), so a contribution is checked against the values the
codec itself uses.  Reported (error), each citing the name space value and its clause:

* a number and a name that disagree: "error 9 (Invalid ID)", "Invalid TS (error 7)", "data
  type 16 (RESOLVE_RESP)", "RESOLVE_RESP (data type 17)", "the IDR payload (type 13)";
* a MIKEY error number that RFC 3830 / RFC 6043 do not assign ("MIKEY error 13").

A message name that a data type's meaning names is that data type's ("I_MESSAGE (data type
26)": RFC 6509 4.1 calls data type 26 the MIKEY-SAKKE I_MESSAGE; data type 0 is the PSK one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import (
    DATA_TYPES,
    ERRORS,
    PAYLOAD_TYPES,
    by_name,
    by_number,
    cite,
)
from mckm.impl.lint.scan import lines_with
from mckm.models.grammar.dsl import Namespace

ID = "model-numbers"

_NUM = r"(\d{1,3})"
_ERR_WORD = r"(?:MIKEY\s+)?[Ee]rror(?:\s+(?:no\.?|number|code|value))?(?:\s+of)?"
_DT_WORD = r"[Dd]ata[\s-]+type(?:\s+(?:value|number))?(?:\s+of)?"
_PT_WORD = r"(?:[Nn]ext[\s-]+[Pp]ayload|[Pp]ayload\s+type)(?:\s+(?:value|number))?(?:\s+of)?"
_QUOTED = r"[\"'‘“]?([A-Za-z][\w\- ]{0,30}?[\w])[\"'’”]?"

#: (name space, pattern): group 1 number then group 2 name, or name first with ``(?P<rev>)``.
_PATTERNS: tuple[tuple[Namespace, re.Pattern[str]], ...] = (
    (ERRORS, re.compile(rf"{_ERR_WORD}\s+{_NUM}\s*\(\s*{_QUOTED}\s*\)")),
    (ERRORS, re.compile(
        rf"{_ERR_WORD}\s+{_NUM}\s*[,:]?\s*[\"'‘“]([A-Za-z][\w\- ]{{0,30}})[\"'’”]")),
    (ERRORS, re.compile(
        rf"(?P<rev>)[\"'‘“]?((?:Invalid|Auth|Unspecified)\b[\w\- ]{{0,16}}?)[\"'’”]?\s*"
        rf"\(\s*(?:{_ERR_WORD}\s*)?{_NUM}\s*\)")),
    (DATA_TYPES, re.compile(rf"{_DT_WORD}\s+{_NUM}\s*\(\s*{_QUOTED}\s*\)")),
    (DATA_TYPES, re.compile(rf"(?P<rev>)\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\s*\(\s*{_DT_WORD}\s*"
                            rf"{_NUM}\s*\)")),
    (PAYLOAD_TYPES, re.compile(rf"{_PT_WORD}\s+{_NUM}\s*\(\s*{_QUOTED}\s*\)")),
    (PAYLOAD_TYPES, re.compile(rf"(?P<rev>)\b([A-Z][A-Za-z_]*)\s+payload\s*\(\s*(?:{_PT_WORD}|"
                               rf"type)\s*{_NUM}\s*\)")),
)
_BARE_ERROR = re.compile(rf"\bMIKEY\s+error(?:\s+(?:no\.?|number|code))?\s+{_NUM}\b(?!\s*\()")


def _pairs(line: str) -> Iterator[tuple[Namespace, int, str, int, int]]:
    """(name space, number, name, column of the number, column of the name) per statement."""
    for ns, pat in _PATTERNS:
        for m in pat.finditer(line):
            if m.groupdict().get("rev") is not None:
                name_g, num_g = 2, 3
            else:
                num_g, name_g = 1, 2
            yield ns, int(m.group(num_g)), m.group(name_g).strip(), m.start(num_g), m.start(name_g)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    for ln in lines_with(doc, ("rror", "ype", "ayload", "Invalid", "Auth", "Unspecified")):
        line = doc.lines[ln - 1]
        seen: set[int] = set()
        for ns, number, name, num_col, name_col in _pairs(line):
            if num_col in seen:
                continue
            seen.add(num_col)
            named = by_name(ns, name)
            numbered = by_number(ns, number)
            if named is None and numbered is None:
                if ns is ERRORS:
                    yield _unassigned(doc, ln, num_col, number)
                continue
            if named is not None and named.value == number:
                continue
            if named is not None:
                yield finding(
                    doc, ID, "error", ln, num_col + 1,
                    f"{ns.name} of '{name}' is {named.value}, not {number}: {cite(ns, named)}",
                    str(named.value),
                )
            elif numbered is not None and _looks_named(ns, name):
                if _word_in(name, numbered.meaning):
                    continue  # "I_MESSAGE (data type 26)": the MIKEY-SAKKE I_MESSAGE
                also = [v for v in ns.values if _word_in(name, v.meaning)]
                known = f"; {name} is " + ", ".join(cite(ns, v) for v in also) if also else ""
                yield finding(
                    doc, ID, "error", ln, name_col + 1,
                    f"{ns.name} {number} is '{numbered.name}' ({numbered.meaning}), not "
                    f"'{name}': {cite(ns, numbered)}{known}",
                    numbered.name,
                )
        for m in _BARE_ERROR.finditer(line):
            if m.start(1) not in seen and by_number(ERRORS, int(m.group(1))) is None:
                yield _unassigned(doc, ln, m.start(1), int(m.group(1)))


def _word_in(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def _looks_named(ns: Namespace, name: str) -> bool:
    """Whether ``name`` is meant as a value name of ``ns`` (not prose in brackets)."""
    if ns is ERRORS:
        return re.match(r"(?:Invalid|Auth|Unspecified)\b", name) is not None
    return name.replace("-", "_").replace("_", "").isupper()


def _unassigned(doc: Document, ln: int, col: int, number: int) -> Finding:
    known = ", ".join(f"{v.value} {v.name}" for v in ERRORS.values)
    return finding(
        doc, ID, "error", ln, col + 1,
        f"MIKEY error {number} is not assigned ({ERRORS.clause}: {known})",
        "use an assigned error number",
    )
