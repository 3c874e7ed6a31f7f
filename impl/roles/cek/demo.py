"""Seed 001 in `mckm demo`: the SIP steps (REGISTER, third-party REGISTER, PUBLISH with the
access token, 200 with the service authorisation profile), login at the IdM, a CEK per user on
one SIP session from the KMS, an S/MIME-protected SIP MESSAGE body the MCPTT server opens, and
a KMS-pushed update.

Everything runs on real loopback sockets: the IdM (OAuth 2.0 code flow with PKCE, ES256 tokens,
JWKS) over HTTPS; the UE, the SIP core and the MCPTT server's SIP side over UDP (the model
``sip-registration`` run by the engine, figure 7.x.2-1 steps 1, 2 and 4: two MCPTT users log in
through one registered UE, so one SIP session); the KMS's CEK service checking the KMS access
token against the IdM's JWKS, and the MCPTT server's push endpoint that the KMS reaches over
mutually authenticated TLS.  The CEKs are issued for the SIP session the MCPTT server bound the
users to.  It prints Key IDs, token key ids and SHA-256 fingerprints, never a key or a token.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
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
from mckm.impl.roles.sip_core import McpttSipServer, SipCore, SipUe
from mckm.impl.roles.sip_core.nodes import Outcome
from mckm.impl.smime import mime
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import make_tls_identity

KMS_ID, SERVER_ID = "https://kms.example.org", "https://mcptt.example.org"
KMS_AUDIENCE, MCPTT_AUDIENCE = "kms.example.org", "mcptt.example.org"
CLIENT, REDIRECT = "mcptt-client", "https://client.example.org/cb"
USERS = {"alice": "sip:alice@example.org", "bob": "sip:bob@example.org"}
#: the IMPU of the UE both MCPTT users log in through (its public user identity)
IMPU = "sip:+4911111@ims.example.org"
SCOPES = ("openid", "3gpp:mc:ptt_service", KMS_SCOPE)
INFO = "application/vnd.3gpp.mcptt-info+xml"
#: an mcptt-info body (TS 24.379 F.1.2: root mcpttinfo in urn:3gpp:ns:mcpttInfo:1.0, elements
#: qualified; mcptt-request-uri is a contentType, its URI in mcpttURI, type Normal: not
#: encrypted), the SIP body the S/MIME step protects
BODY = (b'<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params>'
        b'<mcptt-request-uri type="Normal"><mcpttURI>sip:group@example.org</mcpttURI>'
        b'</mcptt-request-uri></mcptt-Params></mcpttinfo>')


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
        mcptt_verifier = access_token.TokenVerifier(
            JwksFetcher(idm.base_url + "/jwks", idm.identity.ca_pem), audience=MCPTT_AUDIENCE,
            issuer=idm.base_url)
        connection: CekClient | None = None
        try:
            with CekHttpsServer(service, pki.issue(KMS_ID)) as kms, \
                    McpttSipServer(mcptt_verifier, core_uri="") as sip_server, \
                    SipCore({IMPU}, server=sip_server.address) as core, \
                    SipUe(IMPU, USERS["alice"], core=core.address) as ue:
                sip_server.trust_core(core.address, core.uri)
                echo(f"  IdM {idm.base_url}, KMS {kms.base_url}, MCPTT server "
                     f"{server.base_url} (mutual TLS for the KMS's pushes), SIP core "
                     f"{core.sent_by} and MCPTT server {_at(sip_server.address)} (SIP over "
                     "UDP)")
                connection = CekClient(kms.host, kms.port, pki.cert_pem)
                return _flow(echo, idm, service, server, connection, passwords,
                             _Sip(ue, core, sip_server))
        finally:
            if connection is not None:
                connection.close()
            pusher.close()
            store.close()


@dataclass(frozen=True)
class _Sip:
    """The SIP side of the demo: one UE, the SIP core and the MCPTT server's SIP node."""

    ue: SipUe
    core: SipCore
    server: McpttSipServer


def _at(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


def _answer(outcome: Outcome) -> str:
    refused = f", refused by the UE: {outcome.refused}" if outcome.refused else ""
    return f"{outcome.status} {outcome.reason}{refused}"


def _register(echo: Callable[[str], object], sip: _Sip) -> bool:
    """Steps 1 and 2: REGISTER at the SIP core, which registers the IMPU at the MCPTT server
    by a third-party REGISTER before it answers (REQ-SIPREG-01..03)."""
    outcome = sip.ue.register()
    echo(f"  SIP step 1: REGISTER {IMPU} (contact {sip.ue.contact}) at the SIP core: "
         f"{_answer(outcome)}")
    known = IMPU in sip.server.registered()
    echo(f"  SIP step 2: third-party REGISTER of {IMPU} from the SIP core ({sip.core.uri}) to "
         f"the MCPTT server: IMPU registered there: {known}")
    return outcome.status == 200 and outcome.refused is None and known


def _publish(echo: Callable[[str], object], sip: _Sip, mcptt_id: str, token: str) -> str | None:
    """Step 4: PUBLISH (Event poc-settings) with the access token in an mcptt-info body, via the
    SIP core; the 200 carries the service authorisation profile (REQ-SIPREG-04..08).  A second
    MCPTT user logs in through the same registered UE (seed 001 7.x.1: the ue role resumes in
    'registered'), so both are bound to one SIP session.  The profile's session, or None."""
    sip.ue.vars["mcptt_id"] = mcptt_id
    sip.ue.machine.state = "registered"
    outcome = sip.ue.publish(token)
    profile = sip.ue.profile
    echo(f"  SIP step 4: PUBLISH for {mcptt_id} (access token kid {_kid(token)}, in "
         f"mcptt-access-token) via the SIP core: {_answer(outcome)}")
    if outcome.status != 200 or outcome.refused is not None or profile is None:
        return None
    echo(f"  SIP step 4: 200 OK with the service authorisation profile: MCPTT ID "
         f"{profile.mcptt_id}, IMPU {profile.impu}, SIP session {profile.session}, expires "
         f"{profile.expires} s")
    return profile.session


def _flow(echo: Callable[[str], object], idm: IdmHttpsServer, service: CekService,
          server: PushEndpoint, connection: CekClient, passwords: dict[str, str],
          sip: _Sip) -> bool:
    if not _register(echo, sip):
        return False
    held: dict[str, str] = {}
    sessions: set[str] = set()
    roles = {}
    for name, uri in USERS.items():
        start = time.perf_counter()
        tokens = client.login(client.IdmSession(idm.base_url, idm.identity.ca_pem, CLIENT,
                                                REDIRECT, SCOPES), name, passwords[name])
        kms_token = tokens["kms_access_token"]
        echo(f"  {uri}: login (code flow + PKCE): access token for the MCPTT server and KMS "
             f"access token (kid {_kid(kms_token)}) ({1000 * (time.perf_counter() - start):.0f}"
             " ms)")
        session = _publish(echo, sip, uri, tokens["access_token"])
        if session is None:
            return False
        sessions.add(session)
        start = time.perf_counter()
        role = connection.role(uri, session, KMS_ID, time.time)
        status, _ = role.issue(kms_token)
        if status != 200:
            echo(f"  {uri}: CEK issue refused, HTTP {status}")
            return False
        cek = role.keyring.cek(role.key_id)
        assert cek is not None
        held[uri], roles[uri] = role.key_id, role
        echo(f"  {uri}: CEK from the KMS for SIP session {session}: Key ID {role.key_id}, "
             f"sha256:{fingerprint(cek.reveal())} ({1000 * (time.perf_counter() - start):.0f}"
             " ms)")
    if len(sessions) != 1:
        echo(f"  the users are bound to {len(sessions)} SIP sessions, not one")
        return False
    (session,) = sessions
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
