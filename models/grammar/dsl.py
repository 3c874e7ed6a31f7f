"""A small field language over ``construct``: each field is declared once, with its meaning.

A payload grammar is a list of field declarations.  Every declaration yields both the construct
pieces that parse and build it and a :class:`FieldInfo` that carries what a reader needs (name,
width in bits, meaning, allowed values, clause).  The codec, the ``mckm codec describe`` table,
the Sphinx pages and the hypothesis strategies all read the same declarations, so a field width
or an enum value is written in exactly one place.

Theory of operation
-------------------
* Only ``this`` expressions are used, so every grammar compiles (``Struct.compile()``); the test
  suite checks that the generated code has no interpreted fall-back.
* Length and count fields that follow from the data are ``Rebuild`` fields (*derived*): they are
  shown in the tables, read on decode, and recomputed on encode, so they are not part of the
  decoded objects.  Sub-octet fields are packed into one octet or word (``pk__*``) and exposed
  as ``Computed`` fields, which keeps the decoded object flat.
* A field whose length is implied by another field's value (a timestamp, a MAC, a hash, a map)
  is a ``Switch`` over a :class:`Namespace` whose values carry that size; an unknown key there is
  a decode error, because the rest of the message cannot be delimited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import construct as c
from construct import this

Status = Literal["verified", "single_source", "recalled", "vendor"]
Unknown = Literal["name", "error"]


@dataclass(frozen=True)
class Value:
    """One assigned value of a namespace (an enum entry), with where it comes from."""

    value: int
    name: str
    meaning: str = ""
    clause: str = ""
    status: Status = "verified"
    size: int | None = None  # octets (or bits for timestamps) this value implies, if any


@dataclass(frozen=True)
class Namespace:
    """A MIKEY name space (IANA sub-registry) of ``bits`` width.

    ``unknown`` says what decode does with an unassigned value: ``"name"`` keeps it and names it
    "unassigned (N)" (or "private use (N)"); ``"error"`` refuses it because the layout of what
    follows depends on it.
    """

    name: str
    bits: int
    clause: str
    values: tuple[Value, ...]
    unknown: Unknown = "name"
    private: tuple[int, int] | None = None
    reserved: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        seen = [v.value for v in self.values]
        if len(seen) != len(set(seen)):
            raise ValueError(f"namespace {self.name}: a value is assigned twice")

    @property
    def by_value(self) -> dict[int, Value]:
        return {v.value: v for v in self.values}

    def name_of(self, value: int) -> str:
        """The assigned name of ``value``, or a clear label for an unassigned one."""
        known = self.by_value.get(value)
        if known is not None:
            return known.name
        if self.private and self.private[0] <= value <= self.private[1]:
            return f"private use ({value})"
        if value in self.reserved:
            return f"reserved ({value})"
        return f"unassigned ({value})"

    def value_of(self, name: str) -> int:
        for v in self.values:
            if v.name == name:
                return v.value
        raise KeyError(f"{self.name} has no value named {name!r}")

    def sizes(self) -> dict[int, int]:
        return {v.value: v.size for v in self.values if v.size is not None}


Kind = Literal["uint", "bytes", "list", "choice", "optional"]


@dataclass(frozen=True)
class FieldInfo:
    """What a reader needs to know about one field."""

    name: str
    bits: str  # "8", "1", "16", "variable", "8 x n"
    meaning: str
    clause: str
    kind: Kind = "uint"
    namespace: Namespace | None = None
    derived: bool = False  # recomputed on encode; not part of decoded objects
    count: bool = False  # a plain count that sizes a later list (tests draw it small)
    key: str | None = None  # for choice/sized fields: the field whose value selects the layout
    sub: StructSpec | None = None  # for list/optional-struct fields
    cases: Mapping[int, StructSpec | None] | None = None  # for choice fields
    max_bits: int | None = None  # for uint: value range 0 .. 2**max_bits - 1
    len_bits: int | None = None  # for variable bytes: width of the length field
    fixed_sizes: Mapping[int, int] | None = None  # for sized fields: key value -> octets/bits
    allowed: str = ""  # free-text allowed values when no namespace applies
    count_field: str | None = None  # for choice fields whose cases are lists

    @property
    def in_object(self) -> bool:
        return not self.derived


@dataclass
class Part:
    """Construct pieces plus the descriptions of one declaration."""

    subcons: list[c.Construct]
    infos: list[FieldInfo]


@dataclass
class StructSpec:
    """A declared structure: its fields and the construct built from them."""

    name: str
    clause: str
    meaning: str
    infos: tuple[FieldInfo, ...]
    grammar: c.Construct
    _compiled: c.Construct | None = field(default=None, repr=False)

    @property
    def compiled(self) -> c.Construct:
        if self._compiled is None:
            self._compiled = self.grammar.compile()
        return self._compiled


def struct(name: str, clause: str, meaning: str, *parts: Part) -> StructSpec:
    subcons: list[c.Construct] = []
    infos: list[FieldInfo] = []
    for p in parts:
        subcons.extend(p.subcons)
        infos.extend(p.infos)
    return StructSpec(name, clause, meaning, tuple(infos), c.Struct(*subcons))


_INTS = {8: c.Int8ub, 16: c.Int16ub, 32: c.Int32ub, 64: c.Int64ub}


def uint(name: str, bits: int, meaning: str, clause: str, *, ns: Namespace | None = None,
         count: bool = False, allowed: str = "", derived: bool = False) -> Part:
    """A whole-octet unsigned field (``derived``: set by the codec, e.g. a Next Payload)."""
    return Part([name / _INTS[bits]],
                [FieldInfo(name, str(bits), meaning, clause, namespace=ns, count=count,
                           max_bits=bits, allowed=allowed, derived=derived)])


def uint_list(name: str, count_field: str, bits: int, meaning: str, clause: str) -> Part:
    """``count_field`` unsigned values of ``bits`` each."""
    return Part([name / c.Array(this[count_field], _INTS[bits])],
                [FieldInfo(name, f"{bits} x {count_field}", meaning, clause, kind="list",
                           key=count_field, max_bits=bits)])


def bytes_sized_by(name: str, len_field: str, len_bits: int, meaning: str, clause: str) -> Part:
    """Octets whose length is a field declared earlier (e.g. inside a packed group)."""
    return Part([name / c.Bytes(this[len_field])],
                [FieldInfo(name, "variable", meaning, clause, kind="bytes", len_bits=len_bits)])


@dataclass(frozen=True)
class Sub:
    """A sub-octet field of a packed group; ``derive`` makes it a count of a later list."""

    name: str
    bits: int
    meaning: str
    ns: Namespace | None = None
    derive_len_of: str | None = None
    allowed: str = ""


def packed(total_bits: int, clause: str, *subs: Sub) -> Part:
    """Sub-octet fields packed MSB first into ``total_bits`` (8 or 16)."""
    if sum(s.bits for s in subs) != total_bits:
        raise ValueError("packed fields must fill the octets exactly")
    raw = "pk__" + subs[0].name
    expr: Any = None
    shift = total_bits
    pieces: list[c.Construct] = []
    infos: list[FieldInfo] = []
    for s in subs:
        shift -= s.bits
        mask = (1 << s.bits) - 1
        source: Any = c.len_(this[s.derive_len_of]) if s.derive_len_of else this[s.name]
        term = (source << shift) if shift else source
        expr = term if expr is None else (expr | term)
        getter: Any = this[raw] >> shift if shift else this[raw]
        if shift + s.bits < total_bits:
            getter = getter & mask
        pieces.append(s.name / c.Computed(getter))
        infos.append(FieldInfo(s.name, str(s.bits), s.meaning, clause, namespace=s.ns,
                               max_bits=s.bits, derived=s.derive_len_of is not None,
                               allowed=s.allowed))
    return Part([raw / c.Rebuild(_INTS[total_bits], expr), *pieces], infos)


def var_bytes(name: str, len_name: str, len_bits: int, meaning: str, clause: str,
              *, len_meaning: str = "octets", of: StructSpec | None = None) -> Part:
    """A length field (derived) followed by that many octets (a sequence of ``of`` entries,
    when given, which the codec checks)."""
    return Part(
        [len_name / c.Rebuild(_INTS[len_bits], c.len_(this[name])), name / c.Bytes(this[len_name])],
        [FieldInfo(len_name, str(len_bits), f"length of {name} ({len_meaning})", clause,
                   derived=True, max_bits=len_bits),
         FieldInfo(name, "variable", meaning, clause, kind="bytes", len_bits=len_bits,
                   sub=of)],
    )


def sized_bytes(name: str, key: str, ns: Namespace, meaning: str, clause: str) -> Part:
    """Octets whose length is implied by the value of ``key`` (a namespace with sizes)."""
    sizes = ns.sizes()
    return Part([name / c.Switch(this[key], {k: c.Bytes(n) for k, n in sizes.items()},
                                 default=c.Error)],
                [FieldInfo(name, "variable", meaning, clause, kind="bytes", key=key,
                           fixed_sizes=sizes)])


def sized_uint(name: str, key: str, ns: Namespace, meaning: str, clause: str) -> Part:
    """An unsigned value whose width in bits is implied by ``key`` (e.g. a timestamp)."""
    widths = ns.sizes()
    return Part([name / c.Switch(this[key], {k: _INTS[b] for k, b in widths.items()},
                                 default=c.Error)],
                [FieldInfo(name, "variable", meaning, clause, key=key, fixed_sizes=widths)])


def choice(name: str, key: str, cases: Mapping[int, StructSpec | None], meaning: str,
           clause: str, *, count_field: str | None = None) -> Part:
    """A layout selected by ``key``: a list of ``cases[k]`` entries (``count_field`` of them),
    or nothing for a ``None`` case.  Unknown keys are a decode error."""
    built: dict[int, c.Construct] = {}
    for k, sub in cases.items():
        if sub is None:
            built[k] = c.Pass
        elif count_field is not None:
            built[k] = c.Array(this[count_field], sub.grammar)
        else:
            built[k] = sub.grammar
    return Part([name / c.Switch(this[key], built, default=c.Error)],
                [FieldInfo(name, "variable", meaning, clause, kind="choice", key=key,
                           cases=dict(cases), count_field=count_field)])


def optional(name: str, condition: Any, inner: Part, meaning: str, clause: str,
             *, when: str) -> Part:
    """Fields present only when ``condition`` (a ``this`` expression) holds.  The inner fields
    are grouped under ``name`` (or ``None`` when absent)."""
    spec = StructSpec(name, clause, meaning, tuple(inner.infos), c.Struct(*inner.subcons))
    return Part([name / c.If(condition, spec.grammar)],
                [FieldInfo(name, "variable", f"{meaning} (present if {when})", clause,
                           kind="optional", sub=spec)])


@dataclass(frozen=True)
class PayloadSpec:
    """A MIKEY payload: its Next Payload number (None for HDR), clause and structure."""

    name: str
    number: int | None
    spec: StructSpec
    terminal: bool = False  # SIGN: has no next payload field, always last
    validators: tuple[Callable[[Mapping[str, Any]], str | None], ...] = ()

    @property
    def clause(self) -> str:
        return self.spec.clause


def all_structs(spec: StructSpec) -> list[StructSpec]:
    """``spec`` and every sub-structure below it, depth first, each once."""
    out: list[StructSpec] = []

    def walk(s: StructSpec) -> None:
        if any(s is o for o in out):
            return
        out.append(s)
        for info in s.infos:
            if info.sub is not None:
                walk(info.sub)
            for case in (info.cases or {}).values():
                if case is not None:
                    walk(case)

    walk(spec)
    return out

