"""Shared material of the XML protection tests: a CSK and an SPK ring, MCX signalling bodies."""

from __future__ import annotations

from lxml import etree

from mckm.impl.redact import Secret
from mckm.impl.xmlprotect.keys import Keyring, Xpk

MCPTT_NS = "urn:3gpp:ns:mcpttInfo:1.0"
MC_ID = "sip:mcptt-alice@example.org"
CSK_ID = 0x2A5B3C4D  # purpose tag 2 (CSK, TS 33.180 Annex G)
SPK_ID = 0x3123ABCD  # purpose tag 3 (SPK)
CSK = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
SPK = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")

#: an MCPTT info body as an InterKMM's signalling part carries it: the MCPTT IDs and the KMF
#: (IWF) id are the values TS 33.180 9.3.2 lists as sensitive.
SIGNALLING = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0" '
    b'xmlns:ikmm="urn:mckm:interkmm"><mcptt-Params>'
    b'<mcptt-request-uri type="Normal">sip:mcptt-bob@example.org</mcptt-request-uri>'
    b'<mcptt-calling-user-id type="Normal">sip:mcptt-alice@example.org</mcptt-calling-user-id>'
    b'<ikmm:kmf-id>kmf.iwf.example.net</ikmm:kmf-id>'
    b'<note>a &amp; b <b>bold</b> tail</note>'
    b'</mcptt-Params></mcpttinfo>')
TARGETS = (f"{{{MCPTT_NS}}}mcptt-request-uri", f"{{{MCPTT_NS}}}mcptt-calling-user-id",
           "{urn:mckm:interkmm}kmf-id", f"{{{MCPTT_NS}}}note")


def ring() -> Keyring:
    return Keyring({CSK_ID: Xpk(Secret(CSK), MC_ID), SPK_ID: Xpk(Secret(SPK), MC_ID)})


def canonical(document: bytes) -> bytes:
    """The C14N form of a document: equal for documents with the same infoset."""
    data: bytes = etree.tostring(etree.fromstring(document), method="c14n")
    return data
