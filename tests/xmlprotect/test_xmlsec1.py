"""xmlsec1 (the XML Security Library's command line tool) as the judge of TS 33.180 9.3.

Both ways for each mechanism: xmlsec1 decrypts what :func:`protect` wrote and we decrypt what
``xmlsec1 --encrypt`` wrote from an aes128-gcm template (``#Content`` and ``#Element``);
xmlsec1 verifies the signature body :func:`sign_bodies` wrote (the ``cid:`` Reference mapped
to the body's file with ``--url-map``) and we verify what ``xmlsec1 --sign`` wrote (exclusive
and inclusive C14N).  xmlsec1 is given the keys TS 33.180 F.1.4 derives (it knows no KDF),
named by the base64 XPK-ID as ``ds:KeyName`` names them.  Each direction also has a case the
judge must refuse (wrong key, altered body), so the judge can fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import etree

from mckm.impl.crypto.mckeys import xpk_confidentiality_key, xpk_integrity_key
from mckm.impl.errors import VerifyError
from mckm.impl.xmlprotect import names
from mckm.impl.xmlprotect.encryption import protect, unprotect
from mckm.impl.xmlprotect.keys import key_name
from mckm.impl.xmlprotect.signature import sign_bodies, verify_bodies
from tests.conftest import require_tool
from tests.xmlprotect.common import (
    CSK,
    CSK_ID,
    MC_ID,
    MCPTT_NS,
    SIGNALLING,
    SPK,
    SPK_ID,
    TARGETS,
    canonical,
    ring,
)

CID = "signalling-1@iwf.example.net"


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    return require_tool("xmlsec1")


def _run(tool: str, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([tool, *map(str, args)], capture_output=True, timeout=60, check=False)


def _key_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for xpk, xpk_id in ((CSK, CSK_ID), (SPK, SPK_ID)):
        conf = tmp_path / f"{xpk_id:08x}.aes"
        conf.write_bytes(xpk_confidentiality_key(xpk, MC_ID, xpk_id))
        integ = tmp_path / f"{xpk_id:08x}.hmac"
        integ.write_bytes(xpk_integrity_key(xpk, MC_ID, xpk_id))
        files[f"aes{xpk_id}"] = conf
        files[f"hmac{xpk_id}"] = integ
    return files


def _xmlsec1_decrypt_all(tool: str, path: Path, key_args: list[str | Path]) -> bytes:
    """xmlsec1 opens one EncryptedData per run: run it until none is left."""
    for _ in range(10):
        if b"EncryptedData" not in path.read_bytes():
            return path.read_bytes()
        done = _run(tool, "--decrypt", *key_args, "--output", path, path)
        assert done.returncode == 0, done.stderr.decode()
    raise AssertionError("xmlsec1 left EncryptedData behind")


@pytest.mark.parametrize("xpk_id", [CSK_ID, SPK_ID], ids=["csk", "spk"])
def test_xmlsec1_decrypts_what_we_protect(xmlsec1: str, tmp_path: Path, xpk_id: int) -> None:
    """REQ-IKMM-02: xmlsec1 as judge of the EncryptedData."""
    keys = _key_files(tmp_path)
    protected = protect(SIGNALLING, TARGETS, xpk_id=xpk_id, keys=ring())
    assert protected.count(b"<CipherValue>") == len(TARGETS)
    assert b"mcptt-bob" not in protected and b"kmf.iwf" not in protected
    path = tmp_path / "protected.xml"
    path.write_bytes(protected)
    clear = _xmlsec1_decrypt_all(xmlsec1, path, [f"--aeskey:{key_name(xpk_id)}",
                                                 keys[f"aes{xpk_id}"]])
    assert canonical(clear) == canonical(SIGNALLING)


def test_xmlsec1_refuses_ours_under_another_key(xmlsec1: str, tmp_path: Path) -> None:
    keys = _key_files(tmp_path)
    path = tmp_path / "protected.xml"
    path.write_bytes(protect(SIGNALLING, TARGETS[:1], xpk_id=CSK_ID, keys=ring()))
    # the SPK's key under the CSK's name: the GCM tag must fail in xmlsec1 too
    done = _run(xmlsec1, "--decrypt", f"--aeskey:{key_name(CSK_ID)}", keys[f"aes{SPK_ID}"], path)
    assert done.returncode != 0


def _template(kind: str, xpk_id: int) -> bytes:
    return (f'<EncryptedData xmlns="{names.XENC}" xmlns:ds="{names.DS}" Type="{kind}">'
            f'<EncryptionMethod Algorithm="{names.AES128_GCM}"/>'
            f'<ds:KeyInfo><ds:KeyName>{key_name(xpk_id)}</ds:KeyName></ds:KeyInfo>'
            '<CipherData><CipherValue/></CipherData></EncryptedData>').encode()


@pytest.mark.parametrize("kind", [names.TYPE_CONTENT, names.TYPE_ELEMENT],
                         ids=["content", "element"])
@pytest.mark.parametrize("local", ["mcptt-request-uri", "note"])
def test_we_decrypt_what_xmlsec1_encrypts(xmlsec1: str, tmp_path: Path, kind: str,
                                         local: str) -> None:
    keys = _key_files(tmp_path)
    (tmp_path / "template.xml").write_bytes(_template(kind, SPK_ID))
    (tmp_path / "data.xml").write_bytes(SIGNALLING)
    done = _run(xmlsec1, "--encrypt", f"--aeskey:{key_name(SPK_ID)}", keys[f"aes{SPK_ID}"],
                "--xml-data", tmp_path / "data.xml", "--node-name", f"{MCPTT_NS}:{local}",
                tmp_path / "template.xml")
    assert done.returncode == 0, done.stderr.decode()
    encrypted = done.stdout
    assert encrypted.count(b"EncryptedData ") == 1 and b"CipherValue>" in encrypted
    opened = unprotect(encrypted, keys=ring())
    assert opened.xpk_ids == (SPK_ID,)
    assert canonical(opened.document) == canonical(SIGNALLING)


def test_we_refuse_xmlsec1_output_with_a_flipped_bit(xmlsec1: str, tmp_path: Path) -> None:
    keys = _key_files(tmp_path)
    (tmp_path / "template.xml").write_bytes(_template(names.TYPE_CONTENT, CSK_ID))
    (tmp_path / "data.xml").write_bytes(SIGNALLING)
    done = _run(xmlsec1, "--encrypt", f"--aeskey:{key_name(CSK_ID)}", keys[f"aes{CSK_ID}"],
                "--xml-data", tmp_path / "data.xml", "--node-name",
                f"{MCPTT_NS}:mcptt-request-uri", tmp_path / "template.xml")
    assert done.returncode == 0, done.stderr.decode()
    root = etree.fromstring(done.stdout)
    value = root.find(f".//{names.xenc('CipherValue')}")
    assert value is not None and value.text
    import base64

    sealed = bytearray(base64.b64decode(value.text))
    sealed[20] ^= 0x01
    value.text = base64.b64encode(bytes(sealed)).decode()
    with pytest.raises(VerifyError, match=r"EncryptedData #1 .*tag does not verify"):
        unprotect(etree.tostring(root), keys=ring())


def _sign_args(keys: dict[str, Path], xpk_id: int, body: Path) -> list[str | Path]:
    return [f"--hmackey:{key_name(xpk_id)}", keys[f"hmac{xpk_id}"], f"--url-map:cid:{CID}", body,
            "--enabled-reference-uris", "remote"]


def test_xmlsec1_verifies_our_signature(xmlsec1: str, tmp_path: Path) -> None:
    """REQ-IKMM-06: xmlsec1 as judge of the signature."""
    keys = _key_files(tmp_path)
    body = protect(SIGNALLING, TARGETS, xpk_id=SPK_ID, keys=ring())
    (tmp_path / "body.xml").write_bytes(body)
    (tmp_path / "signature.xml").write_bytes(sign_bodies({CID: body}, xpk_id=SPK_ID,
                                                         keys=ring()))
    done = _run(xmlsec1, "--verify", *_sign_args(keys, SPK_ID, tmp_path / "body.xml"),
                "--node-name", f"{names.DS}:Signature", tmp_path / "signature.xml")
    assert done.returncode == 0, done.stderr.decode()
    # the judge can say no: one octet of the body changed
    (tmp_path / "body.xml").write_bytes(body.replace(b"<mcptt-Params>", b"<mcptt-Params >"))
    done = _run(xmlsec1, "--verify", *_sign_args(keys, SPK_ID, tmp_path / "body.xml"),
                "--node-name", f"{names.DS}:Signature", tmp_path / "signature.xml")
    assert done.returncode != 0


@pytest.mark.parametrize("c14n", sorted(names.CANONICALIZATIONS))
def test_we_verify_what_xmlsec1_signs(xmlsec1: str, tmp_path: Path, c14n: str) -> None:
    keys = _key_files(tmp_path)
    (tmp_path / "body.xml").write_bytes(SIGNALLING)
    template = (f'<Signature xmlns="{names.DS}"><SignedInfo>'
                f'<CanonicalizationMethod Algorithm="{c14n}"/>'
                f'<SignatureMethod Algorithm="{names.HMAC_SHA256}"/>'
                f'<Reference URI="cid:{CID}"><DigestMethod Algorithm="{names.SHA256}"/>'
                '<DigestValue/></Reference></SignedInfo><SignatureValue/>'
                f'<KeyInfo><KeyName>{key_name(CSK_ID)}</KeyName></KeyInfo></Signature>')
    (tmp_path / "template.xml").write_text(template)
    done = _run(xmlsec1, "--sign", *_sign_args(keys, CSK_ID, tmp_path / "body.xml"),
                tmp_path / "template.xml")
    assert done.returncode == 0, done.stderr.decode()
    assert verify_bodies(done.stdout, {CID: SIGNALLING}, keys=ring()) == (CSK_ID,)
    with pytest.raises(VerifyError, match="digest"):
        verify_bodies(done.stdout, {CID: SIGNALLING + b"\n"}, keys=ring())


def _shipped_xml_vectors() -> list[dict[str, object]]:
    import json

    from mckm.impl.vectors.runner import builtin_files

    path = next(p for p in builtin_files() if p.name == "xml-protect.json")
    vectors: list[dict[str, object]] = json.loads(path.read_text())["vectors"]
    return vectors


@pytest.mark.parametrize("index", range(len(_shipped_xml_vectors())))
def test_xmlsec1_decrypts_every_shipped_xml_protect_vector(xmlsec1: str, tmp_path: Path,
                                                           index: int) -> None:
    """The expected outputs of impl/vectors/data/xml-protect.json, judged by xmlsec1."""
    vector = _shipped_xml_vectors()[index]
    key = tmp_path / "key.aes"
    key.write_bytes(bytes.fromhex(str(vector["confidentiality_key"])))
    path = tmp_path / "protected.xml"
    path.write_text(str(vector["protected"]), encoding="utf-8")
    name = key_name(int(str(vector["xpk_id"])))
    clear = _xmlsec1_decrypt_all(xmlsec1, path, [f"--aeskey:{name}", key])
    assert canonical(clear) == canonical(str(vector["plaintext"]).encode("utf-8"))


KMM = bytes(range(256)) * 3 + b"\r\n\n\r"


def test_xmlsec1_decrypts_the_kmm_part_we_write(xmlsec1: str, tmp_path: Path) -> None:
    """An InterKMM's KMM part: an EncryptedData of octets (no Type, a MimeType)."""
    from mckm.impl.xmlprotect.encryption import encrypt_octets

    keys = _key_files(tmp_path)
    path = tmp_path / "kmm.xml"
    path.write_bytes(encrypt_octets(KMM, "application/vnd.example.kmm", xpk_id=SPK_ID,
                                    keys=ring()))
    done = _run(xmlsec1, "--decrypt", f"--aeskey:{key_name(SPK_ID)}", keys[f"aes{SPK_ID}"],
                path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == KMM


def test_we_decrypt_octets_xmlsec1_encrypts(xmlsec1: str, tmp_path: Path) -> None:
    from mckm.impl.xmlprotect.encryption import decrypt_octets

    keys = _key_files(tmp_path)
    (tmp_path / "kmm.bin").write_bytes(KMM)
    (tmp_path / "template.xml").write_bytes(
        f'<EncryptedData xmlns="{names.XENC}" xmlns:ds="{names.DS}" '
        'MimeType="application/vnd.example.kmm">'
        f'<EncryptionMethod Algorithm="{names.AES128_GCM}"/>'
        f'<ds:KeyInfo><ds:KeyName>{key_name(CSK_ID)}</ds:KeyName></ds:KeyInfo>'
        '<CipherData><CipherValue/></CipherData></EncryptedData>'.encode())
    done = _run(xmlsec1, "--encrypt", f"--aeskey:{key_name(CSK_ID)}", keys[f"aes{CSK_ID}"],
                "--binary-data", tmp_path / "kmm.bin", tmp_path / "template.xml")
    assert done.returncode == 0, done.stderr.decode()
    assert decrypt_octets(done.stdout, keys=ring()) == ("application/vnd.example.kmm", KMM,
                                                        CSK_ID)


def test_xmlsec1_opens_a_protected_interkmm_body(xmlsec1: str, tmp_path: Path) -> None:
    """A whole protected InterKMM, part by part: xmlsec1 verifies both signatures against the
    parts' octets (cid: URLs mapped to files), then decrypts the parameters and the KMM."""
    from email import policy
    from email.parser import BytesParser

    from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build

    keys = _key_files(tmp_path)
    message = InterKmm("kmf.iwf.example.net", MC_ID, KMM, "application/vnd.example.kmm")
    content_type, body = build(message, protection=Protection(ring(), SPK_ID))
    top = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = top.get_payload()
    assert isinstance(parts, list) and len(parts) == 3
    files, url_maps = [], []
    for index, part in enumerate(parts):
        path = tmp_path / f"part{index}.xml"
        path.write_bytes(part.get_payload(decode=True))
        files.append(path)
        if part["Content-ID"]:
            url_maps += [f"--url-map:cid:{str(part['Content-ID']).strip('<>')}", path]
    for number in (1, 2):
        done = _run(xmlsec1, "--verify", f"--hmackey:{key_name(SPK_ID)}", keys[f"hmac{SPK_ID}"],
                    *url_maps, "--enabled-reference-uris", "remote", "--node-xpath",
                    f"(//*[local-name()='Signature'])[{number}]", files[2])
        assert done.returncode == 0, done.stderr.decode()
    kmm_part = files[1].read_bytes()
    files[1].write_bytes(kmm_part.replace(b"CipherValue>", b"CipherValue> ", 1))
    done = _run(xmlsec1, "--verify", f"--hmackey:{key_name(SPK_ID)}", keys[f"hmac{SPK_ID}"],
                *url_maps, "--enabled-reference-uris", "remote", "--node-xpath",
                "(//*[local-name()='Signature'])[2]", files[2])
    assert done.returncode != 0  # the second signature is the KMM part's
    files[1].write_bytes(kmm_part)
    aes = [f"--aeskey:{key_name(SPK_ID)}", keys[f"aes{SPK_ID}"]]
    clear = _xmlsec1_decrypt_all(xmlsec1, files[0], aes)
    root = etree.fromstring(clear)
    assert [e.text for e in root] == ["kmf.iwf.example.net", MC_ID]
    done = _run(xmlsec1, "--decrypt", *aes, files[1])
    assert done.returncode == 0 and done.stdout == KMM
