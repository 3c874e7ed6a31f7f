"""The policy params of an SP payload: a sequence of (type, length, value) parameters.

RFC 3830 6.10: the SP payload's policy params are Policy param entries, each a type octet, a
length octet and that many octets of value; they must tile the policy params exactly.  The
decoder and the checked builders use :func:`sp_params_problem`; :func:`sp_params` lists them.
"""

from __future__ import annotations

from typing import Any

from mckm.impl.codec.grammars import context
from mckm.impl.codec.model import Payload
from mckm.impl.codec.payload_parse import StrictIO
from mckm.models.grammar.dsl import StructSpec
from mckm.models.grammar.rfc3830 import SP_PARAM


def tlv_shape(spec: StructSpec) -> tuple[int, int]:
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


_SP_HEAD, _SP_LEN = tlv_shape(SP_PARAM)


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


def sp_param_list(params: bytes) -> list[dict[str, Any]]:
    """The type/value list of the policy params ``params`` parsed with the ``SP_PARAM`` grammar;
    ValueError where a parameter overruns them (RFC 3830 6.10)."""
    parse = SP_PARAM.compiled.parsefunc
    stream = StrictIO(params)
    ctx = context()
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
    return sp_param_list(payload.fields["policy_params"])
