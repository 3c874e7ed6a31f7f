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
  ``IDR`` payloads only (warning, the message's payload list suggested).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import nearest

ID = "message-name"

NAME = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w-])")
_PAYLOAD = re.compile(r"(?<![\w-])([A-Z]{2,6}[a-z]{0,6}|[A-Z]|[A-Z]+_[A-Z_]+)\s+payloads?\b")


def blocks(doc: Document) -> list[tuple[int, int]]:
    """Line ranges read as one unit: each numbered step, otherwise each line."""
    st = structure(doc)
    starts = sorted({lb.line for lb in st.labels} | st.heading_lines | {m.line for m in st.markers})
    out: list[tuple[int, int]] = []
    covered: set[int] = set()
    label_lines = {lb.line for lb in st.labels if lb.kind in ("step", "number")}
    for i, s in enumerate(starts):
        if s not in label_lines:
            continue
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(doc.lines)
        out.append((s, end))
        covered.update(range(s, end + 1))
    out.extend((ln, ln) for ln in range(1, len(doc.lines) + 1) if ln not in covered)
    return sorted(out)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    vocab = ctx.vocabulary
    known = vocab.names
    mikey = "MIKEY" in doc.text or any(m in doc.text for m in vocab.messages)
    for first, last in blocks(doc):
        messages: set[str] = set()
        payload_mentions: list[tuple[int, int, str]] = []
        for ln in range(first, last + 1):
            line = doc.lines[ln - 1]
            for m in NAME.finditer(line):
                name = m.group(1)
                if name in known:
                    if name in vocab.structures:
                        messages.add(name)
                    continue
                near = nearest(name, known, limit=2)
                if near is not None:
                    yield finding(
                        doc,
                        ID,
                        "error",
                        ln,
                        m.start() + 1,
                        f"{name} is not a known message or payload name",
                        near,
                    )
                    if near in vocab.structures:
                        messages.add(near)
            if mikey:
                for m in _PAYLOAD.finditer(line):
                    payload_mentions.append((ln, m.start() + 1, m.group(1)))
        for ln, col, name in payload_mentions:
            if name not in known:
                near = nearest(name, vocab.payloads, limit=2)
                if near is not None and "_" not in name:
                    yield finding(
                        doc, ID, "warning", ln, col, f"{name} is not a MIKEY payload name", near
                    )
                continue
            if name not in vocab.payloads or not messages:
                continue
            if any(name in vocab.structures[msg] for msg in messages):
                continue
            msg = sorted(messages)[0]
            source = vocab.sources.get(msg, "")
            layout = " | ".join(vocab.notations[msg])
            kin = sorted(p for p in vocab.structures[msg] if p[:2] == name[:2])
            hint = " or ".join(kin) if kin else nearest(name, vocab.structures[msg], limit=3)
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                col,
                f"{msg} has no {name} payload ({source}: {layout})",
                hint or "use a payload of the message",
            )
