"""AES key wrap: RFC 3394 section 4 and RFC 5649 section 6 test vectors, and clean errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.crypto import keywrap
from mckm.impl.errors import DecodeError, UsageError, VerifyError

_KEK = bytes(range(32))  # RFC 3394 4.x: KEK = 000102...1F truncated to 128/192/256 bits
_DATA = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")

# RFC 3394 section 4: (KEK octets, key data octets, ciphertext)
_RFC3394 = [
    (16, 16, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"),  # 4.1
    (24, 16, "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"),  # 4.2
    (32, 16, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"),  # 4.3
    (24, 24, "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"),  # 4.4
    (32, 24, "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"),  # 4.5
    (
        32,
        32,
        "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21",
    ),  # 4.6
]


@pytest.mark.parametrize(("kek_octets", "data_octets", "wrapped"), _RFC3394)
def test_rfc3394_section4_vectors(kek_octets: int, data_octets: int, wrapped: str) -> None:
    """REQ-KDF-12: AES key wrap gives and opens the six RFC 3394 section 4 vectors."""
    kek, data = _KEK[:kek_octets], _DATA[:data_octets]
    assert keywrap.wrap(kek, data) == bytes.fromhex(wrapped)
    assert keywrap.unwrap(kek, bytes.fromhex(wrapped)) == data


_NOT_BYTES: Any = "k"
_RFC5649_KEK = bytes.fromhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")


@pytest.mark.parametrize(
    ("key", "wrapped"),
    [  # RFC 5649 section 6
        (
            "c37b7e6492584340bed12207808941155068f738",
            "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
        ),
        ("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"),
    ],
)
def test_rfc5649_section6_vectors(key: str, wrapped: str) -> None:
    """REQ-KDF-12: AES key wrap with padding gives and opens the RFC 5649 section 6 vectors."""
    assert keywrap.wrap_with_padding(_RFC5649_KEK, bytes.fromhex(key)).hex() == wrapped
    assert keywrap.unwrap_with_padding(_RFC5649_KEK, bytes.fromhex(wrapped)).hex() == key


def test_wrong_kek_or_tampering_is_a_verify_error() -> None:
    """REQ-KDF-12: a wrong KEK or a changed octet fails the integrity check (VerifyError)."""
    wrapped = keywrap.wrap(_KEK[:16], _DATA[:16])
    with pytest.raises(VerifyError, match=r"RFC 3394 2\.2\.3"):
        keywrap.unwrap(bytes(16), wrapped)
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(VerifyError):
        keywrap.unwrap(_KEK[:16], tampered)
    with pytest.raises(VerifyError, match="RFC 5649"):
        keywrap.unwrap_with_padding(_RFC5649_KEK, bytes(16))


def test_padded_and_unpadded_forms_do_not_cross() -> None:
    """RFC 5649 7: the two initial values keep one form from unwrapping as the other.

    REQ-KDF-12: the RFC 3394 and RFC 5649 initial values keep one form from opening as the other.
    """
    padded = keywrap.wrap_with_padding(_KEK[:16], _DATA[:16])
    with pytest.raises(VerifyError):
        keywrap.unwrap(_KEK[:16], padded)
    with pytest.raises(VerifyError):
        keywrap.unwrap_with_padding(_KEK[:16], keywrap.wrap(_KEK[:16], _DATA[:16]))


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda: keywrap.wrap(bytes(15), bytes(16)), UsageError, "16, 24 or 32"),
        (lambda: keywrap.wrap(bytes(16), bytes(8)), UsageError, "at least 16"),
        (lambda: keywrap.wrap(bytes(16), bytes(20)), UsageError, "multiple of 8"),
        (lambda: keywrap.wrap_with_padding(bytes(16), b""), UsageError, "1 to 2**32"),
        (lambda: keywrap.unwrap(bytes(16), bytes(23)), DecodeError, "ciphertext"),
        (lambda: keywrap.unwrap(bytes(16), bytes(16)), DecodeError, "at least 24"),
        (lambda: keywrap.unwrap_with_padding(bytes(16), bytes(12)), DecodeError, "RFC 5649"),
        (lambda: keywrap.unwrap(_NOT_BYTES, bytes(24)), UsageError, "bytes"),
    ],
)
def test_bad_input_gives_a_clear_error(
    call: Callable[[], object], error: type[Exception], text: str
) -> None:
    """REQ-KDF-12: wrong KEK, key data and ciphertext sizes give UsageError or DecodeError."""
    with pytest.raises(error, match=text.replace("*", r"\*")):
        call()


@settings(max_examples=40)
@given(
    kek=st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    data=st.binary(min_size=1, max_size=64),
)
def test_round_trips(kek: bytes, data: bytes) -> None:
    assert keywrap.unwrap_with_padding(kek, keywrap.wrap_with_padding(kek, data)) == data
    if len(data) >= 16 and len(data) % 8 == 0:
        assert keywrap.unwrap(kek, keywrap.wrap(kek, data)) == data
