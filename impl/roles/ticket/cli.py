"""``mckm ticket``: run a MIKEY-TICKET KMS or the BSF over HTTPS, and drive one UE's side.

``kms-serve`` / ``bsf-serve`` read a JSON config (:class:`~.config.KmsServerConfig`,
:class:`~.config.BsfServerConfig`), listen, write the ready file and print ``ready {ports}``,
and run until SIGTERM/SIGINT.  ``ue-initiator`` / ``ue-responder`` run one UE over Ua and talk
to the other UE through stdin/stdout lines ``TRANSFER_INIT <hex>`` and ``TRANSFER_RESP <hex>``,
the hex being the SIP message that carries it (an INVITE whose SDP offer has the TRANSFER_INIT
in ``a=key-mgmt:mikey``; the 200 OK whose SDP answer has the TRANSFER_RESP: :mod:`.sip`); each
ends with ``KEYS <fingerprint>`` (never a key) or ``REFUSED <status and MIKEY error>`` and exit
status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from mckm.impl.errors import MckmError
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.config import (
    BsfServerConfig,
    KmsServerConfig,
    context_of,
    contexts_from_json,
)
from mckm.impl.roles.ticket.endpoints import Initiator, Responder
from mckm.impl.roles.ticket.server import ntp_now, refusal_text, serve_bsf, serve_kms
from mckm.impl.roles.ticket.ue_http import fetch_ticket, keys_fingerprint, resolve_ticket
from mckm.impl.transport.https_ticket import TicketHttpClient
from mckm.impl.transport.ticket_http import HttpRefusal

REFUSED_EXIT = 2


def _say(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


def _read(tag: str) -> bytes:
    line = sys.stdin.readline().split()
    if not line:  # the other UE gave up
        _say(f"REFUSED no {tag} received")
        sys.exit(REFUSED_EXIT)
    if len(line) != 2 or line[0] != tag:
        raise click.UsageError(f"expected a line '{tag} <hex>' on stdin")
    try:
        return bytes.fromhex(line[1])
    except ValueError:
        raise click.UsageError(f"{tag}: not hex") from None


def _guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except HttpRefusal as refusal:
        _say(f"REFUSED {refusal_text(refusal)}")
        sys.exit(REFUSED_EXIT)
    except MckmError as error:
        _say(f"REFUSED {type(error).__name__}: {error}")
        sys.exit(REFUSED_EXIT)


@click.group("ticket")
def ticket() -> None:
    """MIKEY-TICKET KMS, BSF and UE over HTTPS (TS 33.328 Annex A, seed 002)."""


@ticket.command("kms-serve")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), required=True)
def kms_serve(config_file: Path) -> None:
    """Run one KMS (Ua, and Zk if it has peers) until SIGTERM."""
    serve_kms(KmsServerConfig.from_json(config_file.read_text()), on_ready=_say)


@ticket.command("bsf-serve")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), required=True)
def bsf_serve(config_file: Path) -> None:
    """Run the BSF's Zn service until SIGTERM."""
    serve_bsf(BsfServerConfig.from_json(config_file.read_text()), on_ready=_say)


_ue_options = [
    click.option("--uri", required=True, help="This UE's URI."),
    click.option("--kms-uri", required=True, help="The UE's own KMS URI."),
    click.option("--kms", "kms_address", required=True, help="host:port of the KMS's Ua."),
    click.option("--kms-ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 required=True, help="PEM CA of the KMS's domain."),
    click.option("--contexts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 required=True, help="Provisioned bootstrapping contexts (JSON)."),
]


def _ue(func: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_ue_options):
        func = option(func)
    return func


def _client(kms_address: str, kms_ca: Path) -> TicketHttpClient:
    host, _, port = kms_address.rpartition(":")
    return TicketHttpClient(host, int(port), ca_pem=kms_ca.read_bytes())


@ticket.command("ue-initiator")
@_ue
@click.option("--peer", required=True, help="The responder's URI.")
def ue_initiator(uri: str, kms_uri: str, kms_address: str, kms_ca: Path, contexts: Path,
                 peer: str) -> None:
    """Request a ticket for PEER, print TRANSFER_INIT, read TRANSFER_RESP, print KEYS."""
    ue = Initiator(uri, kms_uri, context_of(contexts_from_json(contexts.read_text()), uri))

    def run() -> None:
        kms = _client(kms_address, kms_ca)
        try:
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
def ue_responder(uri: str, kms_uri: str, kms_address: str, kms_ca: Path,
                 contexts: Path) -> None:
    """Read TRANSFER_INIT, resolve the ticket at the own KMS, print TRANSFER_RESP and KEYS."""
    ue = Responder(uri, kms_uri, context_of(contexts_from_json(contexts.read_text()), uri))

    def run() -> None:
        request, transfer_init = sip.transfer_init_of(_read("TRANSFER_INIT"))
        kms = _client(kms_address, kms_ca)
        try:
            transfer_resp, keys = resolve_ticket(ue, kms, transfer_init, now=ntp_now())
        finally:
            kms.close()
        _say("TRANSFER_RESP " + sip.answer(request, transfer_resp).hex())
        _say(f"KEYS {keys_fingerprint(keys)}")

    _guarded(run)


if __name__ == "__main__":
    ticket()
