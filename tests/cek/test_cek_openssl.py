"""openssl cms as the judge of a CEK the KMS issued over HTTPS: the MCPTT server's copy of the
CEK (as pushed over mutual TLS) and the Key ID open the body the client sealed with its copy,
and openssl's body under them opens at the client (``-secretkey``/``-secretkeyid``)."""

from __future__ import annotations

import subprocess

import pytest

from mckm.impl.roles.cek.wire import key_id_octets
from mckm.impl.smime import mime
from tests.cek.conftest import World
from tests.conftest import require_tool

pytestmark = pytest.mark.interop

INFO = "application/vnd.3gpp.mcptt-info+xml"
BODY = b"<mcptt-info><mcptt-Params><mcptt-calling-user-id>sip:alice@example.org" \
       b"</mcptt-calling-user-id></mcptt-Params></mcptt-info>"


def _openssl(*args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([require_tool("openssl"), "cms", *args], input=data,
                          capture_output=True, timeout=30, check=False)


def test_openssl_opens_with_the_pushed_cek_and_seals_for_the_client(world: World) -> None:
    alice = world.client("alice")
    status, answer = alice.issue(world.kms_token())
    assert status == 200, answer
    key_id = alice.key_id
    server_cek = world.server.keyring.cek(key_id)
    assert server_cek is not None
    sealed = mime.seal(BODY, INFO, key_id_octets(key_id), alice.keyring.cek(key_id)
                       or pytest.fail("the client holds no CEK"))
    opened = _openssl("-decrypt", "-inform", "DER", "-secretkey", server_cek.reveal().hex(),
                      "-secretkeyid", key_id, data=sealed)
    assert opened.returncode == 0, opened.stderr.decode()
    assert opened.stdout == mime.entity(INFO, BODY)
    reply = _openssl("-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-secretkey",
                     server_cek.reveal().hex(), "-secretkeyid", key_id,
                     data=mime.entity(INFO, b"<ok/>"))
    assert reply.returncode == 0, reply.stderr.decode()
    assert mime.open_sealed(reply.stdout, alice.keyring.lookup) == (
        INFO, b"<ok/>", key_id_octets(key_id))
    other = world.client("bob")
    assert other.issue(world.kms_token("bob"))[0] == 200
    wrong = other.keyring.cek(other.key_id)
    assert wrong is not None
    refused = _openssl("-decrypt", "-inform", "DER", "-secretkey", wrong.reveal().hex(),
                       "-secretkeyid", key_id, data=sealed)
    assert refused.returncode != 0
