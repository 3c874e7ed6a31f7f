"""Decode one MIKEY message: walk the payload chain, parse each payload, check the presence rules.

RFC 3830 6.1: HDR's Next Payload names the first payload, each payload's Next Payload the next,
0 ends the chain, and SIGN, which has no Next Payload, is always last.  Each payload is parsed
by :mod:`~mckm.impl.codec.payload_parse` (which names the field and offset of a failure); the SP
policy params are checked (RFC 3830 6.10); then the presence rules of the data type
(:mod:`~mckm.impl.codec.presence`).  Every exception other than
:class:`~mckm.impl.errors.DecodeError` is turned into one: decode never raises anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mckm.impl.codec.grammars import (
    CHAIN,
    LAST,
    MAX_MESSAGE_OCTETS,
    MAX_PAYLOADS,
    SUPPORTED_VERSION,
)
from mckm.impl.codec.model import Message, Payload, Span
from mckm.impl.codec.payload_parse import parse_at
from mckm.impl.codec.policy_params import sp_params_problem
from mckm.impl.codec.presence import presence_problem
from mckm.impl.errors import DecodeError
from mckm.models.grammar.messages import BY_DATA_TYPE, NOT_MODELLED
from mckm.models.grammar.namespaces import DATA_TYPE, PAYLOAD_TYPE
from mckm.models.grammar.registry import BY_NUMBER, HDR


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
    fields, end, next_type = parse_at(HDR, data, 0)
    hdr = Payload("HDR", fields)
    check_hdr(hdr)
    spans = [Span("HDR", 0, end)]
    payloads: list[Payload] = []
    previous = "HDR"
    while next_type != LAST:
        offset = end
        spec = CHAIN.get(next_type)
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
        fields, end, next_type = parse_at(spec, data, offset)
        if name == "SP":
            _check_sp(fields, offset)
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


def check_hdr(hdr: Payload) -> None:
    """Version 1 (RFC 3830 6.1) and a data type this codec models (RFC 3830, 6043, 6509)."""
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


def _check_sp(fields: Mapping[str, Any], offset: int) -> None:
    """The SP policy params tile exactly (RFC 3830 6.10); they start 5 octets into SP."""
    problem = sp_params_problem(fields["policy_params"])
    if problem is not None:
        raise DecodeError(problem, offset=offset + 5, payload="SP", field="policy_params")
