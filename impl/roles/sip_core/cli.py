"""``mckm cek sip``: the SIP core and the MCPTT server's SIP side of seed 001 steps 1, 2 and 4.

One command runs both nodes (two SIP ports, UDP and TCP on each): UEs REGISTER and PUBLISH at
the SIP core, which registers them at the MCPTT server by third-party REGISTER and forwards
their PUBLISHes; the MCPTT server checks access tokens against a running IdM's JWKS.  When
stopped it prints each binding (MCPTT ID, IMPU, session), never a token.  Errors go through the
boundary of :mod:`mckm.impl.cli` (one line naming the option, exit status 2).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import click

from mckm.impl.cli import CliError, reading, serve_until_stopped
from mckm.impl.roles.idm.https import JwksFetcher
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.sip_core.nodes import McpttSipServer, SipCore


@click.command("sip")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--core-port", default=5060, show_default=True, type=click.IntRange(0, 65535),
              help="the SIP core's port (UDP and TCP); 0 = any free port")
@click.option("--server-port", default=5070, show_default=True, type=click.IntRange(0, 65535),
              help="the MCPTT server's SIP port (UDP and TCP); 0 = any free port")
@click.option("--subscriber", "subscribers", multiple=True, required=True, metavar="IMPU",
              help="an IMPU the SIP core serves (repeat)")
@click.option("--idm-jwks", required=True, metavar="URL", help="the IdM's JWKS (https)")
@click.option("--idm-ca", required=True, type=click.Path(exists=True, path_type=Path),
              help="the CA of the IdM's certificate")
@click.option("--idm-issuer", metavar="URL", help="the tokens' iss (default: the JWKS origin)")
@click.option("--audience", required=True, help="the aud of the access tokens: this MCPTT "
              "server, as the IdM names it")
def sip(host: str, core_port: int, server_port: int, subscribers: tuple[str, ...],
        idm_jwks: str, idm_ca: Path, idm_issuer: str | None, audience: str) -> None:
    """Run the SIP core and the MCPTT server's SIP side until Ctrl-C."""
    url = urllib.parse.urlsplit(idm_jwks)
    if url.scheme != "https" or not url.hostname:
        raise CliError(f"--idm-jwks {idm_jwks}: not an https:// URL")
    for impu in subscribers:
        if not impu.startswith(("sip:", "sips:", "tel:")) or any(c in impu for c in " <>\r\n"):
            raise CliError(f"--subscriber {impu!r}: not a SIP or tel URI")
    with reading(f"--idm-ca {idm_ca}"):
        ca_pem = idm_ca.read_bytes()
    verifier = access_token.TokenVerifier(JwksFetcher(idm_jwks, ca_pem), audience=audience,
                                          issuer=idm_issuer or f"{url.scheme}://{url.netloc}")
    with reading(f"--host {host} --server-port {server_port}"):
        server = McpttSipServer(verifier, core_uri="", host=host, port=server_port)
    try:
        with reading(f"--host {host} --core-port {core_port}"):
            core = SipCore(set(subscribers), server=server.address, host=host, port=core_port)
    except BaseException:
        server.close()
        raise
    server.trust_core(core.address, core.uri)
    server.start()
    core.start()
    click.echo(f"SIP core listening on sip:{core.sent_by} (UDP, TCP); MCPTT server on "
               f"sip:{server.address[0]}:{server.address[1]}; Ctrl-C stops")

    def stop() -> None:
        core.close()
        server.close()

    serve_until_stopped(stop)
    bindings = server.bindings()
    click.echo(f"bound {len(bindings)} user(s)")
    for binding in sorted(bindings.values(), key=lambda b: b.mcptt_id):
        click.echo(f"  {binding.mcptt_id} -> {binding.impu} (session {binding.session})")
