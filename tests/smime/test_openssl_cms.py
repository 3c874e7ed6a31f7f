"""openssl cms as the judge of the S/MIME bodies, both ways (RFC 5083 AuthEnvelopedData,
RFC 5084 AES-256-GCM, RFC 5652 6.2.3 KEKRecipientInfo, RFC 3394 key wrap).

* ours -> openssl: ``openssl cms -decrypt -secretkey HEX -secretkeyid HEX`` opens our DER
  (``-inform DER``), our S/MIME body part (``-inform SMIME``) and the shipped ``cms-kek``
  vectors; it refuses our body with a flipped tag bit.
* openssl -> ours: ``openssl cms -encrypt -aes-256-gcm -secretkey -secretkeyid`` in DER, in
  streamed BER (``-stream``) and as S/MIME is opened by ``unprotect``; a wrong CEK, an unknown
  Key ID and a flipped bit in its ciphertext, tag or wrapped key are refused with named errors.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import DecodeError, PolicyError, VerifyError
from mckm.impl.smime import cms, mime
from tests.conftest import require_tool
from tests.smime.helpers import BODY, CEK, KEY_ID, XML, regions

pytestmark = pytest.mark.interop

VECTORS = Path(cms.__file__).resolve().parents[1] / "vectors" / "data" / "cms-kek.json"


def _openssl(*args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([require_tool("openssl"), "cms", *args], input=data,
                          capture_output=True, timeout=30, check=False)


def _decrypt(data: bytes, inform: str, cek: bytes = CEK,
             key_id: bytes = KEY_ID) -> subprocess.CompletedProcess[bytes]:
    return _openssl("-decrypt", "-inform", inform, "-secretkey", cek.hex(),
                    "-secretkeyid", key_id.hex(), data=data)


@cache
def _openssl_encrypted(outform: str, *extra: str) -> bytes:
    done = _openssl("-encrypt", "-binary", "-aes-256-gcm", "-outform", outform,
                    "-secretkey", CEK.hex(), "-secretkeyid", KEY_ID.hex(), *extra,
                    data=mime.entity(XML, BODY))
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_openssl_opens_our_der() -> None:
    der = mime.seal(BODY, XML, KEY_ID, CEK)
    done = _decrypt(der, "DER")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == mime.entity(XML, BODY)


def test_openssl_opens_our_smime_body_part() -> None:
    part = mime.body_part(mime.seal(BODY, XML, KEY_ID, CEK))
    done = _decrypt(part, "SMIME")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == mime.entity(XML, BODY)


def test_openssl_opens_the_shipped_vectors() -> None:
    vectors = json.loads(VECTORS.read_text())["vectors"]
    assert vectors
    for vector in vectors:
        done = _decrypt(bytes.fromhex(vector["cms"]), "DER", bytes.fromhex(vector["cek"]),
                        bytes.fromhex(vector["key_id"]))
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout == bytes.fromhex(vector["plaintext"])


def test_openssl_refuses_our_body_with_a_flipped_tag_bit() -> None:
    der = bytearray(mime.seal(BODY, XML, KEY_ID, CEK))
    der[regions(bytes(der))["tag"].start] ^= 0x01
    assert _decrypt(bytes(der), "DER").returncode != 0
    assert _decrypt(bytes(mime.seal(BODY, XML, KEY_ID, CEK)), "DER", cek=bytes(32)) \
        .returncode != 0


@pytest.mark.parametrize(("outform", "extra"), [("DER", ()), ("DER", ("-stream",))])
def test_we_open_openssl_der_and_streamed_ber(outform: str, extra: tuple[str, ...]) -> None:
    content_type, body, key_id = mime.open_sealed(_openssl_encrypted(outform, *extra),
                                                  {KEY_ID: CEK})
    assert (content_type, body, key_id) == (XML, BODY, KEY_ID)


def test_we_open_openssl_smime() -> None:
    der = mime.der_of_body_part(_openssl_encrypted("SMIME"))
    assert mime.open_sealed(der, {KEY_ID: CEK})[:2] == (XML, BODY)


def test_openssl_body_with_wrong_cek_or_unknown_key_id_is_refused() -> None:
    der = _openssl_encrypted("DER")
    with pytest.raises(VerifyError, match="RFC 3394"):
        cms.unprotect(der, {KEY_ID: bytes(32)})
    with pytest.raises(PolicyError, match=KEY_ID.hex()):
        cms.unprotect(der, {b"\x00\x00\x00\x01": CEK})


@settings(max_examples=200)
@given(st.data())
def test_openssl_body_with_a_flipped_bit_is_refused(data: st.DataObject) -> None:
    der = _openssl_encrypted("DER")
    where = regions(der)
    name = data.draw(st.sampled_from(sorted(where)))
    position = data.draw(st.sampled_from(where[name]))
    tampered = bytearray(der)
    tampered[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(VerifyError):
        cms.unprotect(bytes(tampered), {KEY_ID: CEK})


@pytest.mark.parametrize("extra", [(), ("-stream",)])
def test_every_single_bit_flip_of_a_small_openssl_body_is_refused(extra: tuple[str, ...]) -> None:
    """openssl's DER and streamed BER of a small entity: all 8 x len one-bit changes refused
    with a named error (BER's freedom gives no second reading that opens)."""
    done = _openssl("-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-secretkey",
                    CEK.hex(), "-secretkeyid", KEY_ID.hex(), *extra,
                    data=mime.entity("text/plain", b"hi"))
    assert done.returncode == 0, done.stderr.decode()
    der = done.stdout
    assert mime.open_sealed(der, {KEY_ID: CEK})[1] == b"hi"
    for position in range(len(der)):
        for bit in range(8):
            tampered = bytearray(der)
            tampered[position] ^= 1 << bit
            with pytest.raises((DecodeError, PolicyError, VerifyError)):
                cms.unprotect(bytes(tampered), {KEY_ID: CEK})
