"""The message protocol the engine needs, and a plain dict-backed message.

The engine reads a message through :class:`~mckm.models.procedures.expr.MessageView`: a
``name`` (the model's message name, e.g. ``I_MESSAGE``) and ``get(field)`` for the model's
abstract fields.  The MIKEY codec's decoded Message is plugged in with an adapter that maps
each abstract field to its grammar path (``MessageSpec.paths``); the tests use
:class:`DictMessage`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mckm.impl.redact import fingerprint


class FieldsView(Mapping[str, Any]):
    """A message's abstract fields as a read-only mapping (subclasses fill ``_fields``): the
    shared reading of :class:`DictMessage` and the codec adapters of the roles."""

    __slots__ = ("_fields",)
    _fields: dict[str, Any]

    def get(self, field: str, default: Any = None) -> Any:
        return self._fields.get(field, default)

    def __getitem__(self, field: str) -> Any:
        return self._fields[field]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


class DictMessage(FieldsView):
    """An immutable message: a name and a mapping of abstract fields."""

    __slots__ = ("_name",)

    def __init__(self, name: str, fields: Mapping[str, Any]) -> None:
        self._name = name
        self._fields = dict(fields)

    @property
    def name(self) -> str:
        return self._name

    def replace(self, **changes: Any) -> DictMessage:
        """A copy with some fields changed (how tests tamper with a message)."""
        return DictMessage(self._name, {**self._fields, **changes})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DictMessage):
            return NotImplemented
        return self._name == other._name and self._fields == other._fields

    def __hash__(self) -> int:
        return hash((self._name, tuple(sorted(self._fields))))

    def __repr__(self) -> str:  # fields may hold key material: show only their names
        return f"DictMessage({self._name!r}, fields={sorted(self._fields)}, " \
               f"fp={fingerprint(repr(sorted(self._fields.items())).encode())})"
