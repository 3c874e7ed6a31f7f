"""Payload chains inside payloads: Key data sub-payloads and the RFC 6043 inner chains.

* The plaintext of KEMAC's encrypted data is a chain of Key data sub-payloads (RFC 3830 6.2,
  6.13): Next Payload 20 (Key data) between them, 0 after the last.
* TP Data, Ticket Data and Initiator Data carry "First Payload octet, then MIKEY payloads"
  (RFC 6043 6.10).

Which octet fields of a message hold such chains is declared once, in
:mod:`mckm.models.grammar.inner_chains`; :func:`decode_inner` reads a field so declared.

Decoding raises :class:`~mckm.impl.errors.DecodeError` and nothing else; encoding raises
:class:`~mckm.impl.errors.EncodeError`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from mckm.impl.codec.grammars import CONVERT, LAST, MAX_PAYLOADS, context
from mckm.impl.codec.model import Payload
from mckm.impl.codec.payload_build import build_one, payload_number
from mckm.impl.codec.payload_parse import parse_at, parse_one
from mckm.impl.errors import DecodeError, EncodeError
from mckm.models.grammar.inner_chains import BY_FIELD, InnerChain
from mckm.models.grammar.registry import BY_NAME, BY_NUMBER
from mckm.models.grammar.rfc3830 import KEY_DATA


def decode_key_data(plaintext: bytes) -> list[Payload]:
    """Parse a chain of Key data sub-payloads (Next Payload 20 between them, 0 at the end)."""
    try:
        data = bytes(plaintext)
        offset = 0
        out: list[Payload] = []
        while True:
            if len(out) >= MAX_PAYLOADS:
                raise DecodeError("too many Key data sub-payloads", offset=offset)
            fields, offset, next_type = parse_at(KEY_DATA, data, offset)
            out.append(Payload("KEY_DATA", fields))
            if next_type == LAST:
                break
            if next_type != KEY_DATA.number:
                raise DecodeError(f"Key data sub-payload followed by type {next_type}"
                                  " (only 20 or 0 allowed)", offset=offset,
                                  payload="KEY_DATA", field="next_payload")
        if offset != len(data):
            raise DecodeError(f"{len(data) - offset} trailing octets after Key data",
                              offset=offset, payload="KEY_DATA")
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
        following = KEY_DATA.number if index + 1 < len(keys) else LAST
        build_one(KEY_DATA, key, following or LAST, out)
    return bytes(out)


def decode_chain(octets: bytes) -> list[Payload]:
    """Parse "First Payload octet, then MIKEY payloads" (RFC 6043 6.10 TP/Ticket/Initiator
    Data).  Raises DecodeError for anything else."""
    try:
        data = bytes(octets)
        if not data:
            raise DecodeError("empty payload chain: the First Payload octet is missing",
                              offset=0)
        offset = 1
        out: list[Payload] = []
        next_type = data[0]
        while next_type != LAST:
            spec = BY_NUMBER.get(next_type)
            if spec is None or len(out) >= MAX_PAYLOADS:
                raise DecodeError(f"unknown or too many payloads (type {next_type})",
                                  offset=offset)
            fields, offset, next_type = parse_at(spec, data, offset)
            out.append(Payload(spec.name, fields))
            if spec.terminal:
                break
        if offset != len(data):
            raise DecodeError(f"{len(data) - offset} trailing octets in payload chain",
                              offset=offset)
        return out
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"internal decoder failure: {exc}") from exc


def encode_chain(payloads: Sequence[Payload]) -> bytes:
    """Build "First Payload octet, then the payloads" (RFC 6043 6.10)."""
    out = bytearray([payload_number(payloads[0].name) if payloads else LAST])
    for index, payload in enumerate(payloads):
        spec = BY_NAME.get(payload.name)
        if spec is None or spec.number is None:
            raise EncodeError(f"entry {index}: {payload.name!r} is not a payload")
        following = payloads[index + 1].name if index + 1 < len(payloads) else None
        build_one(spec, payload, payload_number(following), out)
    return bytes(out)


def decode_one(name: str, octets: bytes) -> Payload:
    """Parse exactly one payload of type ``name`` filling ``octets``; its Next Payload is not
    looked at (TS 33.180 E.5: in a SAKKE-to-self extension it "shall be set to zero and
    ignored")."""
    spec = BY_NAME.get(name)
    if spec is None or spec.number is None:
        raise DecodeError(f"{name!r} is not a payload")
    try:
        data = bytes(octets)
        stream = io.BytesIO(data)
        raw = parse_one(spec, data, stream, context())
        if stream.tell() != len(data):
            raise DecodeError(f"{len(data) - stream.tell()} trailing octets after the {name} "
                              "payload", offset=stream.tell(), payload=name)
        return Payload(name, CONVERT[name](raw))
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"internal decoder failure: {exc}") from exc


def decode_inner(chain: InnerChain, octets: bytes) -> list[Payload]:
    """The payloads in the octets of a field declared in ``models/grammar/inner_chains``."""
    if chain.kind == "payloads":
        return decode_chain(octets)
    if chain.kind == "key_data":
        return decode_key_data(octets)
    assert chain.one is not None
    return [decode_one(chain.one, octets)]


def inner_payloads(payload: Payload) -> dict[str, list[Payload]]:
    """Field name -> the payloads it holds, for each inner-chain field of ``payload`` that is
    to be read (a NULL-encrypted KEMAC's Key data, a SAKKE-to-self's SAKKE, TP Data, ...).
    A field whose octets are not such payloads raises DecodeError naming it."""
    out: dict[str, list[Payload]] = {}
    for (name, field), chain in BY_FIELD.items():
        if name != payload.name or not chain.holds_payloads(payload.fields):
            continue
        try:
            out[field] = decode_inner(chain, payload.fields[field])
        except DecodeError as exc:
            raise DecodeError(f"({chain.clause}) the payloads in its octets: {exc}",
                              payload=name, field=field) from exc
    return out
