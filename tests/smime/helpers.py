"""Shared material of the S/MIME tests: a Key ID, a CEK, a 2 kB SIP body and where the
ciphertext, tag and wrapped key lie in a CMS object."""

from __future__ import annotations

from asn1crypto import cms as asn1

KEY_ID = bytes.fromhex("2c0f0a01")
CEK = bytes(range(0x40, 0x60))
XML = "application/vnd.3gpp.mcptt-info+xml"
BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\r\n<mcpttinfo><mcptt-Params>'
        + b"<mcptt-request-uri>sip:alice@mcptt.example.org</mcptt-request-uri>" * 28
        + b"</mcptt-Params></mcpttinfo>\r\n")


def regions(der: bytes) -> dict[str, range]:
    """Offsets of the encrypted content, the MAC and the wrapped content key in ``der``
    (a DER CMS object with one recipient)."""
    data = asn1.ContentInfo.load(der)["content"]
    parts = {
        "ciphertext": data["auth_encrypted_content_info"]["encrypted_content"].native,
        "tag": data["mac"].native,
        "wrapped key": data["recipient_infos"][0].chosen["encrypted_key"].native,
    }
    out = {}
    for name, value in parts.items():
        start = der.index(value)
        assert der.count(value) == 1
        out[name] = range(start, start + len(value))
    return out
