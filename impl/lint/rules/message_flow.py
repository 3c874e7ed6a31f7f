"""What a step receives must be what an earlier step of the same procedure sent.

Within one numbered procedure, a step that "receives" a message (``receives the RESOLVE_RESP
message``) is compared with the messages named by the earlier steps.  Reported (warning): a
received message that no earlier step names, while earlier steps do name messages; the message
named by the closest earlier step is suggested, e.g. step 8 receiving ``REQUEST_RESP`` right after
step 7 sent ``RESOLVE_RESP``.  A first step that receives a message starts the procedure and is
not reported.  The finding cites the MIKEY procedure models (``models/procedures``): which step
receives the message sent before, and where the received one is sent, with their clause.

A step whose party receives a message no procedure model lets that party receive ("The KMS
receives the TRANSFER_INIT": the responder does, RFC 6043 4.2.2) is reported too (warning),
citing the model's receive step.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import acting_party, flow_note, receivers
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


def _the(party: str) -> str:
    return party if party.upper().startswith("KMS_") else f"the {party}"


def _wrong_receiver(
    doc: Document, step: Label, line: str, at: int, msg: str
) -> tuple[str, str] | None:
    """(message, suggestion) if the party that receives ``msg`` at offset ``at`` of ``line``
    is one no MIKEY procedure model lets receive it, else None."""
    head = line[:at]
    cut = max(head.rfind(". "), head.rfind("; "))
    subject = head[cut + 2 :] if cut >= 0 else head
    party, roles = acting_party(subject)
    if not roles and subject is head:
        party, roles = acting_party(step.rest)
    if not roles:
        return None
    steps = receivers(msg)
    if not steps or any(s.role in roles for _, s in steps):
        return None
    proc, first = steps[0]
    who = " or the ".join(dict.fromkeys(s.role.replace("_", " ") for _, s in steps))
    what = re.split(r"(?<=[.;])\s", first.text, maxsplit=1)[0].rstrip(".;")
    return (
        f"step {step.text}: {_the(party)} receives {msg}, but in the models only the {who} does "
        f"(step {first.number} of {proc.name}: {what}; {proc.clause})",
        f"the {first.role.replace('_', ' ')} receives {msg}",
    )


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
                        wrong = _wrong_receiver(doc, step, line, m.start(), msg)
                        if wrong is not None:
                            yield finding(doc, ID, "warning", ln, m.start(1) + 1, *wrong)
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
