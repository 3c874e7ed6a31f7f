"""The MIKEY grammars of ``mckm.models.grammar``, compiled once for the codec.

For every payload grammar (RFC 3830 6, RFC 6043 6, RFC 6509 4): construct's compiled parse and
build functions and the converter from construct's containers to the plain field dicts
of :class:`~mckm.impl.codec.model.Payload` (derived fields such as lengths and Next Payload
dropped).  Also which payloads may stand in a message's own chain (RFC 3830 6.1: all but those
nested only inside KEMAC) and the bounds on any input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mckm.models.grammar.dsl import FieldInfo, StructSpec
from mckm.models.grammar.namespaces import PAYLOAD_TYPE
from mckm.models.grammar.registry import BY_NAME, BY_NUMBER, NESTED_ONLY

#: bounds on any input (RFC 3830 rides on UDP/SDP; nothing legitimate comes near these).
MAX_MESSAGE_OCTETS = 65535
MAX_PAYLOADS = 128
SUPPORTED_VERSION = 1  # RFC 3830 6.1
#: the Next Payload value that ends a chain (RFC 3830 6.1).
LAST = int(PAYLOAD_TYPE.LAST_PAYLOAD)

Converter = Callable[[Mapping[str, Any]], dict[str, Any]]


def converter(spec: StructSpec) -> Converter:
    """Container -> plain dict of the object fields (derived fields dropped)."""
    names = tuple(i.name for i in spec.infos if i.in_object)
    nested = tuple((i.name, _field_converter(i)) for i in spec.infos
                   if i.in_object and i.kind not in ("uint", "bytes"))
    if not nested:
        return lambda cont: {n: cont[n] for n in names}

    def convert(cont: Mapping[str, Any]) -> dict[str, Any]:
        out = {n: cont[n] for n in names}
        for n, conv in nested:
            if out[n] is not None:
                out[n] = conv(out[n], out)
        return out

    return convert


def _field_converter(info: FieldInfo) -> Callable[[Any, Mapping[str, Any]], Any]:
    if info.kind == "list":
        if info.sub is None:
            return lambda items, _: list(items)
        sub = converter(info.sub)
        return lambda items, _: [sub(i) for i in items]
    if info.kind == "optional":
        assert info.sub is not None
        opt = converter(info.sub)
        return lambda value, _: opt(value)
    assert info.cases is not None and info.key is not None
    key = info.key
    cases = {k: converter(v) for k, v in info.cases.items() if v is not None}
    if info.count_field is not None:
        return lambda items, fields: [cases[fields[key]](i) for i in items]
    return lambda value, fields: cases[fields[key]](value)


def _fast(compiled: Any) -> Any:
    """The generated code reads and writes containers only with item access, so plain dicts
    and lists serve (and are faster) where construct would make Container/ListContainer."""
    compiled.module.Container = dict
    compiled.module.ListContainer = list
    return compiled


#: by payload name: container -> fields, construct's compiled parse and build functions.
CONVERT: dict[str, Converter] = {name: converter(p.spec) for name, p in BY_NAME.items()}
PARSE: dict[str, Any] = {name: _fast(p.spec.compiled).parsefunc for name, p in BY_NAME.items()}
BUILD: dict[str, Any] = {name: p.spec.compiled.buildfunc for name, p in BY_NAME.items()}

#: payloads that may appear in a message's own chain, by Next Payload number and by name.
CHAIN = {number: spec for number, spec in BY_NUMBER.items() if spec.name not in NESTED_ONLY}
CHAIN_BY_NAME = {spec.name: spec for spec in CHAIN.values()}


def context() -> dict[str, Any]:
    """A fresh top-level context for construct's compiled parse and build functions."""
    return {"_params": {}, "_parsing": True, "_building": False, "_sizing": False,
            "_root": None, "_index": None}
