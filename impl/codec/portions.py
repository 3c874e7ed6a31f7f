"""The octets of a MIKEY message that its SIGN signature or its V MAC covers on the wire.

RFC 3830 5.2, 6.5 and RFC 6509 4.3: the signature covers everything before the signature field,
SIGN's own 2-octet S type / Signature len included.  RFC 3830 6.9 and RFC 6043 5.5: the MAC
covers everything before the Verification data, V's own 2 octets included (callers append the
identities or the initial message as RFC 6043 Table 5.2 says).
"""

from __future__ import annotations

from mckm.impl.codec.decoder import decode
from mckm.impl.codec.model import Message
from mckm.impl.errors import DecodeError


def signed_portion(raw: bytes) -> bytes:
    """The octets covered by the SIGN payload of the message ``raw``: everything before the
    signature field, i.e. including SIGN's 2-octet S type / Signature len (RFC 3830 5.2, 6.5;
    RFC 6509 4.3).  Raises DecodeError if ``raw`` does not decode or has no SIGN."""
    return _before(raw, "SIGN")


def mac_portion(raw: bytes) -> bytes:
    """The octets of ``raw`` that the V payload's MAC covers on the wire: everything before the
    Verification data (RFC 3830 6.9, RFC 6043 5.5; callers append the identities or the initial
    message as RFC 6043 Table 5.2 says)."""
    return _before(raw, "V")


def _before(raw: bytes, payload: str) -> bytes:
    return portion_before(decode(raw), raw, payload)


def portion_before(message: Message, raw: bytes, payload: str) -> bytes:
    """``raw`` (which ``message`` was decoded from) up to and including the first 2 octets of
    its ``payload`` payload: the S type / Signature len of SIGN, the Next payload / Auth alg of
    V."""
    for span in message.layout:
        if span.payload == payload:
            return raw[: span.offset + 2]
    raise DecodeError(f"{message.data_type_name} message has no {payload} payload")
