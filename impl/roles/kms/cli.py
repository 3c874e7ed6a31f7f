"""``mckm kms``: run a KMS (SKM-S) over HTTPS, enrol users, and issue demo access tokens.

Errors go through the boundary of :mod:`mckm.impl.cli`: each input is read inside
``reading(option)`` (or refused with a :class:`CliError` naming it), so a bad PEM, port, host,
certificate or store is one line naming the option, exit status 2.  ``enrol`` is all or
nothing: the key file is written (to a temporary file beside ``--out``) before the user is
committed, and renamed into place after.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import click
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.cli import BoundaryGroup, CliError, reading, serve_until_stopped
from mckm.impl.roles.idm.https import JwksFetcher
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.store.kms_store import KmsStore
from mckm.impl.store.open import describe, open_kms_store
from mckm.impl.transport.https_kms import (
    KmsHttpsServer,
    TlsIdentity,
    make_tls_identity,
    server_context,
)
from mckm.impl.transport.replicas import Replicas

#: what cryptography raises for a file that is not a usable PEM key (TypeError: encrypted)
_BAD_KEY = (ValueError, TypeError, UnsupportedAlgorithm)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new or existing file with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _load_or_create_idm_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except _BAD_KEY as exc:
            raise CliError(f"--idm-key {path}: not an unencrypted PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise CliError(f"--idm-key {path}: not an EC private key")
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    with reading(f"--idm-key {path}"):
        _write_private(path, key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return key


def _idm_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    data = path.read_bytes()
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, ec.EllipticCurvePrivateKey):
                return private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, ec.EllipticCurvePublicKey):
                return public
    except _BAD_KEY as exc:
        raise CliError(f"--idm-key {path}: not a PEM public or unencrypted private key") \
            from exc
    raise CliError(f"--idm-key {path}: holds no P-256 IdMS key")


#: the --db help of every ``mckm kms`` command (forms: :mod:`mckm.impl.store.open`)
DB_HELP = ("the KMS store: a SQLite file PATH or sqlite:///PATH (secret; created with mode "
           "0600), or postgresql://USER:PASSWORD@HOST:PORT/DB shared by several replicas")


def _open_role(db_path: str | Path, config: KmsConfig) -> tuple[KmsStore, KmsRole]:
    """The store at ``--db`` (a path or a URL, :func:`open_kms_store`) and the KMS role on it;
    a store that cannot be used (readable by others, not SQLite, a server that cannot be
    reached, another KMS's) is an input error naming --db, never with a URL's password."""
    with reading(f"--db {describe(str(db_path))}"):
        store = open_kms_store(str(db_path))
        try:
            return store, KmsRole.open(store, config, standard())
        except BaseException:
            store.close()
            raise


def _tls_identity(host: str, cert_file: Path | None, key_file: Path | None,
                  ca_out: Path | None) -> TlsIdentity:
    """``--cert``/``--key`` (checked by loading them into a TLS context), or a fresh test CA."""
    if (cert_file is None) != (key_file is None):
        raise click.UsageError("--cert and --key go together")
    if cert_file is not None and key_file is not None:
        identity = TlsIdentity(cert_file.read_bytes(), key_file.read_bytes(), b"")
        with reading(f"--cert {cert_file} / --key {key_file}"):
            server_context(identity)
        return identity
    identity = make_tls_identity(host)
    if ca_out is not None:
        with reading(f"--ca-out {ca_out}"):
            ca_out.write_bytes(identity.ca_pem)
    return identity


@dataclass(frozen=True)
class TokenCheck:
    """How the KMS checks access tokens, in a form a spawned replica can take: one IdMS public
    key (PEM), or the IdM's JWKS URL with the CA of its certificate."""

    audience: str
    public_pem: bytes = b""
    jwks: str = ""
    ca_pem: bytes = b""
    issuer: str = ""

    def verifier(self) -> access_token.TokenVerifier:
        if self.public_pem:
            key = serialization.load_pem_public_key(self.public_pem)
            assert isinstance(key, ec.EllipticCurvePublicKey)
            return access_token.TokenVerifier(key, audience=self.audience)
        return access_token.TokenVerifier(JwksFetcher(self.jwks, self.ca_pem),
                                          audience=self.audience, issuer=self.issuer)


def _tokens(idm_key: Path | None, jwks: str | None, ca: Path | None, issuer: str | None,
            audience: str) -> TokenCheck:
    """The access-token check: one IdMS key (--idm-key), or the IdM's JWKS by URL."""
    if (idm_key is None) == (jwks is None):
        raise click.UsageError("give exactly one of --idm-key and --idm-jwks")
    if idm_key is not None:
        if ca is not None or issuer is not None:
            raise click.UsageError("--idm-ca and --idm-issuer go with --idm-jwks")
        public = _idm_public_key(idm_key).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return TokenCheck(audience, public_pem=public)
    assert jwks is not None
    url = urllib.parse.urlsplit(jwks)
    if url.scheme != "https" or not url.hostname:
        raise CliError(f"--idm-jwks {jwks}: not an https:// URL")
    if ca is None:
        raise click.UsageError("--idm-jwks needs --idm-ca (the CA of the IdM's certificate)")
    with reading(f"--idm-ca {ca}"):
        ca_pem = ca.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" not in ca_pem:
        raise CliError(f"--idm-ca {ca}: holds no PEM certificate")
    return TokenCheck(audience, jwks=jwks, ca_pem=ca_pem,
                   issuer=issuer or f"{url.scheme}://{url.netloc}")


def replica(db: str, config: KmsConfig, tokens: TokenCheck, identity: TlsIdentity, host: str,
            port: int) -> KmsHttpsServer:
    """One SKM-S replica process of ``mckm kms serve --processes N`` on the shared store
    ``db`` (a :data:`mckm.impl.transport.replicas.Build` once the first four are bound)."""
    _, role = _open_role(db, config)
    service = KmsService(role, tokens.verifier(), f"https://{host}:{port}")
    return KmsHttpsServer(service, identity, host, port, reuse_port=True)


@click.group("kms", cls=BoundaryGroup)
def kms() -> None:
    """The KMS / SKM-S of TS 33.180 Annex D (TS 33.434 6.Y): key provisioning over HTTPS."""


@kms.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8443, show_default=True, type=click.IntRange(0, 65535),
              help="0 = any free port")
@click.option("--db", "db_path", required=True, metavar="URL|PATH", help=DB_HELP)
@click.option("--kms-uri", required=True, help="the KMS URI, e.g. kms.example.org")
@click.option("--key-period", default=2592000, show_default=True, type=click.IntRange(min=1),
              help="UserKeyPeriod in seconds")
@click.option("--key-offset", default=0, show_default=True, type=click.IntRange(min=0),
              help="UserKeyOffset in seconds")
@click.option("--idm-key", type=click.Path(exists=True, path_type=Path),
              help="PEM key of the IdMS whose access tokens are accepted (or --idm-jwks)")
@click.option("--idm-jwks", metavar="URL",
              help="the IdM's JWKS (https://.../jwks, `mckm idm serve`): tokens are verified "
                   "by their kid against it, fetched again for an unknown kid")
@click.option("--idm-ca", type=click.Path(exists=True, path_type=Path),
              help="PEM CA certificate the IdM's HTTPS certificate chains to (with --idm-jwks)")
@click.option("--idm-issuer", metavar="URL",
              help="the iss of accepted tokens (with --idm-jwks; default: the JWKS URL's "
                   "origin, as `mckm idm serve` issues)")
@click.option("--audience", default=access_token.DEFAULT_AUDIENCE, show_default=True,
              help="the aud accepted tokens must name (this KMS)")
@click.option("--cert", "cert_file", type=click.Path(exists=True, path_type=Path),
              help="PEM server certificate chain (default: a fresh test CA)")
@click.option("--key", "key_file", type=click.Path(exists=True, path_type=Path),
              help="PEM server key (with --cert)")
@click.option("--ca-out", type=click.Path(path_type=Path),
              help="where to write the generated CA certificate for clients")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="replica processes on one port (SO_REUSEPORT), sharing the store: one "
                   "Python process serves about one core")
def serve(host: str, port: int, db_path: str, kms_uri: str, key_period: int, key_offset: int,
          idm_key: Path | None, idm_jwks: str | None, idm_ca: Path | None,
          idm_issuer: str | None, audience: str, cert_file: Path | None, key_file: Path | None,
          ca_out: Path | None, processes: int) -> None:
    """Serve /keymanagement/identity/v1/{init,keyprov,certcache} over HTTPS until Ctrl-C."""
    tokens = _tokens(idm_key, idm_jwks, idm_ca, idm_issuer, audience)
    with reading(f"--host {host}"):
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    identity = _tls_identity(host, cert_file, key_file, ca_out)
    config = KmsConfig(kms_uri, key_period, key_offset)
    store, role = _open_role(db_path, config)  # the community exists before any replica
    server: KmsHttpsServer | Replicas
    try:
        if processes > 1:
            with reading(f"--host {host} --port {port}"):
                server = Replicas(functools.partial(replica, str(db_path), config, tokens,
                                                    identity), processes, host, (port,))
        else:
            service = KmsService(role, tokens.verifier(), base_url="")
            with reading(f"--host {host} --port {port}"):
                server = KmsHttpsServer(service, identity, host, port)
            service.base_url = server.base_url
    except BaseException:
        store.close()
        raise
    with reading(f"--host {host} --port {port}"):
        server.start()
    click.echo(f"KMS {kms_uri} listening on {server.base_url}/keymanagement/identity/v1 "
               f"(store {store.location}"
               + (f", {processes} processes" if processes > 1 else "") + "); Ctrl-C stops")
    if ca_out is not None and identity.ca_pem:
        click.echo(f"clients trust the CA in {ca_out}")

    def stop() -> None:
        server.stop()
        store.close()

    serve_until_stopped(stop)


@kms.command("enrol")
@click.option("--db", "db_path", required=True, metavar="URL|PATH", help=DB_HELP)
@click.option("--user", "user_uri", required=True, help="the user's MC ID URI")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="JSON file (mode 0600) receiving the user's TrK and InK")
@click.option("--kms-uri", required=True)
@click.option("--key-period", default=2592000, show_default=True, type=click.IntRange(min=1))
@click.option("--key-offset", default=0, show_default=True, type=click.IntRange(min=0))
def enrol(db_path: str, user_uri: str, out: Path, kms_uri: str, key_period: int,
          key_offset: int) -> None:
    """Enrol a user: create its TrK/InK and write them for out-of-band delivery.

    All or nothing: the keys are written to a temporary file beside --out, then the user is
    committed, then the file is renamed to --out; a failure before the commit leaves no user
    and no file, so the enrolment can be retried."""
    if out.is_dir():
        raise CliError(f"--out {out}: is a folder, not a file")
    store, role = _open_role(db_path, KmsConfig(kms_uri, key_period, key_offset))
    try:
        keys = role.new_transport_keys()
        staged = _stage_keys(out, user_uri, keys)
        try:
            role.enrol(user_uri, keys)
        except BaseException:
            staged.unlink()
            raise
        try:
            os.replace(staged, out)
        except OSError as exc:  # enrolled: the keys stay where they were written
            raise CliError(f"--out {out}: {exc.strerror}; {user_uri} is enrolled and its keys "
                           f"are in {staged}") from exc
    finally:
        store.close()
    click.echo(f"enrolled {user_uri}: TrK {keys.trk_id}, InK {keys.ink_id} written to {out}")


def _stage_keys(out: Path, user_uri: str, keys: TransportKeys) -> Path:
    """The user's TrK and InK as JSON in a new mode-0600 file in ``out``'s folder."""
    data = json.dumps({
        "user_uri": user_uri, "trk_id": keys.trk_id, "trk": keys.trk.reveal().hex(),
        "ink_id": keys.ink_id, "ink": keys.ink.reveal().hex()}).encode()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise CliError(f"--out {out}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        os.unlink(name)
        raise CliError(f"--out {out}: {exc.strerror}") from exc
    return Path(name)


@kms.command("issue-token")
@click.option("--idm-key", required=True, type=click.Path(path_type=Path),
              help="PEM IdMS signing key (created with mode 0600 if missing)")
@click.option("--user", "user_uri", required=True, help="the MC ID the token is for")
@click.option("--lifetime", default=3600, show_default=True,
              type=click.IntRange(1, access_token.MAX_LIFETIME),
              help="seconds (at most the KMS's maximum token lifetime)")
def issue_token(idm_key: Path, user_uri: str, lifetime: int) -> None:
    """Print a demo IdMS access token (ES256 JWS) granting the KMS scope to USER."""
    key = _load_or_create_idm_key(idm_key)
    click.echo(access_token.issue(key, subject=user_uri, scopes=(KMS_SCOPE,),
                                  issued_at=int(time.time()), lifetime=lifetime))


@kms.command("rollover")
@click.option("--db", "db_path", required=True, metavar="URL|PATH", help=DB_HELP)
@click.option("--kms-uri", required=True)
@click.option("--key-period", default=2592000, show_default=True, type=click.IntRange(min=1))
@click.option("--key-offset", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--period", "period_no", type=click.IntRange(min=0),
              help="key period number (TS 33.180 F.2.1) [default: the next one]")
@click.option("--workers", type=click.IntRange(min=1),
              help="worker processes [default: one per CPU]")
@click.option("--batch", default=128, show_default=True, type=click.IntRange(min=1),
              help="key sets per worker task and per transaction")
def rollover(db_path: str, kms_uri: str, key_period: int, key_offset: int,
             period_no: int | None, workers: int | None, batch: int) -> None:
    """Issue the key sets (SSK+PVT, RSK) of a key period for every enrolled user lacking one.

    Each batch is stored in one transaction and the store is the checkpoint: a run stopped at
    any point (Ctrl-C, kill -9) is continued by running the command again; a key set stored
    meanwhile by a serving KMS is kept as stored. Progress on stderr, a summary on stdout."""
    import sys

    from mckm.impl.roles.kms.rollover import ProgressLine, roll_over

    if "://" not in db_path and not Path(db_path).is_file():
        raise CliError(f"--db {db_path}: no KMS store there (mckm kms serve or enrol creates it)")
    store, role = _open_role(db_path, KmsConfig(kms_uri, key_period, key_offset))
    line = ProgressLine(sys.stderr)
    try:
        result = roll_over(role, period_no, workers=workers, batch=batch, progress=line)
    except KeyboardInterrupt:
        line.close()
        stored = line.last.issued if line.last is not None else 0
        click.echo(f"interrupted: the {stored:,} key sets stored by this run are kept; run the "
                   "command again to continue", err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        store.close()
    line.close()
    already = result.progress.present + result.progress.kept
    if already:
        click.echo(f"resumed: {already:,} users already held period "
                   f"{result.progress.period_no} (an earlier run or a serving KMS)", err=True)
    click.echo(result.summary())
