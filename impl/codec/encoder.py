"""Encode one MIKEY message: check it, then build HDR and its payload chain.

Encode checks that HDR and the payloads are well typed, the presence rules of the data type
(:mod:`~mckm.impl.codec.presence`), then builds each payload with
:func:`~mckm.impl.codec.payload_build.build_one`, which checks field ranges and writes the Next
Payload fields from the payload order (RFC 3830 6.1: SIGN, with no Next Payload, must be last).
Problems raise :class:`~mckm.impl.errors.EncodeError`.
"""

from __future__ import annotations

from mckm.impl.codec.grammars import CHAIN_BY_NAME, MAX_MESSAGE_OCTETS
from mckm.impl.codec.model import Message, Payload
from mckm.impl.codec.payload_build import build_one, payload_number
from mckm.impl.codec.presence import presence_problem
from mckm.impl.errors import EncodeError
from mckm.models.grammar.messages import NOT_MODELLED
from mckm.models.grammar.registry import HDR


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
    build_one(HDR, message.hdr, payload_number(first), out)
    last = len(chain) - 1
    for index, payload in enumerate(chain):
        spec = CHAIN_BY_NAME.get(payload.name)
        if spec is None:
            raise EncodeError(f"payload {index}: {payload.name!r} cannot be in a message chain")
        following = chain[index + 1].name if index < last else None
        if spec.terminal and following is not None:
            raise EncodeError(f"{spec.name} has no Next Payload field and must be last")
        build_one(spec, payload, payload_number(following), out)
    if len(out) > MAX_MESSAGE_OCTETS:
        raise EncodeError(f"message of {len(out)} octets exceeds {MAX_MESSAGE_OCTETS}")
    return bytes(out)


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
