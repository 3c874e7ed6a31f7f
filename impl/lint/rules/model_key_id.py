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
from mckm.impl.lint.model_facts import SENTENCE, procedures
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

#: numbers as TS 33.180 writes them in words ("the most significant four bits")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "sixteen": 16, "twenty-four": 24, "twenty-eight": 28, "thirty-two": 32}
_N = r"\d{1,3}|" + "|".join(_WORDS)
_BITS = r"(\d{1,3})[\s-]*bits?"
#: "the 4 most significant bits", "the most significant four bits"; then what they hold
_SIDE = re.compile(
    rf"\b(?:the\s+)?(?:(?P<n1>{_N})\s+(?P<s1>most|least)\s+significant\s+bits?"
    rf"|(?P<s2>most|least)\s+significant\s+(?P<n2>{_N})\s+bits?)\b(?P<rest>[^.;]{{0,80}})",
    re.I,
)
_OTHER = re.compile(r"\b(?:the\s+)?(?:other|remaining|rest\s+of\s+the)\s+" + _BITS, re.I)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word.lower()]


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


def _field_named(text: str, *, last: bool = False) -> str | None:
    """Which SK-ID field ``text`` speaks of (the purpose tag or the random part), if any; with
    ``last``, the one named last."""
    found = [(text.rfind(w) if last else text.find(w), f)
             for w, f in (("purpose", PURPOSE_FIELD), ("random", RANDOM_FIELD)) if w in text]
    if not found:
        return None
    return (max if last else min)(found)[1]


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    purpose, random = SK_ID_SLOTS[PURPOSE_FIELD], SK_ID_SLOTS[RANDOM_FIELD]
    for ln in lines_with(doc, ("-ID", "identifier", "IDENTIFIER", "Identifier")):
        line = doc.lines[ln - 1]
        for sent in SENTENCE.finditer(line):
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
                number = m.group("n1") or m.group("n2")
                side = (m.group("s1") or m.group("s2")).lower()
                rest = m.group("rest").lower()
                head = text[: m.start()].lower()  # "the purpose tag ... shall be the most ..."
                field = _field_named(rest) or _field_named(head[-80:], last=True)
                if field is None:
                    continue
                field_slot = purpose if field == PURPOSE_FIELD else random
                width, want = _count(number), _side(field_slot)
                if width != field_slot.width or side != want:
                    field = field_slot.name
                    yield finding(
                        doc, ID, "error", ln, base + m.start() + 1,
                        f"the {field} field is the {field_slot.width} {want} significant bits, "
                        f"not the {width} {side} significant bits: {_cite()}",
                        f"{field_slot.width} {want} significant bits",
                    )
            for m in _OTHER.finditer(text):
                if int(m.group(1)) != random.width and "random" in text[m.end():].lower():
                    yield finding(
                        doc, ID, "error", ln, base + m.start(1) + 1,
                        f"the {random.name} part has {random.width} bits, not {m.group(1)}: "
                        f"{_cite()}",
                        f"{random.width} bits",
                    )
