"""S/MIME benchmarks (seed 001): protect and unprotect a 2 kB SIP body under a CEK, with
references measured in the same run.

* ``cms-protect`` / ``cms-unprotect``: :func:`mckm.impl.smime.mime.seal` /
  :func:`~mckm.impl.smime.mime.open_sealed` of a 2,048-octet XML body: MIME entity, fresh content
  key and nonce, AES key wrap, AES-256-GCM, the AuthEnvelopedData encoded / parsed and checked
  by asn1crypto.
* ``cms-aead-floor``: the same cryptography alone (key wrap + AES-256-GCM, both directions,
  through ``cryptography``, i.e. OpenSSL's library), no ASN.1: what CMS costs on top of it.
* ``cms-openssl-encrypt`` / ``cms-openssl-decrypt``: ``openssl cms`` on the same entity, one
  process per operation (the command a user would run; process start-up is part of the figure,
  so it is a reference for the command, not for OpenSSL's CMS code in a long-running process);
  ``cms-openssl-startup`` (``openssl version``) is that start-up alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mckm.bench.registry import Operation, benchmark
from mckm.impl.errors import UsageError
from mckm.impl.smime import mime

KEY_ID = bytes.fromhex("2c0f0a01")
CEK = bytes(range(0x40, 0x60))
XML = "application/vnd.3gpp.mcptt-info+xml"
_ELEMENT = b"<mcptt-request-uri>sip:alice@mcptt.example.org</mcptt-request-uri>"
_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\r\n<mcpttinfo><mcptt-Params>'
_TAIL = b"</mcptt-Params></mcpttinfo>\r\n"
#: a 2,048-octet SIP body (an mcptt-info XML document)
BODY = (_HEAD + _ELEMENT * 30)[:2048 - len(_TAIL)] + _TAIL
assert len(BODY) == 2048


@benchmark("cms-protect", "seal a 2 kB SIP body: CMS AuthEnvelopedData, KEKRecipientInfo, "
           "AES-256-GCM (RFC 5083/5084)")
def protect_setup() -> Operation:
    return lambda: mime.seal(BODY, XML, KEY_ID, CEK)


@benchmark("cms-unprotect", "open a sealed 2 kB SIP body: parse, checks, unwrap, GCM verify")
def unprotect_setup() -> Operation:
    der = mime.seal(BODY, XML, KEY_ID, CEK)
    keys = {KEY_ID: CEK}
    return lambda: mime.open_sealed(der, keys)


@benchmark("cms-aead-floor", "reference: key wrap + AES-256-GCM of the 2 kB entity and back "
           "through cryptography (OpenSSL), no ASN.1")
def floor_setup() -> Operation:
    entity = mime.entity(XML, BODY)

    def op() -> bytes:
        key, nonce = os.urandom(32), os.urandom(12)
        wrapped = keywrap.aes_key_wrap(CEK, key)
        sealed = AESGCM(key).encrypt(nonce, entity, None)
        return AESGCM(keywrap.aes_key_unwrap(CEK, wrapped)).decrypt(nonce, sealed, None)

    return op


def _openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        raise UsageError("the openssl reference needs the openssl command (apt-get install "
                         "openssl)")
    return path


def _files() -> tuple[str, Path]:
    openssl = _openssl()
    folder = Path(tempfile.mkdtemp(prefix="mckm-bench-cms-"))
    (folder / "entity").write_bytes(mime.entity(XML, BODY))
    (folder / "sealed.der").write_bytes(mime.seal(BODY, XML, KEY_ID, CEK))
    return openssl, folder


@benchmark("cms-openssl-encrypt", "reference: `openssl cms -encrypt -aes-256-gcm -secretkey "
           "-secretkeyid` of the same entity, one process per operation", instructions=False)
def openssl_encrypt_setup() -> Operation:
    openssl, folder = _files()
    command = [openssl, "cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER",
               "-secretkey", CEK.hex(), "-secretkeyid", KEY_ID.hex(),
               "-in", str(folder / "entity"), "-out", str(folder / "out.der")]
    return lambda: subprocess.run(command, check=True, capture_output=True)


@benchmark("cms-openssl-decrypt", "reference: `openssl cms -decrypt -secretkey -secretkeyid` "
           "of our sealed body, one process per operation", instructions=False)
def openssl_decrypt_setup() -> Operation:
    openssl, folder = _files()
    command = [openssl, "cms", "-decrypt", "-inform", "DER", "-secretkey", CEK.hex(),
               "-secretkeyid", KEY_ID.hex(), "-in", str(folder / "sealed.der"),
               "-out", str(folder / "out")]
    return lambda: subprocess.run(command, check=True, capture_output=True)


@benchmark("cms-openssl-startup", "reference: `openssl version`, one process per operation (the "
           "start-up part of the two openssl figures)", instructions=False)
def openssl_startup_setup() -> Operation:
    command = [_openssl(), "version"]
    return lambda: subprocess.run(command, check=True, capture_output=True)
