"""The MIKEY name spaces (enum values), each value with the clause that assigns it.

One home for every assigned number: RFC 3830 values, the RFC 4563 / RFC 6043 / RFC 6509
additions, and the 3GPP (TS 33.180) and vendor values seen on the wire.  Facts come from
``shared/reference/mikey_formats.yaml``; a value is ``verified`` once read in the clause it
cites, and any other status puts it on the docs page "Unverified facts".  Where the layout
of what follows depends on a value (timestamps, MACs, hashes, DH groups, CS ID maps), the value
carries the ``size`` it implies and an unknown value is a decode error.

Code names a value by attribute, never by number: ``ERROR_NO.INVALID_ID``, ``DATA_TYPE.SAKKE``,
``ID_ROLE.IDRKMS``, ``TS_TYPE.NTP_UTC`` (an ``IntEnum`` member, equal to the int on the wire).
The attribute is the value's name in upper snake case (:func:`mckm.models.grammar.dsl.ident_of`)
or, where the name gives no clean identifier, the value's explicit ``ident``.  ``namespaces.pyi``
tells mypy the attributes; it is generated (:func:`write_stub`) and a test keeps it in sync.
"""

from __future__ import annotations

from pathlib import Path

from mckm.models.grammar.dsl import Namespace, Value, stub_text

V = Value

DATA_TYPE = Namespace("Data type", 8, "RFC 3830 6.1; RFC 6043 6.1 Table 6.1; RFC 6509 4.1", (
    V(0, "Pre-shared", "PSK initiator message (I_MESSAGE)", "RFC 3830 6.1"),
    V(1, "PSK ver msg", "PSK verification message (R_MESSAGE)", "RFC 3830 6.1"),
    V(2, "Public key", "public-key initiator message", "RFC 3830 6.1"),
    V(3, "PK ver msg", "public-key verification message", "RFC 3830 6.1"),
    V(4, "D-H init", "Diffie-Hellman initiator message", "RFC 3830 6.1", ident="DH_INIT"),
    V(5, "D-H resp", "Diffie-Hellman responder message", "RFC 3830 6.1", ident="DH_RESP"),
    V(6, "Error", "Error message", "RFC 3830 6.1"),
    V(7, "DHHMAC init", "DH-HMAC initiator message (not modelled)", "RFC 4650 4.1"),
    V(8, "DHHMAC resp", "DH-HMAC responder message (not modelled)", "RFC 4650 4.1"),
    V(9, "RSA-R I_MSG", "RSA-R initiator message (not modelled)", "RFC 4738 3.9.1"),
    V(10, "RSA-R R_MSG", "RSA-R responder message (not modelled)", "RFC 4738 3.9.1"),
    V(11, "REQUEST_INIT_PSK", "Ticket request initial message (PSK)", "RFC 6043 6.1"),
    V(12, "REQUEST_INIT_PK", "Ticket request initial message (PK)", "RFC 6043 6.1"),
    V(13, "REQUEST_RESP", "Ticket request response message", "RFC 6043 6.1"),
    V(14, "TRANSFER_INIT", "Ticket transfer initial message", "RFC 6043 6.1"),
    V(15, "TRANSFER_RESP", "Ticket transfer response message", "RFC 6043 6.1"),
    V(16, "RESOLVE_INIT_PSK", "Ticket resolve initial message (PSK)", "RFC 6043 6.1"),
    V(17, "RESOLVE_INIT_PK", "Ticket resolve initial message (PK)", "RFC 6043 6.1"),
    V(18, "RESOLVE_RESP", "Ticket resolve response message", "RFC 6043 6.1"),
    V(26, "SAKKE", "MIKEY-SAKKE I_MESSAGE", "RFC 6509 4.1"),
), private=(241, 255))

PAYLOAD_TYPE = Namespace("Next payload", 8, "RFC 3830 6.1; RFC 6043 6.1 Table 6.2; RFC 6509 4.1", (
    V(0, "Last payload", "no payload follows", "RFC 3830 6.1"),
    V(1, "KEMAC", "Key data transport", "RFC 3830 6.2"),
    V(2, "PKE", "Envelope data", "RFC 3830 6.3"),
    V(3, "DH", "DH data", "RFC 3830 6.4"),
    V(4, "SIGN", "Signature", "RFC 3830 6.5"),
    V(5, "T", "Timestamp", "RFC 3830 6.6"),
    V(6, "ID", "Identity", "RFC 3830 6.7"),
    V(7, "CERT", "Certificate", "RFC 3830 6.7"),
    V(8, "CHASH", "Cert hash", "RFC 3830 6.8"),
    V(9, "V", "Verification", "RFC 3830 6.9"),
    V(10, "SP", "Security policy", "RFC 3830 6.10"),
    V(11, "RAND", "RAND", "RFC 3830 6.11"),
    V(12, "ERR", "Error", "RFC 3830 6.12"),
    V(13, "TR", "Timestamp with role", "RFC 6043 6.4"),
    V(14, "IDR", "ID with role", "RFC 6043 6.6"),
    V(15, "RANDR", "RAND with role", "RFC 6043 6.8"),
    V(16, "TP", "Ticket policy", "RFC 6043 6.10"),
    V(17, "TICKET", "Ticket", "RFC 6043 6.10"),
    V(20, "KEY_DATA", "Key data sub-payload (inside KEMAC only)", "RFC 3830 6.13"),
    V(21, "GENERAL_EXT", "General extension", "RFC 3830 6.15"),
    V(26, "SAKKE", "SAKKE encapsulated data", "RFC 6509 4.2"),
), unknown="error", private=(241, 255))

PRF_FUNC = Namespace("PRF func", 7, "RFC 3830 6.1; RFC 6043 6.1 Table 6.3", (
    V(0, "MIKEY-1", "PRF of RFC 3830 4.1.2 on HMAC-SHA-1", "RFC 3830 6.1"),
    V(1, "PRF-HMAC-SHA-256", "RFC 3830 4.1.2 PRF on HMAC-SHA-256", "RFC 6043 6.1"),
))

CS_ID_MAP_TYPE = Namespace("CS ID map type", 8, "RFC 3830 6.1.1; RFC 4563; RFC 6043 6.1.1", (
    V(0, "SRTP-ID", "#CS entries of policy no, SSRC, ROC", "RFC 3830 6.1.1"),
    V(1, "Empty map", "no map info; default policies", "RFC 4563 5"),
    V(2, "GENERIC-ID", "#CS entries of CS ID, prot type, policies, session data, SPI",
      "RFC 6043 6.1.1"),
), unknown="error")

TS_TYPE = Namespace("TS type", 8, "RFC 3830 6.6; RFC 6043 6.3 Table 6.8", (
    V(0, "NTP-UTC", "64-bit NTP timestamp, UTC", "RFC 3830 6.6", size=64),
    V(1, "NTP", "64-bit NTP timestamp, local time", "RFC 3830 6.6", size=64),
    V(2, "COUNTER", "32-bit counter", "RFC 3830 6.6", size=32),
    V(3, "NTP-UTC-32", "whole seconds of an NTP-UTC timestamp", "RFC 6043 6.3", size=32),
), unknown="error")

TS_ROLE = Namespace("TS role", 8, "RFC 6043 6.4 Table 6.9; 14", (
    V(1, "TRi", "time of issue", "RFC 6043 6.4"),
    V(2, "TRs", "start of validity period", "RFC 6043 6.4"),
    V(3, "TRe", "end of validity period", "RFC 6043 6.4"),
    V(4, "TRr", "rekeying interval", "RFC 6043 6.4"),
), private=(240, 254), reserved=(0, 255))

ID_TYPE = Namespace("ID type", 8, "RFC 3830 6.7; RFC 6043 6.5 Table 6.10", (
    V(0, "NAI", "Network Access Identifier", "RFC 3830 6.7"),
    V(1, "URI", "Uniform Resource Identifier", "RFC 3830 6.7"),
    V(2, "byte string", "octets without encoding rules", "RFC 6043 6.5"),
), private=(241, 255))

ID_ROLE = Namespace("ID role", 8, "RFC 6043 6.6 Table 6.11; RFC 6509 4.4; TS 33.180 E.7", (
    V(1, "IDRi", "Initiator", "RFC 6043 6.6"),
    V(2, "IDRr", "Responder", "RFC 6043 6.6"),
    V(3, "IDRkms", "KMS", "RFC 6043 6.6"),
    V(4, "IDRpsk", "Pre-shared key", "RFC 6043 6.6"),
    V(5, "IDRapp", "Application (authorised application ID)", "RFC 6043 6.6"),
    V(6, "IDRkmsi", "Initiator's KMS", "RFC 6509 4.4"),
    V(7, "IDRkmsr", "Responder's KMS", "RFC 6509 4.4"),
    # TS 33.180 V16.12.0 E.7: "The ID Role of Hashed Initiator (IDRuidi) takes on the IANA
    # assigned value of '8' while the ID Role of Hashed Responder (IDRuidr) takes on the IANA
    # assigned value of '9'"; the vendor I_MESSAGEs carry the UIDs so (independent artefact).
    V(8, "IDRuidi", "Hashed Initiator: the 32-octet MIKEY-SAKKE UID (TS 33.180 F.2.1) in place "
      "of the initiator's MC Service user ID (identity hiding)", "TS 33.180 E.7"),
    V(9, "IDRuidr", "Hashed Responder: the 32-octet MIKEY-SAKKE UID (TS 33.180 F.2.1) in place "
      "of the responder's MC Service user ID (identity hiding)", "TS 33.180 E.7"),
), private=(240, 254), reserved=(0, 255))

RAND_ROLE = Namespace("RAND role", 8, "RFC 6043 6.8 Table 6.13; 14", (
    V(1, "RANDRi", "generated by the Initiator", "RFC 6043 6.8"),
    V(2, "RANDRr", "generated by the Responder", "RFC 6043 6.8"),
    V(3, "RANDRkms", "generated by the KMS", "RFC 6043 6.8"),
), private=(240, 254), reserved=(0, 255))

ENCR_ALG = Namespace("Encr alg", 8, "RFC 3830 6.2; RFC 6043 6.2 Table 6.5", (
    V(0, "NULL", "no encryption", "RFC 3830 6.2"),
    V(1, "AES-CM-128", "AES counter mode, 128-bit key", "RFC 3830 6.2"),
    V(2, "AES-KW-128", "AES key wrap, 128-bit key", "RFC 3830 6.2"),
    V(3, "AES-CM-256", "AES counter mode, 256-bit key", "RFC 6043 6.2"),
))

MAC_ALG = Namespace("MAC alg", 8, "RFC 3830 6.2, 6.9; RFC 6043 6.2 Table 6.6", (
    V(0, "NULL", "no MAC", "RFC 3830 6.2", size=0),
    V(1, "HMAC-SHA-1-160", "HMAC-SHA-1, 160-bit MAC", "RFC 3830 6.2", size=20),
    V(2, "HMAC-SHA-256-256", "HMAC-SHA-256, 256-bit MAC", "RFC 6043 6.2", size=32),
), unknown="error")

HASH_FUNC = Namespace("Hash func", 8, "RFC 3830 6.8; RFC 6043 6.7 Table 6.12", (
    V(0, "SHA-1", "160-bit hash", "RFC 3830 6.8", size=20),
    V(1, "MD5", "128-bit hash", "RFC 3830 6.8", size=16),
    V(2, "SHA-256", "256-bit hash", "RFC 6043 6.7", size=32),
), unknown="error")

DH_GROUP = Namespace("DH-Group", 8, "RFC 3830 6.4", (
    V(0, "OAKLEY 5", "1536-bit MODP group", "RFC 3830 6.4", size=192),
    V(1, "OAKLEY 1", "768-bit MODP group", "RFC 3830 6.4", size=96),
    V(2, "OAKLEY 2", "1024-bit MODP group", "RFC 3830 6.4", size=128),
), unknown="error")

PKE_CACHE = Namespace("C (cache)", 2, "RFC 3830 6.3", (
    V(0, "No cache", "envelope key not cached", "RFC 3830 6.3"),
    V(1, "Cache", "envelope key cached", "RFC 3830 6.3"),
    V(2, "Cache for CSB", "envelope key cached for the CSB", "RFC 3830 6.3"),
))

S_TYPE = Namespace("S type", 4, "RFC 3830 6.5; RFC 6509 4.3", (
    V(0, "RSA/PKCS#1/1.5", "RSA signature, PKCS#1 v1.5", "RFC 3830 6.5",
      ident="RSA_PKCS1_V1_5"),
    V(1, "RSA/PSS", "RSA signature, PSS", "RFC 3830 6.5"),
    V(2, "ECCSI", "ECCSI signature (r || s || PVT)", "RFC 6509 4.3"),
))

CERT_TYPE = Namespace("Cert type", 8, "RFC 3830 6.7", (
    V(0, "X.509v3", "X.509v3 certificate", "RFC 3830 6.7", ident="X509V3"),
    V(1, "X.509v3 URL", "URL of an X.509v3 certificate", "RFC 3830 6.7", ident="X509V3_URL"),
    V(2, "X.509v3 Sign", "X.509v3 signature certificate", "RFC 3830 6.7",
      ident="X509V3_SIGN"),
    V(3, "X.509v3 Encr", "X.509v3 encryption certificate", "RFC 3830 6.7",
      ident="X509V3_ENCR"),
))

PROT_TYPE = Namespace("Prot type", 8, "RFC 3830 6.10", (
    V(0, "SRTP", "Secure RTP", "RFC 3830 6.10"),
))

SRTP_PARAM = Namespace("SRTP policy param type", 8, "RFC 3830 6.10.1", (
    V(0, "Encryption algorithm", "", "RFC 3830 6.10.1"),
    V(1, "Session Encr. key length", "", "RFC 3830 6.10.1"),
    V(2, "Authentication algorithm", "", "RFC 3830 6.10.1"),
    V(3, "Session Auth. key length", "", "RFC 3830 6.10.1"),
    V(4, "Session Salt key length", "", "RFC 3830 6.10.1"),
    V(5, "SRTP PRF", "", "RFC 3830 6.10.1"),
    V(6, "Key derivation rate", "", "RFC 3830 6.10.1"),
    V(7, "SRTP encryption off/on", "", "RFC 3830 6.10.1"),
    V(8, "SRTCP encryption off/on", "", "RFC 3830 6.10.1"),
    V(9, "sender's FEC order", "", "RFC 3830 6.10.1"),
    V(10, "SRTP authentication off/on", "", "RFC 3830 6.10.1"),
    V(11, "Authentication tag length", "", "RFC 3830 6.10.1"),
    V(12, "SRTP prefix length", "", "RFC 3830 6.10.1"),
    # Registered by RFC 4771 4 (Tables 2 and 3; 14-17 not modelled) and RFC 7714 14.3; used by
    # the MC default SRTP / SRTCP profiles of TS 33.180 Tables E.2.2-1, E.3.2-1, E.4.2-1.
    V(13, "ROC transmission rate", "", "RFC 4771 4"),
    V(18, "SRTP Authentication tag length", "", "RFC 4771 4"),
    V(19, "SRTCP Authentication tag length", "", "RFC 4771 4"),
    V(20, "AEAD authentication tag length", "", "RFC 7714 14.3"),
))

ERROR_NO = Namespace("Error no", 8, "RFC 3830 6.12; RFC 6043 6.9 Table 6.14", (
    V(0, "Auth failure", "", "RFC 3830 6.12"),
    V(1, "Invalid TS", "", "RFC 3830 6.12"),
    V(2, "Invalid PRF", "", "RFC 3830 6.12"),
    V(3, "Invalid MAC", "", "RFC 3830 6.12"),
    V(4, "Invalid EA", "", "RFC 3830 6.12"),
    V(5, "Invalid HA", "", "RFC 3830 6.12"),
    V(6, "Invalid DH", "", "RFC 3830 6.12"),
    V(7, "Invalid ID", "", "RFC 3830 6.12"),
    V(8, "Invalid Cert", "", "RFC 3830 6.12"),
    V(9, "Invalid SP", "", "RFC 3830 6.12"),
    V(10, "Invalid SPpar", "", "RFC 3830 6.12"),
    V(11, "Invalid DT", "", "RFC 3830 6.12"),
    V(12, "Unspecified error", "", "RFC 3830 6.12"),
    V(14, "Invalid TICKET", "Ticket Type not supported", "RFC 6043 6.9"),
    V(15, "Invalid TPpar", "TP parameters not supported", "RFC 6043 6.9"),
))

KEY_TYPE = Namespace("Key data type", 4, "RFC 3830 6.13; RFC 6043 6.2.1 Table 6.7", (
    V(0, "TGK", "TEK generation key", "RFC 3830 6.13"),
    V(1, "TGK+SALT", "TGK and salt", "RFC 3830 6.13"),
    V(2, "TEK", "traffic encryption key", "RFC 3830 6.13"),
    V(3, "TEK+SALT", "TEK and salt", "RFC 3830 6.13"),
    V(4, "GTGK", "group TGK (not forked)", "RFC 6043 6.2.1"),
    V(5, "GTGK+SALT", "group TGK and salt", "RFC 6043 6.2.1"),
    V(6, "MPK", "MIKEY protection key", "RFC 6043 6.2.1"),
))

KEY_VALIDITY = Namespace("KV (key validity)", 4, "RFC 3830 6.13", (
    V(0, "Null", "no validity data", "RFC 3830 6.13"),
    V(1, "SPI/MKI", "SPI or MKI of the key", "RFC 3830 6.13"),
    V(2, "Interval", "valid from / valid to", "RFC 3830 6.13"),
), unknown="error")

GENERAL_EXT_TYPE = Namespace("General extension type", 8, "RFC 3830 6.15; TS 33.180 E.5, E.6", (
    V(0, "Vendor-ID", "vendor specific", "RFC 3830 6.15"),
    V(1, "SDP-IDs", "SDP identifiers", "RFC 3830 6.15"),
    V(6, "SAKKE-to-self", "SAKKE payload encapsulating the key to the initiator itself",
      "TS 33.180 E.5"),
    V(7, "3GPP key parameters", "MIKEY-SAKKE key parameters (type, status, validity)",
      "TS 33.180 E.6.1", ident="KEY_PARAMETERS_3GPP"),
), private=(241, 255))

TICKET_TYPE = Namespace("Ticket type", 16, "RFC 6043 6.10 Table 6.15; 14", (
    V(1, "MIKEY Base Ticket", "defined in RFC 6043 Appendix A", "RFC 6043 6.10"),
    V(2, "3GPP Base Ticket", "used and specified by 3GPP (TS 33.328)", "RFC 6043 6.10",
      ident="BASE_TICKET_3GPP"),
), private=(61440, 65534), reserved=(0, 65535))

SAKKE_PARAMS = Namespace("SAKKE params", 8, "RFC 6509 4.2", (
    V(1, "Parameter Set 1", "RFC 6509 Appendix A (RFC 6508 parameters, n = 128)",
      "RFC 6509 4.2"),
))

SAKKE_ID_SCHEME = Namespace("SAKKE ID scheme", 8, "RFC 6509 4.2; TS 33.180 E.1.2", (
    V(1, "tel URI with monthly keys", "RFC 6509 3.2", "RFC 6509 4.2"),
    V(2, "3GPP MCX hashed UID", "the MIKEY-SAKKE UID of TS 33.180 F.2.1",
      "TS 33.180 E.1.2", ident="MCX_HASHED_UID_3GPP"),
))


def write_stub() -> None:
    """Rewrite ``namespaces.pyi`` from the declarations above (after adding or renaming a value)."""
    Path(__file__).with_suffix(".pyi").write_text(stub_text(_namespaces(), _stub_doc()))


def _namespaces() -> dict[str, Namespace]:
    return {k: v for k, v in globals().items() if isinstance(v, Namespace)}


def _stub_doc() -> str:
    return "Typing stub of namespaces.py: each namespace's values by attribute."
