"""``mckm codec``: decode, encode and describe MIKEY messages.

``decode`` reads the message from an argument, a file or stdin (``-``), in any of the forms a
person pastes: hex (spaces, colons, line breaks and a ``0x`` prefix allowed, as copied from a
capture), base64, an SDP ``a=key-mgmt:mikey`` line or a whole SDP / SIP body (RFC 4567), or the
raw octets in a file.  Errors go through the boundary of :mod:`mckm.impl.cli`: a message that
does not decode or encode is refused (exit 1), input that is none of these forms is exit 2.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from pathlib import Path

import click

from mckm.impl.cli import BoundaryGroup, CliError, reading
from mckm.impl.codec.decoder import decode as decode_bytes
from mckm.impl.codec.describe import describe as describe_text
from mckm.impl.codec.encoder import encode as encode_message
from mckm.impl.codec.export import export_cmd
from mckm.impl.codec.jsonform import message_from_json, message_to_json
from mckm.impl.codec.readable import render as render_readable
from mckm.impl.errors import UsageError
from mckm.impl.transport.sdp_mikey import mikey_for_media

_HEX = re.compile(r"(0x)?[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_KEY_MGMT = re.compile(r"a=key-mgmt:", re.IGNORECASE)
_FORMS = "hex, base64, an a=key-mgmt:mikey line, a file or '-'"


def _is_file(source: str) -> bool:
    try:
        return Path(source).is_file()
    except (OSError, ValueError):  # too long for a file name, or a NUL in it
        return False


def _looks_like_a_path(source: str) -> bool:
    """A file name rather than data (hex and base64 have no dot, and start with no '/')."""
    if len(source) > 255 or any(c.isspace() for c in source) or _KEY_MGMT.search(source):
        return False
    return source.startswith(("/", ".", "~")) or "." in source


def message_octets(data: bytes) -> bytes:
    """The MIKEY message in ``data``: hex, base64, an SDP with ``a=key-mgmt:mikey``, or raw
    octets (anything that is not printable ASCII)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return data
    if not all(c.isprintable() or c.isspace() for c in text):
        return data
    if _KEY_MGMT.search(text):
        return mikey_for_media(text)
    compact = "".join(text.replace(":", " ").split())
    if compact and _HEX.fullmatch(compact) and len(compact.removeprefix("0x")) % 2 == 0:
        return bytes.fromhex(compact.removeprefix("0x"))
    compact = "".join(text.split())
    if compact and _B64.fullmatch(compact):
        try:
            return base64.b64decode(compact, validate=True)
        except binascii.Error:
            pass
    raise UsageError(f"not a MIKEY message in any form mckm reads ({_FORMS})")


def _source(source: str) -> tuple[str, bytes]:
    """What SOURCE names (for error messages) and the octets it holds."""
    if source == "-":
        return "stdin", sys.stdin.buffer.read()
    if _is_file(source):
        return source, Path(source).read_bytes()
    if _looks_like_a_path(source):
        raise CliError(f"{source}: not a file, and not {_FORMS}")
    return "SOURCE", source.encode("utf-8")


@click.group("codec", cls=BoundaryGroup)
def codec() -> None:
    """Decode, encode and describe MIKEY messages (RFC 3830, 6043, 6509; TS 33.180)."""


codec.add_command(export_cmd)


@codec.command("decode")
@click.argument("source")
@click.option("--raw", is_flag=True,
              help="Print the JSON form that 'mckm codec encode' reads back (octets in hex, "
                   "numbers as on the wire) instead of the readable tree.")
def decode_cmd(source: str, raw: bool) -> None:
    """Print the MIKEY message in SOURCE as a readable tree (names beside numbers, URIs as text,
    times in ISO 8601, ids in hex, nested payloads decoded), or its JSON form with --raw.
    SOURCE: hex (spaces and line breaks allowed), base64, an SDP a=key-mgmt:mikey line, a file
    holding one of these or the raw octets, or '-' for stdin."""
    subject, data = _source(source)
    with reading(subject):
        message = decode_bytes(message_octets(data))
        text = json.dumps(message_to_json(message), indent=1) if raw else render_readable(message)
    click.echo(text.rstrip("\n"))


@codec.command("encode")
@click.argument("source", type=click.Path(allow_dash=True, dir_okay=False))
def encode_cmd(source: str) -> None:
    """Print the hex of the message described by the JSON in SOURCE (a file or '-')."""
    with reading("stdin" if source == "-" else source):
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        obj = json.loads(raw.decode("utf-8"))
        click.echo(encode_message(message_from_json(obj)).hex())


@codec.command("describe")
@click.argument("name")
def describe_cmd(name: str) -> None:
    """Print the field table of payload NAME (HDR, T, IDR, SAKKE, ...) or the presence rule of
    a data type (SAKKE, TRANSFER_INIT, 0..26)."""
    with reading("NAME"):
        click.echo(describe_text(name))
