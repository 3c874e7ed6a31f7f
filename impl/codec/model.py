"""Decoded MIKEY objects: a :class:`Message` is an HDR plus an ordered list of :class:`Payload`.

Field names and meanings come from ``mckm.models.grammar``.  Next Payload fields are not stored:
they follow from the order of the payloads and are written by ``encode``.  Length fields are not
stored either (they follow from the data).  ``raw`` and ``layout`` record where a decoded
message came from and are not part of equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mckm.impl.errors import UsageError
from mckm.models.grammar.namespaces import DATA_TYPE
from mckm.models.grammar.registry import BY_NAME


@dataclass
class Payload:
    """One payload: ``name`` (HDR, T, IDR, ...) and its fields, readable as attributes."""

    name: str
    fields: dict[str, Any]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__") or key in ("name", "fields"):
            raise AttributeError(key)
        try:
            return self.fields[key]
        except KeyError:
            raise AttributeError(f"{self.name} payload has no field {key!r}") from None

    def label(self, key: str) -> str:
        """The name of an enum-valued field's value, e.g. ``label("id_role")``."""
        for info in BY_NAME[self.name].spec.infos:
            if info.name == key and info.namespace is not None:
                return str(info.namespace.name_of(self.fields[key]))
        raise UsageError(f"{self.name}.{key} is not an enumerated field")


@dataclass(frozen=True)
class Span:
    """Where one payload sits in the encoded message (octets)."""

    payload: str
    offset: int
    length: int


@dataclass
class Message:
    """A MIKEY message: HDR, then the payload chain in wire order."""

    hdr: Payload
    payloads: list[Payload]
    raw: bytes | None = field(default=None, compare=False, repr=False)
    layout: tuple[Span, ...] = field(default=(), compare=False, repr=False)

    @property
    def data_type(self) -> int:
        return int(self.hdr.fields["data_type"])

    @property
    def data_type_name(self) -> str:
        return str(DATA_TYPE.name_of(self.data_type))

    def get(self, name: str) -> Payload | None:
        """The first payload called ``name``, or None."""
        for p in self.payloads:
            if p.name == name:
                return p
        return None

    def all(self, name: str) -> list[Payload]:
        return [p for p in self.payloads if p.name == name]

    @property
    def signed_portion(self) -> bytes:
        """The octets the SIGN payload's signature covers: everything before the signature
        field, including SIGN's own 2-octet S type / length header (RFC 3830 5.2, 6.5)."""
        from mckm.impl.codec.portions import signed_portion

        raw = self.raw if self.raw is not None else _encode(self)
        return bytes(signed_portion(raw))


def _encode(message: Message) -> bytes:
    from mckm.impl.codec.encoder import encode

    return bytes(encode(message))
