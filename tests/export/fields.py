"""One plain form of a message's fields, read three ways: from mckm's decode, from the
Kaitai-generated Python parser, and (printed by the generated C++ driver) from the g++-compiled
parser.  All three walks are driven by the grammar's field declarations, so the comparison is
field by field over every field mckm decodes.

The form: ``{"hdr": {field: value}, "payloads": [{"payload": name, "fields": {...}}]}``; octets
as lower-case hex, enumerated values as their number, absent choices and optional parts as None.
An octet field that holds payloads (``models/grammar/inner_chains.py``) keeps its hex and gains
``"<field>.payloads"``: the payloads read from it in the same form (mckm's side:
``chains.decode_inner``), or None where the declaration does not read them.
"""

from __future__ import annotations

import enum
from typing import Any

from mckm.impl.codec.chains import decode_inner
from mckm.impl.codec.model import Message, Payload
from mckm.models.grammar import registry
from mckm.models.grammar.dsl import FieldInfo, StructSpec
from mckm.models.grammar.inner_chains import BY_FIELD, KEY_DATA_PAYLOAD


def inner_key(field: str) -> str:
    """The key of the payloads read from octet field ``field`` in the form."""
    return f"{field}.payloads"


def from_mckm(message: Message) -> dict[str, Any]:
    return {"hdr": _mckm_struct(registry.BY_NAME["HDR"].spec, message.hdr.fields),
            "payloads": _mckm_payloads(message.payloads)}


def _mckm_payloads(payloads: list[Payload]) -> list[dict[str, Any]]:
    return [{"payload": p.name, "fields": _mckm_struct(registry.BY_NAME[p.name].spec, p.fields)}
            for p in payloads]


def _mckm_struct(spec: StructSpec, fields: dict[str, Any]) -> dict[str, Any]:
    out = {i.name: _mckm_value(i, fields[i.name], fields) for i in spec.infos if i.in_object}
    for info in spec.infos:
        chain = BY_FIELD.get((spec.name, info.name))
        if chain is not None:
            out[inner_key(info.name)] = (
                _mckm_payloads(decode_inner(chain, fields[info.name]))
                if chain.holds_payloads(fields) else None)
    return out


def _mckm_value(info: FieldInfo, value: Any, fields: dict[str, Any]) -> Any:
    if value is None:
        return None
    if info.kind == "bytes":
        return bytes(value).hex()
    if info.kind == "uint":
        return int(value)
    if info.kind == "list":
        return [int(v) for v in value]
    if info.kind == "optional":
        assert info.sub is not None
        return _mckm_struct(info.sub, value)
    assert info.cases is not None and info.key is not None
    case = info.cases[fields[info.key]]
    assert case is not None
    if info.count_field is not None:
        return [_mckm_struct(case, v) for v in value]
    return _mckm_struct(case, value)


def from_kaitai(parsed: Any) -> dict[str, Any]:
    """The form of a message parsed by the Kaitai-generated Python class."""
    return {"hdr": _kaitai_struct(registry.BY_NAME["HDR"].spec, parsed.hdr),
            "payloads": _kaitai_payloads(parsed.payloads)}


def _kaitai_payloads(payloads: Any) -> list[dict[str, Any]]:
    out = []
    for p in payloads or []:
        spec = registry.BY_NUMBER[_int(p.kind)]
        out.append({"payload": spec.name, "fields": _kaitai_struct(spec.spec, p.body)})
    return out


def _kaitai_inner(spec: StructSpec, name: str, wrapper: Any) -> list[dict[str, Any]] | None:
    """The payloads the export's wrapper read from an octet field (None: not read)."""
    if not wrapper.present:
        return None
    chain = BY_FIELD[(spec.name, name)]
    if chain.kind == "payloads":
        return _kaitai_payloads(getattr(wrapper, "payloads", None))  # absent: First Payload 0
    if chain.kind == "key_data":
        key_data = registry.BY_NAME[KEY_DATA_PAYLOAD].spec
        return [{"payload": KEY_DATA_PAYLOAD, "fields": _kaitai_struct(key_data, k)}
                for k in wrapper.keys]
    assert chain.one is not None
    return [{"payload": chain.one,
             "fields": _kaitai_struct(registry.BY_NAME[chain.one].spec, wrapper.body)}]


def _int(value: Any) -> int:
    return int(value.value) if isinstance(value, enum.Enum) else int(value)


def _kaitai_struct(spec: StructSpec, obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for info in spec.infos:
        if not info.in_object:
            continue
        if info.kind == "bytes":
            chain = BY_FIELD.get((spec.name, info.name))
            typed = info.sub is not None or chain is not None
            raw = getattr(obj, f"_raw_{info.name}", None) if typed else None
            value = raw if raw is not None else getattr(obj, info.name)
            out[info.name] = bytes(value).hex()
            if chain is not None:
                out[inner_key(info.name)] = _kaitai_inner(spec, info.name,
                                                          getattr(obj, info.name))
            continue
        value = getattr(obj, info.name, None)
        if value is None:
            out[info.name] = None
        elif info.kind == "uint":
            out[info.name] = _int(value)
        elif info.kind == "list":
            out[info.name] = [_int(v) for v in value]
        elif info.kind == "optional":
            assert info.sub is not None
            out[info.name] = _kaitai_struct(info.sub, value)
        else:
            assert info.cases is not None and info.key is not None
            case = info.cases[_int(getattr(obj, info.key))]
            assert case is not None
            out[info.name] = ([_kaitai_struct(case, v) for v in value]
                              if info.count_field is not None else _kaitai_struct(case, value))
    return out


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Every path where the two forms differ (empty when they agree field by field)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours or key not in theirs:
                out.append(f"{path}.{key}: only in {'mckm' if key in ours else 'parser'}")
            else:
                out += differences(ours[key], theirs[key], f"{path}.{key}")
        return out
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items in mckm, {len(theirs)} in the parser"]
        return [d for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
                for d in differences(a, b, f"{path}[{i}]")]
    return [] if ours == theirs and type(ours) is type(theirs) else \
        [f"{path}: mckm {ours!r}, parser {theirs!r}"]


def count_fields(form: Any) -> int:
    """How many leaf values a form holds (what a comparison compared)."""
    if isinstance(form, dict):
        return sum(count_fields(v) for v in form.values())
    if isinstance(form, list):
        return sum(count_fields(v) for v in form)
    return 1
