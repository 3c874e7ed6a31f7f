"""``mckm demo``: SEAL key distribution end to end on the embedded defaults, saying what it did.

It starts an SKM-S (the KMS role) over HTTPS on 127.0.0.1 in this process, enrols two users and
a group management server (SGM-S), provisions each over HTTPS with an IdMS access token (KMS
Initialize and KeyProvision, TS 33.180 D.2/D.3, through the SKM-S model's client: the response
signature is checked, the keys unwrapped and validated by its guards), then runs the SEAL
procedure model on the engine: Alice sends Bob a
private-call key (PCK) and the SGM-S distributes one group master key (GMK) to both, each in a
MIKEY-SAKKE I_MESSAGE.  It prints what each side holds: SK-ID, purpose and a key fingerprint,
never a key.  Then it runs the MIKEY-TICKET exchange across two KMS domains (TS 33.328 B.2.2.3)
over real HTTPS, with mutually authenticated Zk between the KMSs, and prints the hops; then seed
001 (an IdM login, a CEK per user on one SIP session from the KMS, an S/MIME SIP body the MCPTT
server opens, a KMS-pushed update: :mod:`mckm.impl.roles.cek.demo`) and seed 000 (an InterKMM
each way through the MCX server over SIP, CSK and SPK hops: :mod:`mckm.impl.roles.interkmm.demo`).
It exits with status 1 if the two sides of any exchange do not hold the same key.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.crypto.uid import unix_to_ntp
from mckm.impl.redact import fingerprint
from mckm.impl.roles.cek.demo import cek_exchange
from mckm.impl.roles.interkmm.demo import interkmm_exchange
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.roles.seal import Community, GroupManagementServer, SealUser, UserKeys
from mckm.impl.roles.ticket.demo import two_domain_exchange
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity

T = TypeVar("T")

KMS_URI = "kms.example.org"
ALICE, BOB, SGMS = "sip:alice@example.org", "sip:bob@example.org", "sip:sgms@example.org"
GROUP = "sip:group-1@example.org"


def _timed(label: str, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = action()
    click.echo(f"  {label:<62} {1000 * (time.perf_counter() - start):8.1f} ms")
    return value


def _provision(role: KmsRole, server: KmsHttpsServer, idm: ec.EllipticCurvePrivateKey,
               user: str, transport: TransportKeys) -> SealUser:
    """KMS Initialize and KeyProvision over HTTPS (TS 33.180 D.2), then a SEAL end point."""
    token = access_token.issue(idm, subject=user, scopes=(KMS_SCOPE,),
                               issued_at=int(time.time()), lifetime=300)
    http = KmsClient(server.host, server.port, server.identity.ca_pem, token)
    algorithms = role.algorithms

    def exchange(client: ProvisioningClient, resource: str,
                 options: dict[str, str] | None = None) -> dict[str, Any]:
        """One request of the model's client over HTTPS; its answer through the client's step
        (signature, addressing, TrK, key validation: the SKM-S model's guards)."""
        now = int(time.time())
        request = client.request(resource, token=token, now=now, options=options)
        status, body = http.post(request.path, request.body)
        if status != 200:
            raise click.ClickException(f"the KMS answered {status}: {body.decode()[:200]}")
        return client.response(resource, body, now=now)

    try:
        init = exchange(ProvisioningClient(user, KMS_URI, transport, server.base_url), "init")
        cert = init["certificates"][0]
        checks = messages.KeyChecks(cert, algorithms.uid, algorithms.validate_ssk,
                                    algorithms.validate_rsk)
        prov = _timed(f"{user}: KeyProvision over HTTPS (2 periods)",
                      lambda: exchange(ProvisioningClient(user, KMS_URI, transport,
                                                          server.base_url, checks),
                                       "keyprov", {"user_uri": user}))
    finally:
        http.close()
    keys = [UserKeys(k.user_uri, k.period_no, k.uid, k.ssk, k.pvt, k.rsk)
            for k in prov["key_sets"]]
    click.echo(f"  {user}: key periods {[k.period_no for k in keys]}, UID "
               f"{keys[0].uid.hex()[:16]}… (TS 33.180 F.2.1)")
    community = Community.from_certificate(cert)
    if user == SGMS:
        return GroupManagementServer(user, community, keys)
    return SealUser(user, community, keys, group_servers=(SGMS,))


def _start_and_provision() -> dict[str, SealUser]:
    """An SKM-S on loopback HTTPS that provisions Alice, Bob and the SGM-S, then stops."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteKmsStore(Path(tmp) / "kms.db")
        try:
            role = _timed("SKM-S: community keys (ECCSI KSAK/KPAK, SAKKE z/Z)",
                          lambda: KmsRole.open(store, KmsConfig(KMS_URI), standard()))
            transport = {user: role.enrol(user) for user in (ALICE, BOB, SGMS)}
            idm = ec.generate_private_key(ec.SECP256R1())
            service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
            with KmsHttpsServer(service, make_tls_identity("127.0.0.1")) as server:
                service.base_url = server.base_url
                click.echo(f"SKM-S {KMS_URI} serving HTTPS on {server.base_url}; enrolled "
                           f"{ALICE}, {BOB} and the SGM-S {SGMS} of group {GROUP}")
                return {user: _provision(role, server, idm, user, transport[user])
                        for user in (ALICE, BOB, SGMS)}
        finally:
            store.close()


def _report(holders: dict[str, SealUser]) -> None:
    click.echo("What each side holds (keys shown only as SHA-256 fingerprints):")
    for uri, holder in holders.items():
        for record in holder.store.all():
            click.echo(f"  {uri:24} received {record.describe()}")
        for sk_id, key in holder.initiator_vars.get("sent_keys", {}).items():
            click.echo(f"  {uri:24} sent     SK-ID {sk_id:08x} key sha256:"
                       f"{fingerprint(key.reveal())}")


def _held(holder: SealUser, sk_id: int) -> set[str]:
    return {r.fingerprint for r in holder.store.all() if r.sk_id == sk_id}


def _sent(holder: SealUser, sk_id: int) -> str:
    return fingerprint(holder.initiator_vars["sent_keys"][sk_id].reveal())


@click.command("demo")
def demo() -> None:
    """SEAL key distribution (SKM-S over HTTPS, a PCK and a GMK), a MIKEY-TICKET exchange
    across two KMS domains over HTTPS, seed 001's CEKs for S/MIME SIP and seed 000's InterKMM
    relay."""
    holders = _start_and_provision()
    alice, bob, sgms = holders[ALICE], holders[BOB], holders[SGMS]
    if not isinstance(sgms, GroupManagementServer):
        raise click.ClickException("the SGM-S was not provisioned as a group server")
    now = unix_to_ntp(int(time.time()))

    click.echo(f"{ALICE} -> {BOB}: private call key")
    raw, pck_id = _timed("I_MESSAGE create (SAKKE to Bob's UID, ECCSI by Alice's UID)",
                         lambda: alice.send(BOB, "PCK", now=now))
    _timed(f"I_MESSAGE ({len(raw)} octets) process at Bob",
           lambda: bob.receive(raw, now=now, sender_uri=ALICE))

    click.echo(f"{SGMS} -> members of {GROUP}: group master key")
    gmk_id, per_member = _timed("two I_MESSAGEs (CSB-ID = each member's GUK-ID)",
                                lambda: sgms.distribute_gmk([ALICE, BOB], now=now))
    for member, message in per_member.items():
        _timed(f"process at {member}",
               functools.partial(holders[member].receive, message, now=now, sender_uri=SGMS))

    _report(holders)
    pck_ok = _held(bob, pck_id) == {_sent(alice, pck_id)}
    gmk_ok = _held(alice, gmk_id) == _held(bob, gmk_id) == {_sent(sgms, gmk_id)}
    click.echo(f"PCK {pck_id:08x}: Bob holds Alice's key: {pck_ok}; GMK {gmk_id:08x}: both "
               f"members hold the SGM-S's key: {gmk_ok}")
    click.echo("MIKEY-TICKET across two KMS domains (TS 33.328 B.2.2.3):")
    ticket_ok = two_domain_exchange(click.echo)
    click.echo("KMS-managed CEKs for S/MIME-protected SIP (seed 001, TR 33.879):")
    cek_ok = cek_exchange(click.echo)
    click.echo("InterKMM through the MCX server, CSK and SPK hops (seed 000, TR 33.880):")
    interkmm_ok = interkmm_exchange(click.echo)
    if not (pck_ok and gmk_ok and ticket_ok and cek_ok and interkmm_ok):
        raise SystemExit(1)
