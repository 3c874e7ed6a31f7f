"""A Wireshark Lua dissector generated from the MIKEY grammars (``mckm codec export
--format wireshark-lua``).

Wireshark 4.0's MIKEY dissector has no RFC 6043 data types 11-18, no TR, RANDR, TP or TICKET
payloads (RFC 6043 6.4, 6.8, 6.10), no GENERIC-ID map (RFC 6043 6.1.1), no 3GPP IDR roles and
extension types (TS 33.180 E.5, E.6, F.2.1), and reads CERT's length from the wrong octet
(RFC 3830 6.7).  The dissector written here reads the whole message as its own protocol
``mckm_mikey`` and registers it for UDP port 2269 (the IANA port of the service name
``mikey``, where Wireshark's own MIKEY dissector listens) and for SDP ``a=key-mgmt:mikey``
(RFC 4567: Wireshark's SDP dissector base64-decodes the data and hands it to its ``key_mgmt``
dissector table under the protocol id ``mikey``).

Nothing about a field is typed here.  The generator walks each payload's construct tree (the
same trees the codec compiles, as :mod:`~mckm.impl.codec.codegen` does) and the
:class:`~mckm.models.grammar.dsl.FieldInfo` declarations beside them:

* every field becomes a ``ProtoField`` ``mckm_mikey.<structure>.<field>`` with the grammar's
  name, width, value names (its namespace) and, as description, its meaning and clause;
* the structure becomes a Lua table of nodes (fixed integers, packed bit groups whose masks are
  read by evaluating the grammar's ``Computed`` expressions, octet strings sized by a field or
  by a namespace value, arrays, switches, optional groups whose condition is translated from
  the ``this`` expression) that one small interpreter in the generated file walks;
* the chain (RFC 3830 6.1) is walked by Next Payload number from the registry: HDR first,
  0 ends it, a terminal payload (SIGN) ends it, a payload allowed only nested (KEY_DATA) or an
  unknown number is an error;
* the presence rules of each data type (``models/grammar/messages.py``: HDR values, payload
  counts, last payload, exclusive payloads, required roles) become Lua tables; a message that
  breaks one gets an expert warning worded as mckm's decoder words its refusal
  (:mod:`~mckm.impl.codec.presence`).

A field, payload or value added to a grammar therefore appears in the dissector with no change
here, nor which octet fields hold payloads (TP Data and Initiator Data, RFC 6043 6.10; an
unencrypted KEMAC's Key data, RFC 3830 6.2; the SAKKE payload of a SAKKE-to-self extension,
TS 33.180 E.5): the dissector reads them from ``models/grammar/inner_chains.py``.

A construct the generator does not know raises :class:`~mckm.impl.errors.UsageError` naming
the structure and field, rather than producing a dissector that silently skips it.

Bad input gets an expert error of group Malformed naming the structure, field, offset and
clause ("IDR.id_data (RFC 6043 6.6): 40 octets needed at offset 12, 9 left"), never a Lua
error.  The data of a GENERAL_EXT of type 7 (TS 33.180 E.6 key parameters) stays octets: it is
an MCData Protected Payload encrypted with the key the message carries (TS 33.180 E.6.1).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import construct as c

from mckm.impl.codec.describe import allowed_text
from mckm.impl.codec.grammars import LAST
from mckm.impl.errors import UsageError
from mckm.models.grammar import registry
from mckm.models.grammar.dsl import (
    FieldInfo,
    Namespace,
    PayloadSpec,
    StructSpec,
    all_structs,
    ident_of,
)
from mckm.models.grammar.inner_chains import BY_FIELD, KEY_DATA_PAYLOAD, InnerChain
from mckm.models.grammar.messages import ROLE_FIELDS, RULES, MessageRule
from mckm.models.grammar.namespaces import DATA_TYPE

FILE_NAME = "mckm_mikey.lua"
PROTO = "mckm_mikey"
#: the IANA port of the service name ``mikey`` (Wireshark's MIKEY dissector uses it too).
UDP_PORT = 2269
#: RFC 4567: the key management protocol identifier of MIKEY in ``a=key-mgmt``.
KEY_MGMT_ID = "mikey"


_INT_TYPES = {1: "uint8", 2: "uint16", 3: "uint24", 4: "uint32", 8: "uint64"}


def slug(spec: StructSpec) -> str:
    """The name of a structure in the dissector's field names (``GENERIC-ID entry`` ->
    ``generic_id_entry``)."""
    return ident_of(spec.name).lower()


def field_name(spec: StructSpec, field: str) -> str:
    """The Wireshark field name of ``field`` of ``spec`` (``mckm_mikey.hdr.csb_id``); the
    structure's own subtree is ``mckm_mikey.hdr``."""
    return f"{PROTO}.{slug(spec)}.{field}"


def struct_field_name(spec: StructSpec) -> str:
    return f"{PROTO}.{slug(spec)}"


def render(hdr: PayloadSpec | None = None,
           payloads: Sequence[PayloadSpec] | None = None,
           nested_only: Iterable[str] | None = None,
           rules: Sequence[MessageRule] | None = None) -> dict[str, str]:
    """The dissector's files (name -> text) for the grammars (by default the registry's:
    RFC 3830, RFC 6043, RFC 6509 and the TS 33.180 values) and the presence rules of each
    data type (by default ``models/grammar/messages.py``)."""
    gen = _Generator(hdr if hdr is not None else registry.HDR,
                     tuple(payloads if payloads is not None else registry.PAYLOADS),
                     frozenset(nested_only if nested_only is not None
                               else registry.NESTED_ONLY),
                     tuple(rules if rules is not None else RULES))
    return {FILE_NAME: gen.text()}


def lua_str(text: str) -> str:
    """A Lua string literal of ``text`` (UTF-8; bytes outside printable ASCII as ``\\ddd``)."""
    out = []
    for b in text.encode("utf-8"):
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


_COMPARE = {operator.eq: "==", operator.ne: "~=", operator.lt: "<", operator.le: "<=",
            operator.gt: ">", operator.ge: ">="}
_BITWISE = {operator.and_: ("bit32.band", "and"), operator.or_: ("bit32.bor", "or"),
            operator.rshift: ("bit32.rshift", None), operator.lshift: ("bit32.lshift", None)}


@dataclass(frozen=True)
class _Expr:
    lua: str
    boolean: bool


def _path_field(value: Any) -> str | None:
    if isinstance(value, c.Path) and type(value) is c.Path:
        parent = value._Path__parent
        field = value._Path__field
        if isinstance(field, str) and parent is c.this:
            return field
    return None


def lua_expr(value: Any, where: str) -> _Expr:
    """Lua source of a construct ``this`` expression over the current structure's fields
    ``f`` (comparisons and ``|``/``&`` of comparisons become logical operators, of integers
    ``bit32`` calls, which Wireshark's Lua 5.2 has)."""
    if isinstance(value, bool):
        return _Expr("true" if value else "false", True)
    if isinstance(value, int):
        return _Expr(str(value), False)
    name = _path_field(value)
    if name is not None:
        return _Expr(f"f[{lua_str(name)}]", False)
    if isinstance(value, c.BinExpr):
        lhs, rhs = lua_expr(value.lhs, where), lua_expr(value.rhs, where)
        if value.op in _COMPARE:
            return _Expr(f"({lhs.lua} {_COMPARE[value.op]} {rhs.lua})", True)
        if value.op in _BITWISE:
            func, logical = _BITWISE[value.op]
            if lhs.boolean and rhs.boolean and logical is not None:
                return _Expr(f"({lhs.lua} {logical} {rhs.lua})", True)
            if not lhs.boolean and not rhs.boolean:
                return _Expr(f"{func}({lhs.lua}, {rhs.lua})", False)
    raise UsageError(f"{where}: the expression {value!r} has no Lua form in the dissector "
                     "generator (impl/codec/export_lua.py)")


def _unwrap(sc: c.Construct) -> c.Construct:
    while isinstance(sc, c.Renamed):
        sc = sc.subcon
    return sc


def _packed_mask(func: Any, raw: str, width: int) -> int:
    """The bits of the raw packed word that a ``Computed`` sub-field reads, found by
    evaluating its grammar expression on each single bit."""
    return sum(1 << k for k in range(width * 8) if func({raw: 1 << k}))


class _Generator:
    """Emits the dissector for one set of grammars."""

    def __init__(self, hdr: PayloadSpec, payloads: tuple[PayloadSpec, ...],
                 nested_only: frozenset[str], rules: tuple[MessageRule, ...],
                 inner_chains: dict[tuple[str, str], InnerChain] | None = None) -> None:
        self.hdr = hdr
        self.payloads = payloads
        self.nested_only = nested_only
        self.rules = rules
        self.structs: list[StructSpec] = []
        for p in (hdr, *payloads):
            for s in all_structs(p.spec):
                if all(s is not o for o in self.structs):
                    self.structs.append(s)
        self.by_grammar = {id(s.grammar): s for s in self.structs}
        self.inner_chains = inner_chains if inner_chains is not None else BY_FIELD
        slugs = [slug(s) for s in self.structs]
        if len(slugs) != len(set(slugs)):
            dup = sorted({x for x in slugs if slugs.count(x) > 1})
            raise UsageError(f"two structures share the dissector name {dup}; rename one")
        self.namespaces: dict[str, Namespace] = {}
        self.fields: list[str] = []  # Lua statements declaring the ProtoFields
        self.field_vars: list[str] = []

    # -- value strings ------------------------------------------------------------------

    def _vs(self, ns: Namespace | None) -> str:
        if ns is None:
            return "nil"
        key = ident_of(ns.name).lower()
        known = self.namespaces.get(key)
        if known is not None and known is not ns:
            raise UsageError(f"two namespaces share the dissector name {key!r}")
        self.namespaces[key] = ns
        return f"VS[{lua_str(key)}]"

    def _vs_text(self) -> list[str]:
        lines = ["local VS = {}"]
        for key, ns in self.namespaces.items():
            body = ", ".join(f"[{v.value}] = {lua_str(v.name)}" for v in ns.values)
            lines.append(f"VS[{lua_str(key)}] = {{ {body} }}  -- {ns.name}: {ns.clause}")
        return lines

    # -- ProtoFields --------------------------------------------------------------------

    def _declare(self, abbrev: str, call: str) -> str:
        var = f"P[{lua_str(abbrev.removeprefix(PROTO + '.'))}]"
        self.fields.append(f"{var} = {call}")
        self.field_vars.append(var)
        return var

    @staticmethod
    def _desc(info: FieldInfo | None, spec: StructSpec) -> str:
        if info is None:
            return f"{spec.name} ({spec.clause})"
        allowed = "" if info.namespace is not None else allowed_text(info)
        tail = f"; {allowed}" if allowed else ""
        return f"{info.meaning}{tail} ({info.clause})"

    def _uint_field(self, spec: StructSpec, name: str, info: FieldInfo | None, width: int,
                    mask: int | None = None) -> str:
        ns = info.namespace if info is not None else None
        base = "base.DEC" if ns is not None or width < 4 or mask is not None else "base.HEX"
        call = (f"ProtoField.{_INT_TYPES[width]}({lua_str(field_name(spec, name))}, "
                f"{lua_str(name)}, {base}, {self._vs(ns)}, "
                f"{'nil' if mask is None else hex(mask)}, {lua_str(self._desc(info, spec))})")
        return self._declare(field_name(spec, name), call)

    def _bytes_field(self, spec: StructSpec, name: str, info: FieldInfo | None) -> str:
        call = (f"ProtoField.bytes({lua_str(field_name(spec, name))}, {lua_str(name)}, "
                f"base.NONE, {lua_str(self._desc(info, spec))})")
        return self._declare(field_name(spec, name), call)

    def _struct_field(self, spec: StructSpec) -> str:
        call = (f"ProtoField.none({lua_str(struct_field_name(spec))}, {lua_str(spec.name)}, "
                f"{lua_str(f'{spec.meaning} ({spec.clause})')})")
        return self._declare(struct_field_name(spec), call)

    # -- structure nodes ----------------------------------------------------------------

    def _where(self, spec: StructSpec, name: str, info: FieldInfo | None) -> str:
        clause = info.clause if info is not None else spec.clause
        return lua_str(f"{spec.name}.{name} ({clause})")

    def _struct_ref(self, sub: c.Construct, where: str) -> str:
        found = self.by_grammar.get(id(sub))
        if found is None:
            raise UsageError(f"{where}: a nested structure that is not a declared StructSpec")
        return f'{{t = "struct", s = {lua_str(slug(found))}}}'

    def _value_node(self, sc: c.Construct, spec: StructSpec, name: str,
                    info: FieldInfo | None, pf: dict[str, str]) -> str:
        """A node reading one value of ``sc`` under the field ``name`` (the ProtoField is made
        once per field, on first use, since a switch's cases share it)."""
        where = f"{spec.name}.{name}"
        w = self._where(spec, name, info)
        sc = _unwrap(sc)
        if isinstance(sc, c.FormatField):
            if "int" not in pf:
                pf["int"] = self._uint_field(spec, name, info, pf.get("width_", sc.length))
            return (f'{{t = "int", n = {lua_str(name)}, w = {sc.length}, pf = {pf["int"]}, '
                    f"where = {w}}}")
        if isinstance(sc, c.Bytes):
            if "bytes" not in pf:
                pf["bytes"] = self._bytes_field(spec, name, info)
            length = sc.length
            if isinstance(length, int):
                size = str(length)
            else:
                ref = _path_field(length)
                if ref is None:
                    raise UsageError(f"{where}: octet length {length!r} is not a field")
                size = lua_str(ref)
            seq = ""
            if info is not None and info.sub is not None:
                seq = f", seq = {lua_str(slug(info.sub))}"
            inner = self.inner_chains.get((spec.name, name))
            if inner is not None:
                seq += self._inner_chain(inner, where)
            return (f'{{t = "bytes", n = {lua_str(name)}, len = {size}, pf = {pf["bytes"]}, '
                    f"where = {w}{seq}}}")
        if isinstance(sc, c.Struct):
            return self._struct_ref(sc, where)
        if isinstance(sc, c.Array):
            ref = _path_field(sc.count)
            if ref is None:
                raise UsageError(f"{where}: array count {sc.count!r} is not a field")
            elem = self._value_node(sc.subcon, spec, name, info, pf)
            return f'{{t = "array", count = {lua_str(ref)}, elem = {elem}, where = {w}}}'
        if isinstance(sc, c.Switch):
            key = _path_field(sc.keyfunc)
            if key is None:
                raise UsageError(f"{where}: switch key {sc.keyfunc!r} is not a field")
            if _unwrap(sc.default) is not c.Error:
                raise UsageError(f"{where}: a switch with a default layout is not supported")
            widths = [_unwrap(x).length for x in sc.cases.values()
                      if isinstance(_unwrap(x), c.FormatField)]
            if widths:  # one ProtoField wide enough for every case (e.g. a timestamp)
                pf.setdefault("width_", max(widths))
            cases = []
            for k, sub in sc.cases.items():
                node = "false" if _unwrap(sub) is c.Pass else \
                    self._value_node(sub, spec, name, info, pf)
                cases.append(f"[{k}] = {node}")
            return (f'{{t = "switch", key = {lua_str(key)}, cases = {{ {", ".join(cases)} }}, '
                    f"where = {w}}}")
        if isinstance(sc, c.IfThenElse):
            if _unwrap(sc.elsesubcon) is not c.Pass:
                raise UsageError(f"{where}: only If (no else layout) is supported")
            cond = lua_expr(sc.condfunc, where)
            then = self._value_node(sc.thensubcon, spec, name, info, pf)
            return (f'{{t = "if", cond = function(f) return {cond.lua} end, sub = {then}, '
                    f"where = {w}}}")
        raise UsageError(f"{where}: construct {type(sc).__name__} has no dissector form")

    def _inner_chain(self, inner: InnerChain, where: str) -> str:
        """The node keys that read the payloads an octet field holds (inner_chains.py)."""
        if inner.kind == "one":
            one = next((p for p in self.payloads if p.name == inner.one), None)
            if one is None:
                raise UsageError(f"{where}: inner_chains names no payload {inner.one!r}")
            text = f', chain = "one", one = {lua_str(slug(one.spec))}'
        else:
            text = f", chain = {lua_str(inner.kind)}"
        if inner.when is not None:
            text += (f", when = function(f) return f[{lua_str(inner.when[0])}] == "
                     f"{inner.when[1]} end")
        return text

    def _struct_nodes(self, spec: StructSpec) -> list[str]:
        infos = {i.name: i for i in spec.infos}
        nodes: list[str] = []
        subs = list(spec.grammar.subcons)
        i = 0
        while i < len(subs):
            sc = subs[i]
            name = sc.name
            inner = _unwrap(sc)
            if isinstance(inner, c.Rebuild) and name.startswith("pk__"):
                width = _unwrap(inner.subcon).length
                parts, names = [], []
                i += 1
                while i < len(subs) and isinstance(_unwrap(subs[i]), c.Computed):
                    sub_name = subs[i].name
                    names.append(sub_name)
                    mask = _packed_mask(_unwrap(subs[i]).func, name, width)
                    if mask == 0:
                        raise UsageError(f"{spec.name}.{sub_name}: reads no bit of {name}")
                    low = mask & -mask
                    if (mask // low) & (mask // low + 1):
                        raise UsageError(f"{spec.name}.{sub_name}: its bits of {name} are not "
                                         "contiguous")
                    var = self._uint_field(spec, sub_name, infos.get(sub_name), width, mask)
                    parts.append(f"{{n = {lua_str(sub_name)}, mask = {hex(mask)}, "
                                 f"low = {low}, span = {mask // low + 1}, pf = {var}}}")
                    i += 1
                if not names:
                    raise UsageError(f"{spec.name}.{name}: a packed word with no field")
                where = self._where(spec, "/".join(names), infos.get(names[0]))
                nodes.append(f'{{t = "bits", w = {width}, subs = {{ {", ".join(parts)} }}, '
                             f"where = {where}}}")
                continue
            if isinstance(inner, c.Rebuild):
                sc = inner.subcon
            if isinstance(inner, c.Computed):
                raise UsageError(f"{spec.name}.{name}: a computed field outside a packed group")
            nodes.append(self._value_node(sc, spec, name, infos.get(name), {}))
            i += 1
        return nodes

    def _next_field(self, spec: StructSpec) -> str | None:
        ns = self.hdr.spec.infos  # the HDR's Next Payload names the chain's namespace
        chain_ns = next((i.namespace for i in ns if i.name == "next_payload"), None)
        for info in spec.infos:
            if info.namespace is not None and info.namespace is chain_ns:
                return info.name
        return None

    # -- the file -----------------------------------------------------------------------

    @staticmethod
    def _rule(rule: MessageRule) -> str:
        """One data type's presence rule as a Lua table (what presence.py checks on decode)."""
        where = f"{rule.name} (data type {rule.data_type}, {rule.clause})"
        slots = ", ".join(
            f"{{ {lua_str(x.payload)}, {x.min}, {'nil' if x.max is None else x.max}, "
            f"{'true' if x.last_only else 'false'} }}" for x in rule.slots)
        last = ", ".join(lua_str(x) for x in rule.last)
        exclusive = ", ".join("{ " + ", ".join(lua_str(x) for x in g) + " }"
                              for g in rule.exclusive)
        hdr = ", ".join(f"{{ {lua_str(k)}, {{ {', '.join(map(str, v))} }} }}"
                        for k, v in rule.hdr.items())
        roles = ", ".join(f"{{ {lua_str(k)}, {lua_str(ROLE_FIELDS[k])}, "
                          f"{{ {', '.join(map(str, v))} }} }}"
                          for k, v in rule.required_roles.items())
        return (f"RULES[{rule.data_type}] = {{ where = {lua_str(where)}, slots = {{ {slots} }}, "
                f"last = {{ {last} }}, exclusive = {{ {exclusive} }}, hdr = {{ {hdr} }}, "
                f"roles = {{ {roles} }} }}")

    def text(self) -> str:
        struct_lines = []
        for s in self.structs:
            pf = self._struct_field(s)
            nodes = ",\n    ".join(self._struct_nodes(s))
            nxt = self._next_field(s)
            nxt_text = "nil" if nxt is None else lua_str(nxt)
            label = next((i for i in s.infos if i.namespace is not None and i.name != nxt),
                         None)  # the value named in the subtree's title ("IDR: IDRkms")
            label_text = "nil" if label is None else \
                f"{{ {lua_str(label.name)}, {self._vs(label.namespace)} }}"
            struct_lines.append(
                f"S[{lua_str(slug(s))}] = {{ name = {lua_str(s.name)}, pf = {pf}, "
                f"next = {nxt_text}, label = {label_text}, fields = {{\n    {nodes}\n}} }}")
        chain = []
        for p in self.payloads:
            if p.number is None or p.name in self.nested_only:
                continue
            terminal = "true" if p.terminal else "false"
            chain.append(f"[{p.number}] = {{ s = {lua_str(slug(p.spec))}, "
                         f"name = {lua_str(p.name)}, terminal = {terminal} }}")
        chain_ns = next((i.namespace for i in self.hdr.spec.infos if i.name == "next_payload"),
                        None)
        first = self._declare(f"{PROTO}.first_payload", (
            f'ProtoField.uint8("{PROTO}.first_payload", "first_payload", base.DEC, '
            f'{self._vs(chain_ns)}, nil, "type of the first payload of an inner chain '
            '(RFC 6043 6.10)")'))
        key_data = next((p for p in self.payloads if p.name == KEY_DATA_PAYLOAD), None)
        key_data_text = "nil" if key_data is None else \
            f"{{ s = {lua_str(slug(key_data.spec))}, number = {key_data.number} }}"
        data_type = next((i for i in self.hdr.spec.infos if i.namespace is DATA_TYPE), None)
        type_vs = "nil" if data_type is None else self._vs(DATA_TYPE)
        type_field = "nil" if data_type is None else lua_str(data_type.name)
        parts = [
            _HEAD.format(proto=PROTO),
            *self._vs_text(),
            "",
            "local P = {}",
            *self.fields,
            "",
            "local S = {}",
            *struct_lines,
            "",
            f"local HDR = {lua_str(slug(self.hdr.spec))}",
            f"local LAST = {LAST}",
            f"local CHAIN = {{ {', '.join(chain)} }}",
            f"local FIRST_PAYLOAD, KEY_DATA = {first}, {key_data_text}",
            f"local DATA_TYPE_FIELD, DATA_TYPE_NAMES = {type_field}, {type_vs}",
            "",
            "-- Presence rules of each data type (models/grammar/messages.py).",
            "local RULES = {}",
            *(self._rule(r) for r in self.rules),
            "",
            "local ALL_FIELDS = { " + ", ".join(self.field_vars) + " }",
            _RUNTIME.format(port=UDP_PORT, kmpid=lua_str(KEY_MGMT_ID)),
        ]
        return "\n".join(parts) + "\n"


_HEAD = """\
-- Wireshark dissector for MIKEY, generated by `mckm codec export --format wireshark-lua`
-- from the grammars of mckm (models/grammar); do not edit: export again.
-- Load with: tshark -X lua_script:mckm_mikey.lua ...  (or copy into the personal plugins
-- folder).  Registers for UDP port 2269 and for SDP a=key-mgmt:mikey (RFC 4567).

local proto = Proto("{proto}", "MIKEY (mckm grammars: RFC 3830, RFC 6043, RFC 6509, TS 33.180)")
local ef_malformed = ProtoExpert.new("{proto}.malformed", "Malformed MIKEY message",
                                     expert.group.MALFORMED, expert.severity.ERROR)
local ef_presence = ProtoExpert.new("{proto}.presence",
                                    "MIKEY payloads break the data type's presence rule",
                                    expert.group.PROTOCOL, expert.severity.WARN)
proto.experts = {{ ef_malformed, ef_presence }}
"""

_RUNTIME = """
proto.fields = ALL_FIELDS

-- An error of the message (not of this script): carried up to the dissector, shown as an
-- expert error of group Malformed.
local Bad = {{}}
local within = ""  -- the octet field whose inner chain is being read, if any
local function bad(text) error(setmetatable({{ text = within .. text }}, Bad), 0) end

local function need(tvb, off, n, where)
  local left = tvb:len() - off
  if n > left then
    bad(string.format("%s: %d octets needed at offset %d, %d left", where, n, off, left))
  end
end

local run, run_struct, walk_chain, inner_chain, read_inner

run = function(node, tvb, off, tree, f)
  local t = node.t
  if t == "int" then
    need(tvb, off, node.w, node.where)
    local range = tvb(off, node.w)
    if node.w <= 4 then f[node.n] = range:uint() end
    tree:add(node.pf, range)
    return off + node.w
  elseif t == "bits" then
    need(tvb, off, node.w, node.where)
    local range = tvb(off, node.w)
    local raw = range:uint()
    for _, s in ipairs(node.subs) do
      f[s.n] = math.floor(raw / s.low) % s.span  -- arithmetic: any Lua version
      tree:add(s.pf, range)
    end
    return off + node.w
  elseif t == "bytes" then
    local n = node.len
    if type(n) == "string" then n = f[n] end
    need(tvb, off, n, node.where)
    local item
    item = tree:add(node.pf, tvb(off, n))
    if n == 0 then item:set_text(node.n .. ": (0 octets)") end
    if node.seq and n > 0 then
      local sub, at = tvb(off, n):tvb(), 0
      while at < n do at = run_struct(node.seq, sub, at, item) end
    end
    if node.chain and n > 0 and (node.when == nil or node.when(f)) then
      inner_chain(node, tvb(off, n):tvb(), item)
    end
    return off + n
  elseif t == "struct" then
    return (run_struct(node.s, tvb, off, tree))
  elseif t == "array" then
    for _ = 1, f[node.count] do off = run(node.elem, tvb, off, tree, f) end
    return off
  elseif t == "switch" then
    local case = node.cases[f[node.key]]
    if case == nil then
      bad(string.format("%s: %s = %s has no layout", node.where, node.key,
                        tostring(f[node.key])))
    end
    if case == false then return off end
    return run(case, tvb, off, tree, f)
  elseif t == "if" then
    if node.cond(f) then return run(node.sub, tvb, off, tree, f) end
    return off
  end
  error("mckm_mikey: unknown node " .. tostring(t))
end

run_struct = function(name, tvb, off, tree)
  local s = S[name]
  need(tvb, off, 1, s.name)
  local item = tree:add(s.pf, tvb(off))
  local f = {{}}
  local ok, res = pcall(function()
    local at = off
    for _, node in ipairs(s.fields) do at = run(node, tvb, at, item, f) end
    return at
  end)
  if not ok then
    if getmetatable(res) == Bad and not res.shown then
      item:add_proto_expert_info(ef_malformed, res.text)
      res.shown = true
    end
    error(res, 0)
  end
  item:set_len(res - off)
  if s.label then
    local v = f[s.label[1]]
    item:append_text(": " .. (s.label[2][v] or ("unassigned " .. tostring(v))))
  end
  return res, f
end

-- RFC 3830 6.1: each payload's Next Payload names the next, 0 ends the chain, a terminal
-- payload (SIGN) has none and is last.
walk_chain = function(tvb, off, tree, next_type, seen)
  while next_type ~= LAST do
    local entry = CHAIN[next_type]
    if entry == nil then
      bad(string.format("offset %d: payload type %d cannot stand in a message's chain; " ..
                        "the rest cannot be delimited (RFC 3830 6.1)", off, next_type))
    end
    local fields
    off, fields = run_struct(entry.s, tvb, off, tree)
    if seen then seen[#seen + 1] = {{ name = entry.name, fields = fields }} end
    if entry.terminal then break end
    next_type = fields[S[entry.s].next]
  end
  return off
end

-- Payloads inside an octet field (models/grammar/inner_chains.py).
inner_chain = function(node, tvb, tree)
  local outer = within
  within = outer .. node.where .. ", offsets within it: "
  local ok, res = pcall(function() return read_inner(node, tvb, tree) end)
  within = outer
  if not ok then error(res, 0) end
end

read_inner = function(node, tvb, tree)
  local off = 0
  if node.chain == "payloads" then
    tree:add(FIRST_PAYLOAD, tvb(0, 1))
    off = walk_chain(tvb, 1, tree, tvb(0, 1):uint())
  elseif node.chain == "one" then
    -- one payload; its Next Payload is set to 0 and ignored (TS 33.180 E.5)
    off = run_struct(node.one, tvb, 0, tree)
  else
    local fields
    repeat
      off, fields = run_struct(KEY_DATA.s, tvb, off, tree)
      local nxt = fields[S[KEY_DATA.s].next]
      if nxt ~= LAST and nxt ~= KEY_DATA.number then
        bad(string.format("a Key data sub-payload followed by payload type %d " ..
                          "(RFC 3830 6.13: %d or %d)", nxt, KEY_DATA.number, LAST))
      end
    until nxt == LAST
  end
  if off ~= tvb:len() then
    bad(string.format("%d trailing octets after the payload chain", tvb:len() - off))
  end
end

-- The first break of the data type's presence rule (as mckm's decoder words it), or nil.
local function presence(hdr, seen)
  local rule = RULES[hdr[DATA_TYPE_FIELD]]
  if rule == nil then return nil end
  local function has(list, v)
    for _, x in ipairs(list) do if x == v then return true end end
    return false
  end
  for _, h in ipairs(rule.hdr) do
    if not has(h[2], hdr[h[1]]) then
      return string.format("%s requires HDR %s in [%s], got %s", rule.where, h[1],
                           table.concat(h[2], ", "), tostring(hdr[h[1]]))
    end
  end
  local slots, counts = {{}}, {{}}
  for _, s in ipairs(rule.slots) do slots[s[1]] = s end
  for i, p in ipairs(seen) do
    local slot = slots[p.name]
    if slot == nil then return rule.where .. " does not allow a " .. p.name .. " payload" end
    counts[p.name] = (counts[p.name] or 0) + 1
    if slot[3] and counts[p.name] > slot[3] then
      return string.format("%s allows at most %d %s payload(s)", rule.where, slot[3], p.name)
    end
    if slot[4] and i ~= #seen then
      return rule.where .. " requires " .. p.name .. " to be the last payload"
    end
  end
  for _, s in ipairs(rule.slots) do
    if (counts[s[1]] or 0) < s[2] then
      return string.format("%s requires %s %d %s payload(s), found %d", rule.where,
                           s[3] == s[2] and "exactly" or "at least", s[2], s[1],
                           counts[s[1]] or 0)
    end
  end
  for _, group in ipairs(rule.exclusive) do
    local n = 0
    for _, g in ipairs(group) do if counts[g] then n = n + 1 end end
    if n > 1 then return rule.where .. " allows only one of " .. table.concat(group, "|") end
  end
  local last = #seen > 0 and seen[#seen].name or "HDR"
  if not has(rule.last, last) then
    return string.format("%s requires %s as the last payload, found %s", rule.where,
                         table.concat(rule.last, " or "), last)
  end
  for _, r in ipairs(rule.roles) do
    for _, role in ipairs(r[3]) do
      local found = false
      for _, p in ipairs(seen) do
        if p.name == r[1] and p.fields[r[2]] == role then found = true end
      end
      if not found then
        return string.format("%s requires a %s payload with role %d", rule.where, r[1], role)
      end
    end
  end
  return nil
end

local function dissect(tvb, pinfo, tree)
  local root = tree:add(proto, tvb())
  local ok, res = pcall(function()
    local off, hdr = run_struct(HDR, tvb, 0, root)
    local label = "MIKEY"
    if DATA_TYPE_FIELD then
      local dt = hdr[DATA_TYPE_FIELD]
      label = "MIKEY " .. (DATA_TYPE_NAMES[dt] or ("data type " .. tostring(dt)))
    end
    root:append_text(": " .. label)
    if pinfo.match_uint == {port} then
      pinfo.cols.protocol:set("MIKEY")
      pinfo.cols.info:set(label)
    else
      pinfo.cols.info:append(" (" .. label .. ")")
    end
    local seen = {{}}
    off = walk_chain(tvb, off, root, hdr[S[HDR].next], seen)
    if off ~= tvb:len() then
      bad(string.format("%d trailing octets after the last payload at offset %d (RFC 3830 6.1)",
                        tvb:len() - off, off))
    end
    local broken = DATA_TYPE_FIELD and presence(hdr, seen)
    if broken then root:add_proto_expert_info(ef_presence, broken) end
  end)
  if not ok then
    if getmetatable(res) ~= Bad then error(res, 0) end
    if not res.shown then root:add_proto_expert_info(ef_malformed, res.text) end
  end
  return tvb:len()
end

function proto.dissector(tvb, pinfo, tree)
  return dissect(tvb, pinfo, tree)
end

DissectorTable.get("udp.port"):add({port}, proto)
DissectorTable.get("key_mgmt"):add({kmpid}, proto)
"""

__all__ = ["FILE_NAME", "field_name", "lua_expr", "lua_str", "render", "slug",
           "struct_field_name"]
