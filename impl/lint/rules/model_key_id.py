"""A key identifier's bit layout stated in the text must be the SK-ID layout of the model.

The layout is :data:`mckm.models.policy.key_id.SK_ID` (TS 33.434 6.Y.2, seed 004; TS 33.180
key ids follow it): widths and bit positions are read from it, not typed here.  In a sentence
that names a key identifier (SK-ID, GMK-ID, PCK-ID, ... or "key identifier") it reports (error):

* a total width other than the layout's ("a 24-bit SK-ID");
* a purpose field of another width, or at the other end ("the 4 least significant bits of the
  SK-ID shall indicate the purpose");
* a random part of another width ("the other 24 bits shall be randomly generated").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import procedures
from mckm.impl.lint.scan import lines_with
from mckm.models.policy.key_id import (
    KEY_ID_BITS,
    PURPOSE_FIELD,
    RANDOM_FIELD,
    SK_ID,
    SK_ID_SLOTS,
    Slot,
)
from mckm.models.policy.key_purposes import PURPOSES

ID = "model-key-id"

_SENTENCE = re.compile(r"[^.;]+(?:\.(?!\d)|;|$)")
_BITS = r"(\d{1,3})[\s-]*bits?"
_SIDE = re.compile(
    r"\b(?:the\s+)?(\d{1,3})\s+(most|least)\s+significant\s+bits?\b(?P<rest>[^.;]{0,80})", re.I
)
_OTHER = re.compile(r"\b(?:the\s+)?(?:other|remaining|rest\s+of\s+the)\s+" + _BITS, re.I)


@lru_cache(maxsize=1)
def _id_name() -> re.Pattern[str]:
    names = ["SK", *(p.name for p in PURPOSES)]
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alt})-ID\b|\bkey\s+identifier\b", re.I)


@lru_cache(maxsize=1)
def _width() -> re.Pattern[str]:
    return re.compile(rf"\b{_BITS}\s+(?:[\w()-]+\s+){{0,4}}?(?:{_id_name().pattern})", re.I)


def _side(slot: Slot) -> str:
    if slot.msb == KEY_ID_BITS - 1:
        return "most"
    return "least" if slot.lsb == 0 else "middle"


def _layout_text() -> str:
    parts = [f"{s.name} {s.width} bits ({s.msb}..{s.lsb})" for s in SK_ID_SLOTS.values()]
    return "SK_ID: " + ", ".join(parts)


@lru_cache(maxsize=1)
def _cite() -> str:
    """The model element and its clause: the SK_ID layout and the procedure that uses it."""
    users = [p for p in procedures() if p.policy.get("key_id_layout") is SK_ID]
    where = "; ".join(f"procedure {p.name}, {p.clause}" for p in users)
    return f"{_layout_text()} (models/policy/key_id.py; {where})"


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    purpose, random = SK_ID_SLOTS[PURPOSE_FIELD], SK_ID_SLOTS[RANDOM_FIELD]
    for ln in lines_with(doc, ("-ID", "identifier", "IDENTIFIER", "Identifier")):
        line = doc.lines[ln - 1]
        for sent in _SENTENCE.finditer(line):
            text, base = sent.group(), sent.start()
            if not _id_name().search(text):
                continue
            for m in _width().finditer(text):
                if int(m.group(1)) != KEY_ID_BITS:
                    yield finding(
                        doc, ID, "error", ln, base + m.start(1) + 1,
                        f"a key identifier has {KEY_ID_BITS} bits, not {m.group(1)}: {_cite()}",
                        f"{KEY_ID_BITS}-bit",
                    )
            for m in _SIDE.finditer(text):
                rest = m.group("rest").lower()
                field = purpose if "purpose" in rest else random if "random" in rest else None
                if field is None:
                    continue
                width, side = int(m.group(1)), m.group(2).lower()
                want = _side(field)
                if width != field.width or side != want:
                    yield finding(
                        doc, ID, "error", ln, base + m.start(1) + 1,
                        f"the {field.name} field is the {field.width} {want} significant bits, "
                        f"not the {width} {side} significant bits: {_cite()}",
                        f"{field.width} {want} significant bits",
                    )
            for m in _OTHER.finditer(text):
                if int(m.group(1)) != random.width and "random" in text[m.end():].lower():
                    yield finding(
                        doc, ID, "error", ln, base + m.start(1) + 1,
                        f"the {random.name} part has {random.width} bits, not {m.group(1)}: "
                        f"{_cite()}",
                        f"{random.width} bits",
                    )
