"""``mckm ticket``: run a MIKEY-TICKET KMS or the BSF over HTTPS, and drive one UE's side.

``kms-serve`` / ``bsf-serve`` read a JSON config (:class:`~.config.KmsServerConfig`,
:class:`~.config.BsfServerConfig`), listen, write the ready file and print ``ready {ports}``,
and run until SIGTERM/SIGINT.  ``ue-initiator`` / ``ue-responder`` run one UE over Ua and talk
to the other UE through stdin/stdout lines ``TRANSFER_INIT <hex>`` and ``TRANSFER_RESP <hex>``,
the hex being the SIP message that carries it (an INVITE whose SDP offer has the TRANSFER_INIT
in ``a=key-mgmt:mikey``; the 200 OK whose SDP answer has the TRANSFER_RESP: :mod:`.sip`); each
ends with ``KEYS <fingerprint>`` (never a key) or ``REFUSED <status and MIKEY error>`` and exit
status 1.  Every other error is one line on stderr with exit status 2 (the boundary of
:mod:`mckm.impl.cli`), naming the option, the config file and its field: a config that does not
parse, a port out of range, a host that does not resolve, a PEM file that does not load, a KMS
that cannot be reached.
"""

from __future__ import annotations

import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

import click

from mckm.impl.cli import EXIT_REFUSED, BoundaryGroup, CliError, is_refusal, reading
from mckm.impl.errors import MckmError, UsageError
from mckm.impl.roles.bsf import BootstrapContext
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.config import (
    BsfServerConfig,
    KmsServerConfig,
    address,
    context_of,
    contexts_from_json,
)
from mckm.impl.roles.ticket.endpoints import Initiator, Responder
from mckm.impl.roles.ticket.server import ntp_now, refusal_text, serve_bsf, serve_kms
from mckm.impl.roles.ticket.ue_http import fetch_ticket, keys_fingerprint, resolve_ticket
from mckm.impl.transport.https_ticket import TicketHttpClient
from mckm.impl.transport.ticket_http import HttpRefusal

REFUSED_EXIT = EXIT_REFUSED


def _say(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


def _read(tag: str) -> bytes:
    line = sys.stdin.readline().split()
    if not line:  # the other UE gave up
        _say(f"REFUSED no {tag} received")
        sys.exit(REFUSED_EXIT)
    if len(line) != 2 or line[0] != tag:
        raise CliError(f"stdin: expected a line '{tag} <hex>'")
    with reading(f"stdin: {tag}"):
        return bytes.fromhex(line[1])


def _guarded(action: Callable[[], None]) -> None:
    """Run ``action``; a refusal (by the KMS or the other UE's message) is the stdout line
    ``REFUSED ...`` and exit status 1, anything else goes to the error boundary."""
    try:
        action()
    except HttpRefusal as refusal:
        _say(f"REFUSED {refusal_text(refusal)}")
        sys.exit(REFUSED_EXIT)
    except MckmError as error:
        if not is_refusal(error):
            raise
        _say(f"REFUSED {type(error).__name__}: {error}")
        sys.exit(REFUSED_EXIT)


# -- configs: each field checked before anything listens, so an error names its field ---------

def _port(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise UsageError(f"field {name}: {value!r} is not a port number (0-65535, 0 = any)")


def _host(value: object) -> None:
    if not isinstance(value, str):
        raise UsageError(f"field host: {value!r} is not a host name or address")
    try:
        socket.getaddrinfo(value, None)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(f"field host: cannot resolve {value!r} ({exc})") from None


def _pem(field: str, cert_file: str, key_file: str | None = None) -> None:
    """Load a certificate chain (with its key) or a CA file as the TLS stack will."""
    files = cert_file if key_file is None else f"{cert_file}, {key_file}"
    with reading(f"field {field} ({files})"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if key_file is None:
            context.load_verify_locations(cafile=cert_file)
        else:
            context.load_cert_chain(cert_file, key_file)


def _kms_config(path: Path) -> KmsServerConfig:
    config = KmsServerConfig.from_json(path.read_text(encoding="utf-8"))
    _port("ua_port", config.ua_port)
    _port("zk_port", config.zk_port)
    _host(config.host)
    with reading("field bsf"):
        address(config.bsf)
    _pem("cert_file/key_file", config.cert_file, config.key_file)
    _pem("ca_file", config.ca_file)
    _pem("bsf_ca_file", config.bsf_ca_file)
    for i, peer in enumerate(config.peers):
        _pem(f"peers[{i}].ca_file", peer.ca_file)
        if peer.zk is not None:
            with reading(f"field peers[{i}].zk"):
                address(peer.zk)
    return config


def _bsf_config(path: Path) -> BsfServerConfig:
    config = BsfServerConfig.from_json(path.read_text(encoding="utf-8"))
    _port("port", config.port)
    _host(config.host)
    _pem("cert_file/key_file", config.cert_file, config.key_file)
    _pem("ca_file", config.ca_file)
    for domain, ca_file in dict(config.naf_ca_files).items():
        _pem(f"naf_ca_files[{domain!r}]", ca_file)
    with reading(f"field contexts_file ({config.contexts_file})"):
        _contexts(Path(config.contexts_file))
    return config


def _contexts(path: Path) -> list[BootstrapContext]:
    return contexts_from_json(path.read_text(encoding="utf-8"))


class HostPort(click.ParamType[tuple[str, int], object]):
    """``host:port`` with a port of 1-65535."""

    name = "host:port"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value  # already converted
        try:
            host, port = address(str(value))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)
        if not 0 < port < 65536:
            self.fail(f"port {port} is not 1-65535", param, ctx)
        return host, port


@click.group("ticket", cls=BoundaryGroup)
def ticket() -> None:
    """MIKEY-TICKET KMS, BSF and UE over HTTPS (TS 33.328 Annex A, seed 002)."""


_config_option = click.option(
    "--config", "config_file", required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path), help="JSON config file.")


@ticket.command("kms-serve")
@_config_option
def kms_serve(config_file: Path) -> None:
    """Run one KMS (Ua, and Zk if it has peers) until SIGTERM."""
    with reading(f"--config {config_file}"):
        serve_kms(_kms_config(config_file), on_ready=_say)


@ticket.command("bsf-serve")
@_config_option
def bsf_serve(config_file: Path) -> None:
    """Run the BSF's Zn service until SIGTERM."""
    with reading(f"--config {config_file}"):
        serve_bsf(_bsf_config(config_file), on_ready=_say)


_ue_options = [
    click.option("--uri", required=True, help="This UE's URI."),
    click.option("--kms-uri", required=True, help="The UE's own KMS URI."),
    click.option("--kms", "kms_address", required=True, type=HostPort(),
                 help="host:port of the KMS's Ua."),
    click.option("--kms-ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 required=True, help="PEM CA of the KMS's domain."),
    click.option("--contexts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 required=True, help="Provisioned bootstrapping contexts (JSON)."),
]


def _ue(func: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_ue_options):
        func = option(func)
    return func


def _client(kms_address: tuple[str, int], kms_ca: Path) -> TicketHttpClient:
    with reading(f"--kms-ca {kms_ca}"):
        return TicketHttpClient(*kms_address, ca_pem=kms_ca.read_bytes())


def _kms(kms_address: tuple[str, int]) -> str:
    return f"--kms {kms_address[0]}:{kms_address[1]}"


@ticket.command("ue-initiator")
@_ue
@click.option("--peer", required=True, help="The responder's URI.")
def ue_initiator(uri: str, kms_uri: str, kms_address: tuple[str, int], kms_ca: Path,
                 contexts: Path, peer: str) -> None:
    """Request a ticket for PEER, print TRANSFER_INIT, read TRANSFER_RESP, print KEYS."""
    with reading(f"--contexts {contexts}"):
        ue = Initiator(uri, kms_uri, context_of(_contexts(contexts), uri))

    def run() -> None:
        kms = _client(kms_address, kms_ca)
        try:
            with reading(_kms(kms_address)):
                transfer_init = fetch_ticket(ue, kms, peer, now=ntp_now())
        finally:
            kms.close()
        _say("TRANSFER_INIT " + sip.invite(transfer_init, from_uri=uri, to_uri=peer).hex())
        keys = ue.receive_transfer_resp(sip.transfer_resp_of(_read("TRANSFER_RESP")),
                                        now=ntp_now())
        _say(f"KEYS {keys_fingerprint(keys)}")

    _guarded(run)


@ticket.command("ue-responder")
@_ue
def ue_responder(uri: str, kms_uri: str, kms_address: tuple[str, int], kms_ca: Path,
                 contexts: Path) -> None:
    """Read TRANSFER_INIT, resolve the ticket at the own KMS, print TRANSFER_RESP and KEYS."""
    with reading(f"--contexts {contexts}"):
        ue = Responder(uri, kms_uri, context_of(_contexts(contexts), uri))

    def run() -> None:
        request, transfer_init = sip.transfer_init_of(_read("TRANSFER_INIT"))
        kms = _client(kms_address, kms_ca)
        try:
            with reading(_kms(kms_address)):
                transfer_resp, keys = resolve_ticket(ue, kms, transfer_init, now=ntp_now())
        finally:
            kms.close()
        _say("TRANSFER_RESP " + sip.answer(request, transfer_resp).hex())
        _say(f"KEYS {keys_fingerprint(keys)}")

    _guarded(run)


if __name__ == "__main__":
    ticket()
