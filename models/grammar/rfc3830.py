"""RFC 3830 (MIKEY) payloads: HDR and the payloads of clause 6, with the key-data sub-payload.

Each grammar cites its clause.  Facts: ``shared/reference/mikey_formats.yaml`` (layouts
``verified`` there unless the namespace value says otherwise).  The HDR's CS ID map info takes
the three map types in use: SRTP-ID (RFC 3830 6.1.1), Empty (RFC 4563) and GENERIC-ID (RFC 6043
6.1.1); any other map type cannot be delimited and is a decode error.
"""

from __future__ import annotations

from construct import this

from mckm.models.grammar.dsl import (
    PayloadSpec,
    Sub,
    bytes_sized_by,
    choice,
    optional,
    packed,
    sized_bytes,
    sized_uint,
    struct,
    uint,
    var_bytes,
)
from mckm.models.grammar.namespaces import (
    CERT_TYPE,
    CS_ID_MAP_TYPE,
    DATA_TYPE,
    DH_GROUP,
    ENCR_ALG,
    ERROR_NO,
    GENERAL_EXT_TYPE,
    HASH_FUNC,
    ID_TYPE,
    KEY_TYPE,
    KEY_VALIDITY,
    MAC_ALG,
    PKE_CACHE,
    PRF_FUNC,
    PROT_TYPE,
    S_TYPE,
    SRTP_PARAM,
    TS_TYPE,
)
from mckm.models.grammar.rfc6043 import GENERIC_ID_ENTRY, next_payload

SRTP_ID_ENTRY = struct(
    "SRTP-ID entry", "RFC 3830 6.1.1", "one crypto session of an SRTP-ID CS ID map",
    uint("policy_no", 8, "SP payload policy number for this CS", "RFC 3830 6.1.1"),
    uint("ssrc", 32, "SSRC of the SRTP stream", "RFC 3830 6.1.1"),
    uint("roc", 32, "current rollover counter", "RFC 3830 6.1.1"),
)

HDR = PayloadSpec("HDR", None, struct(
    "HDR", "RFC 3830 6.1", "Common header; always the first payload",
    uint("version", 8, "MIKEY version", "RFC 3830 6.1", allowed="1"),
    uint("data_type", 8, "message type", "RFC 3830 6.1", ns=DATA_TYPE),
    next_payload("RFC 3830 6.1"),
    packed(8, "RFC 3830 6.1",
           Sub("v", 1, "1 = a verification message is expected"),
           Sub("prf_func", 7, "PRF used for key derivation", ns=PRF_FUNC)),
    uint("csb_id", 32, "Crypto Session Bundle ID (MC/SEAL: the 32-bit key id, 4 MSB = purpose)",
         "RFC 3830 6.1"),
    uint("n_cs", 8, "#CS, number of crypto sessions", "RFC 3830 6.1", count=True),
    uint("cs_id_map_type", 8, "layout of the CS ID map info", "RFC 3830 6.1",
         ns=CS_ID_MAP_TYPE),
    choice("cs_id_map_info", "cs_id_map_type",
           {0: SRTP_ID_ENTRY, 1: None, 2: GENERIC_ID_ENTRY},
           "#CS map entries (SRTP-ID, GENERIC-ID) or nothing (Empty map)",
           "RFC 3830 6.1.1; RFC 4563; RFC 6043 6.1.1", count_field="n_cs"),
))

KEMAC = PayloadSpec("KEMAC", 1, struct(
    "KEMAC", "RFC 3830 6.2; RFC 6043 6.2", "Key data transport payload",
    next_payload("RFC 3830 6.2"),
    uint("encr_alg", 8, "algorithm that encrypts encr_data", "RFC 3830 6.2", ns=ENCR_ALG),
    var_bytes("encr_data", "encr_data_len", 16,
              "encrypted Key data sub-payloads (opaque here; see key_data chain)",
              "RFC 3830 6.2"),
    uint("mac_alg", 8, "MAC algorithm", "RFC 3830 6.2", ns=MAC_ALG),
    sized_bytes("mac", "mac_alg", MAC_ALG, "MAC over the message up to this field",
                "RFC 3830 6.2"),
))

PKE = PayloadSpec("PKE", 2, struct(
    "PKE", "RFC 3830 6.3", "Envelope data payload",
    next_payload("RFC 3830 6.3"),
    packed(16, "RFC 3830 6.3",
           Sub("c", 2, "envelope key cache indicator", ns=PKE_CACHE),
           Sub("data_len", 14, "length of data (octets)", derive_len_of="data")),
    bytes_sized_by("data", "data_len", 14, "envelope key encrypted with the recipient's "
                   "public key", "RFC 3830 6.3"),
))

KV_SPI = struct(
    "KV SPI/MKI", "RFC 3830 6.13", "key validity data for KV = 1",
    var_bytes("spi", "spi_len", 8, "SPI or MKI", "RFC 3830 6.13"),
)
KV_INTERVAL = struct(
    "KV interval", "RFC 3830 6.13", "key validity data for KV = 2",
    var_bytes("valid_from", "vf_len", 8, "start of validity (e.g. SRTP index)", "RFC 3830 6.13"),
    var_bytes("valid_to", "vt_len", 8, "end of validity", "RFC 3830 6.13"),
)
_KV_CASES = {0: None, 1: KV_SPI, 2: KV_INTERVAL}

DH = PayloadSpec("DH", 3, struct(
    "DH", "RFC 3830 6.4", "DH data payload",
    next_payload("RFC 3830 6.4"),
    uint("dh_group", 8, "Diffie-Hellman group", "RFC 3830 6.4", ns=DH_GROUP),
    sized_bytes("dh_value", "dh_group", DH_GROUP, "public DH value (length set by the group)",
                "RFC 3830 6.4"),
    packed(8, "RFC 3830 6.4",
           Sub("reserved", 4, "reserved", allowed="0 on send"),
           Sub("kv", 4, "key validity type", ns=KEY_VALIDITY)),
    choice("kv_data", "kv", _KV_CASES, "key validity data", "RFC 3830 6.4, 6.13"),
))

SIGN = PayloadSpec("SIGN", 4, struct(
    "SIGN", "RFC 3830 6.5; RFC 6509 4.3", "Signature payload; no Next Payload field, always last",
    packed(16, "RFC 3830 6.5",
           Sub("s_type", 4, "signature algorithm", ns=S_TYPE),
           Sub("signature_len", 12, "length of signature (octets)", derive_len_of="signature")),
    bytes_sized_by("signature", "signature_len", 12, "the signature (ECCSI: r || s || PVT, "
                   "129 octets) over every octet before this field", "RFC 3830 6.5; RFC 6509 "
                   "4.3"),
), terminal=True)

T = PayloadSpec("T", 5, struct(
    "T", "RFC 3830 6.6; RFC 6043 6.3", "Timestamp payload",
    next_payload("RFC 3830 6.6"),
    uint("ts_type", 8, "timestamp format", "RFC 3830 6.6", ns=TS_TYPE),
    sized_uint("ts_value", "ts_type", TS_TYPE, "timestamp (64 bits for NTP types, 32 for "
               "COUNTER and NTP-UTC-32)", "RFC 3830 6.6"),
))

ID = PayloadSpec("ID", 6, struct(
    "ID", "RFC 3830 6.7; RFC 6043 6.5", "ID payload",
    next_payload("RFC 3830 6.7"),
    uint("id_type", 8, "identifier type", "RFC 3830 6.7", ns=ID_TYPE),
    var_bytes("id_data", "id_len", 16, "the identity", "RFC 3830 6.7"),
))

CERT = PayloadSpec("CERT", 7, struct(
    "CERT", "RFC 3830 6.7", "Certificate payload",
    next_payload("RFC 3830 6.7"),
    uint("cert_type", 8, "certificate type", "RFC 3830 6.7", ns=CERT_TYPE),
    var_bytes("certificate", "cert_len", 16, "the certificate or URL", "RFC 3830 6.7"),
))

CHASH = PayloadSpec("CHASH", 8, struct(
    "CHASH", "RFC 3830 6.8; RFC 6043 6.7", "Cert hash payload",
    next_payload("RFC 3830 6.8"),
    uint("hash_func", 8, "hash function", "RFC 3830 6.8", ns=HASH_FUNC),
    sized_bytes("hash", "hash_func", HASH_FUNC, "hash of the certificate", "RFC 3830 6.8"),
))

V = PayloadSpec("V", 9, struct(
    "V", "RFC 3830 6.9", "Verification message payload",
    next_payload("RFC 3830 6.9"),
    uint("auth_alg", 8, "MAC algorithm (KEMAC MAC alg name space)", "RFC 3830 6.9", ns=MAC_ALG),
    sized_bytes("ver_data", "auth_alg", MAC_ALG, "MAC over the message up to this field "
                "(and the coverage data of RFC 6043 5.5)", "RFC 3830 6.9"),
))

SP_PARAM = struct(
    "SP policy param", "RFC 3830 6.10", "one type/length/value policy parameter",
    uint("type", 8, "parameter type (SRTP: RFC 3830 6.10.1)", "RFC 3830 6.10", ns=SRTP_PARAM),
    var_bytes("value", "length", 8, "parameter value", "RFC 3830 6.10"),
)
# The policy_params octets of an SP payload are a sequence of SP_PARAM filling them exactly.

SP = PayloadSpec("SP", 10, struct(
    "SP", "RFC 3830 6.10", "Security policy payload",
    next_payload("RFC 3830 6.10"),
    uint("policy_no", 8, "policy number referred to by CS ID maps", "RFC 3830 6.10"),
    uint("prot_type", 8, "security protocol", "RFC 3830 6.10", ns=PROT_TYPE),
    var_bytes("policy_params", "policy_param_len", 16,
              "sequence of SP policy params (type, length, value)", "RFC 3830 6.10",
              of=SP_PARAM),
))

RAND = PayloadSpec("RAND", 11, struct(
    "RAND", "RFC 3830 6.11", "RAND payload",
    next_payload("RFC 3830 6.11"),
    var_bytes("rand", "rand_len", 8, "random octets (at least 16 recommended)", "RFC 3830 6.11"),
))

ERR = PayloadSpec("ERR", 12, struct(
    "ERR", "RFC 3830 6.12; RFC 6043 6.9", "Error payload",
    next_payload("RFC 3830 6.12"),
    uint("error_no", 8, "error code", "RFC 3830 6.12", ns=ERROR_NO),
    uint("reserved", 16, "reserved", "RFC 3830 6.12", allowed="0 on send"),
))

_SALTED = (this.key_type == 1) | (this.key_type == 3) | (this.key_type == 5)

KEY_DATA = PayloadSpec("KEY_DATA", 20, struct(
    "KEY_DATA", "RFC 3830 6.13; RFC 6043 6.2.1", "Key data sub-payload (only inside KEMAC)",
    next_payload("RFC 3830 6.13"),
    packed(8, "RFC 3830 6.13",
           Sub("key_type", 4, "kind of key", ns=KEY_TYPE),
           Sub("kv", 4, "key validity type", ns=KEY_VALIDITY)),
    var_bytes("key_data", "key_data_len", 16, "the key", "RFC 3830 6.13"),
    optional("salt", _SALTED,
             var_bytes("salt_data", "salt_len", 16, "the salt key", "RFC 3830 6.13"),
             "salt key", "RFC 3830 6.13", when="key type is TGK+SALT, TEK+SALT or GTGK+SALT"),
    choice("kv_data", "kv", _KV_CASES, "key validity data", "RFC 3830 6.13"),
))

GENERAL_EXT = PayloadSpec("GENERAL_EXT", 21, struct(
    "GENERAL_EXT", "RFC 3830 6.15", "General extension payload",
    next_payload("RFC 3830 6.15"),
    uint("type", 8, "extension type", "RFC 3830 6.15", ns=GENERAL_EXT_TYPE),
    var_bytes("data", "length", 16, "extension data", "RFC 3830 6.15"),
))

PAYLOADS = (KEMAC, PKE, DH, SIGN, T, ID, CERT, CHASH, V, SP, RAND, ERR, KEY_DATA, GENERAL_EXT)

__all__ = ["HDR", "PAYLOADS", "SP_PARAM"]
