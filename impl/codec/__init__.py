"""MIKEY codec over the grammars of ``mckm.models.grammar`` (RFC 3830, 6043, 6509; TS 33.180).

>>> from mckm.impl.codec import decode, encode
>>> message = decode(raw)            # Message: .hdr, .payloads, .get("SIGN"), .signed_portion
>>> encode(message) == raw           # canonical: True for every valid message

Errors: :class:`~mckm.impl.errors.DecodeError` (offset, payload, field, reason) from decode,
:class:`~mckm.impl.errors.EncodeError` from encode; nothing else escapes.
"""

from mckm.impl.codec.chains import decode_key_data, encode_key_data
from mckm.impl.codec.decoder import decode
from mckm.impl.codec.encoder import encode
from mckm.impl.codec.model import Message, Payload, Span
from mckm.impl.codec.policy_params import sp_params
from mckm.impl.codec.portions import mac_portion, signed_portion

__all__ = ["Message", "Payload", "Span", "decode", "decode_key_data", "encode",
           "encode_key_data", "mac_portion", "signed_portion", "sp_params"]
