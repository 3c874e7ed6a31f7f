"""A reference to "step k" must name a step of the same procedure (sub-steps 3a/3b included).

The procedure is the numbered list (``1.``, ``Step 3a:``, ``1-5.``) of the clause in which the
reference stands; "steps 9 and 10 in clause B.2.2.2.2" is checked against that clause's list when
the document contains it.  Reported (warning): a step number the procedure does not have; when only
sub-steps exist ("step 3" where the list has 3a and 3b) the first sub-step is suggested.  A clause
without a numbered list is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import CLAUSE_NUM, structure

ID = "step-ref"

_N = r"\d{1,3}[a-z]?"
_REF = re.compile(rf"\b[Ss]teps?\s+({_N}(?:\s*(?:,|and|or|to|through|[-–])\s*{_N})*)")
_QUALIFIED = re.compile(rf"^[^.;]{{0,12}}?\b(?:in|of)\s+(?:[Cc]lause|[Ss]ection)\s+({CLAUSE_NUM})")


def _numbers(text: str) -> list[tuple[str, int]]:
    """Referenced step values with their offsets; ranges ``1 to 5`` are expanded."""
    out: list[tuple[str, int]] = []
    tokens = list(re.finditer(rf"{_N}|to|through|[-–]", text))
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if (
            i + 2 < len(tokens)
            and tokens[i + 1].group() in ("to", "through", "-", "–")
            and t.group().isdigit()
            and tokens[i + 2].group().isdigit()
        ):
            lo, hi = int(t.group()), int(tokens[i + 2].group())
            out.extend((str(v), t.start()) for v in range(lo, hi + 1) if hi - lo <= 50)
            i += 3
            continue
        if re.fullmatch(_N, t.group()):
            out.append((t.group(), t.start()))
        i += 1
    return out


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    label_cells = {(lb.line, lb.column) for lb in st.labels}
    for ln in lines_with(doc, ("tep",)):  # every _REF match has [Ss]tep
        line = doc.lines[ln - 1]
        for m in _REF.finditer(line):
            if (ln, m.start() + 1) in label_cells:
                continue  # the label "Step 3a:" itself
            q = _QUALIFIED.match(line[m.end() :])
            if q:
                target = st.find_heading(q.group(1))
                if target is None:
                    continue
                where = f"clause {q.group(1)}"
            else:
                target = st.clause_of_line[ln]
                here = st.clause_at(ln)
                where = f"clause {here.number}" if here else "this procedure"
            steps = st.steps_of(target)
            if not steps:
                continue
            have = {v for lb in steps for v in lb.values}
            for value, offset in _numbers(m.group(1)):
                if value in have:
                    continue
                subs = sorted(v for v in have if re.fullmatch(rf"{value}[a-z]", v))
                if subs:
                    yield finding(
                        doc,
                        ID,
                        "warning",
                        ln,
                        m.start(1) + offset + 1,
                        f"step {value} does not exist in {where}; it has sub-steps "
                        f"{', '.join(subs)}",
                        f"step {subs[0]}",
                    )
                else:
                    yield finding(
                        doc,
                        ID,
                        "warning",
                        ln,
                        m.start(1) + offset + 1,
                        f"step {value} does not exist in {where}",
                        "correct the step number",
                    )
