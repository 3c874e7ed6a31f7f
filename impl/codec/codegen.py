"""Straight-line parse and build functions generated from the payload grammars.

construct's compiled grammars read a stream and keep a context dict per structure; these read
and write a ``bytes``/``bytearray`` at an offset and keep fields in local variables, which is
several times faster.  They are generated from the same construct trees (``Struct``,
``FormatField``, ``Bytes``, ``Rebuild``, ``Computed``, ``Array``, ``Switch``, ``IfThenElse``,
``Pass``, ``Error``; expressions over ``this[name]`` only), so no layout is written twice.

They are a fast path only: a parser raises on any short read, unknown layout or other
irregularity, and a builder on any value it is not sure of; the engine then takes the
construct path, which produces the error (or the result) exactly as before.  A grammar with a
construct this module does not know gets no fast path (:func:`parser` returns None).

A *checked* builder (:func:`checked_builder`) first tests the same field ranges as the engine's
``field_problem``, generated from the same ``FieldInfo`` lists, then builds.  It only decides
"all in range": on any doubt it raises :class:`CheckFailed` and the engine runs
``field_problem`` itself, so the wording and order of encode errors have one home.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from types import FunctionType
from typing import Any

import construct as c

from mckm.models.grammar.dsl import FieldInfo, StructSpec, all_structs

#: parse(data, offset, len(data)) -> (object fields, end offset, Next Payload value or 0)
Parser = Callable[[bytes, int, int], tuple[dict[str, Any], int, int]]
#: build(fields, next_payload, out): append the payload to ``out``
Builder = Callable[[dict[str, Any], int, bytearray], None]
#: extra whole-structure check (fields -> problem or None), by ``id`` of the StructSpec
Tails = dict[int, Callable[[dict[str, Any]], object]]

_PATH = re.compile(r"this\['([A-Za-z_][A-Za-z0-9_]*)'\]")


class _Unsupported(Exception):
    """The grammar uses a construct the generator does not handle."""


class CheckFailed(Exception):
    """A checked builder met a field it does not know to be in range (the engine's
    ``field_problem`` then words the problem, or finds none)."""


def _unwrap(sc: c.Construct) -> c.Construct:
    while isinstance(sc, c.Renamed):
        sc = sc.subcon
    return sc


def _expr(value: Any, names: dict[str, str]) -> str:
    """Python source of a construct ``this`` expression over the local variables ``names``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    if not isinstance(value, (c.Path, c.BinExpr, c.FuncPath)):
        raise _Unsupported(f"expression {value!r}")
    text = repr(value)

    def local(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            raise _Unsupported(f"{match.group(1)} is not a field of this structure")
        return names[match.group(1)]

    out = _PATH.sub(local, text)
    if "this" in out:
        raise _Unsupported(f"expression {text}")
    return out.replace("len_(", "len(")


class _Gen:
    """Emits one module of functions for one payload grammar."""

    def __init__(self, root: StructSpec, tails: Tails | None = None) -> None:
        self.specs = {id(s.grammar): s for s in all_structs(root)}
        self.tails = tails or {}
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {"CheckFailed": CheckFailed}
        self.done: dict[object, str] = {}
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any, prefix: str) -> str:
        name = self.fresh(prefix)
        self.consts[name] = value
        return name

    def spec_of(self, grammar: c.Construct) -> StructSpec:
        spec = self.specs.get(id(grammar))
        if spec is None:
            raise _Unsupported("a structure without a StructSpec")
        return spec

    # ---------------------------------------------------------------------------- parsing

    def parse_struct(self, grammar: c.Construct, top: bool) -> str:
        """Name of a function (data, pos, n) -> (dict, pos[, next_payload])."""
        if id(grammar) in self.done:
            return self.done[id(grammar)]
        spec = self.spec_of(grammar)
        fname = self.fresh("p_")
        self.done[id(grammar)] = fname
        body: list[str] = []
        names: dict[str, str] = {}
        for sc in grammar.subcons:
            if not sc.name:
                raise _Unsupported("an unnamed field")
            var = f"v_{sc.name}"
            self.parse_value(_unwrap(sc), var, names, body, "    ")
            names[sc.name] = var
        fields = ", ".join(f"{i.name!r}: {names[i.name]}" for i in spec.infos if i.in_object)
        nxt = names.get("next_payload", "0")
        result = f"{{{fields}}}, pos, {nxt}" if top else f"{{{fields}}}, pos"
        self.lines += [f"def {fname}(data, pos, n):", *body, f"    return {result}", ""]
        return fname

    def parse_value(self, sc: c.Construct, var: str, names: dict[str, str], body: list[str],
                    ind: str) -> None:
        if isinstance(sc, c.Rebuild):
            self.parse_value(_unwrap(sc.subcon), var, names, body, ind)
        elif isinstance(sc, c.FormatField):
            if sc.fmtstr == ">B":
                body += [f"{ind}{var} = data[pos]", f"{ind}pos += 1"]
            else:
                fmt = self.const(struct.Struct(sc.fmtstr).unpack_from, "u_")
                body += [f"{ind}{var} = {fmt}(data, pos)[0]", f"{ind}pos += {sc.length}"]
        elif isinstance(sc, c.Bytes):
            length = _expr(sc.length, names)
            body += [f"{ind}end = pos + {length}",
                     f"{ind}if end > n:", f"{ind}    raise IndexError",
                     f"{ind}{var} = data[pos:end]", f"{ind}pos = end"]
        elif isinstance(sc, c.Computed):
            body.append(f"{ind}{var} = {_expr(sc.func, names)}")
        elif sc is c.Pass:
            body.append(f"{ind}{var} = None")
        elif isinstance(sc, c.Array):
            if sc.discard:
                raise _Unsupported("a discarding Array")
            count = self.fresh("k_")
            item = _unwrap(sc.subcon)
            body += [f"{ind}{count} = {_expr(sc.count, names)}",
                     f"{ind}if {count} < 0:", f"{ind}    raise IndexError"]
            if isinstance(item, c.FormatField) and item.fmtstr == ">B":
                body += [f"{ind}end = pos + {count}",
                         f"{ind}if end > n:", f"{ind}    raise IndexError",
                         f"{ind}{var} = list(data[pos:end])", f"{ind}pos = end"]
            elif isinstance(item, c.Struct):
                sub = self.parse_struct(item, top=False)
                body += [f"{ind}{var} = []",
                         f"{ind}for _ in range({count}):",
                         f"{ind}    one, pos = {sub}(data, pos, n)",
                         f"{ind}    {var}.append(one)"]
            else:
                body += [f"{ind}{var} = []", f"{ind}for _ in range({count}):"]
                self.parse_value(item, "one", names, body, ind + "    ")
                body.append(f"{ind}    {var}.append(one)")
        elif isinstance(sc, c.Struct):
            sub = self.parse_struct(sc, top=False)
            body.append(f"{ind}{var}, pos = {sub}(data, pos, n)")
        elif isinstance(sc, c.Switch):
            if _unwrap(sc.default) is not c.Error:
                raise _Unsupported("a Switch with a default case")
            key = self.fresh("s_")
            body.append(f"{ind}{key} = {_expr(sc.keyfunc, names)}")
            word = "if"
            for value, case in sc.cases.items():
                if not isinstance(value, int):
                    raise _Unsupported("a non-integer Switch key")
                body.append(f"{ind}{word} {key} == {value!r}:")
                self.parse_value(_unwrap(case), var, names, body, ind + "    ")
                word = "elif"
            body += [f"{ind}else:", f"{ind}    raise IndexError"] if word == "elif" else [
                f"{ind}raise IndexError"]
        elif isinstance(sc, c.IfThenElse):
            body.append(f"{ind}if {_expr(sc.condfunc, names)}:")
            self.parse_value(_unwrap(sc.thensubcon), var, names, body, ind + "    ")
            body.append(f"{ind}else:")
            self.parse_value(_unwrap(sc.elsesubcon), var, names, body, ind + "    ")
        else:
            raise _Unsupported(type(sc).__name__)

    # ---------------------------------------------------------------------------- building

    def build_struct(self, grammar: c.Construct, top: bool, checked: bool = False) -> str:
        """Name of a function (fields[, next_payload], out) that appends the structure
        (``checked``: after the range checks of :meth:`check_fields`)."""
        key = ("build", id(grammar), top, checked)
        if key in self.done:
            return self.done[key]
        spec = self.spec_of(grammar)
        fname = self.fresh("b_")
        self.done[key] = fname
        body: list[str] = []
        names: dict[str, str] = {}
        for info in spec.infos:  # object fields first: Rebuild expressions look ahead
            if info.in_object:
                names[info.name] = f"v_{info.name}"
        if checked:
            self.check_fields(spec, body)
        else:
            body += [f"    {var} = f[{name!r}]" for name, var in names.items()]
        for sc in grammar.subcons:
            var = f"v_{sc.name}"
            inner = _unwrap(sc)
            if sc.name == "next_payload" and top and not isinstance(inner, c.Computed):
                body.append(f"    {var} = nxt")
                inner = _unwrap(inner.subcon) if isinstance(inner, c.Rebuild) else inner
                self.build_value(inner, var, names, body, "    ")
            elif isinstance(inner, c.Rebuild):
                body.append(f"    {var} = {_expr(inner.func, names)}")
                self.build_value(_unwrap(inner.subcon), var, names, body, "    ")
            elif isinstance(inner, c.Computed):
                if sc.name not in names:
                    body.append(f"    {var} = {_expr(inner.func, names)}")
            else:
                self.build_value(inner, var, names, body, "    ")
            names[sc.name] = var
        args = "f, nxt, out" if top else "f, out"
        self.lines += [f"def {fname}({args}):", *body, "    return None", ""]
        return fname

    def build_value(self, sc: c.Construct, var: str, names: dict[str, str], body: list[str],
                    ind: str) -> None:
        if isinstance(sc, c.FormatField):
            if sc.fmtstr == ">B":
                body.append(f"{ind}out.append({var})")
            else:
                fmt = self.const(struct.Struct(sc.fmtstr).pack, "w_")
                body.append(f"{ind}out += {fmt}({var})")
        elif isinstance(sc, c.Bytes):
            body += [f"{ind}if len({var}) != {_expr(sc.length, names)}:",
                     f"{ind}    raise ValueError", f"{ind}out += {var}"]
        elif sc is c.Pass:
            pass
        elif isinstance(sc, c.Array):
            item = _unwrap(sc.subcon)
            body += [f"{ind}if len({var}) != {_expr(sc.count, names)}:",
                     f"{ind}    raise ValueError"]
            if isinstance(item, c.FormatField) and item.fmtstr == ">B":
                body.append(f"{ind}out += bytes({var})")
            elif isinstance(item, c.Struct):
                sub = self.build_struct(item, top=False)
                body += [f"{ind}for one in {var}:", f"{ind}    {sub}(one, out)"]
            else:
                body.append(f"{ind}for one in {var}:")
                self.build_value(item, "one", names, body, ind + "    ")
        elif isinstance(sc, c.Struct):
            sub = self.build_struct(sc, top=False)
            body.append(f"{ind}{sub}({var}, out)")
        elif isinstance(sc, c.Switch):
            if _unwrap(sc.default) is not c.Error:
                raise _Unsupported("a Switch with a default case")
            key = self.fresh("s_")
            body.append(f"{ind}{key} = {_expr(sc.keyfunc, names)}")
            word = "if"
            for value, case in sc.cases.items():
                body.append(f"{ind}{word} {key} == {value!r}:")
                self.build_value(_unwrap(case), var, names, body, ind + "    ")
                body.append(f"{ind}    pass")
                word = "elif"
            body += [f"{ind}else:", f"{ind}    raise ValueError"] if word == "elif" else [
                f"{ind}raise ValueError"]
        elif isinstance(sc, c.IfThenElse):
            body.append(f"{ind}if {_expr(sc.condfunc, names)}:")
            self.build_value(_unwrap(sc.thensubcon), var, names, body, ind + "    ")
            body += [f"{ind}    pass", f"{ind}else:"]
            self.build_value(_unwrap(sc.elsesubcon), var, names, body, ind + "    ")
            body.append(f"{ind}    pass")
        else:
            raise _Unsupported(type(sc).__name__)

    # ---------------------------------------------------------------------------- checking
    # Each test below is the engine's ``field_problem``/``_value_problem`` test for that kind
    # of field, or a stricter one; the first failure raises CheckFailed.

    def check_struct(self, spec: StructSpec) -> str:
        """Name of a function (fields) that raises CheckFailed unless they are in range."""
        key = ("check", id(spec))
        if key in self.done:
            return self.done[key]
        fname = self.fresh("c_")
        self.done[key] = fname
        body: list[str] = []
        self.check_fields(spec, body)
        self.lines += [f"def {fname}(f):", *body, "    return None", ""]
        return fname

    def check_fields(self, spec: StructSpec, body: list[str]) -> None:
        """Read the object fields of ``spec`` from ``f`` into ``v_<name>`` and check them:
        ``f`` is a dict with exactly these keys, each value in range, then the tail check."""
        infos = [i for i in spec.infos if i.in_object]
        local = {i.name: f"v_{i.name}" for i in infos}
        body += [f"    if type(f) is not dict or len(f) != {len(infos)}:",
                 "        raise CheckFailed",
                 *(f"    {var} = f[{name!r}]" for name, var in local.items())]
        for info in infos:
            self.check_field(info, local, body)
        tail = self.tails.get(id(spec))
        if tail is not None:
            body += [f"    if {self.const(tail, 't_')}(f) is not None:",
                     "        raise CheckFailed"]

    @staticmethod
    def _int_ok(var: str, limit: str) -> str:
        """``var`` is an int but not a bool (``_int_problem``), and 0 <= var < limit."""
        return (f"(type({var}) is int or isinstance({var}, int) and type({var}) is not bool)"
                f" and 0 <= {var} < {limit}")

    def check_field(self, info: FieldInfo, local: dict[str, str], body: list[str]) -> None:
        var = local[info.name]
        fail = "        raise CheckFailed"
        key = local.get(info.key) if info.key is not None else None
        if key is None and info.key is not None and info.kind != "list":
            raise _Unsupported(f"{info.name} is keyed by {info.key}, not an object field")
        if info.kind == "uint":
            if key is not None and info.fixed_sizes is not None:
                width = self.fresh("n_")
                body += [f"    {width} = {self.const(dict(info.fixed_sizes), 'z_')}.get({key})",
                         f"    if {width} is None or not ({self._int_ok(var, f'1 << {width}')}):",
                         fail]
            else:
                body += [f"    if not ({self._int_ok(var, repr(1 << (info.max_bits or 0)))}):",
                         fail]
        elif info.kind == "bytes":
            body += [f"    if not (type({var}) is bytes or isinstance({var}, bytes)):", fail]
            if info.len_bits is not None:
                body += [f"    if len({var}) >= {1 << info.len_bits}:", fail]
            if info.fixed_sizes is not None:
                if key is None:
                    raise _Unsupported(f"{info.name} has sizes but no key")
                sizes = self.const(dict(info.fixed_sizes), "z_")
                body += [f"    if len({var}) != {sizes}.get({key}):", fail]
        elif info.kind == "list":
            body += [f"    if not (type({var}) is list or isinstance({var}, list))"
                     f" or len({var}) > 255:", fail]
            if key is not None:
                body += [f"    if {key} != len({var}):", fail]
            if info.sub is not None:
                body += [f"    for one in {var}:", f"        {self.check_struct(info.sub)}(one)"]
            else:
                limit = repr(1 << (info.max_bits or 8))
                body += [f"    for one in {var}:",
                         f"        if not ({self._int_ok('one', limit)}):", "    " + fail]
        elif info.kind == "optional":
            if info.sub is None:
                raise _Unsupported(f"{info.name} is optional without a structure")
            body += [f"    if {var} is not None:", f"        {self.check_struct(info.sub)}({var})"]
        elif info.kind == "choice":
            if info.cases is None or key is None:
                raise _Unsupported(f"{info.name} is a choice without cases or key")
            count = local.get(info.count_field) if info.count_field is not None else None
            if info.count_field is not None and count is None:
                raise _Unsupported(f"{info.name} is counted by a derived field")
            body += [f"    if type({key}) is not int:", fail]
            word = "if"
            for value, case in info.cases.items():
                body.append(f"    {word} {key} == {value!r}:")
                word = "elif"
                if case is None:
                    body += [f"        if {var} is not None:", "    " + fail]
                elif count is not None:
                    body += [f"        if type({var}) is not list or {count} != len({var}):",
                             "    " + fail,
                             f"        for one in {var}:",
                             f"            {self.check_struct(case)}(one)"]
                else:
                    body.append(f"        {self.check_struct(case)}({var})")
            body += ["    else:", fail] if word == "elif" else ["    raise CheckFailed"]
        else:
            raise _Unsupported(f"field kind {info.kind}")

    def compile(self, name: str) -> Any:
        namespace: dict[str, Any] = dict(self.consts)
        exec(compile("\n".join(self.lines), f"<mckm.codegen {name}>", "exec"), namespace)
        made = [f for f in namespace.values()
                if isinstance(f, FunctionType) and f.__code__.co_filename.startswith("<mckm.")]
        _GENERATED.extend(made)
        for hook in _HOOKS:
            for function in made:
                hook(function)
        return namespace[name]


# -------------------------------------------------------------------------- instrumentation
# The generated functions are made by ``exec``: no import hook (``atheris.instrument_imports``)
# and no ``atheris.instrument_all`` (they belong to no module) ever sees them, so a fuzzer of the
# codec would be blind to its fast path.  :func:`instrument` lets it see them.

#: every function generated so far (parsers, builders, checkers and their helpers)
_GENERATED: list[FunctionType] = []
#: applied to each function generated from now on (see :func:`instrument`)
_HOOKS: list[Callable[[FunctionType], object]] = []


def instrument(hook: Callable[[FunctionType], object]) -> int:
    """Apply ``hook`` to every generated function, those made so far and those made later; the
    number it was applied to now.  ``hook`` must change the function in place (as
    ``atheris.instrument_func`` does, replacing ``__code__``): the functions are already held by
    the codec's tables and call each other by name.  For fuzzing only (``tests/fuzz``)."""
    _HOOKS.append(hook)
    for function in _GENERATED:
        hook(function)
    return len(_GENERATED)


def parser(spec: StructSpec) -> Parser | None:
    """A fast parser of ``spec`` (see the module docstring), or None if it cannot be made."""
    try:
        gen = _Gen(spec)
        return gen.compile(gen.parse_struct(spec.grammar, top=True))  # type: ignore[no-any-return]
    except _Unsupported:
        return None


def builder(spec: StructSpec) -> Builder | None:
    """A fast builder of ``spec`` for fields that passed ``field_problem``, or None."""
    try:
        gen = _Gen(spec)
        return gen.compile(gen.build_struct(spec.grammar, top=True))  # type: ignore[no-any-return]
    except _Unsupported:
        return None


def checked_builder(spec: StructSpec, tails: Tails | None = None) -> Builder | None:
    """A fast builder of ``spec`` that first checks every field as ``field_problem`` does (and
    ``tails[id(s)](fields)`` is None for each structure ``s`` it has) and raises
    :class:`CheckFailed` if one is out of range or of doubtful type; or None."""
    try:
        gen = _Gen(spec, tails)
        built = gen.build_struct(spec.grammar, top=True, checked=True)
        return gen.compile(built)  # type: ignore[no-any-return]
    except _Unsupported:
        return None
