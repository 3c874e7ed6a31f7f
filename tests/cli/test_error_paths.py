"""Every ``mckm`` command's error paths: one line naming the option, file or field, no traceback,
and the exit status of the convention (README "Exit status"): 1 a refusal or findings, 2 a usage
or input error.

One row per command and kind of bad input, run through the real entry point
(:data:`mckm.impl.cli.main`, with click's runner; two rows also as a subprocess).  ``{d}`` in an
argument is the directory of the row's files (:func:`files`), ``{port}`` a closed local port.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mckm.impl.cli import COMMANDS, EXIT_STATUS, main
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, UserSecuritySettings
from mckm.impl.roles.ticket.config import contexts_to_json
from mckm.impl.transport.https_ticket import make_domain_ca

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
I_MESSAGE = bytes.fromhex(json.loads(VENDOR.read_text())["i_messages_published"][0]
                          ["i_message_hex"])
RFC6507 = Path(__file__).resolve().parents[2] / "impl" / "vectors" / "data" / "rfc6507.json"
UE = ["--uri", "sip:alice@a.example", "--kms-uri", "kms.a.example", "--kms-ca", "{d}/ca.pem",
      "--contexts", "{d}/contexts.json"]


@dataclass(frozen=True)
class Row:
    """``mckm ARGS`` (with ``stdin``) exits with ``code`` and says ``says`` in one line of
    ``stream`` (stderr for errors; stdout where the command's own protocol reports a refusal or
    findings there)."""

    args: tuple[str, ...]
    code: int
    says: str
    stdin: str | None = None
    stream: str = "stderr"


def row(args: str | list[str], code: int, says: str, **kw: str) -> Row:
    return Row(tuple(args.split() if isinstance(args, str) else args), code, says, **kw)


def _kms_config(**fields: object) -> str:
    base: dict[str, object] = {
        "uri": "kms.a.example", "cert_file": "{d}/cert.pem", "key_file": "{d}/key.pem",
        "ca_file": "{d}/ca.pem", "bsf": "127.0.0.1:1", "bsf_domain": "bsf.example",
        "bsf_ca_file": "{d}/ca.pem"}
    return json.dumps(base | fields)


def _bsf_config(**fields: object) -> str:
    base: dict[str, object] = {
        "domain": "bsf.example", "cert_file": "{d}/cert.pem", "key_file": "{d}/key.pem",
        "ca_file": "{d}/ca.pem", "naf_ca_files": {"kms.a.example": "{d}/ca.pem"},
        "contexts_file": "{d}/contexts.json"}
    return json.dumps(base | fields)


#: file name -> content (str, or bytes as is); "{d}" in text is the directory
FILES: dict[str, str | bytes] = {
    "short.hex": " ".join(f"{b:02x}" for b in I_MESSAGE[:200]),
    "not-utf8.json": b"\xff\xfe{}",
    "deep.json": "[" * 100_000,
    "broken.json": "{",
    "empty-object.json": "{}",
    "garbage.pem": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
    "garbage-key.pem": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
    "not-sqlite.db": "not a database\n",  # mode 0600 (files())
    "tbd.txt": "The KMS shall do TBD.\n",
    "vectors-bad-j.json": "",  # written by files()
    "cek.hex": "00" * 32,
    "kms-broken.json": "{",
    "kms-unknown-field.json": _kms_config(domain="x"),
    "kms-port.json": _kms_config(ua_port=70000),
    "kms-port-text.json": _kms_config(zk_port="x"),
    "kms-host.json": _kms_config(host="no.such.host.invalid"),
    "kms-bsf.json": _kms_config(bsf="127.0.0.1"),
    "kms-no-cert.json": _kms_config(cert_file="{d}/missing.pem"),
    "kms-bad-pem.json": _kms_config(cert_file="{d}/garbage.pem"),
    "kms-db.json": _kms_config(db="ftp://x/kms.db"),
    "bsf-unknown-field.json": _bsf_config(uri="x"),
    "bsf-port.json": _bsf_config(port=-1),
    "bsf-contexts.json": _bsf_config(contexts_file="{d}/broken.json"),
    "contexts-no-ks.json": '[{"b_tid": "x"}]',
}

ROWS: dict[str, Row] = {
    # codec
    "codec decode: long spaced hex, truncated message": row(
        ["codec", "decode", str(FILES["short.hex"])], 1, "SOURCE: DecodeError: offset"),
    "codec decode: not any form": row("codec decode zz", 2, "SOURCE: not a MIKEY message"),
    "codec decode --raw: truncated message": row(
        "codec decode --raw 011a0501", 1, "SOURCE: DecodeError: offset 4, payload HDR"),
    "codec decode: missing file": row("codec decode {d}/nope.bin", 2, "nope.bin: not a file"),
    "codec decode: bad key-mgmt line": row(
        ["codec", "decode", "a=key-mgmt:mikey ###"], 1, "keymgmt-data is not base64"),
    "codec encode: missing file": row(
        "codec encode {d}/missing.json", 2, "missing.json: No such file"),
    "codec encode: not UTF-8": row("codec encode {d}/not-utf8.json", 2, "not-utf8.json: not utf-8"),
    "codec encode: nested too deeply": row(
        "codec encode {d}/deep.json", 2, "deep.json: nested too deeply"),
    "codec encode: not JSON": row("codec encode {d}/broken.json", 2, "broken.json: Expecting"),
    "codec encode: not a message": row(
        "codec encode {d}/empty-object.json", 1, "empty-object.json: EncodeError"),
    "codec encode: stdin not JSON": row("codec encode -", 2, "stdin: Expecting", stdin="{"),
    "codec describe: unknown name": row("codec describe NOPE", 2, "NAME: unknown payload"),
    "codec export: unknown format": row(
        "codec export --format nope --out {d}/x", 2, "'nope' is not one of"),
    "codec export: out is a file": row(
        "codec export --format ksy --out {d}/not-utf8.json", 2, "is a file"),
    # propose
    "propose: no change list": row("propose {d}/none.yaml --out {d}/p.docx", 2,
                                   "cannot read the change list"),
    "propose: bad output name": row("propose spec/proposed/002.yaml --out {d}/p.pdf", 2,
                                    "the name must end in .docx or .md"),
    # segy
    "segy simulate: no users": row("segy simulate -N 0", 2, "must be at least 1"),
    "segy simulate: bad mix": row("segy simulate --mix bogus=1", 2, "'bogus=1' is not one of"),
    "segy claims: unknown format": row("segy claims --format nope", 2, "'nope' is not one of"),
    # lint
    "lint: malformed document.xml": row("lint {d}/bad.docx", 2,
                                        "bad.docx: not a readable .docx file (Namespace prefix"),
    "lint: missing file": row("lint {d}/missing.txt", 2, "missing.txt: no such file"),
    "lint: unknown rule": row("lint --select nope {d}/tbd.txt", 2, "unknown rule id(s): nope"),
    "lint: bad --format": row("lint --format xml {d}/tbd.txt", 2, "'--format'"),
    "lint: findings": row("lint --stage cr {d}/tbd.txt", 1, "1 finding (1 error"),
    # vectors
    "vectors check: missing file": row(
        "vectors check {d}/nope.json", 2, "nope.json' does not exist"),
    "vectors check: not UTF-8": row(
        "vectors check {d}/not-utf8.json", 2, "not-utf8.json: not utf-8"),
    "vectors check: not JSON": row("vectors check {d}/broken.json", 2, "broken.json: Expecting"),
    "vectors check: no files": row("vectors check", 2, "give vector FILES or --builtin"),
    "smime protect: a CEK of the wrong size": row(
        "smime protect --key-id 01 --cek-file {d}/short.hex --content-type application/sdp "
        "{d}/cek.hex -", 2, "--cek-file {d}/short.hex: the CEK is 32 octets (64 hex digits), "
        "got 200"),
    "smime unprotect: not S/MIME": row(
        "smime unprotect --key-id 01 --cek-file {d}/cek.hex {d}/not-utf8.json -", 1,
        "payload S/MIME body part, field headers: no empty line after the header fields"),
    "cek pki: the directory exists": row(
        "cek pki --out {d} --kms-identity https://k --server-identity https://m", 2,
        "--out {d}: File exists"),
    "cek serve: a JWKS over http": row(
        "cek serve --db {d}/cek.db --pki {d} --idm-jwks http://idm --idm-ca {d}/ca.pem "
        "--server-url https://m", 2, "--idm-jwks http://idm: not an https:// URL"),
    "cek mcptt-server: no identity in --pki": row(
        "cek mcptt-server --pki {d} --kms-identity https://k --port {port}", 2,
        "--pki {d}: {d}/mcptt.pem: No such file"),
    "cek sip: a subscriber that is no URI": row(
        "cek sip --subscriber alice --idm-jwks https://idm/jwks --idm-ca {d}/ca.pem "
        "--audience m", 2, "--subscriber 'alice': not a SIP or tel URI"),
    "vectors check: a bad scalar": row(
        "vectors check {d}/vectors-bad-j.json", 1, "field 'j' must be a hex number",
        stream="stdout"),
    "vectors make: unknown kind": row("vectors make nope", 2, "Invalid value for 'KIND'"),
    "vectors make: bad --count": row("vectors make uid-derive --count 0", 2, "'--count'"),
    "vectors list: extra argument": row("vectors list x", 2, "unexpected extra argument"),
    # prove, bench, demo
    "prove: bad --format": row("prove --format xml", 2, "'--format'"),
    "prove: no jobs": row("prove --jobs 0", 2, "'--jobs'"),
    "bench: bad --format": row("bench --format xml", 2, "'--format'"),
    "demo: extra argument": row("demo x", 2, "unexpected extra argument"),
    "mckm: unknown command": row("nope", 2, "No such command 'nope'"),
    # kms
    "kms serve: --db in a missing folder": row(
        "kms serve --db {d}/no/kms.db --kms-uri k --idm-key {d}/key.pem", 2,
        "no/kms.db: No such file or directory"),
    "kms serve: --db a folder": row(
        "kms serve --db {d} --kms-uri k --idm-key {d}/key.pem", 2, ": Is a directory"),
    "kms serve: --port not a number": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/key.pem --port x", 2, "'--port'"),
    "kms serve: --idm-key missing": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/missing.pem", 2, "'--idm-key'"),
    "kms serve: neither --idm-key nor --idm-jwks": row(
        "kms serve --db {d}/k.db --kms-uri k", 2, "exactly one of --idm-key and --idm-jwks"),
    "kms serve: both --idm-key and --idm-jwks": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/key.pem --idm-jwks https://i/jwks",
        2, "exactly one of --idm-key and --idm-jwks"),
    "kms serve: --idm-jwks not https": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-jwks http://i/jwks --idm-ca {d}/cert.pem", 2,
        "--idm-jwks http://i/jwks: not an https:// URL"),
    "kms serve: --idm-jwks without --idm-ca": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-jwks https://i/jwks", 2, "needs --idm-ca"),
    "kms serve: --idm-ca not a certificate": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-jwks https://i/jwks --idm-ca "
        "{d}/garbage-key.pem", 2, "holds no PEM certificate"),
    "kms rollover: no store at --db": row(
        "kms rollover --db {d}/no/kms.db --kms-uri k", 2, "no/kms.db: no KMS store there"),
    "kms rollover: --workers 0": row(
        "kms rollover --db {d}/r.db --kms-uri k --workers 0", 2, "'--workers'"),
    "kms rollover: --db a folder": row(
        "kms rollover --db {d} --kms-uri k", 2, "error-paths0: no KMS store there"),
    "kms enrol: --db in a missing folder": row(
        "kms enrol --db {d}/no/kms.db --user sip:a@x --out {d}/a.json --kms-uri k", 2,
        "no/kms.db: No such file or directory"),
    "kms enrol: --out in a missing folder": row(
        "kms enrol --db {d}/enrol.db --user sip:a@x --out {d}/no/a.json --kms-uri k", 2,
        "no/a.json: No such file or directory"),
    "kms issue-token: --idm-key in a missing folder": row(
        "kms issue-token --idm-key {d}/no/idm.pem --user sip:a@x", 2,
        "no/idm.pem: No such file or directory"),
    "kms serve: --idm-key not PEM": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/garbage.pem", 2,
        "--idm-key {d}/garbage.pem: not a PEM public or unencrypted private key"),
    "kms issue-token: --idm-key not PEM": row(
        "kms issue-token --idm-key {d}/garbage-key.pem --user sip:a@x", 2,
        "--idm-key {d}/garbage-key.pem: not an unencrypted PEM private key"),
    "kms issue-token: --lifetime over the KMS's maximum": row(
        "kms issue-token --idm-key {d}/key.pem --user sip:a@x --lifetime 86401", 2,
        "Invalid value for '--lifetime'"),
    "kms serve: --port out of range": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/key.pem --port 70000", 2,
        "Invalid value for '--port': 70000 is not in the range"),
    "kms serve: --key-period 0": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/key.pem --key-period 0", 2,
        "Invalid value for '--key-period'"),
    "kms serve: --host does not resolve": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/key.pem --host no.such.host.invalid",
        2, "--host no.such.host.invalid: "),
    "kms serve: --cert not PEM": row(
        "kms serve --db {d}/k.db --kms-uri k --idm-key {d}/key.pem --cert {d}/garbage.pem "
        "--key {d}/key.pem", 2, "--cert {d}/garbage.pem / --key {d}/key.pem: "),
    "kms serve: --db readable by others": row(
        "kms serve --db {d}/tbd.txt --kms-uri k --idm-key {d}/key.pem", 2,
        "--db {d}/tbd.txt: {d}/tbd.txt holds KMS secrets but is readable by others"),
    "kms serve: --db not SQLite": row(
        "kms serve --db {d}/not-sqlite.db --kms-uri k --idm-key {d}/key.pem", 2,
        "--db {d}/not-sqlite.db: file is not a database"),
    "kms enrol: --db not SQLite": row(
        "kms enrol --db {d}/not-sqlite.db --user sip:a@x --out {d}/a.json --kms-uri k", 2,
        "--db {d}/not-sqlite.db: file is not a database"),
    "kms enrol: --out a folder": row(
        "kms enrol --db {d}/enrol.db --user sip:b@x --out {d} --kms-uri k", 2,
        "--out {d}: is a folder, not a file"),
    # idm
    "idm serve: config not JSON": row(
        "idm serve --config {d}/broken.json", 2, "broken.json: not a readable UTF-8 JSON file"),
    "idm serve: config without users": row(
        "idm serve --config {d}/empty-object.json", 2, "field users: not a non-empty object"),
    "idm hash-password: empty password": row("idm hash-password", 2, "password", stdin="\n"),
    "idm login: IdM not reachable": row(
        "idm login --idm https://127.0.0.1:{port} --ca {d}/ca.pem --client-id c "
        "--redirect-uri https://c/cb --user alice", 2, "--idm https://127.0.0.1:", stdin="pw\n"),
    # ticket servers
    "ticket kms-serve: --config missing": row(
        "ticket kms-serve --config {d}/missing.json", 2, "'--config'"),
    "ticket kms-serve: config not JSON": row(
        "ticket kms-serve --config {d}/kms-broken.json", 2,
        "kms-broken.json: malformed KMS config: Expecting"),
    "ticket kms-serve: unknown field": row(
        "ticket kms-serve --config {d}/kms-unknown-field.json", 2, "keyword argument 'domain'"),
    "ticket kms-serve: port out of range": row(
        "ticket kms-serve --config {d}/kms-port.json", 2, "kms-port.json: field ua_port: 70000"),
    "ticket kms-serve: port not a number": row(
        "ticket kms-serve --config {d}/kms-port-text.json", 2, "field zk_port: 'x'"),
    "ticket kms-serve: host does not resolve": row(
        "ticket kms-serve --config {d}/kms-host.json", 2, "field host: cannot resolve"),
    "ticket kms-serve: bsf without port": row(
        "ticket kms-serve --config {d}/kms-bsf.json", 2, "field bsf: address '127.0.0.1'"),
    "ticket kms-serve: cert file missing": row(
        "ticket kms-serve --config {d}/kms-no-cert.json", 2,
        "field cert_file/key_file ({d}/missing.pem, {d}/key.pem): No such file"),
    "ticket kms-serve: cert not PEM": row(
        "ticket kms-serve --config {d}/kms-bad-pem.json", 2, "field cert_file/key_file ("),
    "ticket kms-serve: db not a store": row(
        "ticket kms-serve --config {d}/kms-db.json", 2,
        "field db (ftp://x/kms.db): ftp:// is not a store URL"),
    "ticket bsf-serve: unknown field": row(
        "ticket bsf-serve --config {d}/bsf-unknown-field.json", 2, "malformed BSF config"),
    "ticket bsf-serve: port out of range": row(
        "ticket bsf-serve --config {d}/bsf-port.json", 2, "field port: -1"),
    "ticket bsf-serve: contexts file not JSON": row(
        "ticket bsf-serve --config {d}/bsf-contexts.json", 2,
        "field contexts_file ({d}/broken.json): malformed bootstrapping contexts"),
    # ticket UEs
    "ticket ue-initiator: --kms without port": row(
        ["ticket", "ue-initiator", *UE, "--kms", "127.0.0.1", "--peer", "sip:b@x"], 2,
        "Invalid value for '--kms'"),
    "ticket ue-initiator: --kms port out of range": row(
        ["ticket", "ue-initiator", *UE, "--kms", "127.0.0.1:99999", "--peer", "sip:b@x"], 2,
        "port 99999 is not 1-65535"),
    "ticket ue-initiator: KMS down": row(
        ["ticket", "ue-initiator", *UE, "--kms", "127.0.0.1:{port}", "--peer", "sip:b@x"], 2,
        "--kms 127.0.0.1:{port}: Connection refused"),
    "ticket ue-initiator: --kms-ca not PEM": row(
        ["ticket", "ue-initiator", *UE, "--kms-ca", "{d}/garbage.pem", "--kms",
         "127.0.0.1:{port}", "--peer", "sip:b@x"], 2, "--kms-ca {d}/garbage.pem: "),
    "ticket ue-initiator: contexts malformed": row(
        ["ticket", "ue-initiator", *UE, "--contexts", "{d}/contexts-no-ks.json", "--kms",
         "127.0.0.1:{port}", "--peer", "sip:b@x"], 2,
        "--contexts {d}/contexts-no-ks.json: malformed bootstrapping contexts file"),
    "ticket ue-initiator: no context for --uri": row(
        ["ticket", "ue-initiator", *UE, "--uri", "sip:zz@x", "--kms", "127.0.0.1:{port}",
         "--peer", "sip:b@x"], 2, "no bootstrapping context for 'sip:zz@x'"),
    "ticket ue-responder: TRANSFER_INIT not hex": row(
        ["ticket", "ue-responder", *UE, "--kms", "127.0.0.1:{port}"], 2,
        "stdin: TRANSFER_INIT: non-hexadecimal", stdin="TRANSFER_INIT zz\n"),
    "ticket ue-responder: not a TRANSFER_INIT line": row(
        ["ticket", "ue-responder", *UE, "--kms", "127.0.0.1:{port}"], 2,
        "stdin: expected a line 'TRANSFER_INIT <hex>'", stdin="HELLO 00\n"),
    "ticket ue-responder: TRANSFER_INIT refused": row(
        ["ticket", "ue-responder", *UE, "--kms", "127.0.0.1:{port}"], 1,
        "REFUSED DecodeError: offset 2, payload SIP", stdin="TRANSFER_INIT 0011\n",
        stream="stdout"),
    "ticket ue-responder: the initiator gave up": row(
        ["ticket", "ue-responder", *UE, "--kms", "127.0.0.1:{port}"], 1,
        "REFUSED no TRANSFER_INIT received", stdin="", stream="stdout"),
}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding every file the rows name."""
    d = tmp_path_factory.mktemp("error-paths")
    for name, content in FILES.items():
        path = d / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{d}", str(d)))
    ca = make_domain_ca("kms.a.example")
    identity = ca.issue("kms")
    (d / "ca.pem").write_bytes(ca.cert_pem)
    (d / "cert.pem").write_bytes(identity.cert_pem)
    (d / "key.pem").write_bytes(identity.key_pem)
    (d / "key.pem").chmod(0o600)
    (d / "not-sqlite.db").chmod(0o600)
    context = BootstrapContext(
        b_tid="t@bsf.example", ks=Secret(bytes(32)), rand=bytes(16), impi="alice",
        expires_at=time.time() + 3600, uss=UserSecuritySettings(("sip:alice@a.example",)))
    (d / "contexts.json").write_text(contexts_to_json([context]))
    vector = json.loads(RFC6507.read_text())["vectors"][0] | {"j": "0x3456g"}
    (d / "vectors-bad-j.json").write_text(json.dumps({"vectors": [vector]}))
    _docx(d / "bad.docx")
    return d


def _docx(path: Path) -> None:
    """A real .docx package whose word/document.xml does not parse."""
    import docx  # python-docx

    good = path.with_name("good.docx")
    document = docx.Document()
    document.add_paragraph("The KMS shall sign.")
    document.save(str(good))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, b"<w:document><w:body>" if item.filename ==
                         "word/document.xml" else data)


def _args(r: Row, d: Path, port: int) -> list[str]:
    return [a.replace("{d}", str(d)).replace("{port}", str(port)) for a in r.args]


PORT = _closed_port()


@pytest.mark.parametrize("name", list(ROWS))
def test_error_path(name: str, files: Path) -> None:
    r = ROWS[name]
    result = CliRunner().invoke(main, _args(r, files, PORT), input=r.stdin, prog_name="mckm")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"a traceback: {result.exception!r}")
    assert "Traceback" not in result.stderr + result.stdout
    lines = (result.stderr if r.stream == "stderr" else result.stdout).strip().splitlines()
    says = r.says.replace("{d}", str(files)).replace("{port}", str(PORT))
    if r.stream == "stderr":
        assert len(lines) == 1, result.stderr
    assert any(says in line for line in lines), (result.stdout, result.stderr)
    assert result.exit_code == r.code, (result.stdout, result.stderr)


def test_every_command_has_rows() -> None:
    """Each command of ``mckm --help`` (and each of a group's) has an error row."""
    covered = {" ".join(r.args[:2]) for r in ROWS.values()} | {r.args[0] for r in ROWS.values()}
    for name in COMMANDS:
        subs = getattr(main.get_command(click.Context(main), name), "commands", {})
        for full in [f"{name} {s}" for s in subs] or [name]:
            assert full in covered, f"no error row for 'mckm {full}'"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_states_the_exit_status(name: str) -> None:
    runner = CliRunner()
    command = main.get_command(click.Context(main), name)
    for sub in [*getattr(command, "commands", {})] or [None]:
        args = [name, sub, "--help"] if sub else [name, "--help"]
        out = " ".join(runner.invoke(main, args).stdout.split())
        assert "Exit status: 0" in out and "2 a usage or" in out, args
    assert EXIT_STATUS[:40] in " ".join(runner.invoke(main, ["--help"]).stdout.split())


@pytest.mark.parametrize("form", ["hex", "spaced", "base64", "sdp", "file", "binary", "stdin"])
def test_decode_reads_what_a_person_pastes(form: str, tmp_path: Path) -> None:
    """Hex with spaces and line breaks (a capture), base64, an SDP a=key-mgmt:mikey line, a
    file or stdin: the same JSON as plain hex."""
    runner = CliRunner()
    plain = runner.invoke(main, ["codec", "decode", I_MESSAGE.hex()])
    assert plain.exit_code == 0, plain.stderr
    spaced = " ".join(f"{b:02x}" for b in I_MESSAGE)
    capture = "\n".join(spaced[i:i + 48] for i in range(0, len(spaced), 48))
    b64 = base64.b64encode(I_MESSAGE).decode()
    sdp = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\na=key-mgmt:mikey {b64}\r\n"
           "m=audio 4000 RTP/SAVP 0\r\n")
    stdin = None
    if form == "file":
        (tmp_path / "m.txt").write_text(capture)
        args = [str(tmp_path / "m.txt")]
    elif form == "binary":
        (tmp_path / "m.bin").write_bytes(I_MESSAGE)
        args = [str(tmp_path / "m.bin")]
    elif form == "stdin":
        args, stdin = ["-"], sdp
    else:
        args = [{"hex": "0x" + I_MESSAGE.hex(), "spaced": capture, "base64": b64,
                 "sdp": f"a=key-mgmt:mikey {b64}"}[form]]
    result = runner.invoke(main, ["codec", "decode", *args], input=stdin)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == plain.stdout


def test_vectors_read_a_scalar_of_any_length(tmp_path: Path) -> None:
    """RFC 6507 prints j = 0x34567: a scalar in hex of any length checks like 64 digits."""
    vector = json.loads(RFC6507.read_text())["vectors"][0]
    assert int(vector["j"], 16) == 0x34567
    short = vector | {"j": "0x34567", "ssk": "0x" + vector["ssk"].lstrip("0")}
    path = tmp_path / "short.json"
    path.write_text(json.dumps({"vectors": [short]}))
    result = CliRunner().invoke(main, ["vectors", "check", str(path)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip().endswith("1 passed, 0 failed")


@pytest.mark.parametrize("args, code, says", [
    (["codec", "encode", "/nonexistent/m.json"], 2, "Error: /nonexistent/m.json: No such file"),
    (["codec", "decode", "01 " * 200], 1, "Error: SOURCE: DecodeError"),
])
def test_the_installed_command_prints_no_traceback(args: list[str], code: int, says: str) -> None:
    """The console script itself (not the test runner) prints one line and no traceback."""
    script = Path(sys.executable).with_name("mckm")
    result = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == code and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(says), result.stderr
