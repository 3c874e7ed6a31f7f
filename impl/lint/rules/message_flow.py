"""What a step receives must be what an earlier step of the same procedure sent.

Within one numbered procedure, a step that "receives" a message (``receives the RESOLVE_RESP
message``) is compared with the messages named by the earlier steps.  Reported (warning): a
received message that no earlier step names, while earlier steps do name messages; the message
named by the closest earlier step is suggested, e.g. step 8 receiving ``REQUEST_RESP`` right after
step 7 sent ``RESOLVE_RESP``.  A first step that receives a message starts the procedure and is
not reported.  The finding cites the MIKEY procedure models (``models/procedures``): which step
receives the message sent before, and where the received one is sent, with their clause.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import flow_note
from mckm.impl.lint.rules.message_name import NAME
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import Label, structure
from mckm.impl.lint.textutil import nearest

ID = "message-flow"

_RECEIVE = re.compile(
    r"\breceiv(?:es|ed|ing|e)\s+(?:(?:the|a|an|new|protected|unprotected|its)\s+)*"
    r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"
)


def _step_lines(doc: Document, steps: list[Label], i: int, bounds: list[int]) -> range:
    """The lines of step ``i``: up to the next step, heading or change marker (``bounds``: the
    heading and marker lines, ascending)."""
    start = steps[i].line
    end = steps[i + 1].line if i + 1 < len(steps) else len(doc.lines) + 1
    k = bisect_right(bounds, start)
    if k < len(bounds) and bounds[k] < end:
        end = bounds[k]
    return range(start, end)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    vocab = ctx.vocabulary
    bounds = sorted({h.line for h in st.headings} | {m.line for m in st.markers})
    named_lines = set(lines_with(doc, ("_",)))  # every NAME and _RECEIVE match has "_"
    for clause in sorted({lb.clause for lb in st.labels}):
        steps = st.steps_of(clause)
        earlier: list[tuple[Label, list[str]]] = []
        for i, step in enumerate(steps):
            lines = _step_lines(doc, steps, i, bounds)
            named: list[str] = []
            for ln in lines:
                if ln not in named_lines:
                    continue
                line = doc.lines[ln - 1]
                named.extend(m.group(1) for m in NAME.finditer(line))
                for m in _RECEIVE.finditer(line):
                    msg = m.group(1)
                    if msg not in vocab.messages:
                        continue  # unknown names are rule message-name's
                    sent = [n for _, names in earlier for n in names]
                    if not sent or msg in sent:
                        continue
                    last_step, last_names = next(
                        (e for e in reversed(earlier) if e[1]), earlier[-1]
                    )
                    near = nearest(msg, last_names, limit=8) or last_names[0]
                    note = flow_note(msg, near)
                    yield finding(
                        doc,
                        ID,
                        "warning",
                        ln,
                        m.start(1) + 1,
                        f"step {step.text} receives {msg}, which no earlier step sends "
                        f"(step {last_step.text} names {', '.join(dict.fromkeys(last_names))})"
                        + (f"; {note}" if note else ""),
                        near,
                    )
            earlier.append((step, named))
