"""One MIKEY payload from octets, with a diagnosis that names the field when it does not parse.

The generated offset-based parser (``codegen``) reads a payload when it can; otherwise construct's
compiled parser decides, and when that fails the payload is parsed again field by field with the
interpreted grammar, so the :class:`~mckm.impl.errors.DecodeError` names the field and its offset
(RFC 3830 6: every payload's layout; a choice keyed by a field with no defined layout cannot be
delimited).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import construct as c

from mckm.impl.codec.codegen import Parser, parser
from mckm.impl.codec.grammars import CONVERT, LAST, PARSE, context
from mckm.impl.errors import DecodeError
from mckm.models.grammar.dsl import FieldInfo, PayloadSpec
from mckm.models.grammar.registry import BY_NAME

#: generated offset-based parsers (``codegen``); None where a grammar has no fast path.
FAST_PARSE: dict[str, Parser | None] = {name: parser(p.spec) for name, p in BY_NAME.items()}


def parse_at(spec: PayloadSpec, data: bytes, offset: int) -> tuple[dict[str, Any], int, int]:
    """(object fields, end offset, Next Payload) of the ``spec`` payload at ``offset``: the
    generated parser when it succeeds, else construct's (which also diagnoses failures)."""
    fast = FAST_PARSE[spec.name]
    if fast is not None:
        try:
            return fast(data, offset, len(data))
        except Exception:  # the construct path below decides and diagnoses
            pass
    stream = io.BytesIO(data)
    stream.seek(offset)
    raw = parse_one(spec, data, stream, context())
    return CONVERT[spec.name](raw), stream.tell(), LAST if spec.terminal else raw["next_payload"]


class StrictIO(io.BytesIO):
    """A stream whose short reads raise (construct's compiled Bytes does not check them)."""

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        if size is not None and size >= 0 and len(out) != size:
            raise c.StreamError(f"needed {size} octets, {len(out)} left")
        return out


def parse_one(spec: PayloadSpec, data: bytes, stream: io.BytesIO, ctx: dict[str, Any]) -> Any:
    """construct's container of the ``spec`` payload at the position of ``stream`` (advanced past
    it); a DecodeError naming the field and offset if it does not parse."""
    start = stream.tell()
    try:
        raw = PARSE[spec.name](stream, ctx)
        if stream.tell() < len(data):
            return raw  # a short read can only happen at the end of the data
        strict = StrictIO(data)
        strict.seek(start)
        raw = PARSE[spec.name](strict, ctx)
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
    parent = c.Container(context())
    ctx = c.Container(_=parent, _params=parent._params, _root=None, _parsing=True,
                      _building=False, _sizing=False, _subcons=None, _io=stream, _index=None)
    ctx._root = ctx
    infos = {i.name: i for i in spec.spec.infos}
    for sc in spec.spec.grammar.subcons:
        at = stream.tell()
        try:
            value = sc._parsereport(stream, ctx, "(parsing)")
        except Exception as exc:
            info = infos.get(sc.name)
            key_info = infos.get(info.key) if info is not None and info.key else None
            raise DecodeError(_reason(exc, info, key_info, ctx, data, at), offset=at,
                              payload=spec.name, field=_public_name(sc.name, spec)) from None
        ctx[sc.name] = value


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
