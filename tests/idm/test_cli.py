"""``mckm idm`` as a user runs it: hash a password for the configuration, log in to a running
IdM (password on standard input) and hand the KMS access token to the KMS."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.roles.idm.config import PasswordHash
from tests.idm.conftest import CLIENT, PASSWORDS, REDIRECT, World


def test_hash_password_writes_a_hash_the_config_reads() -> None:
    result = CliRunner().invoke(main, ["idm", "hash-password"], input="s3cret\n")
    assert result.exit_code == 0, result.output
    stored = PasswordHash.parse(result.stdout.strip(), "stdout")
    assert stored.matches("s3cret") and not stored.matches("s3cret\n")


def test_login_prints_tokens_the_kms_serves(world: World, tmp_path: Path) -> None:
    ca = tmp_path / "idm-ca.pem"
    ca.write_bytes(world.idm.identity.ca_pem)
    args = ["idm", "login", "--idm", world.idm.base_url, "--ca", str(ca), "--client-id", CLIENT,
            "--redirect-uri", REDIRECT, "--user", "alice"]
    result = CliRunner().invoke(main, args, input=PASSWORDS["alice"] + "\n")
    assert result.exit_code == 0, result.output
    tokens = json.loads(result.stdout)
    assert world.kms_post(tokens["kms_access_token"])[0] == 200

    refused = CliRunner().invoke(main, args, input="wrong\n")
    assert refused.exit_code == 1
    assert "user name or password is wrong" in refused.stderr and "REQ-IDM-03" in refused.stderr
