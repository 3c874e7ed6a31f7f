"""AES key wrap (RFC 3394) and AES key wrap with padding (RFC 5649), on ``cryptography``.

Input checks happen here so that a caller gets an mckm error naming the rule:

* a KEK of another length than 16, 24 or 32 octets, or RFC 3394 key data that is not a multiple
  of 8 octets or shorter than 16, is a caller mistake (:class:`UsageError`);
* a wrapped value of impossible length is malformed input (:class:`DecodeError`);
* a wrapped value whose integrity check fails (RFC 3394 2.2.3 / RFC 5649 3) is
  :class:`VerifyError` - the same error for a wrong KEK and a tampered value.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import keywrap as _kw

from mckm.impl.errors import DecodeError, UsageError, VerifyError

_KEK_OCTETS = (16, 24, 32)
_SEMIBLOCK = 8
#: RFC 3394 2: the key data has n >= 2 64-bit blocks; RFC 5649 wraps 1..2**32 octets.
_MIN_KW_KEY_OCTETS = 16
_MAX_KWP_KEY_OCTETS = 1 << 32
_KW = "AES key wrap (RFC 3394)"
_KWP = "AES key wrap with padding (RFC 5649)"


def wrap(kek: bytes, key_data: bytes) -> bytes:
    """RFC 3394 2.2.1: wrap ``key_data`` (a multiple of 8 octets, at least 16) under ``kek``."""
    _check_kek(kek)
    if len(key_data) < _MIN_KW_KEY_OCTETS or len(key_data) % _SEMIBLOCK:
        raise UsageError(
            f"{_KW} wraps a multiple of 8 octets, at least 16; got {len(key_data)} octets "
            f"(use wrap_with_padding for other lengths)"
        )
    return _kw.aes_key_wrap(bytes(kek), bytes(key_data))


def unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """RFC 3394 2.2.2: unwrap and check the default initial value A6A6A6A6A6A6A6A6."""
    _check_kek(kek)
    if len(wrapped) < _MIN_KW_KEY_OCTETS + _SEMIBLOCK or len(wrapped) % _SEMIBLOCK:
        raise DecodeError(
            f"{len(wrapped)} octets cannot be {_KW} output (a multiple of 8 octets, at least 24)",
            payload=_KW, field="ciphertext",
        )
    try:
        return _kw.aes_key_unwrap(bytes(kek), bytes(wrapped))
    except _kw.InvalidUnwrap:
        raise VerifyError(
            "integrity check of the wrapped key failed (wrong KEK or altered ciphertext)",
            clause="RFC 3394 2.2.3",
        ) from None


def wrap_with_padding(kek: bytes, key_data: bytes) -> bytes:
    """RFC 5649 4.1: wrap 1..2**32 octets of ``key_data`` under ``kek``."""
    _check_kek(kek)
    if not 1 <= len(key_data) <= _MAX_KWP_KEY_OCTETS:
        raise UsageError(f"{_KWP} wraps 1 to 2**32 octets, got {len(key_data)}")
    return _kw.aes_key_wrap_with_padding(bytes(kek), bytes(key_data))


def unwrap_with_padding(kek: bytes, wrapped: bytes) -> bytes:
    """RFC 5649 4.2: unwrap and check the alternative initial value A65959A6 || MLI and padding."""
    _check_kek(kek)
    if len(wrapped) < 2 * _SEMIBLOCK or len(wrapped) % _SEMIBLOCK:
        raise DecodeError(
            f"{len(wrapped)} octets cannot be {_KWP} output (a multiple of 8 octets, at least 16)",
            payload=_KWP, field="ciphertext",
        )
    try:
        return _kw.aes_key_unwrap_with_padding(bytes(kek), bytes(wrapped))
    except _kw.InvalidUnwrap:
        raise VerifyError(
            "integrity check of the wrapped key failed (wrong KEK or altered ciphertext)",
            clause="RFC 5649 3",
        ) from None


def _check_kek(kek: bytes) -> None:
    if not isinstance(kek, bytes | bytearray):
        raise UsageError(f"the KEK must be bytes, not {type(kek).__name__}")
    if len(kek) not in _KEK_OCTETS:
        raise UsageError(f"an AES KEK is 16, 24 or 32 octets, got {len(kek)}")
