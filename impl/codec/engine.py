"""Decode and encode MIKEY messages with the grammars of ``mckm.models.grammar``.

Decode walks the payload chain (RFC 3830 6.1): HDR's Next Payload names the first payload,
each payload's Next Payload the next, 0 ends the chain, and SIGN, which has no Next Payload,
is always last.  Each payload is parsed with its compiled grammar; when that fails, the same
payload is parsed again field by field with the interpreted grammar to name the field and the
offset in the :class:`~mckm.impl.errors.DecodeError`.  Then the presence rules of the data type
(``models/grammar/messages.py``) are checked.  Every exception other than ``DecodeError`` is
turned into one: decode never raises anything else.

Encode checks field ranges against the grammar's widths, the presence rules, then builds each
payload with its compiled grammar, writing the Next Payload fields from the payload order.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import construct as c

from mckm.impl.codec.codegen import Builder, Parser, Tails, builder, checked_builder, parser
from mckm.impl.codec.model import Message, Payload, Span
from mckm.impl.errors import DecodeError, EncodeError
from mckm.models.grammar.dsl import FieldInfo, PayloadSpec, StructSpec
from mckm.models.grammar.messages import BY_DATA_TYPE, NOT_MODELLED, ROLE_FIELDS, MessageRule
from mckm.models.grammar.namespaces import DATA_TYPE, PAYLOAD_TYPE
from mckm.models.grammar.registry import BY_NAME, BY_NUMBER, HDR, NESTED_ONLY
from mckm.models.grammar.rfc3830 import KEY_DATA, SP, SP_PARAM

#: bounds on any input (RFC 3830 rides on UDP/SDP; nothing legitimate comes near these).
MAX_MESSAGE_OCTETS = 65535
MAX_PAYLOADS = 128
SUPPORTED_VERSION = 1  # RFC 3830 6.1


# --------------------------------------------------------------------------------------------
# container <-> plain values, derived once per structure from its FieldInfo list


def _converter(spec: StructSpec) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
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
        sub = _converter(info.sub)
        return lambda items, _: [sub(i) for i in items]
    if info.kind == "optional":
        assert info.sub is not None
        opt = _converter(info.sub)
        return lambda value, _: opt(value)
    assert info.cases is not None and info.key is not None
    key = info.key
    cases = {k: _converter(v) for k, v in info.cases.items() if v is not None}
    if info.count_field is not None:
        return lambda items, fields: [cases[fields[key]](i) for i in items]
    return lambda value, fields: cases[fields[key]](value)


_CONVERT: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    name: _converter(p.spec) for name, p in BY_NAME.items()
}


def _fast(compiled: Any) -> Any:
    """The generated code reads and writes containers only with item access, so plain dicts
    and lists serve (and are faster) where construct would make Container/ListContainer."""
    compiled.module.Container = dict
    compiled.module.ListContainer = list
    return compiled


_PARSE: dict[str, Any] = {name: _fast(p.spec.compiled).parsefunc for name, p in BY_NAME.items()}
_BUILD: dict[str, Any] = {name: p.spec.compiled.buildfunc for name, p in BY_NAME.items()}


def _context() -> dict[str, Any]:
    return {"_params": {}, "_parsing": True, "_building": False, "_sizing": False,
            "_root": None, "_index": None}


# --------------------------------------------------------------------------------------------
# decode


def decode(data: bytes) -> Message:
    """Parse one MIKEY message; raise :class:`DecodeError` (and nothing else) if it is not one."""
    try:
        return _decode(data)
    except DecodeError:
        raise
    except Exception as exc:  # a defect here must still surface as a DecodeError
        raise DecodeError(f"internal decoder failure: {type(exc).__name__}: {exc}") from exc


def _decode(data: bytes) -> Message:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError(f"expected octets, got {type(data).__name__}")
    data = bytes(data)
    size = len(data)
    if size > MAX_MESSAGE_OCTETS:
        raise DecodeError(f"message of {size} octets exceeds the bound of "
                          f"{MAX_MESSAGE_OCTETS}", offset=MAX_MESSAGE_OCTETS)
    fields, end, next_type = _parse_at(HDR, data, 0)
    hdr = Payload("HDR", fields)
    _check_hdr(hdr)
    spans = [Span("HDR", 0, end)]
    payloads: list[Payload] = []
    previous = "HDR"
    while next_type != 0:
        offset = end
        spec = _CHAIN.get(next_type)
        if spec is None:
            spec = BY_NUMBER.get(next_type)
            what = "unknown payload type" if spec is None else "payload allowed only inside KEMAC:"
            raise DecodeError(f"{what} {next_type} ({PAYLOAD_TYPE.name_of(next_type)}); "
                              "the rest of the message cannot be delimited",
                              offset=offset, payload=previous, field="next_payload")
        name = spec.name
        if len(payloads) >= MAX_PAYLOADS:
            raise DecodeError(f"more than {MAX_PAYLOADS} payloads", offset=offset,
                              payload=name)
        if offset >= size:
            raise DecodeError(f"{previous} announces a {name} payload but the message ends",
                              offset=offset, payload=name)
        fields, end, next_type = _parse_at(spec, data, offset)
        if name == "SP":
            _check_payload(spec, fields, offset)
        payloads.append(Payload(name, fields))
        spans.append(Span(name, offset, end - offset))
        if spec.terminal:
            break
        previous = name
    if end != size:
        last = spans[-1].payload
        raise DecodeError(f"{size - end} trailing octets after the last payload ({last})",
                          offset=end, payload=last)
    message = Message(hdr, payloads, raw=data, layout=tuple(spans))
    problem = presence_problem(message)
    if problem is not None:
        reason, index = problem
        span = spans[min(index + 1, len(spans) - 1)] if index >= 0 else spans[0]
        raise DecodeError(reason, offset=span.offset, payload=span.payload)
    return message


#: payloads that may appear in a message's own chain, by Next Payload number.
_CHAIN = {number: spec for number, spec in BY_NUMBER.items() if spec.name not in NESTED_ONLY}

#: generated offset-based parsers (``codegen``); None where a grammar has no fast path.
_FAST_PARSE: dict[str, Parser | None] = {name: parser(p.spec) for name, p in BY_NAME.items()}


def _parse_at(spec: PayloadSpec, data: bytes, offset: int) -> tuple[dict[str, Any], int, int]:
    """(object fields, end offset, Next Payload) of the ``spec`` payload at ``offset``: the
    generated parser when it succeeds, else construct's (which also diagnoses failures)."""
    fast = _FAST_PARSE[spec.name]
    if fast is not None:
        try:
            return fast(data, offset, len(data))
        except Exception:  # the construct path below decides and diagnoses
            pass
    stream = io.BytesIO(data)
    stream.seek(offset)
    raw = _parse_one(spec, data, stream, _context())
    return _CONVERT[spec.name](raw), stream.tell(), 0 if spec.terminal else raw["next_payload"]


class _StrictIO(io.BytesIO):
    """A stream whose short reads raise (construct's compiled Bytes does not check them)."""

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        if size is not None and size >= 0 and len(out) != size:
            raise c.StreamError(f"needed {size} octets, {len(out)} left")
        return out


def _parse_one(spec: PayloadSpec, data: bytes, stream: io.BytesIO, ctx: dict[str, Any]) -> Any:
    start = stream.tell()
    try:
        raw = _PARSE[spec.name](stream, ctx)
        if stream.tell() < len(data):
            return raw  # a short read can only happen at the end of the data
        strict = _StrictIO(data)
        strict.seek(start)
        raw = _PARSE[spec.name](strict, ctx)
        return raw
    except Exception:
        pass
    _diagnose(spec, data, start)
    raise DecodeError("the payload does not parse", offset=start, payload=spec.name)


def _diagnose(spec: PayloadSpec, data: bytes, start: int) -> None:
    """Parse ``spec`` at ``start`` field by field (interpreted) and raise a DecodeError that
    names the field and its offset."""
    stream = io.BytesIO(data)
    stream.seek(start)
    parent = c.Container(_context())
    context = c.Container(_=parent, _params=parent._params, _root=None, _parsing=True,
                          _building=False, _sizing=False, _subcons=None, _io=stream, _index=None)
    context._root = context
    infos = {i.name: i for i in spec.spec.infos}
    for sc in spec.spec.grammar.subcons:
        at = stream.tell()
        try:
            value = sc._parsereport(stream, context, "(parsing)")
        except Exception as exc:
            info = infos.get(sc.name)
            key_info = infos.get(info.key) if info is not None and info.key else None
            raise DecodeError(_reason(exc, info, key_info, context, data, at), offset=at,
                              payload=spec.name, field=_public_name(sc.name, spec)) from None
        context[sc.name] = value


def _public_name(name: str, spec: PayloadSpec) -> str:
    """A packed octet ``pk__x`` is reported by the fields it holds (e.g. ``v/prf_func``)."""
    if not name.startswith("pk__"):
        return name
    group: list[str] = []
    for subcon in spec.spec.grammar.subcons[spec.spec.grammar.subcons.index(
            next(sc for sc in spec.spec.grammar.subcons if sc.name == name)) + 1:]:
        if not isinstance(subcon.subcon, c.Computed):
            break
        group.append(subcon.name)
    return "/".join(group)


def _reason(exc: Exception, info: FieldInfo | None, key_info: FieldInfo | None,
            ctx: Mapping[str, Any], data: bytes, at: int) -> str:
    if isinstance(exc, c.ExplicitError) and info is not None and info.key is not None:
        key_value = ctx.get(info.key)
        label = "unknown"
        if key_info is not None and key_info.namespace is not None and isinstance(key_value, int):
            label = key_info.namespace.name_of(key_value)
        return (f"{info.key} = {key_value} ({label}) has no defined layout, so the length of "
                f"{info.name} is unknown")
    if isinstance(exc, c.StreamError):
        return f"truncated: the field needs more octets than the {len(data) - at} left"
    return f"{type(exc).__name__}: {exc}"


def _check_hdr(hdr: Payload) -> None:
    version = hdr.fields["version"]
    if version != SUPPORTED_VERSION:
        raise DecodeError(f"MIKEY version {version} is not supported (RFC 3830 6.1: 1)",
                          offset=0, payload="HDR", field="version")
    data_type = hdr.fields["data_type"]
    if data_type in NOT_MODELLED:
        raise DecodeError(f"data type {data_type} ({DATA_TYPE.name_of(data_type)}): "
                          f"{NOT_MODELLED[data_type]}", offset=1, payload="HDR",
                          field="data_type")
    if data_type not in BY_DATA_TYPE:
        raise DecodeError(f"data type {data_type} ({DATA_TYPE.name_of(data_type)}) is not "
                          "defined by RFC 3830, RFC 6043 or RFC 6509", offset=1, payload="HDR",
                          field="data_type")


def _check_payload(spec: PayloadSpec, fields: Mapping[str, Any], offset: int) -> None:
    if spec.name == "SP":
        params = fields["policy_params"]
        problem = sp_params_problem(params)
        if problem is not None:
            raise DecodeError(problem, offset=offset + 5, payload="SP", field="policy_params")


def _tlv_shape(spec: StructSpec) -> tuple[int, int]:
    """(octets before the length field, octets of the length field) of a structure made of
    fixed-width integers followed by one length-prefixed octet string, read from its fields."""
    head = 0
    for info in spec.infos:
        if info.derived and info.kind == "uint" and info.max_bits:
            return head, info.max_bits // 8
        if info.kind != "uint" or not info.max_bits or info.max_bits % 8:
            break
        head += info.max_bits // 8
    raise ValueError(f"{spec.name} is not a type-length-value structure")


_SP_HEAD, _SP_LEN = _tlv_shape(SP_PARAM)


def sp_params_problem(params: bytes) -> str | None:
    """None if ``params`` is a well-formed sequence of SP policy params (RFC 3830 6.10): each
    ``SP_PARAM`` (type, length, value) ends inside the policy params, the last one at the end."""
    at, end = 0, len(params)
    while at < end:
        length_at = at + _SP_HEAD
        if length_at + _SP_LEN > end:
            return f"policy params: the parameter at octet {at} of {end} is truncated"
        at = length_at + _SP_LEN + int.from_bytes(params[length_at:length_at + _SP_LEN], "big")
        if at > end:
            return (f"policy params: the parameter ending at octet {at} overruns the {end} "
                    "octets of policy params")
    return None


def _sp_param_list(params: bytes) -> list[dict[str, Any]]:
    parse = SP_PARAM.compiled.parsefunc
    stream = _StrictIO(params)
    ctx = _context()
    out = []
    while stream.tell() < len(params):
        at = stream.tell()
        try:
            p = parse(stream, ctx)
        except Exception:
            raise ValueError(f"the parameter at octet {at} of {len(params)} overruns the "
                             "policy param length") from None
        out.append({"type": p["type"], "value": p["value"]})
    return out


def sp_params(payload: Payload) -> list[dict[str, Any]]:
    """The type/value list of an SP payload's policy params (RFC 3830 6.10)."""
    return _sp_param_list(payload.fields["policy_params"])


# --------------------------------------------------------------------------------------------
# presence rules (data from models/grammar/messages.py)


def presence_problem(message: Message) -> tuple[str, int] | None:
    """(reason, payload index) if ``message`` breaks its data type's presence rules."""
    rule = BY_DATA_TYPE.get(message.data_type)
    if rule is None:
        return (f"data type {message.data_type} ({message.data_type_name}) has no model", -1)
    for fname, allowed in rule.hdr.items():
        if message.hdr.fields.get(fname) not in allowed:
            return (f"{_where(rule)} requires HDR {fname} in {list(allowed)}, got "
                    f"{message.hdr.fields.get(fname)}", -1)
    names = [p.name for p in message.payloads]
    counts: dict[str, int] = {}
    slots = _SLOTS[rule.data_type]
    for index, name in enumerate(names):
        slot = slots.get(name)
        if slot is None:
            return (f"{_where(rule)} does not allow a {name} payload", index)
        counts[name] = counts.get(name, 0) + 1
        if slot.max is not None and counts[name] > slot.max:
            return (f"{_where(rule)} allows at most {slot.max} {name} payload(s)", index)
        if slot.last_only and index != len(names) - 1:
            return (f"{_where(rule)} requires {name} to be the last payload", index)
    for slot in rule.slots:
        if counts.get(slot.payload, 0) < slot.min:
            need = "exactly" if slot.max == slot.min else "at least"
            return (f"{_where(rule)} requires {need} {slot.min} {slot.payload} payload(s), found "
                    f"{counts.get(slot.payload, 0)}", len(names) - 1)
    for group in rule.exclusive:
        if sum(1 for g in group if counts.get(g)) > 1:
            return (f"{_where(rule)} allows only one of {'|'.join(group)}", len(names) - 1)
    if not names or names[-1] not in rule.last:
        last = names[-1] if names else "HDR"
        return (f"{_where(rule)} requires {' or '.join(rule.last)} as the last payload, "
                f"found {last}",
                len(names) - 1)
    for pname, roles in rule.required_roles.items():
        role_field = ROLE_FIELDS[pname]
        # a list, not a set: on encode a role may still be missing or of any type here
        present = [p.fields.get(role_field) for p in message.payloads if p.name == pname]
        for role in roles:
            if role not in present:
                return (f"{_where(rule)} requires a {pname} payload with role {role}", -1)
    return None


def _where(rule: MessageRule) -> str:
    return f"{rule.name} (data type {rule.data_type}, {rule.clause})"


_SLOTS = {r.data_type: {s.payload: s for s in r.slots} for r in BY_DATA_TYPE.values()}


# --------------------------------------------------------------------------------------------
# encode


def encode(message: Message) -> bytes:
    """Build ``message``; raise :class:`EncodeError` if a field is out of range or a presence
    rule is broken."""
    if not isinstance(message, Message):
        raise EncodeError(f"expected a Message, got {type(message).__name__}")
    _check_hdr_for_encode(message)
    problem = presence_problem(message)
    if problem is not None:
        raise EncodeError(problem[0])
    out = bytearray()
    chain = message.payloads
    first = chain[0].name if chain else None
    _build_one(HDR, message.hdr, _number(first), out)
    last = len(chain) - 1
    for index, payload in enumerate(chain):
        spec = _CHAIN_BY_NAME.get(payload.name)
        if spec is None:
            raise EncodeError(f"payload {index}: {payload.name!r} cannot be in a message chain")
        following = chain[index + 1].name if index < last else None
        if spec.terminal and following is not None:
            raise EncodeError(f"{spec.name} has no Next Payload field and must be last")
        _build_one(spec, payload, _number(following), out)
    if len(out) > MAX_MESSAGE_OCTETS:
        raise EncodeError(f"message of {len(out)} octets exceeds {MAX_MESSAGE_OCTETS}")
    return bytes(out)


#: payloads that may appear in a message's own chain, by name.
_CHAIN_BY_NAME = {spec.name: spec for spec in _CHAIN.values()}


def _check_hdr_for_encode(message: Message) -> None:
    """What the presence rules read must be well typed before they read it."""
    hdr = message.hdr
    if not isinstance(hdr, Payload) or hdr.name != "HDR" or not isinstance(hdr.fields, dict):
        raise EncodeError("the first payload must be HDR")
    if not isinstance(message.payloads, list) or not all(
            isinstance(p, Payload) and isinstance(p.fields, dict) for p in message.payloads):
        raise EncodeError("the payloads must be a list of Payload objects")
    data_type = hdr.fields.get("data_type")
    if isinstance(data_type, bool) or not isinstance(data_type, int):
        raise EncodeError(f"HDR: data_type must be an integer, got {data_type!r}")
    if data_type in NOT_MODELLED:
        raise EncodeError(f"data type {data_type}: {NOT_MODELLED[data_type]}")


def _number(name: str | None) -> int:
    if name is None:
        return 0
    number = _NUMBERS.get(name)
    if number is None:
        raise EncodeError(f"unknown payload {name!r}")
    return number


_NUMBERS = {name: int(p.number) for name, p in BY_NAME.items() if p.number is not None}

#: field_problem's check of a whole SP (RFC 3830 6.10), for the checked builders.
_TAILS: Tails = {id(SP.spec): lambda fields: sp_params_problem(fields["policy_params"])}


def _fast_builders(spec: StructSpec) -> tuple[Builder, Builder] | None:
    checked, plain = checked_builder(spec, _TAILS), builder(spec)
    return None if checked is None or plain is None else (checked, plain)


#: generated builders (``codegen``): (checked, plain); None where a grammar has no fast path.
_FAST_BUILD: dict[str, tuple[Builder, Builder] | None] = {
    name: _fast_builders(p.spec) for name, p in BY_NAME.items()}


def _build_one(spec: PayloadSpec, payload: Payload, next_number: int, out: bytearray) -> None:
    """Append ``payload`` to ``out``.  The checked generated builder does it when every field
    is plainly in range; otherwise :func:`field_problem` words the problem, or, finding none,
    the plain generated builder builds, or construct when that one declines."""
    fast = _FAST_BUILD[spec.name]
    if fast is not None:
        start = len(out)
        try:
            fast[0](payload.fields, next_number, out)
            return
        except Exception:  # field_problem and the paths below decide and word the error
            del out[start:]
    problem = field_problem(spec.spec, payload.fields)
    if problem is not None:
        raise EncodeError(f"{spec.name}: {problem}")
    if fast is not None:
        start = len(out)
        try:
            fast[1](payload.fields, next_number, out)
            return
        except Exception:  # construct below decides and words the error
            del out[start:]
    obj = dict(payload.fields)
    if not spec.terminal:
        obj["next_payload"] = next_number
    stream = io.BytesIO()
    try:
        _BUILD[spec.name](obj, stream, _context())
    except Exception as exc:
        raise EncodeError(f"{spec.name}: {type(exc).__name__}: {exc}") from exc
    out += stream.getvalue()


_PLANS: dict[int, tuple[tuple[FieldInfo, ...], frozenset[str]]] = {}


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


_MISSING = object()


def _value_problem(info: FieldInfo, value: Any, fields: Mapping[str, Any]) -> str | None:
    if info.kind == "uint":
        if info.fixed_sizes is not None and info.key is not None:  # width set by a key field
            width = info.fixed_sizes.get(fields.get(info.key, -1))
            if width is None:
                return f"{info.key} has no defined layout"
            return _int_problem(value, width)
        return _int_problem(value, info.max_bits or 0)
    if info.kind == "bytes":
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
    if info.kind == "list":
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
    if info.kind == "optional":
        if value is None:
            return None
        assert info.sub is not None
        return field_problem(info.sub, value)
    # choice
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


# --------------------------------------------------------------------------------------------
# covered octets


def signed_portion(raw: bytes) -> bytes:
    """The octets covered by the SIGN payload of the message ``raw``: everything before the
    signature field, i.e. including SIGN's 2-octet S type / Signature len (RFC 3830 5.2, 6.5;
    RFC 6509 4.3).  Raises DecodeError if ``raw`` does not decode or has no SIGN."""
    message = decode(raw)
    for span in message.layout:
        if span.payload == "SIGN":
            return raw[: span.offset + 2]
    raise DecodeError(f"{message.data_type_name} message has no SIGN payload")


def mac_portion(raw: bytes) -> bytes:
    """The octets of ``raw`` that the V payload's MAC covers on the wire: everything before the
    Verification data (RFC 3830 6.9, RFC 6043 5.5; callers append the identities or the initial
    message as RFC 6043 Table 5.2 says)."""
    message = decode(raw)
    for span in message.layout:
        if span.payload == "V":
            return raw[: span.offset + 2]
    raise DecodeError(f"{message.data_type_name} message has no V payload")


# --------------------------------------------------------------------------------------------
# Key data sub-payload chain (the plaintext of KEMAC encr_data, RFC 3830 6.2, 6.13)


def decode_key_data(plaintext: bytes) -> list[Payload]:
    """Parse a chain of Key data sub-payloads (Next Payload 20 between them, 0 at the end)."""
    try:
        data = bytes(plaintext)
        stream = io.BytesIO(data)
        ctx = _context()
        out: list[Payload] = []
        while True:
            if len(out) >= MAX_PAYLOADS:
                raise DecodeError("too many Key data sub-payloads", offset=stream.tell())
            raw = _parse_one(KEY_DATA, data, stream, ctx)
            out.append(Payload("KEY_DATA", _CONVERT["KEY_DATA"](raw)))
            if raw["next_payload"] == 0:
                break
            if raw["next_payload"] != KEY_DATA.number:
                raise DecodeError(f"Key data sub-payload followed by type {raw['next_payload']}"
                                  " (only 20 or 0 allowed)", offset=stream.tell(),
                                  payload="KEY_DATA", field="next_payload")
        if stream.tell() != len(data):
            raise DecodeError(f"{len(data) - stream.tell()} trailing octets after Key data",
                              offset=stream.tell(), payload="KEY_DATA")
        return out
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"internal decoder failure: {exc}") from exc


def encode_key_data(keys: Sequence[Payload]) -> bytes:
    """Build a Key data sub-payload chain (the plaintext that KEMAC encrypts)."""
    if not keys:
        raise EncodeError("a KEMAC carries at least one Key data sub-payload")
    out = bytearray()
    for index, key in enumerate(keys):
        if key.name != "KEY_DATA":
            raise EncodeError(f"entry {index} is {key.name}, not KEY_DATA")
        following = KEY_DATA.number if index + 1 < len(keys) else 0
        _build_one(KEY_DATA, key, following or 0, out)
    return bytes(out)


# --------------------------------------------------------------------------------------------
# inner payload chains (TP Data, Ticket Data, Initiator Data: RFC 6043 6.10)


def decode_chain(octets: bytes) -> list[Payload]:
    """Parse "First Payload octet, then MIKEY payloads" (RFC 6043 6.10 TP/Ticket/Initiator
    Data).  Raises DecodeError for anything else."""
    try:
        data = bytes(octets)
        if not data:
            raise DecodeError("empty payload chain: the First Payload octet is missing",
                              offset=0)
        stream = io.BytesIO(data)
        stream.seek(1)
        ctx = _context()
        out: list[Payload] = []
        next_type = data[0]
        while next_type != 0:
            spec = BY_NUMBER.get(next_type)
            if spec is None or len(out) >= MAX_PAYLOADS:
                raise DecodeError(f"unknown or too many payloads (type {next_type})",
                                  offset=stream.tell())
            raw = _parse_one(spec, data, stream, ctx)
            out.append(Payload(spec.name, _CONVERT[spec.name](raw)))
            if spec.terminal:
                break
            next_type = raw["next_payload"]
        if stream.tell() != len(data):
            raise DecodeError(f"{len(data) - stream.tell()} trailing octets in payload chain",
                              offset=stream.tell())
        return out
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"internal decoder failure: {exc}") from exc


def encode_chain(payloads: Sequence[Payload]) -> bytes:
    """Build "First Payload octet, then the payloads" (RFC 6043 6.10)."""
    out = bytearray([_number(payloads[0].name) if payloads else 0])
    for index, payload in enumerate(payloads):
        spec = BY_NAME.get(payload.name)
        if spec is None or spec.number is None:
            raise EncodeError(f"entry {index}: {payload.name!r} is not a payload")
        following = payloads[index + 1].name if index + 1 < len(payloads) else None
        _build_one(spec, payload, _number(following), out)
    return bytes(out)
