"""Hypothesis strategies derived from the grammar (one generic function, no per-payload code).

:func:`fields_strategy` reads a structure's field declarations: integer ranges from the field
widths, closed name spaces (those whose values fix a layout) from the namespace, octet-string
lengths from the width of their length field or from the size a key value implies, optional
parts from the grammar's own ``If`` condition, and list sizes from their count fields.
:func:`message_strategy` adds the presence rules of a data type.  Sizes are capped
(``max_len``, ``max_items``) to keep test cases small; the caps never exceed the grammar's
ranges.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mckm.impl.codec.model import Message, Payload
from mckm.models.grammar.dsl import FieldInfo, StructSpec
from mckm.models.grammar.messages import ROLE_FIELDS, MessageRule
from mckm.models.grammar.registry import BY_NAME, HDR

Draw = Any


def fields_strategy(spec: StructSpec, *, max_len: int = 40,
                    max_items: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """Field dicts that ``spec`` can encode, with every value drawn from the grammar's ranges."""

    @st.composite
    def draw_fields(draw: Draw) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for info in spec.infos:
            if info.in_object:
                out[info.name] = draw(_field(spec, info, out, max_len, max_items))
        return out

    return draw_fields()


def _field(spec: StructSpec, info: FieldInfo, done: dict[str, Any], max_len: int,
           max_items: int) -> st.SearchStrategy[Any]:
    if info.kind == "uint":
        if info.fixed_sizes is not None and info.key is not None:
            return _ints(info.fixed_sizes[done[info.key]])
        if info.namespace is not None and info.namespace.unknown == "error":
            return st.sampled_from([v.value for v in info.namespace.values])
        if info.count:
            return st.integers(0, min(max_items, (1 << (info.max_bits or 8)) - 1))
        return _ints(info.max_bits or 8)
    if info.kind == "bytes":
        if info.fixed_sizes is not None:
            size = info.fixed_sizes[done[info.key] if info.key else 0]
            return st.binary(min_size=size, max_size=size)
        if info.sub is not None:  # octets holding a sequence of sub-structures
            sub = info.sub
            return st.lists(fields_strategy(sub, max_len=max_len // 4, max_items=max_items),
                            max_size=max_items).map(
                lambda items: b"".join(sub.compiled.build(i) for i in items))
        cap = min((1 << (info.len_bits or 16)) - 1, max_len)
        return st.binary(max_size=cap)
    if info.kind == "list":
        if info.sub is None:
            return st.lists(_ints(info.max_bits or 8), max_size=max_items)
        return st.lists(fields_strategy(info.sub, max_len=max_len, max_items=max_items),
                        max_size=max_items)
    if info.kind == "optional":
        assert info.sub is not None
        if _condition(spec, info.name)(done):
            return fields_strategy(info.sub, max_len=max_len, max_items=max_items)
        return st.none()
    assert info.cases is not None and info.key is not None
    case = info.cases[done[info.key]]
    if case is None:
        return st.none()
    inner = fields_strategy(case, max_len=max_len, max_items=max_items)
    if info.count_field is not None:
        n = done[info.count_field]
        return st.lists(inner, min_size=n, max_size=n)
    return inner


def _ints(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << bits) - 1)


def _condition(spec: StructSpec, name: str) -> Any:
    for sc in spec.grammar.subcons:
        if sc.name == name:
            return sc.subcon.condfunc  # construct's If is IfThenElse(condfunc, then, Pass)
    raise KeyError(name)


def payload_strategy(name: str, **caps: int) -> st.SearchStrategy[Payload]:
    return fields_strategy(BY_NAME[name].spec, **caps).map(lambda f: Payload(name, f))


def message_strategy(rule: MessageRule, *, max_items: int = 2,
                     max_len: int = 40) -> st.SearchStrategy[Message]:
    """Messages of ``rule``'s data type that satisfy its presence rules."""

    @st.composite
    def draw_message(draw: Draw) -> Message:
        hdr = draw(fields_strategy(HDR.spec, max_len=max_len, max_items=max_items))
        hdr["version"] = 1
        hdr["data_type"] = rule.data_type
        if "cs_id_map_type" in rule.hdr:
            hdr.update(n_cs=rule.hdr["n_cs"][0], cs_id_map_type=rule.hdr["cs_id_map_type"][0],
                       cs_id_map_info=None)
        body: list[Payload] = []
        tail: list[Payload] = []
        taken: set[str] = set()
        for slot in rule.slots:
            hi = slot.min if slot.max == slot.min else min(slot.max or max_items, max_items)
            count = draw(st.integers(slot.min, max(hi, slot.min)))
            group = next((g for g in rule.exclusive if slot.payload in g), ())
            if group and taken & set(group):
                count = 0
            if count and group:
                taken.add(slot.payload)
            for _ in range(count):
                p = draw(payload_strategy(slot.payload, max_len=max_len, max_items=max_items))
                (tail if slot.payload in ("SIGN", "V") else body).append(p)
        body = draw(st.permutations(body)) if body else []
        if not tail:
            eligible = [i for i, p in enumerate(body) if p.name in rule.last]
            if eligible:
                body.append(body.pop(draw(st.sampled_from(eligible))))
        for pname, roles in rule.required_roles.items():
            field = ROLE_FIELDS[pname]
            for p in body:
                if p.name == pname:
                    p.fields[field] = roles[0]
                    break
        return Message(Payload("HDR", hdr), body + tail)

    return draw_message()
