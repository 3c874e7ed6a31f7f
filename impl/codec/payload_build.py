"""One MIKEY payload to octets, with its Next Payload field written from the payload order.

RFC 3830 6.1: each payload's Next Payload names the type of the one that follows (0 after the
last; SIGN has none and is always last).  The checked generated builder (``codegen``) writes a
payload whose fields are plainly in range; otherwise :func:`~.field_ranges.field_problem` words
the problem as an :class:`~mckm.impl.errors.EncodeError`, or, finding none, the plain generated
builder or construct builds it.
"""

from __future__ import annotations

import io

from mckm.impl.codec.codegen import Builder, Tails, builder, checked_builder
from mckm.impl.codec.field_ranges import field_problem
from mckm.impl.codec.grammars import BUILD, LAST, context
from mckm.impl.codec.model import Payload
from mckm.impl.codec.policy_params import sp_params_problem
from mckm.impl.errors import EncodeError
from mckm.models.grammar.dsl import PayloadSpec, StructSpec
from mckm.models.grammar.registry import BY_NAME
from mckm.models.grammar.rfc3830 import SP

_NUMBERS = {name: int(p.number) for name, p in BY_NAME.items() if p.number is not None}

#: field_problem's check of a whole SP (RFC 3830 6.10), for the checked builders.
_TAILS: Tails = {id(SP.spec): lambda fields: sp_params_problem(fields["policy_params"])}


def payload_number(name: str | None) -> int:
    """The Next Payload value that announces the payload ``name`` (None: the end of the chain)."""
    if name is None:
        return LAST
    number = _NUMBERS.get(name)
    if number is None:
        raise EncodeError(f"unknown payload {name!r}")
    return number


def _fast_builders(spec: StructSpec) -> tuple[Builder, Builder] | None:
    checked, plain = checked_builder(spec, _TAILS), builder(spec)
    return None if checked is None or plain is None else (checked, plain)


#: generated builders (``codegen``): (checked, plain); None where a grammar has no fast path.
FAST_BUILD: dict[str, tuple[Builder, Builder] | None] = {
    name: _fast_builders(p.spec) for name, p in BY_NAME.items()}


def build_one(spec: PayloadSpec, payload: Payload, next_number: int, out: bytearray) -> None:
    """Append ``payload`` to ``out``.  The checked generated builder does it when every field
    is plainly in range; otherwise :func:`field_problem` words the problem, or, finding none,
    the plain generated builder builds, or construct when that one declines."""
    fast = FAST_BUILD[spec.name]
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
        BUILD[spec.name](obj, stream, context())
    except Exception as exc:
        raise EncodeError(f"{spec.name}: {type(exc).__name__}: {exc}") from exc
    out += stream.getvalue()
