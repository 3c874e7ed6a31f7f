"""MIKEY-SAKKE user identifiers (UIDs) and key periods.

Two schemes:

* TS 33.180 F.2.1 (= TS 33.179 F.2.1), the "3GPP MCX hashed UID": UID = SHA-256(S) with S built
  as in TS 33.220 B.2 from FC 0x00 (a dummy: the KDF itself is not applied),
  P0 = "MIKEY-SAKKE-UID", P1 = user URI, P2 = KMS URI, P3 = key period length (s),
  P4 = key period offset (s), P5 = current key period number.  The integers are big-endian in the
  fewest octets (0 as one 0x00 octet); ``spec/kdf.md`` REQ-KDF-05 records the evidence.
* RFC 6509 3.2, the tel-URI scheme with monthly periods: ``"YYYY-MM" 0x00 "tel:+..." 0x00``.

Key period number (TS 33.180 F.2.1, KMS certificate UserKeyPeriod / UserKeyOffset):
``period_no = floor((T_ntp - offset) / period)`` with T in NTP seconds since 0h 1 January 1900.
"""

from __future__ import annotations

import datetime
import hashlib

from mckm.impl.crypto.kdf import FC, build_s, encode_string, encode_uint
from mckm.impl.errors import UsageError

#: TS 33.180 F.2.1 P0, a fixed 15-character string.
UID_FIXED_STRING = "MIKEY-SAKKE-UID"
#: Length of a TS 33.180 F.2.1 UID: the full SHA-256 output.
UID_OCTETS = 32
#: Seconds from the NTP epoch (1900-01-01T00:00Z) to the Unix epoch (1970-01-01T00:00Z).
NTP_UNIX_OFFSET = 2_208_988_800
#: RFC 6509 3.2: the identifier is made of a tel URI in international form.
_TEL_PREFIX = "tel:+"


def mcx_uid_input(
    uri: str, kms_uri: str, *, key_period: int, key_period_offset: int = 0, key_period_no: int
) -> bytes:
    """TS 33.180 F.2.1: the hash input S (exposed for tests and diagnostics; it is not secret)."""
    _require_period(key_period)
    if not uri:
        raise UsageError("the user URI (P1) must not be empty (TS 33.180 F.2.1)")
    if not kms_uri:
        raise UsageError("the KMS URI (P2) must not be empty (TS 33.180 F.2.1)")
    hash_input: bytes = build_s(
        FC.MIKEY_SAKKE_UID,
        encode_string(UID_FIXED_STRING),
        encode_string(uri),
        encode_string(kms_uri),
        encode_uint(key_period),
        encode_uint(key_period_offset),
        encode_uint(key_period_no),
    )
    return hash_input


def mcx_uid(
    uri: str, kms_uri: str, *, key_period: int, key_period_offset: int = 0, key_period_no: int
) -> bytes:
    """TS 33.180 F.2.1: the 256-bit MIKEY-SAKKE UID of ``uri`` for one key period of a KMS."""
    hash_input: bytes = mcx_uid_input(
        uri, kms_uri, key_period=key_period, key_period_offset=key_period_offset,
        key_period_no=key_period_no,
    )
    return hashlib.sha256(hash_input).digest()


def key_period_no(ntp_seconds: int, *, key_period: int, key_period_offset: int = 0) -> int:
    """TS 33.180 F.2.1: floor((T - offset) / period), T in NTP seconds since 1900-01-01T00:00Z."""
    _require_period(key_period)
    if key_period_offset < 0:
        raise UsageError(f"key period offset must be non-negative, got {key_period_offset}")
    if ntp_seconds < key_period_offset:
        raise UsageError(
            f"time {ntp_seconds} (NTP seconds) lies before the key period offset "
            f"{key_period_offset}"
        )
    return (ntp_seconds - key_period_offset) // key_period


def unix_to_ntp(unix_seconds: int) -> int:
    """Unix seconds to NTP seconds since 1900 (no era folding: the result may exceed 2**32)."""
    return unix_seconds + NTP_UNIX_OFFSET


def ntp_to_unix(ntp_seconds: int) -> int:
    """NTP seconds since 1900 (era already resolved) to Unix seconds."""
    return ntp_seconds - NTP_UNIX_OFFSET


def rfc6509_uid(tel_uri: str, *, year: int, month: int) -> bytes:
    """RFC 6509 3.2: ``"YYYY-MM" || 0x00 || tel URI || 0x00`` for a monthly key period."""
    if not tel_uri.startswith(_TEL_PREFIX) or "\0" in tel_uri:
        raise UsageError(f"RFC 6509 3.2 identifiers need a tel URI starting {_TEL_PREFIX!r}")
    if not 1 <= month <= 12 or not 0 <= year <= 9999:
        raise UsageError(f"no such key period month {year:04d}-{month:02d}")
    return f"{year:04d}-{month:02d}\0{tel_uri}\0".encode()


def rfc6509_uid_at(tel_uri: str, unix_seconds: int) -> bytes:
    """RFC 6509 3.2 identifier for the (UTC) month that contains ``unix_seconds``."""
    moment = datetime.datetime.fromtimestamp(unix_seconds, tz=datetime.UTC)
    return rfc6509_uid(tel_uri, year=moment.year, month=moment.month)


def _require_period(key_period: int) -> None:
    if isinstance(key_period, bool) or not isinstance(key_period, int) or key_period <= 0:
        raise UsageError(
            f"key period length must be a positive number of seconds, got {key_period!r}"
        )
