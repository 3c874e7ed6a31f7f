"""The names TS 33.180 9.3 uses for XML protection: namespaces, algorithm and type URIs.

One home for every URI the XML protection writes or accepts.  Sources: W3C XML Encryption
Syntax and Processing 1.1 (XMLENC11) 3.1 (namespaces), 3.5 (``Type``), 5.2.4 (AES-GCM);
W3C XML Signature Syntax and Processing 1.1 (XMLDSIG11) 6 (algorithm identifiers);
RFC 6931 2.1.5 (``hmac-sha256``).  TS 33.180 9.3.4.2 names ``aes128-gcm`` and the ``Content``
type, 9.3.5 names HMAC-SHA256 and SHA-256.
"""

from __future__ import annotations

#: XMLENC11 3.1: the XML Encryption 1.0 namespace (EncryptedData, CipherData, CipherValue ...).
XENC = "http://www.w3.org/2001/04/xmlenc#"
#: XMLDSIG: the XML Signature namespace (KeyInfo, KeyName, Signature ...).
DS = "http://www.w3.org/2000/09/xmldsig#"

#: XMLENC11 3.5 / TS 33.180 9.3.4.2: the content of an element is encrypted.
TYPE_CONTENT = XENC + "Content"
#: XMLENC11 3.5: the whole element is encrypted.
TYPE_ELEMENT = XENC + "Element"

#: XMLENC11 5.2.4 / TS 33.180 9.3.4.2: AES-128-GCM, the one cipher TS 33.180 requires.
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
#: XMLENC11 5.2.4: the IV is 96 bits, sent before the ciphertext; the tag is 128 bits, after it.
GCM_IV_OCTETS = 12
GCM_TAG_OCTETS = 16
#: TS 33.180 9.3.3: the XPK (CSK or SPK) is 128 bits, so is the confidentiality key.
AES128_KEY_OCTETS = 16

#: XMLDSIG11 6.6.2 / RFC 6931 2.1.5: HMAC-SHA256, the signature method TS 33.180 9.3.5 requires.
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
#: XMLENC11 5.7.2 / XMLDSIG11 6.2.2: SHA-256, the digest TS 33.180 9.3.5 requires.
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
#: XMLDSIG11 6.5: canonicalization of SignedInfo (exclusive, the one mckm writes; inclusive
#: 1.0 accepted), each without comments.
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#: exclusive or not, for each accepted canonicalization method.
CANONICALIZATIONS = {EXC_C14N: True, C14N_10: False}


def xenc(local: str) -> str:
    """Clark name ``{xenc}local``."""
    return f"{{{XENC}}}{local}"


def ds(local: str) -> str:
    """Clark name ``{ds}local``."""
    return f"{{{DS}}}{local}"
