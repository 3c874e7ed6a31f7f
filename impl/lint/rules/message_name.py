"""Message, payload and role names must be names that MIKEY and the models know.

The vocabulary is that of ``mckm.models.grammar`` merged with ``impl/lint/data/vocabulary.yaml``
(RFC 3830, RFC 6043, RFC 6509).  Reported:

* an upper-case name with underscores (``RESOLV_INIT_PSK``) that is not known but is within two
  edits of a known name — almost certainly a typo of that name (error, nearest name suggested);
  unknown names far from every known one are taken as new names and left alone;
* in text about MIKEY, "the X payload" where X looks like a payload name but is not one
  (warning, nearest suggested);
* "the X payload" in a step or paragraph that names a message whose payload list (RFC notation)
  does not contain X, e.g. an ``IDi`` payload in a MIKEY-TICKET ``RESOLVE_INIT_PSK``, which carries
  ``IDR`` payloads only (warning, the message's payload list suggested).  A name a procedure
  model gives another data type is checked against that data type's grammar rule when the text
  names it: in a MIKEY-SAKKE text the ``I_MESSAGE`` is data type SAKKE (RFC 6509 2.1, the SEAL
  model's I_MESSAGE), which carries no KEMAC.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import DATA_TYPES, PAYLOAD_TYPES, by_name, cite, payload_layout
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import nearest
from mckm.impl.lint.vocabulary import vocabulary

ID = "message-name"

NAME = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w-])")
_PAYLOAD = re.compile(r"(?<![\w-])([A-Z]{2,6}[a-z]{0,6}|[A-Z]|[A-Z]+_[A-Z_]+)\s+payloads?\b")


@lru_cache(maxsize=4096)
def _nearest_known(name: str, *, payload: bool) -> str | None:
    """The known (payload) name within two edits of ``name``, once per name and process."""
    vocab = vocabulary()
    return nearest(name, vocab.payloads if payload else vocab.names, limit=2)


def blocks(doc: Document, lines: list[int]) -> list[tuple[int, int]]:
    """The line ranges read as one unit (each numbered step, otherwise each line) that hold one
    of ``lines`` (ascending), in order."""
    st = structure(doc)
    starts = sorted({lb.line for lb in st.labels} | st.heading_lines | {m.line for m in st.markers})
    label_lines = {lb.line for lb in st.labels if lb.kind in ("step", "number")}
    steps = [
        (s, starts[i + 1] - 1 if i + 1 < len(starts) else len(doc.lines))
        for i, s in enumerate(starts)
        if s in label_lines
    ]
    firsts = [s for s, _ in steps]
    out: list[tuple[int, int]] = []
    for ln in lines:
        i = bisect_right(firsts, ln) - 1
        block = steps[i] if i >= 0 and ln <= steps[i][1] else (ln, ln)
        if not out or out[-1] != block:
            out.append(block)
    return out


def _known_as(name: str) -> str:
    """Where the grammar defines ``name`` (a data type or payload), for a finding's message."""
    for ns in (DATA_TYPES, PAYLOAD_TYPES):
        value = by_name(ns, name)
        if value is not None:
            return f" (the nearest, {name}, is {cite(ns, value)})"
    return ""


def _layout(msg: str, text: str, ctx: Context) -> tuple[frozenset[str], str, str]:
    layout = payload_layout(msg, text, ctx.vocabulary)
    return layout.allowed, layout.clause, layout.notation


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    vocab = ctx.vocabulary
    known = vocab.names
    text = doc.text
    mikey = "MIKEY" in text or any(m in text for m in vocab.messages)
    # every NAME match has "_", every _PAYLOAD match "payload" (see mckm.impl.lint.scan)
    named = lines_with(doc, ("_", "payload"))
    for first, last in blocks(doc, named):
        messages: set[str] = set()
        payload_mentions: list[tuple[int, int, str]] = []
        for ln in named[bisect_left(named, first) : bisect_right(named, last)]:
            line = doc.lines[ln - 1]
            for m in NAME.finditer(line):
                name = m.group(1)
                if name in known:
                    if name in vocab.structures:
                        messages.add(name)
                    continue
                near = _nearest_known(name, payload=False)
                if near is not None:
                    yield finding(
                        doc,
                        ID,
                        "error",
                        ln,
                        m.start() + 1,
                        f"{name} is not a known message or payload name{_known_as(near)}",
                        near,
                    )
                    if near in vocab.structures:
                        messages.add(near)
            if mikey:
                for m in _PAYLOAD.finditer(line):
                    payload_mentions.append((ln, m.start() + 1, m.group(1)))
        for ln, col, name in payload_mentions:
            if name not in known:
                near = _nearest_known(name, payload=True)
                if near is not None and "_" not in name:
                    yield finding(
                        doc, ID, "warning", ln, col,
                        f"{name} is not a MIKEY payload name{_known_as(near)}", near,
                    )
                continue
            if name not in vocab.payloads or not messages:
                continue
            layouts = {msg: _layout(msg, text, ctx) for msg in sorted(messages)}
            if any(name in layouts[msg][0] for msg in layouts):
                continue
            msg = sorted(messages)[0]
            allowed, source, layout = layouts[msg]
            kin = sorted(p for p in allowed if p[:2] == name[:2])
            hint = " or ".join(kin) if kin else nearest(name, allowed, limit=3)
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                col,
                f"{msg} has no {name} payload ({source}: {layout})",
                hint or "use a payload of the message",
            )
