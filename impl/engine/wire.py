"""The one generic view (read) and builder (write) of model messages, driven by ``MessageSpec``.

:class:`WireView` reads each abstract field of a decoded MIKEY message at the grammar path its
:class:`~mckm.models.grammar.wire.Wire` names, through its converter: a field whose payload is
absent or repeated, or whose value the converter refuses, reads as None, which the engine refuses
as missing (``RoleMachine._check_fields``) with the step's requirement.

:func:`build` writes a message from field values: the HDR from the layout (data type, constants)
and the HDR fields of the spec, then one payload per selected path in the layout's payload order,
plus the payloads the caller adds (a TICKET, a KEMAC); :func:`seal` appends the integrity payload
(V or SIGN) and fills its value over exactly the octets the layout's :class:`Integrity` declares
(:func:`covered`), which is also what a verifier recomputes.  Converters a role binds (runtime
objects such as the SAKKE payload) come in a mapping name -> (read, write).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mckm.impl.codec import Message, Payload, decode, encode
from mckm.impl.codec.portions import portion_before
from mckm.impl.engine.messages import FieldsView
from mckm.impl.errors import UsageError
from mckm.models.grammar.namespaces import CS_ID_MAP_TYPE, DATA_TYPE, PRF_FUNC
from mckm.models.grammar.paths import GrammarPath, resolve
from mckm.models.grammar.wire import Integrity, Layout, OnPath, Wire
from mckm.models.procedures.model import MessageSpec

#: a role's converter: read(values at the wire's paths, view) -> model value or None;
#: write(model value) -> the grammar value for the first path (field value or payload fields).
Reader = Callable[[tuple[Any, ...], "WireView"], Any]
Writer = Callable[[Any], Any]
Bound = Mapping[str, tuple[Reader, Writer | None]]

_VERSION = 1  # RFC 3830 6.1
_EMPTY_MAP = CS_ID_MAP_TYPE.EMPTY_MAP


def _at(message: Message, path: GrammarPath) -> Any:
    """The grammar value at ``path``: a field value, or the payload for a payload path; None
    when the payload is absent or not unique."""
    name, select = path.payload, path.select
    if name == "HDR":
        found = [message.hdr]
    elif select is None:  # GrammarPath.matches, inlined: every field of every view reads here
        found = [p for p in message.payloads if p.name == name]
    else:
        found = [p for p in message.payloads
                 if p.name == name and p.fields.get(select[0]) == select[1]]
    if len(found) != 1:
        return None
    return found[0] if path.field is None else found[0].fields.get(path.field)


class WireView(FieldsView):
    """A decoded message read through its ``MessageSpec`` (see module docstring).
    ``context`` holds what the carrier says (``transport:`` paths) and what a bound converter
    needs beyond the octets (the signalled URIs of SEAL, the request a response answers)."""

    __slots__ = ("context", "message", "raw", "spec")

    def __init__(self, spec: MessageSpec, message: Message, raw: bytes, *,
                 bound: Bound | None = None, context: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.message = message
        self.raw = bytes(raw)
        self.context: dict[str, Any] = dict(context or {})
        self._fields = {}
        for name, w in spec.wire.items():
            self._fields[name] = self._read(w, bound or {})

    @property
    def name(self) -> str:
        return self.spec.name

    def _read(self, w: Wire, bound: Bound) -> Any:
        if w.path.transport:
            return self.context.get(str(w.path.field))
        values = tuple(_at(self.message, p) for p in w.paths)
        if w.conv.bound_by_role:
            if w.conv.name not in bound:
                raise UsageError(f"{self.spec.name}: converter {w.conv.name!r} is not bound")
            return bound[w.conv.name][0](values, self)
        assert w.conv.read is not None
        for v in values:
            if v is not None:
                return w.conv.read(v.fields if isinstance(v, Payload) else v)
        return None

    def __repr__(self) -> str:
        return f"WireView({self.spec.name}, {len(self.raw)} octets)"


def _layout(spec: MessageSpec) -> Layout:
    if spec.layout is None:
        raise UsageError(f"{spec.name} has no wire layout")
    return spec.layout


def header(spec: MessageSpec, values: Mapping[str, Any], **fields: Any) -> Payload:
    """The HDR of ``spec`` (RFC 3830 6.1): version 1, the layout's data type and constants,
    the spec's HDR fields from ``values``, then ``fields`` (a copied header, V, PRF)."""
    layout = _layout(spec)
    hdr: dict[str, Any] = {"version": _VERSION, "data_type": DATA_TYPE.value_of(layout.data_type),
                           "v": 0, "prf_func": PRF_FUNC.MIKEY_1, "csb_id": 0, "n_cs": 0,
                           "cs_id_map_type": _EMPTY_MAP, "cs_id_map_info": None, **layout.hdr}
    for name, w in spec.wire.items():
        if w.path.payload == "HDR" and values.get(name) is not None:
            assert w.conv.write is not None and w.path.field is not None
            hdr[w.path.field] = w.conv.write(values[name])
    hdr.update(fields)
    return Payload("HDR", hdr)


def payloads(spec: MessageSpec, values: Mapping[str, Any], *, bound: Bound | None = None,
             extra: Sequence[Payload] = ()) -> list[Payload]:
    """The payloads of ``spec`` for ``values`` (None: not sent) and ``extra``, in the layout's
    order; a path with a selector writes its role field, a wire's ``fixed`` fields go with it."""
    layout = _layout(spec)
    out: list[Payload] = []
    for name, w in spec.wire.items():
        value = values.get(name)
        path = w.path
        if value is None or path.transport or path.payload in ("HDR", None):
            continue
        if w.conv.bound_by_role:
            writer = (bound or {}).get(w.conv.name, (None, None))[1]
            if writer is None:
                raise UsageError(f"{spec.name}: no writer bound for {w.conv.name!r}")
            written = writer(value)
        else:
            assert w.conv.write is not None
            written = w.conv.write(value)
        if isinstance(written, OnPath):
            path, written = w.paths[written.index], written.value
        fields = dict(written) if path.field is None else {path.field: written}
        if path.select is not None:
            fields[path.select[0]] = path.select[1]
        fields.update(w.fixed)
        out.append(Payload(str(path.payload), fields))
    out.extend(extra)
    return sorted(out, key=lambda p: rank(layout, p))


def rank(layout: Layout, payload: Payload) -> int:
    """The place of ``payload`` in the layout's order (the first entry that matches it)."""
    for i, entry in enumerate(layout.order):
        if resolve(entry).matches(payload.name, payload.fields):
            return i
    raise UsageError(f"{layout.data_type}: a {payload.name} payload is not in its layout")


def covered(integrity: Integrity, raw: bytes, message: Message, *,
            ids: Mapping[str, bytes] | None = None, request: bytes | None = None,
            initiator_data_tail: int = 0) -> bytes:
    """The octets the integrity value covers (RFC 3830 5.2, 6.9; RFC 6043 5.5 Table 5.2): the
    codec's portion before the value (``portion_before``; ``message`` decoded from ``raw``),
    less the TICKET's Initiator Data (its last ``initiator_data_tail`` octets) when declared,
    then the ID Data of the declared roles (``ids``: role name -> ID Data) or the initial
    message."""
    portion = portion_before(message, raw, integrity.payload)
    if integrity.skip_initiator_data and initiator_data_tail:
        span = next((s for s in message.layout if s.payload == "TICKET"), None)
        if span is not None:
            end = span.offset + span.length
            portion = portion[: end - initiator_data_tail] + portion[end:]
    if integrity.append_request:
        if request is None:
            raise UsageError("a response's integrity covers the initial message: give it")
        return portion + request
    tail = b""
    for role in integrity.append_ids:
        if ids is None or role not in ids:
            raise UsageError(f"the integrity value covers the ID Data of {role}: give it")
        tail += ids[role]
    return portion + tail


def id_data(message: Message, roles: Sequence[str]) -> dict[str, bytes]:
    """The ID Data of the IDR payloads of ``roles`` (ID Role names) that ``message`` carries
    once each: what an :class:`Integrity` with ``append_ids`` appends (RFC 6043 5.5)."""
    out = {}
    for role in roles:
        value = _at(message, resolve(f"IDR[id_role={role}].id_data"))
        if value is not None:
            out[role] = bytes(value)
    return out


def copies_differ(spec: MessageSpec, message: Message, request: Message) -> str | None:
    """The first HDR field the layout says a response copies from its request and that differs
    (RFC 6043 4.2.1.5, 4.2.3.5), as text; None when every copy is faithful."""
    for name in _layout(spec).copies:
        if message.hdr.fields.get(name) != request.hdr.fields.get(name):
            return (f"HDR {name} is {message.hdr.fields.get(name)!r}, the initial message's is "
                    f"{request.hdr.fields.get(name)!r}")
    return None


def seal(hdr: Payload, body: Sequence[Payload], last: Payload, value_field: str,
         value_octets: int, tag: Callable[[bytes, Message], bytes]) -> tuple[bytes, Message]:
    """Encode ``hdr``, ``body`` and the integrity payload ``last`` with a zero value of
    ``value_octets``, compute the value with ``tag(raw, decoded)`` (which calls
    :func:`covered`) and put it in place; return the octets and their decoded message."""
    draft_last = Payload(last.name, {**last.fields, value_field: bytes(value_octets)})
    draft = bytes(encode(Message(hdr, [*body, draft_last])))
    decoded = decode(draft)
    value = bytes(tag(draft, decoded))
    if len(value) != value_octets:
        raise UsageError(f"the {last.name} value is {len(value)} octets, not {value_octets}")
    raw = draft[: len(draft) - value_octets] + value
    decoded.payloads[-1].fields[value_field] = value
    decoded.raw = raw
    return raw, decoded


__all__ = ["Bound", "WireView", "copies_differ", "covered", "header", "id_data", "payloads",
           "seal"]
