"""Range checks of a payload's fields against the widths its grammar declares, before encoding.

Each field of a structure (RFC 3830 6, RFC 6043 6, RFC 6509 4) must be present, of its kind and
fit its width: an integer its bits, an octet string its length field, a list its count, a choice
the layout its key field selects.  :func:`field_problem` words the first problem for the
:class:`~mckm.impl.errors.EncodeError`, or returns None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mckm.impl.codec.policy_params import sp_params_problem
from mckm.models.grammar.dsl import FieldInfo, StructSpec
from mckm.models.grammar.rfc3830 import SP

_PLANS: dict[int, tuple[tuple[FieldInfo, ...], frozenset[str]]] = {}
_MISSING = object()


def _plan(spec: StructSpec) -> tuple[tuple[FieldInfo, ...], frozenset[str]]:
    plan = _PLANS.get(id(spec))
    if plan is None:
        infos = tuple(i for i in spec.infos if i.in_object)
        plan = _PLANS[id(spec)] = (infos, frozenset(i.name for i in infos))
    return plan


def field_problem(spec: StructSpec, fields: Mapping[str, Any]) -> str | None:
    """A range problem of ``fields`` against the widths declared in ``spec``, or None."""
    if not isinstance(fields, Mapping):
        return f"{spec.name} must be a mapping of fields"
    infos, names = _plan(spec)
    for info in infos:
        value = fields.get(info.name, _MISSING)
        if value is _MISSING:
            return f"missing field {info.name}"
        if (info.kind == "uint" and info.key is None  # the common case, checked inline
                and type(value) is int and 0 <= value < 1 << (info.max_bits or 0)):
            continue
        problem = _value_problem(info, value, fields)
        if problem is not None:
            return f"field {info.name}: {problem}"
    if len(fields) != len(names) or not names.issuperset(fields):
        return f"unknown field(s) {sorted(set(fields) - names)}"
    if spec is SP.spec:
        return sp_params_problem(fields["policy_params"])
    return None


def _value_problem(info: FieldInfo, value: Any, fields: Mapping[str, Any]) -> str | None:
    if info.kind == "uint":
        if info.fixed_sizes is not None and info.key is not None:  # width set by a key field
            width = info.fixed_sizes.get(fields.get(info.key, -1))
            if width is None:
                return f"{info.key} has no defined layout"
            return _int_problem(value, width)
        return _int_problem(value, info.max_bits or 0)
    if info.kind == "bytes":
        return _bytes_problem(info, value, fields)
    if info.kind == "list":
        return _list_problem(info, value, fields)
    if info.kind == "optional":
        if value is None:
            return None
        assert info.sub is not None
        return field_problem(info.sub, value)
    return _choice_problem(info, value, fields)


def _bytes_problem(info: FieldInfo, value: Any, fields: Mapping[str, Any]) -> str | None:
    if not isinstance(value, bytes):
        return f"expected bytes, got {type(value).__name__}"
    if info.len_bits is not None and len(value) >= 1 << info.len_bits:
        return f"{len(value)} octets do not fit a {info.len_bits}-bit length"
    if info.fixed_sizes is not None:
        size = info.fixed_sizes.get(fields.get(info.key, 0) if info.key else 0)
        if size is None:
            return f"{info.key} has no defined layout"
        if len(value) != size:
            return f"expected {size} octets, got {len(value)}"
    return None


def _list_problem(info: FieldInfo, value: Any, fields: Mapping[str, Any]) -> str | None:
    if not isinstance(value, list):
        return f"expected a list, got {type(value).__name__}"
    if len(value) > 255:
        return "too many entries"
    if info.key and info.key in fields and fields[info.key] != len(value):
        return f"{info.key} = {fields[info.key]} but {len(value)} entries are given"
    for item in value:
        p = (field_problem(info.sub, item) if info.sub is not None
             else _int_problem(item, info.max_bits or 8))
        if p is not None:
            return p
    return None


def _choice_problem(info: FieldInfo, value: Any, fields: Mapping[str, Any]) -> str | None:
    assert info.cases is not None and info.key is not None
    key = fields.get(info.key)
    if not isinstance(key, int) or key not in info.cases:
        return f"{info.key} = {key} has no defined layout"
    case = info.cases[key]
    if case is None:
        return None if value is None else "must be null for this layout"
    if info.count_field is not None:
        if not isinstance(value, list):
            return "expected a list of entries"
        if fields.get(info.count_field) != len(value):
            return f"{info.count_field} = {fields.get(info.count_field)} but {len(value)} given"
        for item in value:
            p = field_problem(case, item)
            if p is not None:
                return p
        return None
    return field_problem(case, value)


def _int_problem(value: Any, bits: int) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return f"expected an integer, got {type(value).__name__}"
    if not 0 <= value < (1 << bits):
        return f"{value} does not fit {bits} bits"
    return None
