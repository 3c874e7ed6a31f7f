"""The 32-bit key identifier layout (SK-ID, and the MC GMK-/PCK-/CSK-/SPK-ID it follows).

Seed 004 (TS 33.434 6.Y.2): "The 4 most significant bits of the SK-ID shall indicate the purpose
of the key, the other 28-bits shall be randomly generated"; the SK-ID travels in the CSB-ID field
of the MIKEY I_MESSAGE header (RFC 3830 6.1).  TS 33.180 uses the same layout for its key ids.

``SK_ID`` is the one place the layout is written.  Everything else (the runtime codec below, the
z3 proofs in ``mckm.proofs.sk_id``, the docs) reads field names, widths and bit offsets from it
through :func:`slots`, so a mutant layout (bits moved, a 3-bit field) is just another BitStruct.
Code that needs a width names it: ``PURPOSE_BITS``, ``RANDOM_BITS``, ``KEY_ID_BITS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import construct as c

from mckm.impl.errors import DecodeError, EncodeError

#: SK-ID, TS 33.434 6.Y.2 (seed 004): purpose (4 MSBs) || random (28 LSBs), big-endian.
SK_ID = c.BitStruct(
    "purpose" / c.BitsInteger(4),
    "random" / c.BitsInteger(28),
)

PURPOSE_FIELD = "purpose"
RANDOM_FIELD = "random"


@dataclass(frozen=True)
class Slot:
    """One field of a key-id layout: ``width`` bits whose least significant bit is bit ``lsb``
    of the identifier (bit 0 = least significant bit of the whole id)."""

    name: str
    width: int
    lsb: int

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1


def slots(layout: c.Construct = SK_ID) -> dict[str, Slot]:
    """Field name -> :class:`Slot`, read from a ``BitStruct`` of (constant) ``BitsInteger``s."""
    inner = getattr(layout, "subcon", None)
    subcons = getattr(inner, "subcons", None)
    if subcons is None:
        raise TypeError("a key-id layout must be a construct BitStruct")
    fields = []
    for index, sub in enumerate(subcons):
        if isinstance(sub, c.Padded) and isinstance(sub.length, int):  # unnamed padding bits
            fields.append((f"_pad{index}", sub.length))
            continue
        inner_field = sub.subcon.subcon if isinstance(sub.subcon, c.Const) else sub.subcon
        if not isinstance(inner_field, c.BitsInteger) or not isinstance(inner_field.length, int):
            raise TypeError(f"key-id field {sub.name!r} must be a fixed-width BitsInteger")
        fields.append((sub.name, inner_field.length))
    total = sum(width for _, width in fields)
    out: dict[str, Slot] = {}
    used = 0
    for name, width in fields:  # BitStruct fields are written most significant first
        used += width
        out[name] = Slot(name, width, total - used)
    return out


def id_bits(layout: c.Construct = SK_ID) -> int:
    """Total width of a key-id layout in bits (32 for SK_ID)."""
    return sum(s.width for s in slots(layout).values())


#: The SK-ID layout's widths by name, read from ``SK_ID`` (code says ``RANDOM_BITS``, never 28).
SK_ID_SLOTS = slots(SK_ID)
PURPOSE_BITS = SK_ID_SLOTS[PURPOSE_FIELD].width  # 4: the purpose tag
RANDOM_BITS = SK_ID_SLOTS[RANDOM_FIELD].width  # 28: the random part
KEY_ID_BITS = id_bits(SK_ID)  # 32: the whole identifier (the CSB-ID field)


def encode_key_id(purpose: int, random: int, layout: c.Construct = SK_ID) -> int:
    """Build the key id for ``purpose`` and ``random`` as an unsigned integer (big-endian)."""
    try:
        raw = layout.build({PURPOSE_FIELD: purpose, RANDOM_FIELD: random})
    except c.ConstructError as exc:
        raise EncodeError(f"key id: purpose {purpose} / random {random}: {exc}") from exc
    return int.from_bytes(raw, "big")


def decode_key_id(key_id: int, layout: c.Construct = SK_ID) -> tuple[int, int]:
    """Split a key id into ``(purpose value, random part)``."""
    nbits = id_bits(layout)
    if not 0 <= key_id < 1 << nbits:
        raise DecodeError(f"key id {key_id!r} is not a {nbits}-bit unsigned value",
                          payload="HDR", field="csb_id")
    try:
        parsed = layout.parse(key_id.to_bytes(nbits // 8, "big"))
    except c.ConstructError as exc:
        raise DecodeError(f"key id {key_id:#x}: {exc}", payload="HDR", field="csb_id") from exc
    return int(parsed[PURPOSE_FIELD]), int(parsed[RANDOM_FIELD])


def purpose_of(key_id: int, layout: c.Construct = SK_ID) -> int:
    """The purpose value carried by ``key_id`` (TS 33.434 6.Y.2: its 4 most significant bits)."""
    return decode_key_id(key_id, layout)[0]
