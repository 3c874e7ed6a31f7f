"""``mckm kms``: run a KMS (SKM-S) over HTTPS, enrol users, and issue demo access tokens."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.errors import MckmError
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsHttpsServer, TlsIdentity, make_tls_identity


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new or existing file with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _load_or_create_idm_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise click.UsageError(f"{path} is not an EC private key")
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    _write_private(path, key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return key


def _idm_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        private = serialization.load_pem_private_key(data, password=None)
        if isinstance(private, ec.EllipticCurvePrivateKey):
            return private.public_key()
    else:
        public = serialization.load_pem_public_key(data)
        if isinstance(public, ec.EllipticCurvePublicKey):
            return public
    raise click.UsageError(f"{path} holds no P-256 IdMS key")


@click.group("kms")
def kms() -> None:
    """The KMS / SKM-S of TS 33.180 Annex D (TS 33.434 6.Y): key provisioning over HTTPS."""


@kms.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8443, show_default=True, type=int, help="0 = any free port")
@click.option("--db", "db_path", required=True, type=click.Path(path_type=Path),
              help="SQLite store (secret; created with mode 0600)")
@click.option("--kms-uri", required=True, help="the KMS URI, e.g. kms.example.org")
@click.option("--key-period", default=2592000, show_default=True, type=int,
              help="UserKeyPeriod in seconds")
@click.option("--key-offset", default=0, show_default=True, type=int,
              help="UserKeyOffset in seconds")
@click.option("--idm-key", required=True, type=click.Path(exists=True, path_type=Path),
              help="PEM key of the IdMS whose access tokens are accepted")
@click.option("--cert", "cert_file", type=click.Path(exists=True, path_type=Path),
              help="PEM server certificate chain (default: a fresh test CA)")
@click.option("--key", "key_file", type=click.Path(exists=True, path_type=Path),
              help="PEM server key (with --cert)")
@click.option("--ca-out", type=click.Path(path_type=Path),
              help="where to write the generated CA certificate for clients")
def serve(host: str, port: int, db_path: Path, kms_uri: str, key_period: int, key_offset: int,
          idm_key: Path, cert_file: Path | None, key_file: Path | None,
          ca_out: Path | None) -> None:
    """Serve /keymanagement/identity/v1/{init,keyprov,certcache} over HTTPS until Ctrl-C."""
    if (cert_file is None) != (key_file is None):
        raise click.UsageError("--cert and --key go together")
    if cert_file is not None and key_file is not None:
        identity = TlsIdentity(cert_file.read_bytes(), key_file.read_bytes(), b"")
    else:
        identity = make_tls_identity(host)
        if ca_out is not None:
            ca_out.write_bytes(identity.ca_pem)
    try:
        store = SqliteKmsStore(db_path)
        role = KmsRole.open(store, KmsConfig(kms_uri, key_period, key_offset), standard())
    except MckmError as exc:
        raise click.ClickException(str(exc)) from exc
    verifier = access_token.TokenVerifier(_idm_public_key(idm_key))
    service = KmsService(role, verifier, base_url="")
    server = KmsHttpsServer(service, identity, host, port)
    service.base_url = server.base_url
    server.start()
    click.echo(f"KMS {kms_uri} listening on {server.base_url}/keymanagement/identity/v1 "
               f"(store {db_path}); Ctrl-C stops")
    if ca_out is not None and identity.ca_pem:
        click.echo(f"clients trust the CA in {ca_out}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("stopping")
        server.stop()
        store.close()


@kms.command("enrol")
@click.option("--db", "db_path", required=True, type=click.Path(path_type=Path))
@click.option("--user", "user_uri", required=True, help="the user's MC ID URI")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="JSON file (mode 0600) receiving the user's TrK and InK")
@click.option("--kms-uri", required=True)
@click.option("--key-period", default=2592000, show_default=True, type=int)
@click.option("--key-offset", default=0, show_default=True, type=int)
def enrol(db_path: Path, user_uri: str, out: Path, kms_uri: str, key_period: int,
          key_offset: int) -> None:
    """Enrol a user: create its TrK/InK and write them for out-of-band delivery."""
    try:
        store = SqliteKmsStore(db_path)
        role = KmsRole.open(store, KmsConfig(kms_uri, key_period, key_offset), standard())
        keys = role.enrol(user_uri)
    except MckmError as exc:
        raise click.ClickException(str(exc)) from exc
    _write_private(out, json.dumps({
        "user_uri": user_uri, "trk_id": keys.trk_id, "trk": keys.trk.reveal().hex(),
        "ink_id": keys.ink_id, "ink": keys.ink.reveal().hex()}).encode())
    store.close()
    click.echo(f"enrolled {user_uri}: TrK {keys.trk_id}, InK {keys.ink_id} written to {out}")


@kms.command("issue-token")
@click.option("--idm-key", required=True, type=click.Path(path_type=Path),
              help="PEM IdMS signing key (created with mode 0600 if missing)")
@click.option("--user", "user_uri", required=True, help="the MC ID the token is for")
@click.option("--lifetime", default=3600, show_default=True, type=int, help="seconds")
def issue_token(idm_key: Path, user_uri: str, lifetime: int) -> None:
    """Print a demo IdMS access token (ES256 JWS) granting the KMS scope to USER."""
    key = _load_or_create_idm_key(idm_key)
    click.echo(access_token.issue(key, subject=user_uri, scopes=(KMS_SCOPE,),
                                  issued_at=int(time.time()), lifetime=lifetime))
