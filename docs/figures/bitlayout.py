"""RFC-style bit layouts of the MIKEY payloads, drawn from their grammars (``models/grammar``).

Rows of 32 bits, bit 0 (the most significant) on the left, as RFC 3830 6 draws its payloads.
Each field of a structure's declarations (:class:`~mckm.models.grammar.dsl.FieldInfo`, in wire
order) is a box over its bits; a fixed field that crosses a row boundary is continued on the
next row.  A field without a fixed width (octets sized by a length field, by another field's
value, a count of entries, a layout chosen by a key, an optional group) is a dashed box to the
end of its row, marked with what sizes it, and the next field starts a new row, as in the RFCs.
Fields the encoder computes (lengths, Next Payload) are in italics.  A name that does not fit
its bits is replaced by a note number, spelt out under the figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from figures.svg import FONT_SIZE, LINE, SMALL, Canvas, embed, ident, text_width
from mckm.models.grammar import registry
from mckm.models.grammar.dsl import FieldInfo, StructSpec

PAD = 12
BIT = 20  # px per bit
ROW_BITS = 32
ROW_H = 32
TOP = PAD + 16  # below the bit numbers


@dataclass(frozen=True)
class Box:
    """One box of the figure: ``bits`` bits of ``field`` from bit ``start`` of row ``row``
    (``rows`` rows high); ``bits`` is to the row's end for a field without a fixed width."""

    field: FieldInfo
    row: int
    start: int
    bits: int
    rows: int = 1
    first: bool = True
    variable: bool = False


def size_note(info: FieldInfo) -> str:
    """What sizes a field without a fixed width ("" for a fixed field)."""
    if info.bits.isdigit():
        return ""
    if info.fixed_sizes and info.key:
        unit = "octets" if info.kind == "bytes" else "bits"
        return f"{'/'.join(str(n) for n in info.fixed_sizes.values())} {unit} by {info.key}"
    if info.kind == "list":
        times = info.bits.replace(" x ", " \u00d7 ")
        return f"{times} bits"
    if info.kind == "choice":
        return f"layout by {info.key}"
    if info.kind == "optional":
        return "optional"
    return "variable"


def label(info: FieldInfo) -> str:
    note = size_note(info)
    return f"{info.name} ({note})" if note else info.name


def boxes(spec: StructSpec) -> list[Box]:
    """The boxes of ``spec``'s fields, row by row."""
    out: list[Box] = []
    row, offset = 0, 0
    for info in spec.infos:
        if not info.bits.isdigit():
            out.append(Box(info, row, offset, ROW_BITS - offset, variable=True))
            row, offset = row + 1, 0
            continue
        left, first = int(info.bits), True
        while left:
            take = min(left, ROW_BITS - offset)
            prev = out[-1] if out else None
            if (prev is not None and prev.field is info and take == ROW_BITS == prev.bits
                    and offset == 0):  # a further whole row of the same field: one taller box
                out[-1] = Box(info, prev.row, 0, ROW_BITS, prev.rows + 1, prev.first)
            else:
                out.append(Box(info, row, offset, take, first=first))
            first, left, offset = False, left - take, offset + take
            if offset == ROW_BITS:
                row, offset = row + 1, 0
    return out


def structures() -> list[StructSpec]:
    """Every structure of the MIKEY grammar: payloads, map entries and sub-structures."""
    return registry.structures()


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def by_name(name: str) -> StructSpec:
    """The structure called ``name`` (its grammar name, e.g. ``KEMAC``, or its slug,
    ``srtp-id-entry``)."""
    for spec in structures():
        if name in (spec.name, slug(spec.name)):
            return spec
    known = ", ".join(slug(s.name) for s in structures())
    raise KeyError(f"no payload grammar {name!r} (known: {known})")


def description(spec: StructSpec) -> str:
    fields = "; ".join(f"{i.name}: {i.bits} bits" if i.bits.isdigit() else
                       f"{i.name}: {size_note(i)}" for i in spec.infos)
    return f"Bit layout of {spec.name} ({spec.clause}), 32 bits a row. Fields: {fields}."


def figure(spec: StructSpec) -> str:
    """The SVG document of ``spec``'s bit layout."""
    c = Canvas(ident("bits", spec.name), f"Bit layout: {spec.name} ({spec.clause})",
               description(spec))
    for bit in range(ROW_BITS):
        c.text(PAD + bit * BIT + BIT / 2, PAD + 8, str(bit), anchor="middle", size=10,
               fill="#555555")
    notes: list[str] = []
    rows = 0
    for b in boxes(spec):
        x, y = PAD + b.start * BIT, TOP + b.row * ROW_H
        w, h = b.bits * BIT, b.rows * ROW_H
        rows = max(rows, b.row + b.rows)
        c.rect(x, y, w, h, fill="#f3f3f3" if b.variable else "#ffffff", dashed=b.variable)
        text = label(b.field) if b.first else f"{b.field.name} (cont.)"
        size: float = FONT_SIZE
        if text_width(text, size) > w - 6:
            size = SMALL
        if text_width(text, size) > w - 6:
            notes.append(f"[{len(notes) + 1}] {text}")
            text = f"[{len(notes)}]"
        c.text(x + w / 2, y + h / 2 + size * 0.35, text, anchor="middle", size=size,
               italic=b.field.derived)
    y = TOP + rows * ROW_H + 8
    for n in notes:
        c.text(PAD, y + FONT_SIZE, n)
        y += LINE
    c.text(PAD, y + SMALL + 2, "dashed: no fixed width; italics: computed by the encoder; "
           f"grammar: {spec.clause}", size=SMALL, fill="#555555")
    return c.svg()


def caption(spec: StructSpec) -> str:
    return (f"{spec.name} ({spec.clause}), drawn from its grammar: {spec.meaning}"
            if spec.meaning else f"{spec.name} ({spec.clause}), drawn from its grammar")


def markdown(spec: StructSpec) -> str:
    """The figure as a spec page shows it (inline SVG with its caption)."""
    return embed(figure(spec), caption(spec))
