"""``mckm codec``: decode, encode and describe MIKEY messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mckm.impl.codec.decoder import decode as decode_bytes
from mckm.impl.codec.describe import describe as describe_text
from mckm.impl.codec.encoder import encode as encode_message
from mckm.impl.codec.jsonform import message_from_json, message_to_json
from mckm.impl.errors import MckmError

_HEX = set("0123456789abcdefABCDEF")


def _read_input(source: str) -> bytes:
    if source == "-":
        text = sys.stdin.read()
    elif source and set(source.removeprefix("0x")) <= _HEX:
        text = source
    elif Path(source).is_file():
        raw = Path(source).read_bytes()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return raw  # a binary file holds the message itself
    else:
        text = source
    cleaned = "".join(text.split()).removeprefix("0x")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise click.ClickException("input is not hex (give HEX, -, or a file)") from None


@click.group("codec")
def codec() -> None:
    """Decode, encode and describe MIKEY messages (RFC 3830, 6043, 6509; TS 33.180)."""


@codec.command("decode")
@click.argument("source")
def decode_cmd(source: str) -> None:
    """Print the JSON form of the MIKEY message in SOURCE (hex, '-' for stdin, or a file)."""
    try:
        message = decode_bytes(_read_input(source))
    except MckmError as exc:
        raise click.ClickException(f"decode error: {exc}") from None
    click.echo(json.dumps(message_to_json(message), indent=1))


@codec.command("encode")
@click.argument("source", type=click.Path(allow_dash=True))
def encode_cmd(source: str) -> None:
    """Print the hex of the message described by the JSON in SOURCE (a file or '-')."""
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"not JSON: {exc}") from None
    try:
        click.echo(encode_message(message_from_json(obj)).hex())
    except MckmError as exc:
        raise click.ClickException(f"encode error: {exc}") from None


@codec.command("describe")
@click.argument("name")
def describe_cmd(name: str) -> None:
    """Print the field table of payload NAME (HDR, T, IDR, SAKKE, ...) or the presence rule of
    a data type (SAKKE, TRANSFER_INIT, 0..26)."""
    try:
        click.echo(describe_text(name))
    except MckmError as exc:
        raise click.ClickException(str(exc)) from None
