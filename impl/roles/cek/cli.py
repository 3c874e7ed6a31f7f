"""``mckm cek``: the KMS CEK service of seed 001 and an MCPTT server that takes its pushes.

``pki`` writes a deployment CA and the TLS identities of the KMS and the MCPTT server (keys
0600); ``serve`` runs the KMS's HTTP-1 CEK resources, checking KMS access tokens against a
running IdM's JWKS and pushing CEKs to the MCPTT server over mutual TLS; ``mcptt-server`` runs
the MCPTT server's push endpoint (it prints the Key IDs it holds, never a CEK).  Errors go
through the boundary of :mod:`mckm.impl.cli` (one line naming the option, exit status 2).
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import click

from mckm.impl.cli import BoundaryGroup, CliError, reading, serve_until_stopped
from mckm.impl.roles.cek.https import CekHttpsServer, CekPki, PushEndpoint, Pusher
from mckm.impl.roles.cek.service import BASE_PATH, CekService
from mckm.impl.roles.idm.https import JwksFetcher
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.cli import DB_HELP
from mckm.impl.roles.sip_core.cli import sip
from mckm.impl.store.open import open_kms_store
from mckm.impl.transport.http_server import HttpsServer
from mckm.impl.transport.https_kms import TlsIdentity

#: the files ``pki`` writes into its directory: identity name -> (certificate, key)
FILES = {"kms": ("kms.pem", "kms-key.pem"), "mcptt": ("mcptt.pem", "mcptt-key.pem")}
CA_FILE = "ca.pem"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _identity(pki: Path, name: str) -> TlsIdentity:
    cert, key = FILES[name]
    with reading(f"--pki {pki}"):
        return TlsIdentity((pki / cert).read_bytes(), (pki / key).read_bytes(),
                           (pki / CA_FILE).read_bytes())


def _run(server: HttpsServer, banner: str) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    server.start()
    click.echo(banner)
    serve_until_stopped(server.stop)


@click.group("cek", cls=BoundaryGroup)
def cek() -> None:
    """Seed 001: KMS-managed CEKs for S/MIME of SIP bodies, over HTTPS."""


@cek.command("pki")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="a new directory for ca.pem, kms(-key).pem, mcptt(-key).pem")
@click.option("--kms-identity", required=True, help="the KMS's SAN URI, e.g. "
              "https://kms.example.org")
@click.option("--server-identity", required=True, help="the MCPTT server's SAN URI")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="the host name or address both serve on")
def pki(out: Path, kms_identity: str, server_identity: str, host: str) -> None:
    """Write a deployment CA and the KMS's and MCPTT server's TLS identities."""
    with reading(f"--out {out}"):
        out.mkdir(mode=0o700)
    authority = CekPki.create(days=365)
    (out / CA_FILE).write_bytes(authority.cert_pem)
    for name, identity in (("kms", kms_identity), ("mcptt", server_identity)):
        issued = authority.issue(identity, host, days=365)
        cert, key = FILES[name]
        (out / cert).write_bytes(issued.cert_pem)
        _write_private(out / key, issued.key_pem)
    click.echo(f"wrote {CA_FILE}, {', '.join(f for pair in FILES.values() for f in pair)} "
               f"to {out}")


@cek.command("serve")
@click.option("--db", "db_path", required=True, metavar="URL|PATH", help=DB_HELP)
@click.option("--pki", required=True, type=click.Path(exists=True, file_okay=False,
                                                       path_type=Path),
              help="the directory `mckm cek pki` wrote")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8444, show_default=True, type=click.IntRange(0, 65535),
              help="0 = any free port")
@click.option("--idm-jwks", required=True, metavar="URL", help="the IdM's JWKS (https)")
@click.option("--idm-ca", required=True, type=click.Path(exists=True, path_type=Path),
              help="the CA of the IdM's certificate")
@click.option("--idm-issuer", metavar="URL", help="the tokens' iss (default: the JWKS origin)")
@click.option("--audience", default=access_token.DEFAULT_AUDIENCE, show_default=True,
              help="the aud of the KMS access tokens")
@click.option("--server-url", required=True, metavar="URL",
              help="the MCPTT server's push endpoint, https://host:port")
def serve(db_path: str, pki: Path, host: str, port: int, idm_jwks: str, idm_ca: Path,
          idm_issuer: str | None, audience: str, server_url: str) -> None:
    """Serve POST /cek/v1/{issue,update,retire} over HTTPS until Ctrl-C."""
    url = urllib.parse.urlsplit(idm_jwks)
    if url.scheme != "https" or not url.hostname:
        raise CliError(f"--idm-jwks {idm_jwks}: not an https:// URL")
    if urllib.parse.urlsplit(server_url).scheme != "https":
        raise CliError(f"--server-url {server_url}: not an https:// URL")
    with reading(f"--idm-ca {idm_ca}"):
        idm_ca_pem = idm_ca.read_bytes()
    verifier = access_token.TokenVerifier(
        JwksFetcher(idm_jwks, idm_ca_pem), audience=audience,
        issuer=idm_issuer or f"{url.scheme}://{url.netloc}")
    identity = _identity(pki, "kms")
    with reading(f"--db {db_path}"):
        store = open_kms_store(db_path)
    pusher = Pusher(identity, identity.ca_pem)
    try:
        with reading(f"--host {host} --port {port}"):
            server = CekHttpsServer(CekService(store, verifier, pusher, server_url), identity,
                                    host, port)
        _run(server, f"KMS CEK service listening on {server.base_url}{BASE_PATH} "
                     f"(store {store.location}); Ctrl-C stops")
    finally:
        pusher.close()
        store.close()


@cek.command("mcptt-server")
@click.option("--pki", required=True, type=click.Path(exists=True, file_okay=False,
                                                       path_type=Path),
              help="the directory `mckm cek pki` wrote")
@click.option("--kms-identity", required=True, help="the KMS's SAN URI it takes pushes from")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8445, show_default=True, type=click.IntRange(0, 65535),
              help="0 = any free port")
def mcptt_server(pki: Path, kms_identity: str, host: str, port: int) -> None:
    """Take CEK pushes from the KMS (mutual TLS) until Ctrl-C; print the Key IDs held."""
    identity = _identity(pki, "mcptt")
    with reading(f"--host {host} --port {port}"):
        server = PushEndpoint(identity, identity.ca_pem, kms_identity, host=host, port=port)
    _run(server, f"MCPTT server push endpoint listening on {server.base_url}{BASE_PATH}; "
                 "Ctrl-C stops")
    held = server.keyring.key_ids()
    click.echo(f"held {len(held)} CEK(s): " + ", ".join(sorted(held)))


cek.add_command(sip)  # the SIP core and the MCPTT server's SIP side (steps 1, 2 and 4)
