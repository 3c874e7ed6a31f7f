"""``mckm idm``: run the IdM over HTTPS, hash a password for its configuration, log in.

Errors go through the boundary of :mod:`mckm.impl.cli` (one line naming the option or the
configuration field, exit status 2).  Passwords are read from standard input or a hidden
prompt, never from the command line (which other users of the machine can read).
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import click

from mckm.impl.cli import BoundaryGroup, CliError, reading, serve_until_stopped
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.config import IdmConfig, hash_password
from mckm.impl.roles.idm.https import IdmHttpsServer
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.transport.https_kms import make_tls_identity
from mckm.models.procedures.idm import OPENID


def _password(prompt: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True))


@click.group("idm", cls=BoundaryGroup)
def idm() -> None:
    """The IdM of TS 33.180 5.1.2 / Annex B: OpenID Connect with PKCE over HTTPS."""


@idm.command("serve")
@click.option("--config", "config_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON users, clients, audiences (see spec/idm-tokens.md)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9443, show_default=True, type=click.IntRange(0, 65535),
              help="0 = any free port")
@click.option("--ca-out", type=click.Path(dir_okay=False, path_type=Path),
              help="where to write the CA certificate of the server's fresh test CA")
@click.option("--rollover-every", type=click.IntRange(min=1), metavar="SECONDS",
              help="roll the signing key over this often (default: never)")
def serve(config_file: Path, host: str, port: int, ca_out: Path | None,
          rollover_every: int | None) -> None:
    """Serve /authorize, /token, /jwks and the discovery document until Ctrl-C."""
    config = IdmConfig.load(config_file)  # its errors name the file and the field
    with reading(f"--host {host}"):
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    identity = make_tls_identity(host)
    if ca_out is not None:
        with reading(f"--ca-out {ca_out}"):
            ca_out.write_bytes(identity.ca_pem)
    role = IdmRole.create(config)
    with reading(f"--host {host} --port {port}"):
        server = IdmHttpsServer(role, identity, host, port)
    server.start()
    click.echo(f"IdM {role.issuer} (users: {len(config.users)}, clients: "
               f"{len(config.clients)}); JWKS at {role.issuer}/jwks; Ctrl-C stops")
    next_rollover = [time.monotonic() + rollover_every if rollover_every else float("inf")]

    def roll() -> None:
        if time.monotonic() >= next_rollover[0]:
            click.echo(f"signing key rolled over to {role.keys.rollover(time.time())}")
            next_rollover[0] += rollover_every or 0

    serve_until_stopped(server.stop, roll)


@idm.command("hash-password")
def hash_password_command() -> None:
    """Print the scrypt hash of a password (read from standard input or a hidden prompt) for
    the "password" field of a user in the configuration."""
    password = _password("Password")
    if not password:
        raise CliError("the password read from standard input is empty")
    click.echo(hash_password(password))


@idm.command("login")
@click.option("--idm", "base_url", required=True, help="the IdM's base URL (https://...)")
@click.option("--ca", "ca_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM CA certificate the IdM's server certificate chains to")
@click.option("--client-id", required=True)
@click.option("--redirect-uri", required=True)
@click.option("--user", required=True, help="the MC ID to log in with")
@click.option("--scope", "scopes", multiple=True,
              default=(OPENID, "3gpp:mc:ptt_service", KMS_SCOPE), show_default=True)
def login(base_url: str, ca_file: Path, client_id: str, redirect_uri: str, user: str,
          scopes: tuple[str, ...]) -> None:
    """Run the authorisation code flow with PKCE (password from standard input or a hidden
    prompt) and print the token response as JSON (ID, access and KMS access tokens)."""
    session = client.IdmSession(base_url, ca_file.read_bytes(), client_id, redirect_uri,
                                tuple(scopes))
    with reading(f"--idm {base_url}"):
        tokens = client.login(session, user, _password("Password"))
    click.echo(json.dumps(tokens, indent=1))
