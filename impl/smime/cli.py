"""``mckm smime``: protect a SIP body under a CEK, or open one (seed 001; spec page
"S/MIME of SIP bodies under a KMS-managed CEK").

The CEK is read from a file (64 hex digits or 32 raw octets), never from the command line, where
other users of the machine could read it.  ``protect`` writes DER, an S/MIME body part
(``--form smime``, what ``openssl cms -inform SMIME`` reads) or a SIP MESSAGE (``--form sip``).
``unprotect`` takes any of the three and writes the body; it prints the body's content type and
the Key ID.  A body that does not open is a refusal (exit 1); a bad option or file is exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mckm.impl.cli import BoundaryGroup, reading
from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.smime import cms, mime

FORMS = ("der", "smime", "sip")


def _cek(path: Path) -> Secret[bytes]:
    with reading(f"--cek-file {path}"):
        raw = path.read_bytes()
        text = raw.strip()
        if len(raw) == cms.CEK_OCTETS:
            return Secret(raw)
        try:
            key = bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise UsageError(f"not {cms.CEK_OCTETS} raw octets nor hex") from None
        if len(key) != cms.CEK_OCTETS:
            raise UsageError(f"the CEK is {cms.CEK_OCTETS} octets (64 hex digits), got "
                             f"{len(key)}")
        return Secret(key)


def _key_id(text: str) -> bytes:
    with reading("--key-id"):
        try:
            key_id = bytes.fromhex(text)
        except ValueError:
            raise UsageError(f"{text!r} is not hex") from None
        if not key_id:
            raise UsageError("the Key ID is empty")
        return key_id


def _read(path: str) -> bytes:
    with reading(path):
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _write(path: str, data: bytes) -> None:
    with reading(path):
        if path == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(path).write_bytes(data)


def _der_of(data: bytes) -> bytes:
    """DER/BER as it is, a SIP message by its start line, else an S/MIME body part."""
    if data[:1] == b"\x30":
        return data
    start = data.split(b"\r\n", 1)[0]
    if start.endswith(b" SIP/2.0") or start.startswith(b"SIP/2.0 "):
        return mime.der_of_sip(data)
    return mime.der_of_body_part(data)


@click.group("smime", cls=BoundaryGroup)
def smime() -> None:
    """S/MIME of SIP bodies under a KMS-managed CEK: CMS AuthEnvelopedData, AES-256-GCM, a
    KEKRecipientInfo named by the Key ID (RFC 5083, 5084, 5652)."""


@smime.command("protect")
@click.argument("body", metavar="BODY")
@click.argument("out", metavar="OUT")
@click.option("--key-id", required=True, help="The CEK's Key ID, hex.")
@click.option("--cek-file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File with the 256-bit CEK: 64 hex digits or 32 octets.")
@click.option("--content-type", required=True, help="The body's MIME type, e.g. "
              "application/vnd.3gpp.mcptt-info+xml.")
@click.option("--form", type=click.Choice(FORMS), default="der", show_default=True,
              help="DER, an S/MIME body part (base64) or a SIP MESSAGE.")
@click.option("--from-uri", default="sip:client@example.org", show_default=True,
              help="From of the SIP MESSAGE (--form sip).")
@click.option("--to-uri", default="sip:mcx-server@example.org", show_default=True,
              help="Request-URI and To of the SIP MESSAGE (--form sip).")
def protect(body: str, out: str, key_id: str, cek_file: Path, content_type: str, form: str,
            from_uri: str, to_uri: str) -> None:
    """Protect the SIP body in file BODY ('-': stdin) into OUT ('-': stdout)."""
    kid, cek = _key_id(key_id), _cek(cek_file)
    with reading("--content-type"):
        der = mime.seal(_read(body), content_type, kid, cek)
    if form == "smime":
        der = mime.body_part(der)
    elif form == "sip":
        der = mime.sip_request(der, from_uri=from_uri, to_uri=to_uri)
    _write(out, der)


@smime.command("unprotect")
@click.argument("protected", metavar="PROTECTED")
@click.argument("out", metavar="OUT")
@click.option("--key-id", required=True, help="The CEK's Key ID, hex.")
@click.option("--cek-file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File with the 256-bit CEK: 64 hex digits or 32 octets.")
def unprotect(protected: str, out: str, key_id: str, cek_file: Path) -> None:
    """Open PROTECTED (DER, S/MIME body part or SIP message; '-': stdin) and write the body to
    OUT ('-': stdout); print its content type and Key ID on stderr."""
    keys = {_key_id(key_id): _cek(cek_file)}
    content_type, body, kid = mime.open_sealed(_der_of(_read(protected)), keys)
    _write(out, body)
    click.echo(f"content-type: {content_type}; key-id: {kid.hex()}", err=True)
