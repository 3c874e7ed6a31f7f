"""Seed 001 in `mckm demo`: login at the IdM, a CEK per user on one SIP session from the KMS,
an S/MIME-protected SIP MESSAGE body the MCPTT server opens, and a KMS-pushed update.

Everything runs over real HTTPS on loopback: the IdM (OAuth 2.0 code flow with PKCE, ES256
tokens, JWKS), the KMS's CEK service checking the KMS access token against that JWKS, and the
MCPTT server's push endpoint that the KMS reaches over mutually authenticated TLS.  It prints
Key IDs, token key ids and SHA-256 fingerprints, never a key or a token.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from joserfc import jws

from mckm.impl.redact import fingerprint
from mckm.impl.roles.cek.https import CekClient, CekHttpsServer, CekPki, PushEndpoint, Pusher
from mckm.impl.roles.cek.service import CekService
from mckm.impl.roles.cek.wire import key_id_octets
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.config import IdmConfig, hash_password
from mckm.impl.roles.idm.https import IdmHttpsServer, JwksFetcher
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.smime import mime
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import make_tls_identity

KMS_ID, SERVER_ID = "https://kms.example.org", "https://mcptt.example.org"
KMS_AUDIENCE, MCPTT_AUDIENCE = "kms.example.org", "mcptt.example.org"
CLIENT, REDIRECT = "mcptt-client", "https://client.example.org/cb"
USERS = {"alice": "sip:alice@example.org", "bob": "sip:bob@example.org"}
SCOPES = ("openid", "3gpp:mc:ptt_service", KMS_SCOPE)
INFO = "application/vnd.3gpp.mcptt-info+xml"
BODY = b"<mcpttinfo><mcptt-Params><mcptt-request-uri>sip:group@example.org" \
       b"</mcptt-request-uri></mcptt-Params></mcpttinfo>"


def _config(passwords: dict[str, str]) -> IdmConfig:
    return IdmConfig.from_json({
        "users": {name: {"mcptt_id": uri, "password": hash_password(passwords[name])}
                  for name, uri in USERS.items()},
        "clients": {CLIENT: {"redirect_uris": [REDIRECT]}},
        "mcptt_audience": MCPTT_AUDIENCE, "kms_audience": KMS_AUDIENCE, "token_lifetime": 600,
    }, "demo IdM")


def cek_exchange(echo: Callable[[str], object]) -> bool:
    """Run the seed 001 flow; print each step; True if every check held."""
    passwords = {name: secrets.token_urlsafe(12) for name in USERS}  # the demo users' logins
    pki = CekPki.create()
    with tempfile.TemporaryDirectory() as folder, \
            IdmHttpsServer(IdmRole.create(_config(passwords)),
                           make_tls_identity("127.0.0.1")) as idm, \
            PushEndpoint(pki.issue(SERVER_ID), pki.cert_pem, KMS_ID) as server:
        store = SqliteKmsStore(Path(folder) / "kms.db")
        pusher = Pusher(pki.issue(KMS_ID), pki.cert_pem)
        verifier = access_token.TokenVerifier(
            JwksFetcher(idm.base_url + "/jwks", idm.identity.ca_pem), audience=KMS_AUDIENCE,
            issuer=idm.base_url)
        service = CekService(store, verifier, pusher, server.base_url)
        connection: CekClient | None = None
        try:
            with CekHttpsServer(service, pki.issue(KMS_ID)) as kms:
                echo(f"  IdM {idm.base_url}, KMS {kms.base_url}, MCPTT server "
                     f"{server.base_url} (mutual TLS for the KMS's pushes)")
                connection = CekClient(kms.host, kms.port, pki.cert_pem)
                return _flow(echo, idm, service, server, connection, passwords)
        finally:
            if connection is not None:
                connection.close()
            pusher.close()
            store.close()


def _flow(echo: Callable[[str], object], idm: IdmHttpsServer, service: CekService,
          server: PushEndpoint, connection: CekClient, passwords: dict[str, str]) -> bool:
    session = f"sip:call-{secrets.token_hex(4)}@example.org"
    held: dict[str, str] = {}
    roles = {}
    for name, uri in USERS.items():
        start = time.perf_counter()
        tokens = client.login(client.IdmSession(idm.base_url, idm.identity.ca_pem, CLIENT,
                                                REDIRECT, SCOPES), name, passwords[name])
        kms_token = tokens["kms_access_token"]
        role = connection.role(uri, session, KMS_ID, time.time)
        status, _ = role.issue(kms_token)
        if status != 200:
            echo(f"  {uri}: CEK issue refused, HTTP {status}")
            return False
        cek = role.keyring.cek(role.key_id)
        assert cek is not None
        held[uri], roles[uri] = role.key_id, role
        echo(f"  {uri}: login (code flow + PKCE), KMS access token (kid "
             f"{_kid(kms_token)}), CEK for {session}: Key ID {role.key_id}, sha256:"
             f"{fingerprint(cek.reveal())} ({1000 * (time.perf_counter() - start):.0f} ms)")
    pushed = server.keyring.key_ids()
    both = all(pushed.get(key_id) == (uri, session) for uri, key_id in held.items())
    distinct = len(set(held.values())) == len(held)
    echo(f"  MCPTT server holds both Key IDs, pushed by the KMS: {both}; distinct: {distinct}")

    alice = roles[USERS["alice"]]
    cek = alice.keyring.cek(alice.key_id)
    assert cek is not None
    request = mime.sip_request(mime.seal(BODY, INFO, key_id_octets(alice.key_id), cek),
                               from_uri=USERS["alice"], to_uri="sip:mcptt-server@example.org")
    content_type, opened, _ = mime.open_sealed(mime.der_of_sip(request), server.keyring.lookup)
    readable = (content_type, opened) == (INFO, BODY)
    echo(f"  SIP MESSAGE with an S/MIME body ({len(request)} octets, CMS AuthEnvelopedData, "
         f"AES-256-GCM, kekid {alice.key_id}): the MCPTT server opens it: {readable}")

    new_key_id = service.rekey(USERS["alice"], session)
    now_held = server.keyring.key_ids()
    rekeyed = new_key_id in now_held and alice.key_id not in now_held
    new_cek = server.keyring.cek(new_key_id)
    echo(f"  KMS-pushed update for {USERS['alice']}: Key ID {alice.key_id} retired, "
         f"{new_key_id} sha256:{fingerprint(new_cek.reveal()) if new_cek else '-'} at the "
         f"MCPTT server: {rekeyed}")
    return both and distinct and readable and rekeyed


def _kid(token: str) -> str:
    """The ``kid`` of a compact JWS's header (which IdM key signed it; not secret)."""
    header = jws.extract_compact(token.encode("ascii")).headers()
    return str(header.get("kid", "?"))
