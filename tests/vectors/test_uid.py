"""TS 33.180 F.2.1 MIKEY-SAKKE UIDs, RFC 6509 3.2 identifiers and key period numbers.

The TS publishes no UID output.  The seven vendor-published vectors (Streamwide sw_mikey_sakke
StreamwideTestVectors.md and unit_tests/test_uid_format2.cc) ship with mckm in
``mckm/impl/vectors/data/ts33180-uid-vendor.json`` and are read from there (one home).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import json
import struct
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mckm.impl.crypto import uid
from mckm.impl.errors import UsageError


def _vendor_vectors() -> list[dict[str, Any]]:
    data = resources.files("mckm.impl.vectors") / "data" / "ts33180-uid-vendor.json"
    vectors: list[dict[str, Any]] = json.loads(data.read_text(encoding="utf-8"))["vectors"]
    assert len(vectors) == 7
    return vectors


@pytest.mark.parametrize(
    "v", _vendor_vectors(), ids=lambda v: f"{v['key_period']}-{v['key_period_no']}"
)
def test_vendor_uid_vectors(v: dict[str, Any]) -> None:
    got = uid.mcx_uid(
        v["uri"],
        v["kms_uri"],
        key_period=v["key_period"],
        key_period_offset=v.get("key_period_offset", 0),
        key_period_no=v["key_period_no"],
    )
    assert got.hex() == v["uid"]


def _fixed_width_s(uri: str, kms: str, period: int, offset: int, number: int) -> bytes:
    """The alternative read of P3..P5 (seen in one public implementation): 3, 1, 2 octets."""
    out = b"\x00MIKEY-SAKKE-UID\x00\x0f"
    for p in (uri.encode(), kms.encode()):
        out += p + struct.pack(">H", len(p))
    return (
        out
        + period.to_bytes(3, "big")
        + b"\x00\x03"
        + offset.to_bytes(1, "big")
        + b"\x00\x01"
        + number.to_bytes(2, "big")
        + b"\x00\x02"
    )


def test_minimal_integer_encoding_is_what_the_vectors_need() -> None:
    """Evidence for REQ-KDF-05: vector 1 (period no 1) fails under fixed widths."""
    v = _vendor_vectors()[0]
    assert v["key_period_no"] == 1
    fixed = hashlib.sha256(
        _fixed_width_s(v["uri"], v["kms_uri"], v["key_period"], 0, 1)
    ).hexdigest()
    assert fixed != v["uid"]


def test_hash_input_matches_the_reference_layout() -> None:
    """test_vectors.json ts33180_uid hash_input_hex for the 'ts33180_example' vector."""
    s = uid.mcx_uid_input(
        "sip:user@example.org",
        "kms.example.org",
        key_period=2592000,
        key_period_offset=0,
        key_period_no=1388,
    )
    assert s.hex() == (
        "004d494b45592d53414b4b452d554944000f7369703a75736572406578616d706c652e6f726700146b6d"
        "732e6578616d706c652e6f7267000f278d000003000001056c0002"
    )


def test_ts_33180_f_2_1_2_example() -> None:
    """REQ-KDF-05, REQ-KDF-06: TS 33.180 V16.12.0 F.2.1.2's worked example, to the bit: P1
    sip:user@example.org, P2 kms.example.org, 4-week periods (P3 2592000), offset 0, TIME
    3599719634 (2014-01-26T10:07:14Z) so P5 = 1388; S and the base64 UID as the clause prints
    them."""
    time = 3599719634
    assert uid.key_period_no(time, key_period=2592000, key_period_offset=0) == 1388
    s = uid.mcx_uid_input("sip:user@example.org", "kms.example.org", key_period=2592000,
                      key_period_offset=0, key_period_no=1388)
    assert s.hex() == ("004d494b45592d53414b4b452d554944000f7369703a75736572406578616d706c652e"
                       "6f726700146b6d732e6578616d706c652e6f7267000f278d000003000001056c0002")
    out = uid.mcx_uid("sip:user@example.org", "kms.example.org", key_period=2592000,
                      key_period_offset=0, key_period_no=1388)
    assert base64.b64encode(out).decode() == "OoH7FMOx0P5DycV3EE1VptgXiL/S8JdDxFV3RqWgNTs="


def test_uid_input_errors() -> None:
    with pytest.raises(UsageError, match="positive"):
        uid.mcx_uid("sip:a@b", "k", key_period=0, key_period_no=1)
    with pytest.raises(UsageError, match="non-negative"):
        uid.mcx_uid("sip:a@b", "k", key_period=10, key_period_no=-1)
    with pytest.raises(UsageError, match="P1"):
        uid.mcx_uid("", "k", key_period=10, key_period_no=1)


def test_rfc6509_identifier_is_the_rfc6507_6508_test_id() -> None:
    # RFC 6507/6508 Appendix A ID (shared/reference/rfc_vectors_crosscheck.json).
    expected = bytes.fromhex("323031312D30320074656C3A2B34343737303039303031323300")
    assert uid.rfc6509_uid("tel:+447700900123", year=2011, month=2) == expected
    feb_2011 = calendar.timegm((2011, 2, 14, 12, 0, 0))
    assert uid.rfc6509_uid_at("tel:+447700900123", feb_2011) == expected
    with pytest.raises(UsageError, match="tel URI"):
        uid.rfc6509_uid("sip:a@b", year=2011, month=2)
    with pytest.raises(UsageError, match="month"):
        uid.rfc6509_uid("tel:+1", year=2011, month=13)


def test_ntp_unix_conversion() -> None:
    # 1970-01-01T00:00Z is 2208988800 s after 1900-01-01T00:00Z (70 years, 17 leap days).
    """REQ-KDF-06: T is counted in NTP seconds since 1900-01-01T00:00Z."""
    assert uid.unix_to_ntp(0) == (70 * 365 + 17) * 86400
    assert uid.ntp_to_unix(uid.unix_to_ntp(1_700_000_000)) == 1_700_000_000


def test_key_period_number_examples() -> None:
    """REQ-KDF-06: key period number = floor((T - offset) / period); a time before the offset is
    refused.
    """
    day = 86400
    assert uid.key_period_no(0, key_period=30 * day) == 0
    assert uid.key_period_no(30 * day, key_period=30 * day) == 1
    assert uid.key_period_no(30 * day - 1, key_period=30 * day) == 0
    assert uid.key_period_no(130, key_period=10, key_period_offset=100) == 3
    with pytest.raises(UsageError, match="before the key period offset"):
        uid.key_period_no(5, key_period=10, key_period_offset=6)


@given(
    t=st.integers(0, 2**40),
    period=st.integers(1, 2**26),
    offset=st.integers(0, 2**26),
)
def test_key_period_contains_the_time(t: int, period: int, offset: int) -> None:
    """REQ-KDF-06: the key period numbered for T contains T."""
    t += offset
    n = uid.key_period_no(t, key_period=period, key_period_offset=offset)
    assert offset + n * period <= t < offset + (n + 1) * period
