"""JSON form of MIKEY messages (what ``mckm codec decode`` prints and ``encode`` reads).

Octet strings are lower-case hex; an enumerated field is ``{"value": n, "name": "..."}`` (the
name is informative: encode reads only ``value`` and also accepts a bare integer).  Length and
Next Payload fields are left out: encode recomputes them.  The walk is driven by the grammar's
field descriptions, so the JSON form follows the grammar with no per-payload code.
"""

from __future__ import annotations

from typing import Any

from mckm.impl.codec.model import Message, Payload
from mckm.impl.errors import EncodeError
from mckm.models.grammar.dsl import FieldInfo, StructSpec
from mckm.models.grammar.registry import BY_NAME


def message_to_json(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "data_type": message.data_type_name,
        "hdr": struct_to_json(BY_NAME["HDR"].spec, message.hdr.fields),
        "payloads": [{"payload": p.name, **struct_to_json(BY_NAME[p.name].spec, p.fields)}
                     for p in message.payloads],
    }
    if message.layout:
        out["layout"] = [[s.payload, s.offset, s.length] for s in message.layout]
    return out


def message_from_json(obj: Any) -> Message:
    if not isinstance(obj, dict) or "hdr" not in obj or "payloads" not in obj:
        raise EncodeError('expected an object with "hdr" and "payloads"')
    hdr = Payload("HDR", struct_from_json(BY_NAME["HDR"].spec, obj["hdr"], "HDR"))
    payloads = []
    if not isinstance(obj["payloads"], list):
        raise EncodeError('"payloads" must be a list')
    for index, item in enumerate(obj["payloads"]):
        if not isinstance(item, dict) or item.get("payload") not in BY_NAME:
            raise EncodeError(f"payloads[{index}]: needs a known \"payload\" name")
        name = item["payload"]
        body = {k: v for k, v in item.items() if k != "payload"}
        payloads.append(Payload(name, struct_from_json(BY_NAME[name].spec, body,
                                                       f"payloads[{index}] ({name})")))
    return Message(hdr, payloads)


def struct_to_json(spec: StructSpec, fields: dict[str, Any]) -> dict[str, Any]:
    return {i.name: _to(i, fields[i.name], fields) for i in spec.infos if i.in_object}


def _to(info: FieldInfo, value: Any, fields: dict[str, Any]) -> Any:
    if value is None:
        return None
    if info.kind == "bytes":
        return bytes(value).hex()
    if info.kind == "uint":
        if info.namespace is not None:
            return {"value": value, "name": info.namespace.name_of(value)}
        return value
    if info.kind == "list":
        return list(value) if info.sub is None else [struct_to_json(info.sub, v) for v in value]
    if info.kind == "optional":
        assert info.sub is not None
        return struct_to_json(info.sub, value)
    assert info.cases is not None and info.key is not None
    case = info.cases.get(fields[info.key])
    if case is None:
        return None
    if info.count_field is not None:
        return [struct_to_json(case, v) for v in value]
    return struct_to_json(case, value)


def struct_from_json(spec: StructSpec, obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise EncodeError(f"{where}: expected an object")
    out: dict[str, Any] = {}
    for info in spec.infos:
        if not info.in_object:
            continue
        if info.name not in obj:
            raise EncodeError(f"{where}: missing field {info.name}")
        out[info.name] = _from(info, obj[info.name], out, f"{where}.{info.name}")
    return out


def _from(info: FieldInfo, value: Any, done: dict[str, Any], where: str) -> Any:
    if info.kind == "bytes":
        if not isinstance(value, str):
            raise EncodeError(f"{where}: expected a hex string")
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise EncodeError(f"{where}: not hex") from None
    if info.kind == "uint":
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, int) or isinstance(value, bool):
            raise EncodeError(f"{where}: expected an integer")
        return value
    if info.kind == "list":
        if not isinstance(value, list):
            raise EncodeError(f"{where}: expected a list")
        if info.sub is None:
            return [_from_int(v, where) for v in value]
        return [struct_from_json(info.sub, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if info.kind == "optional":
        assert info.sub is not None
        return None if value is None else struct_from_json(info.sub, value, where)
    assert info.cases is not None and info.key is not None
    key = done.get(info.key)
    if not isinstance(key, int) or key not in info.cases:
        raise EncodeError(f"{where}: {info.key} = {key} has no defined layout")
    case = info.cases[key]
    if case is None:
        return None
    if info.count_field is not None:
        if not isinstance(value, list):
            raise EncodeError(f"{where}: expected a list")
        return [struct_from_json(case, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return struct_from_json(case, value, where)


def _from_int(value: Any, where: str) -> int:
    if isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, int) or isinstance(value, bool):
        raise EncodeError(f"{where}: expected an integer")
    return value
