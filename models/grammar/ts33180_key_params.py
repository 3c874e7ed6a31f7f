"""TS 33.180 E.6: what the data of a "3GPP key parameters" general extension holds.

TS 33.180 E.6.1: the extension (General extension type 7, ``namespaces.GENERAL_EXT_TYPE``)
carries an MCData Protected Payload message (TS 33.180 8.5.4.1) whose DPPK-ID is the CSB-ID of
the I_MESSAGE and whose Payload is the "Key Parameters" payload encrypted with the key the
message carries, so without that key only the clear header can be read.  The information
elements follow the MONP coding of TS 24.379 Annex I (V: value only; TLV-E: IEI, 16-bit length,
value); the Date and time value is "seconds since midnight UTC of January 1, 1970" in 5 octets
(TS 24.282 15.2.8).  The optional Signalling algorithm IE (8.5.4.1 NOTE 6) cannot be told apart
from a V field by its octets and is not modelled: a protected payload that carries it is not
read by :data:`PROTECTED_PAYLOAD`.

:data:`KEY_PARAMETERS` is the plaintext content (Table E.6.1-1); vendor messages in the "legacy
format for IWF" carry it unprotected, which E.6.1 does not allow, and a reader may show it so.
Its Key Type values (E.6.11) are the key purpose values of ``models/policy`` (GMK 0, PCK 1,
CSK 2, SPK 3, MKFC 4, MSCCK 5, MuSiK 6), so they are named from there, not written again.
"""

from __future__ import annotations

import construct as c

from mckm.models.grammar.dsl import FieldInfo, Part, struct, uint, var_bytes

UNIX_SECONDS_BITS = 40  # TS 24.282 15.2.8; TS 33.180 E.6.4, E.6.10: 5 octets


def unix_seconds(name: str, meaning: str, clause: str) -> Part:
    """A 5-octet count of seconds since 1970-01-01T00:00Z (TS 24.282 15.2.8)."""
    return Part([name / c.BytesInteger(UNIX_SECONDS_BITS // 8)],
                [FieldInfo(name, str(UNIX_SECONDS_BITS), meaning, clause,
                           max_bits=UNIX_SECONDS_BITS, allowed="seconds since 1970 UTC")])


def fixed_octets(name: str, octets: int, meaning: str, clause: str) -> Part:
    """Exactly ``octets`` octets (a V information element of fixed length)."""
    return Part([name / c.Bytes(octets)],
                [FieldInfo(name, str(8 * octets), meaning, clause, kind="bytes")])


PROTECTED_PAYLOAD = struct(
    "MCData Protected Payload", "TS 33.180 8.5.4.1, E.6.1",
    "the data of a 3GPP key parameters extension: a clear header, then the encrypted Key "
    "Parameters payload",
    uint("message_type", 8, "MCData message type (bit 7 = protected, TS 24.282 15.2.2)",
         "TS 33.180 8.5.1, 8.5.4.1"),
    unix_seconds("date_time", "creation time of the protected payload", "TS 24.282 15.2.8"),
    uint("payload_id", 32, "payload ID; 0 from the sender, ignored by the receiver",
         "TS 33.180 E.6.1"),
    uint("payload_seq", 8, "payload sequence number; 0 from the sender, ignored",
         "TS 33.180 E.6.1"),
    uint("payload_alg", 8, "payload algorithm (DP_AES_128_GCM, DP_AES_256_GCM)",
         "TS 33.180 8.5.4.2"),
    fixed_octets("iv", 16, "initialisation vector (nonce)", "TS 33.180 8.5.4.1"),
    uint("dppk_id", 32, "DPPK-ID: the CSB-ID of the I_MESSAGE", "TS 33.180 E.6.1"),
    uint("payload_iei", 8, "IEI of the Payload information element", "TS 33.180 8.5.4.1"),
    var_bytes("payload", "payload_len", 16, "AEAD ciphertext and tag of the Key Parameters "
              "payload (key: the DPCK derived from the key the message carries, F.1.5)",
              "TS 33.180 8.5.4.2"),
)

KEY_PARAMETERS = struct(
    "Key Parameters content", "TS 33.180 E.6.1 Table E.6.1-1",
    "the plaintext parameters of the key the I_MESSAGE carries",
    uint("key_type", 8, "type and purpose of the key (the key purpose values)",
         "TS 33.180 E.6.11"),
    uint("status", 32, "key status bit field (bit 0: not revoked; bit 1: shared with a "
         "Security Gateway)", "TS 33.180 E.6.9"),
    unix_seconds("activation_time", "when the key may start to be used; 0 = the time of the "
                 "I_MESSAGE", "TS 33.180 E.6.4"),
    unix_seconds("expiry_time", "when the key may no longer be used; 0 = never",
                 "TS 33.180 E.6.10"),
    var_bytes("text", "text_len", 16, "user-readable name of the key (LV-E)", "TS 33.180 E.6.5"),
    Part(["rest" / c.GreedyBytes],
         [FieldInfo("rest", "variable", "MC Group IDs (GMK, MKFC, MuSiK) and Reserved IEs, "
                    "left as octets", "TS 33.180 E.6.3, E.6.6", kind="bytes")]),
)

#: TS 33.180 8.5.1 (TS 24.282 15.2.2): (bit of the Message Type, 8 = most significant; meaning
#: when set).  The other bits are the message type proper.
MESSAGE_TYPE_FLAGS: tuple[tuple[int, str], ...] = ((7, "protected"), (8, "authenticated"))

#: TS 33.180 Table E.6.9-1: (bit, LSB first; purpose; meaning of 0; meaning of 1).
STATUS_BITS: tuple[tuple[int, str, str, str], ...] = (
    (0, "Key Revocation", "revoked (may not be used)", "not revoked"),
    (1, "Security Gateway", "not shared with a Security Gateway",
     "shared with a Security Gateway"),
)

__all__ = ["KEY_PARAMETERS", "MESSAGE_TYPE_FLAGS", "PROTECTED_PAYLOAD", "STATUS_BITS",
           "UNIX_SECONDS_BITS"]
