"""``mckm smime protect`` / ``unprotect`` as a user runs them, with openssl cms on the other
side (interop), and their refusals (exit 1) and input errors (exit 2)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.smime import mime
from tests.conftest import require_tool
from tests.smime.helpers import BODY, CEK, KEY_ID, XML


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "cek.hex").write_text(CEK.hex() + "\n")
    (tmp_path / "cek.bin").write_bytes(CEK)
    (tmp_path / "body.xml").write_bytes(BODY)
    return tmp_path


def _mckm(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), prog_name="mckm")
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("form", ["der", "smime", "sip"])
def test_protect_then_unprotect(files: Path, form: str) -> None:
    code, _, err = _mckm("smime", "protect", "--key-id", KEY_ID.hex(), "--cek-file",
                         str(files / "cek.bin"), "--content-type", XML, "--form", form,
                         str(files / "body.xml"), str(files / "out"))
    assert code == 0, err
    code, _, err = _mckm("smime", "unprotect", "--key-id", KEY_ID.hex(), "--cek-file",
                         str(files / "cek.hex"), str(files / "out"), str(files / "back"))
    assert code == 0, err
    assert (files / "back").read_bytes() == BODY
    assert f"content-type: {XML}; key-id: {KEY_ID.hex()}" in err


@pytest.mark.interop
def test_openssl_opens_what_the_cli_writes(files: Path) -> None:
    openssl = require_tool("openssl")
    code, _, err = _mckm("smime", "protect", "--key-id", KEY_ID.hex(), "--cek-file",
                         str(files / "cek.hex"), "--content-type", XML, "--form", "smime",
                         str(files / "body.xml"), str(files / "out.p7m"))
    assert code == 0, err
    done = subprocess.run([openssl, "cms", "-decrypt", "-inform", "SMIME", "-in",
                           str(files / "out.p7m"), "-secretkey", CEK.hex(), "-secretkeyid",
                           KEY_ID.hex()], capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == mime.entity(XML, BODY)


@pytest.mark.interop
def test_the_cli_opens_what_openssl_writes(files: Path) -> None:
    openssl = require_tool("openssl")
    (files / "entity").write_bytes(mime.entity(XML, BODY))
    subprocess.run([openssl, "cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER",
                    "-secretkey", CEK.hex(), "-secretkeyid", KEY_ID.hex(),
                    "-in", str(files / "entity"), "-out", str(files / "o.der")],
                   check=True, capture_output=True, timeout=30)
    code, _, err = _mckm("smime", "unprotect", "--key-id", KEY_ID.hex(), "--cek-file",
                         str(files / "cek.hex"), str(files / "o.der"), str(files / "back"))
    assert code == 0, err
    assert (files / "back").read_bytes() == BODY


def test_tampered_body_is_a_refusal(files: Path) -> None:
    out = files / "out"
    assert _mckm("smime", "protect", "--key-id", KEY_ID.hex(), "--cek-file",
                 str(files / "cek.hex"), "--content-type", XML, str(files / "body.xml"),
                 str(out))[0] == 0
    tampered = bytearray(out.read_bytes())
    tampered[-1] ^= 0x80
    out.write_bytes(bytes(tampered))
    code, _, err = _mckm("smime", "unprotect", "--key-id", KEY_ID.hex(), "--cek-file",
                         str(files / "cek.hex"), str(out), str(files / "back"))
    assert code == 1
    assert err.startswith("Error: VerifyError: the GCM tag does not verify")
    assert not (files / "back").exists()


def test_unknown_key_id_and_bad_cek_file(files: Path) -> None:
    assert _mckm("smime", "protect", "--key-id", KEY_ID.hex(), "--cek-file",
                 str(files / "cek.hex"), "--content-type", XML, str(files / "body.xml"),
                 str(files / "out"))[0] == 0
    code, _, err = _mckm("smime", "unprotect", "--key-id", "01", "--cek-file",
                         str(files / "cek.hex"), str(files / "out"), "-")
    assert code == 1 and "REQ-CEK-06" in err and KEY_ID.hex() in err
    code, _, err = _mckm("smime", "unprotect", "--key-id", KEY_ID.hex(), "--cek-file",
                         str(files / "body.xml"), str(files / "out"), "-")
    assert code == 2 and "--cek-file" in err
    assert CEK.hex() not in err
