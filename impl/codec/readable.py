"""A decoded MIKEY message as a person reads it: what ``mckm codec decode`` prints by default.

The walk follows the grammars' field descriptions (``models/grammar``), as the JSON form does
(:mod:`.jsonform`), and renders each value by what the grammar says it is:

* an enumerated field: its number and its name in the field's name space;
* a timestamp (a field sized by a TS type, RFC 3830 6.6; RFC 6043 6.3, 6.4): ISO 8601 UTC beside
  the raw value, NTP 64-bit as seconds and a 2^-32 fraction since 1900-01-01T00:00Z (RFC 5905
  6); a TRr rekeying interval (RFC 6043 6.4) as seconds;
* identifiers (fields named ``*_id`` and 32-bit values) in hex; the CSB-ID of a MIKEY-SAKKE
  I_MESSAGE is the key id (TS 33.180 E.1.2; TS 33.434 6.Y.2), shown with its purpose named from
  ``models/policy`` (key-id layout and purpose table);
* the identity of an ID / IDR payload of type NAI or URI as text (RFC 3830 6.7; RFC 6043 6.6),
  other identities (UIDs, byte strings) in hex;
* octets that hold payloads (``models/grammar/inner_chains``: a NULL-encrypted KEMAC's Key data,
  a SAKKE-to-self extension's SAKKE payload, TP Data, ...) as those payloads; the key octets of
  Key data are not printed (only their length and a fingerprint: ``--raw`` prints them);
* SP policy params (RFC 3830 6.10) one per line, named by their type;
* the SAKKE Encapsulated Data (RFC 6509 4.2; RFC 6508 4) as R = 04 || x || y and H; an ECCSI
  signature (RFC 6509 4.3; RFC 6507 3.3) as r, s and PVT;
* the data of a "3GPP key parameters" extension (TS 33.180 E.6.1) by the grammar of
  ``models/grammar/ts33180_key_params``: the MCData Protected Payload header (the Key Parameters
  inside are encrypted) or, in a vendor's unprotected legacy form, the Key Parameters.

The output is an indented, aligned text tree rather than JSON: nested payloads, names beside
numbers and long octet strings read well in a terminal, and the JSON form stays one
(``--raw``, :mod:`.jsonform`), the one ``mckm codec encode`` reads back.  Rendering never fails
on a message that decoded: octets that do not hold what they should are shown in hex with the
reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import construct as c

from mckm.impl.codec.chains import decode_inner
from mckm.impl.codec.grammars import context
from mckm.impl.codec.model import Message, Payload
from mckm.impl.codec.payload_parse import StrictIO
from mckm.impl.codec.policy_params import sp_param_list
from mckm.impl.crypto.eccsi import SIGNATURE_LENGTH
from mckm.impl.crypto.eccsi import N as ECCSI_N
from mckm.impl.crypto.sakke_params import PARAMS as SAKKE_PARAMS
from mckm.impl.errors import DecodeError
from mckm.impl.redact import fingerprint
from mckm.models.grammar.dsl import FieldInfo, StructSpec
from mckm.models.grammar.inner_chains import BY_FIELD
from mckm.models.grammar.namespaces import (
    DATA_TYPE,
    GENERAL_EXT_TYPE,
    ID_ROLE,
    ID_TYPE,
    S_TYPE,
    TS_ROLE,
    TS_TYPE,
)
from mckm.models.grammar.registry import BY_NAME
from mckm.models.grammar.rfc3830 import SP_PARAM
from mckm.models.grammar.ts33180_key_params import (
    KEY_PARAMETERS,
    MESSAGE_TYPE_FLAGS,
    PROTECTED_PAYLOAD,
    STATUS_BITS,
    UNIX_SECONDS_BITS,
)
from mckm.models.policy import PURPOSES, decode_key_id

#: RFC 5905 6: the NTP prime epoch, era 0.
NTP_EPOCH = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
UNIX_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

#: (structure, field) that carry a 32-bit MC key id when the message is a MIKEY-SAKKE
#: I_MESSAGE: the CSB-ID (TS 33.180 E.1.2) and the DPPK-ID of the key parameters (E.6.1).
KEY_ID_FIELDS = frozenset({("HDR", "csb_id"), (PROTECTED_PAYLOAD.name, "dppk_id")})
#: (structure, field) holding key octets in the clear (RFC 3830 6.13): never printed here.
KEY_MATERIAL = frozenset({("KEY_DATA", "key_data"), ("salt", "salt_data")})
#: octets of hex per rendered line.
HEX_PER_LINE = 32


@dataclass(frozen=True)
class Line:
    """One line of the tree: its depth, a label and the value as text ("" for a heading)."""

    depth: int
    label: str
    value: str = ""


@dataclass(frozen=True)
class _Context:
    sakke: bool  # a MIKEY-SAKKE I_MESSAGE: the CSB-ID is a key id
    csb_id: int


def readable_lines(message: Message) -> list[Line]:
    """The lines of the readable form of ``message``."""
    size = f", {len(message.raw)} octets" if message.raw is not None else ""
    out = [Line(0, "MIKEY message",
                f"{message.data_type_name} (data type {message.data_type}){size}")]
    ctx = _Context(message.data_type == DATA_TYPE.SAKKE, int(message.hdr.fields["csb_id"]))
    payloads = [message.hdr, *message.payloads]
    spans = message.layout if len(message.layout) == len(payloads) else (None,) * len(payloads)
    for payload, span in zip(payloads, spans, strict=True):
        where = f"  octets {span.offset}..{span.offset + span.length - 1}" if span else ""
        out.extend(_payload(payload, 0, ctx, where))
    return out


def render(message: Message) -> str:
    """The readable form of ``message`` as an aligned text tree (``mckm codec decode``)."""
    return render_lines(readable_lines(message))


def render_lines(lines: list[Line]) -> str:
    """``lines`` as text: labels indented two spaces a level, values aligned in one column (at
    most 34 characters in), a value's further lines continued under its first."""
    width = min(34, max(2 * ln.depth + len(ln.label) for ln in lines) + 2)
    out = []
    for ln in lines:
        head = "  " * ln.depth + ln.label
        if not ln.value:
            out.append(head)
            continue
        first, *more = ln.value.split("\n")
        out.append(f"{head:<{width}}{first}" if len(head) < width else f"{head}  {first}")
        out.extend(" " * width + m for m in more)
    return "\n".join(out) + "\n"


def _payload(payload: Payload, depth: int, ctx: _Context, where: str = "") -> Iterator[Line]:
    spec = BY_NAME[payload.name].spec
    yield Line(depth, payload.name, f"{spec.clause}{where}")
    yield from _struct(spec, payload.fields, depth + 1, ctx)


def _struct(spec: StructSpec, fields: Mapping[str, Any], depth: int,
            ctx: _Context) -> Iterator[Line]:
    for info in spec.infos:
        if info.in_object:
            yield from _field(spec, info, fields.get(info.name), fields, depth, ctx)


def _field(spec: StructSpec, info: FieldInfo, value: Any, fields: Mapping[str, Any],
           depth: int, ctx: _Context) -> Iterator[Line]:
    if value is None:
        yield Line(depth, info.name, "absent" if info.kind == "optional" else "none")
    elif info.kind == "uint":
        yield Line(depth, info.name, _uint(spec, info, int(value), fields, ctx))
    elif info.kind == "bytes":
        yield from _octets(spec, info, bytes(value), fields, depth, ctx)
    elif info.kind == "list":
        if info.sub is None:
            yield Line(depth, info.name, ", ".join(str(v) for v in value) or "(empty)")
        else:
            yield from _entries(info.name, info.sub, value, depth, ctx)
    elif info.kind == "optional":
        assert info.sub is not None
        yield Line(depth, info.name)
        yield from _struct(info.sub, value, depth + 1, ctx)
    else:
        assert info.cases is not None and info.key is not None
        case = info.cases.get(fields[info.key])
        if case is None:
            yield Line(depth, info.name, "none")
        elif info.count_field is not None:
            yield from _entries(info.name, case, value, depth, ctx)
        else:
            yield Line(depth, info.name, case.name)
            yield from _struct(case, value, depth + 1, ctx)


def _entries(name: str, sub: StructSpec, values: list[Any], depth: int,
             ctx: _Context) -> Iterator[Line]:
    yield Line(depth, name, f"{len(values)} x {sub.name} ({sub.clause})")
    for index, entry in enumerate(values):
        yield Line(depth + 1, f"[{index}]")
        yield from _struct(sub, entry, depth + 2, ctx)


# --- integers --------------------------------------------------------------------------------

def _uint(spec: StructSpec, info: FieldInfo, value: int, fields: Mapping[str, Any],
          ctx: _Context) -> str:
    if info.namespace is not None:
        return f"{value}  {info.namespace.name_of(value)}"
    key_ns = _namespace_of(spec, info.key)
    if key_ns is TS_TYPE:
        return _timestamp(int(fields[info.key or ""]), value,
                          interval=fields.get("ts_role") == TS_ROLE.TRR)
    if info.max_bits == UNIX_SECONDS_BITS:
        return _unix_time(value, info.meaning)
    if (spec.name, info.name) in KEY_ID_FIELDS and ctx.sakke:
        return _key_id(value, ctx, spec)
    if spec is KEY_PARAMETERS and info.name == "key_type":
        purpose = PURPOSES.by_value(value)
        return f"{value}  {purpose.name if purpose else 'reserved'} (TS 33.180 E.6.11)"
    if spec is KEY_PARAMETERS and info.name == "status":
        return _status(value)
    if spec is PROTECTED_PAYLOAD and info.name == "message_type":
        return _message_type(value)
    if info.name.endswith("_id") or info.max_bits == 32:
        digits = (info.max_bits or 8) // 4
        return f"0x{value:0{digits}x}  ({value})"
    return str(value)


def _namespace_of(spec: StructSpec, name: str | None) -> Any:
    for info in spec.infos:
        if name is not None and info.name == name:
            return info.namespace
    return None


def _timestamp(ts_type: int, value: int, *, interval: bool) -> str:
    """RFC 3830 6.6 / RFC 6043 6.3: NTP-UTC and NTP are 64-bit NTP timestamps (RFC 5905 6),
    NTP-UTC-32 their whole seconds, COUNTER a plain counter."""
    raw = f"raw 0x{value:0{16 if ts_type in (TS_TYPE.NTP_UTC, TS_TYPE.NTP) else 8}x}"
    if ts_type == TS_TYPE.COUNTER:
        return f"{value} (counter)  {raw}"
    if ts_type in (TS_TYPE.NTP_UTC, TS_TYPE.NTP):
        seconds, fraction = value >> 32, value & 0xFFFFFFFF
    else:
        seconds, fraction = value, 0
    if interval:
        return f"{seconds + fraction / 2**32:g} s (rekeying interval)  {raw}"
    micros = (fraction * 1_000_000) >> 32
    when = NTP_EPOCH + datetime.timedelta(seconds=seconds, microseconds=micros)
    text = when.isoformat(timespec="microseconds" if micros else "seconds")
    if ts_type == TS_TYPE.NTP:
        return f"{text.removesuffix('+00:00')} (local time, no zone)  {raw}"
    return f"{text.replace('+00:00', 'Z')}  {raw}"


def _unix_time(value: int, meaning: str) -> str:
    """TS 24.282 15.2.8; TS 33.180 E.6.4, E.6.10: seconds since 1970-01-01T00:00Z; a 0 that
    the field's meaning gives a sense of ("0 = never") is shown with it."""
    _, says, zero = meaning.partition("0 = ")
    if value == 0 and says:
        return f"0: {zero}"
    try:
        when = (UNIX_EPOCH + datetime.timedelta(seconds=value)).isoformat()
    except OverflowError:
        return f"{value} (beyond year 9999)"
    return f"{when.replace('+00:00', 'Z')}  raw {value}"


def _key_id(value: int, ctx: _Context, spec: StructSpec) -> str:
    """TS 33.180 E.1.2 / TS 33.434 6.Y.2: the 4 most significant bits name the purpose."""
    purpose_value, random = decode_key_id(value)
    purpose = PURPOSES.by_value(purpose_value)
    name = purpose.name if purpose else "unassigned"
    text = f"0x{value:08x}  purpose {purpose_value} {name}, random part 0x{random:07x}"
    if spec is PROTECTED_PAYLOAD:
        text += ("\n(= the CSB-ID, as TS 33.180 E.6.1 asks)" if value == ctx.csb_id else
                 f"\n(NOT the CSB-ID 0x{ctx.csb_id:08x}: TS 33.180 E.6.1 asks for it)")
    return text


def _message_type(value: int) -> str:
    """TS 33.180 8.5.1: bit 7 set = protected, bit 8 set = authenticated (bit 8 the MSB)."""
    flags = [f"{'' if value >> (bit - 1) & 1 else 'not '}{name}"
             for bit, name in MESSAGE_TYPE_FLAGS]
    return f"0x{value:02x}  {', '.join(flags)} (TS 33.180 8.5.1)"


def _status(value: int) -> str:
    """TS 33.180 Table E.6.9-1: the defined bits, LSB first; undefined bits are ignored."""
    parts = [f"{purpose}: {one if value >> bit & 1 else zero}"
             for bit, purpose, zero, one in STATUS_BITS]
    return f"0x{value:08x}\n" + "\n".join(parts)


# --- octets ----------------------------------------------------------------------------------

def _octets(spec: StructSpec, info: FieldInfo, data: bytes, fields: Mapping[str, Any],
            depth: int, ctx: _Context) -> Iterator[Line]:
    chain = BY_FIELD.get((spec.name, info.name))
    if chain is not None and chain.holds_payloads(fields):
        try:
            inner = decode_inner(chain, data)
        except DecodeError as exc:
            yield Line(depth, info.name, f"{_hex(data)}\n(not the payloads of {chain.clause}: "
                                         f"{exc})")
            return
        yield Line(depth, info.name, f"{len(inner)} payload(s), {chain.clause}")
        for payload in inner:
            yield from _payload(payload, depth + 1, ctx)
        return
    if (spec.name, info.name) in KEY_MATERIAL:
        yield Line(depth, info.name, f"{len(data)} octets of key, not shown (sha256:"
                                     f"{fingerprint(data)}; --raw shows them)")
    elif info.sub is SP_PARAM:
        yield from _policy_params(info, data, depth)
    elif spec.name in ("ID", "IDR") and info.name == "id_data":
        yield Line(depth, info.name, _identity(data, fields))
    elif spec.name == "SAKKE" and info.name == "sakke_data":
        yield from _sakke_data(data, fields, depth)
    elif spec.name == "SIGN" and info.name == "signature":
        yield from _signature(data, fields, depth)
    elif (spec.name == "GENERAL_EXT" and info.name == "data"
          and fields.get("type") == GENERAL_EXT_TYPE.KEY_PARAMETERS_3GPP):
        yield from _key_parameters(data, depth, ctx)
    else:
        yield Line(depth, info.name, _hex(data))


def _hex(data: bytes) -> str:
    if not data:
        return "(empty)"
    rows = [data[i:i + HEX_PER_LINE].hex() for i in range(0, len(data), HEX_PER_LINE)]
    suffix = f"\n({len(data)} octets)" if len(rows) > 1 else ""
    return "\n".join(rows) + suffix


def _identity(data: bytes, fields: Mapping[str, Any]) -> str:
    """NAI and URI identities as text (RFC 3830 6.7); the UIDs of IDRuidi / IDRuidr (TS 33.180
    E.7, F.2.1) and byte strings in hex."""
    role = fields.get("id_role")
    if fields.get("id_type") in (ID_TYPE.NAI, ID_TYPE.URI) and role not in (ID_ROLE.IDRUIDI,
                                                                             ID_ROLE.IDRUIDR):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and text.isprintable():
            return f'"{text}"'
    if role in (ID_ROLE.IDRUIDI, ID_ROLE.IDRUIDR):
        return f"{_hex(data)}\n(MIKEY-SAKKE UID, TS 33.180 F.2.1)"
    return _hex(data)


def _policy_params(info: FieldInfo, data: bytes, depth: int) -> Iterator[Line]:
    """RFC 3830 6.10: type, length, value; the type named in the SRTP policy name space."""
    try:
        params = sp_param_list(data)
    except ValueError as exc:
        yield Line(depth, info.name, f"{_hex(data)}\n({exc})")
        return
    type_ns = _namespace_of(SP_PARAM, "type")
    yield Line(depth, info.name, f"{len(params)} parameter(s), {SP_PARAM.clause}")
    for p in params:
        value = bytes(p["value"])
        shown = str(int.from_bytes(value, "big")) if 0 < len(value) <= 4 else _hex(value)
        yield Line(depth + 1, f"{p['type']} {type_ns.name_of(p['type'])}", shown)


def _sakke_data(data: bytes, fields: Mapping[str, Any], depth: int) -> Iterator[Line]:
    """RFC 6509 4.2 / RFC 6508 4: R_(b,S) as 04 || x || y, then H (n bits)."""
    split = SAKKE_PARAMS.point_bytes
    if fields.get("sakke_params") != SAKKE_PARAMS.set_id or len(data) != split + (
            SAKKE_PARAMS.n_bits // 8):
        yield Line(depth, "sakke_data", _hex(data))
        return
    yield Line(depth, "sakke_data", f"SAKKE Encapsulated Data, {len(data)} octets "
                                    "(RFC 6508 4)")
    yield Line(depth + 1, "R", _hex(data[:split]))
    yield Line(depth + 1, "H", _hex(data[split:]))


def _signature(data: bytes, fields: Mapping[str, Any], depth: int) -> Iterator[Line]:
    """RFC 6507 3.3 / RFC 6509 4.3: an ECCSI signature is r || s || PVT."""
    if fields.get("s_type") != S_TYPE.ECCSI or len(data) != SIGNATURE_LENGTH:
        yield Line(depth, "signature", _hex(data))
        return
    yield Line(depth, "signature", f"ECCSI signature, {len(data)} octets (RFC 6507 3.3)")
    yield Line(depth + 1, "r", _hex(data[:ECCSI_N]))
    yield Line(depth + 1, "s", _hex(data[ECCSI_N:2 * ECCSI_N]))
    yield Line(depth + 1, "PVT", _hex(data[2 * ECCSI_N:]))


def _key_parameters(data: bytes, depth: int, ctx: _Context) -> Iterator[Line]:
    """TS 33.180 E.6.1: an MCData Protected Payload; else (a vendor legacy form) the plain Key
    Parameters content; else the octets with the reason."""
    for spec, label in ((PROTECTED_PAYLOAD, "MCData Protected Payload"),
                        (KEY_PARAMETERS, "Key Parameters, NOT protected as E.6.1 requires")):
        fields = parse_exact(spec, data)
        if fields is not None:
            yield Line(depth, "data", f"{label} ({spec.clause}), {len(data)} octets")
            yield from _struct(spec, fields, depth + 1, ctx)
            return
    yield Line(depth, "data", f"{_hex(data)}\n(neither an MCData Protected Payload nor Key "
                              "Parameters: TS 33.180 8.5.4.1, E.6.1)")


def parse_exact(spec: StructSpec, data: bytes) -> dict[str, Any] | None:
    """The fields of ``spec`` filling ``data`` exactly, or None."""
    stream = StrictIO(data)
    try:
        parsed = spec.compiled.parsefunc(stream, context())
    except (c.ConstructError, ValueError, KeyError):
        return None
    if stream.tell() != len(data):
        return None
    return {i.name: parsed[i.name] for i in spec.infos if i.in_object}


__all__ = ["Line", "parse_exact", "readable_lines", "render", "render_lines"]
