"""Grammar paths: where a model field lives in a MIKEY message, resolved against the grammar.

A path names a payload of the registry, optionally a selector on one of its enumerated fields
(the role indicator of IDR / RANDR / TR, RFC 6043 6.4-6.8), and optionally a field::

    HDR.csb_id                      the CSB ID of the common header (RFC 3830 6.1)
    T.ts_value                      the timestamp (its converter reads ts_type too)
    IDR[id_role=IDRkms].id_data     the ID Data of the IDR payload whose role is IDRkms
    TICKET                          the whole TICKET payload

:func:`resolve` checks every part against ``models/grammar`` when a model is loaded: an unknown
payload, field or value name raises :class:`GrammarPathError` at import, never at run time.
A path that is not in the message at all but in its carrier (the Zk link's authenticated peer)
is written ``transport:NAME`` and is resolved to a :class:`GrammarPath` with ``payload`` None.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mckm.models.grammar.dsl import FieldInfo
from mckm.models.grammar.registry import BY_NAME

_SYNTAX = re.compile(r"^(?P<payload>[A-Z_]+)(?:\[(?P<sel>[a-z_]+)=(?P<val>[^\]]+)\])?"
                     r"(?:\.(?P<field>[a-z_]+))?$")


class GrammarPathError(ValueError):
    """A model names a payload, field or value the grammar does not have."""


@dataclass(frozen=True)
class GrammarPath:
    """A resolved path (see module docstring); ``select`` is (field, value number)."""

    text: str
    payload: str | None
    field: str | None = None
    select: tuple[str, int] | None = None

    @property
    def transport(self) -> bool:
        return self.payload is None

    def matches(self, name: str, fields: dict[str, object]) -> bool:
        """Whether a payload called ``name`` with ``fields`` is the one this path selects."""
        if name != self.payload:
            return False
        return self.select is None or fields.get(self.select[0]) == self.select[1]

    def __str__(self) -> str:
        return self.text


def _info(payload: str, name: str, text: str) -> FieldInfo:
    for info in BY_NAME[payload].spec.infos:
        if info.name == name:
            if info.derived:
                raise GrammarPathError(f"{text}: {payload}.{name} is derived on encode, not "
                                       "a field a model can read or set")
            return info
    raise GrammarPathError(f"{text}: payload {payload} has no field {name!r}")


@functools.cache
def resolve(text: str) -> GrammarPath:
    """Resolve ``text`` against the grammar (see module docstring)."""
    if text.startswith("transport:"):
        return GrammarPath(text, None, text.removeprefix("transport:"))
    m = _SYNTAX.match(text)
    if m is None:
        raise GrammarPathError(f"{text!r} is not PAYLOAD[role_field=VALUE].field")
    payload = m["payload"]
    if payload not in BY_NAME:
        raise GrammarPathError(f"{text}: no payload {payload!r} in the grammar")
    select = None
    if m["sel"]:
        info = _info(payload, m["sel"], text)
        if info.namespace is None:
            raise GrammarPathError(f"{text}: {payload}.{m['sel']} is not an enumerated field")
        try:
            select = (m["sel"], info.namespace.value_of(m["val"]))
        except KeyError:
            raise GrammarPathError(f"{text}: {info.namespace.name} has no value named "
                                   f"{m['val']!r}") from None
    if m["field"]:
        _info(payload, m["field"], text)
    return GrammarPath(text, payload, m["field"], select)


def value_named(payload: str, field: str, name: str) -> int:
    """The number of the value ``name`` of the enumerated field ``payload.field``."""
    info = _info(payload, field, f"{payload}.{field}={name}")
    if info.namespace is None:
        raise GrammarPathError(f"{payload}.{field} is not an enumerated field")
    try:
        return info.namespace.value_of(name)
    except KeyError:
        raise GrammarPathError(f"{payload}.{field}: {info.namespace.name} has no value named "
                               f"{name!r}") from None


__all__ = ["GrammarPath", "GrammarPathError", "resolve", "value_named"]
