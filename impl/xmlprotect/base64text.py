"""Base64 as XML Encryption and XML Signature carry it (``base64Binary``), read strictly.

Whitespace between characters is allowed (xmlsec1 wraps long values over lines); otherwise the
text must be the canonical RFC 4648 4 encoding of its octets: the alphabet, whole quanta and
padding only at the end, zero pad bits.  Anything else is refused, so one octet string has one
accepted spelling.
"""

from __future__ import annotations

import binascii

from mckm.impl.errors import DecodeError

#: the XML white space (XML 1.0 2.3 S) allowed between base64 characters.
_WHITESPACE = b" \t\r\n"


def encode(data: bytes) -> str:
    """RFC 4648 4 base64 of ``data``."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def decode(text: str | None, *, payload: str, field: str) -> bytes:
    """The octets of base64 ``text``; a DecodeError naming ``payload`` and ``field`` if it is
    not canonical base64."""
    try:
        raw = (text or "").encode("ascii").translate(None, _WHITESPACE)
        value = binascii.a2b_base64(raw, strict_mode=True)  # the alphabet, padding at the end
    except (binascii.Error, UnicodeEncodeError):
        raise DecodeError(f"{_show(text or '')} is not base64", payload=payload,
                          field=field) from None
    if binascii.b2a_base64(value, newline=False) != raw:
        raise DecodeError(f"{_show(raw.decode())} is not canonical base64 (RFC 4648 4)",
                          payload=payload, field=field)
    return value


def _show(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:24] + "…")
