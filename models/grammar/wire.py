"""How a procedure model's message fields sit on the wire: a grammar path and a converter each.

A :class:`Wire` declares one abstract field of a ``MessageSpec`` (``models/procedures/model.py``):
its model type, the grammar path(s) it is read from and written to (:mod:`.paths`, resolved at
import) and the :class:`Converter` between the grammar's value and the model's.  The generic view
and builder of the runtime (``mckm.impl.engine.wire``) read these declarations; no role keeps a
field table of its own.

Converters declared here are pure (octets <-> text, NTP <-> seconds).  A converter whose value is
a runtime object (the SAKKE payload, the TICKET, a KEMAC that needs the message to open) is
declared by name only (:func:`bound`); the role binds its implementation, and the view refuses to
run with a name left unbound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mckm.models.grammar.namespaces import TS_TYPE
from mckm.models.grammar.paths import GrammarPath, GrammarPathError, resolve, value_named
from mckm.models.grammar.registry import BY_NAME

#: RFC 3830 6.6: NTP-UTC and NTP are 64-bit NTP, whole seconds in the high 32 bits;
#: RFC 6043 6.3: NTP-UTC-32 is the whole seconds alone.
_NTP64 = frozenset(v.value for v in TS_TYPE.values if v.size == 64 and "NTP" in v.name)
_NTP_UTC = TS_TYPE.value_of("NTP-UTC")
_NTP_UTC_32 = TS_TYPE.value_of("NTP-UTC-32")


@dataclass(frozen=True)
class Converter:
    """Reads the model value from the grammar value at a path (None: not a valid value) and
    writes it back.  ``read`` gets the field value, or the payload's fields when the path
    names a whole payload; ``write`` returns the same shape."""

    name: str
    clause: str
    read: Callable[[Any], Any] | None = None
    write: Callable[[Any], Any] | None = None

    @property
    def bound_by_role(self) -> bool:
        return self.read is None


def utf8_text(data: Any) -> str | None:
    """Octets as UTF-8 text; None for no octets, empty or not UTF-8."""
    if not isinstance(data, bytes | bytearray):
        return None
    try:
        return bytes(data).decode("utf-8") or None
    except UnicodeDecodeError:
        return None


def _seconds(fields: Any) -> int | None:
    kind, value = fields.get("ts_type"), fields.get("ts_value")
    if not isinstance(value, int):
        return None
    if kind in _NTP64:
        return value >> 32
    return value if kind == _NTP_UTC_32 else None


URI_TEXT = Converter("URI text", "RFC 3830 6.7: ID Data of a URI is its UTF-8 text", utf8_text,
                     lambda text: str(text).encode("utf-8"))
UTF8_TEXT = Converter("UTF-8 text", "RFC 6043 6.5: an ID Data read as text (a B-TID)", utf8_text,
                      lambda text: str(text).encode("utf-8"))
NTP_SECONDS = Converter("NTP seconds", "RFC 3830 6.6; RFC 6043 6.3", _seconds,
                        lambda s: {"ts_type": _NTP_UTC, "ts_value": int(s) << 32})
OCTETS = Converter("octets", "opaque octets", lambda v: bytes(v) if isinstance(
    v, bytes | bytearray) else None, bytes)
UINT = Converter("unsigned integer", "the field's value", lambda v: v if isinstance(
    v, int) and not isinstance(v, bool) else None, int)


@dataclass(frozen=True)
class OnPath:
    """What a bound writer returns to write to another of the wire's paths than the first
    (e.g. a UID in IDR role 8 instead of a URI in IDRi, TS 33.180 E.1)."""

    index: int
    value: Any


def bound(name: str, clause: str) -> Converter:
    """A converter whose implementation the role binds (see module docstring)."""
    return Converter(name, clause)


@dataclass(frozen=True)
class Wire:
    """One model field on the wire: type, path(s) and converter.  Several paths are the
    alternative places a field may be carried (tried in order by the role's converter)."""

    type: str
    paths: tuple[GrammarPath, ...]
    conv: Converter = OCTETS
    fixed: Mapping[str, int] = field(default_factory=dict)  # constant fields written with it

    @property
    def path(self) -> GrammarPath:
        return self.paths[0]

    @property
    def text(self) -> str:
        return " or ".join(p.text for p in self.paths)


def wire(type_name: str, *paths: str, conv: Converter = OCTETS,
         fixed: Mapping[str, str] | None = None) -> Wire:
    """Declare a field; each path, and each ``fixed`` value name (written with the first
    path's payload, e.g. ``{"id_type": "URI"}``), is resolved against the grammar now."""
    resolved = tuple(resolve(p) for p in paths)
    payload = str(resolved[0].payload)
    numbers = {f: value_named(payload, f, v) for f, v in (fixed or {}).items()}
    return Wire(type_name, resolved, conv, numbers)


def transport(type_name: str, name: str) -> Wire:
    """A field the carrier states (not in the octets), e.g. the Zk peer."""
    return Wire(type_name, (resolve(f"transport:{name}"),), Converter(name, "transport"))


@dataclass(frozen=True)
class Integrity:
    """Which octets a message's SIGN or V covers (RFC 3830 5.2; RFC 6043 5.5 Table 5.2):
    every octet before the signature / MAC value, then the ID Data of ``append_ids`` (initial
    messages) or the whole initial message (``append_request``: responses).  ``skip_initiator
    _data``: the TICKET's Initiator Data is left out (TRANSFER_INIT, RFC 6043 5.5)."""

    payload: str  # "SIGN" or "V"
    append_ids: tuple[str, ...] = ()  # ID role names, in order
    append_request: bool = False
    skip_initiator_data: bool = False

    def text(self) -> str:
        tail = (" || " + " || ".join(f"ID Data({r})" for r in self.append_ids)
                if self.append_ids else "")
        if self.append_request:
            tail = " || the initial message"
        skip = " (TICKET Initiator Data left out)" if self.skip_initiator_data else ""
        return f"{self.payload}: the message up to its value{tail}{skip}"


@dataclass(frozen=True)
class Layout:
    """What the grammar says of a message beyond its fields: the data type, the payload
    order a builder writes, the header fields a response copies from its request and what
    the integrity value covers."""

    data_type: str
    order: tuple[str, ...]  # payload names, or paths with a role selector (RANDR[rand_role=..])
    copies: tuple[str, ...] = ()
    integrity: Integrity | None = None
    hdr: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.order:  # GrammarPathError at import for an unknown payload or role
            resolve(entry)
        for name in (*self.copies, *self.hdr):
            if name not in {i.name for i in BY_NAME["HDR"].spec.infos}:
                raise GrammarPathError(f"{self.data_type}: HDR has no field {name!r}")


__all__ = ["NTP_SECONDS", "OCTETS", "UINT", "URI_TEXT", "UTF8_TEXT", "Converter", "Integrity",
           "Layout", "OnPath", "Wire", "bound", "transport", "utf8_text", "wire"]
