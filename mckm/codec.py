"""The MIKEY codec (RFC 3830, RFC 4563, RFC 6043, RFC 6509; TS 33.180 values): the supported
import path.

>>> message = decode(octets)        # Message: .hdr, .payloads, .get("SIGN"), .data_type_name
>>> encode(message) == octets       # canonical: True for every valid message
>>> print(render(message))          # the readable tree of ``mckm codec decode``
>>> to_json(message)                # the JSON form of ``mckm codec decode --raw``

Decoding raises :class:`DecodeError` (offset, payload, field, reason) and nothing else;
encoding raises :class:`EncodeError`.
"""

from typing import Any

from mckm.impl.codec import (
    Message,
    Payload,
    Span,
    decode,
    decode_key_data,
    encode,
    encode_key_data,
    mac_portion,
    signed_portion,
    sp_params,
)
from mckm.impl.codec.chains import decode_chain, encode_chain
from mckm.impl.codec.cli import message_octets
from mckm.impl.codec.jsonform import message_from_json, message_to_json
from mckm.impl.codec.readable import Line, readable_lines, render
from mckm.impl.errors import DecodeError, EncodeError


def to_json(message: Message) -> dict[str, Any]:
    """The JSON form of ``message`` (what ``mckm codec decode --raw`` prints): octet strings in
    lower-case hex, enumerated fields as ``{"value": n, "name": "..."}``, no length or Next
    Payload fields (encode recomputes them)."""
    return message_to_json(message)


def from_json(obj: Any) -> Message:
    """The message described by the JSON form ``obj`` (what ``mckm codec encode`` reads); an
    enumerated field may also be a bare integer.  Raises :class:`EncodeError` naming the field
    that is missing or malformed."""
    return message_from_json(obj)


__all__ = ["DecodeError", "EncodeError", "Line", "Message", "Payload", "Span", "decode",
           "decode_chain", "decode_key_data", "encode", "encode_chain", "encode_key_data",
           "from_json", "mac_portion", "message_octets", "readable_lines", "render",
           "signed_portion", "sp_params", "to_json"]
