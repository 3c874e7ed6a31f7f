"""Issue 13: ``mckm kms enrol`` is all or nothing.  A key file that cannot be written leaves the
user unenrolled (no TrK/InK lost), so a retry with a writable ``--out`` enrols it and the file
holds the keys the store holds; no temporary file is left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.store.sqlite_kms import SqliteKmsStore

USER = "sip:alice@example.org"


def _enrol(db: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["kms", "enrol", "--db", str(db), "--user", USER,
                                       "--out", str(out), "--kms-uri", "kms.example.org"])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


@pytest.mark.parametrize("unwritable", ["missing folder", "a folder", "read-only file system"])
def test_a_failed_write_enrols_nobody_and_the_retry_succeeds(tmp_path: Path,
                                                            unwritable: str) -> None:
    db, good = tmp_path / "kms.db", tmp_path / "out" / "alice.json"
    good.parent.mkdir()
    bad = {"missing folder": tmp_path / "no" / "alice.json", "a folder": good.parent,
           "read-only file system": Path("/proc/alice.json")}[unwritable]
    code, refusal = _enrol(db, bad)
    assert code == 2, refusal
    code, err = _enrol(db, good)  # the retry
    assert code == 0, err
    assert refusal.startswith(f"Error: --out {bad}: "), refusal
    keys = json.loads(good.read_text())
    assert good.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in good.parent.iterdir()) == ["alice.json"]
    store = SqliteKmsStore(db)
    try:
        held = KmsRole.open(store, KmsConfig("kms.example.org"), standard()).transport_keys(USER)
    finally:
        store.close()
    assert held is not None
    assert (keys["trk_id"], keys["ink_id"]) == (held.trk_id, held.ink_id)
    assert (keys["trk"], keys["ink"]) == (held.trk.reveal().hex(), held.ink.reveal().hex())


def test_enrolling_twice_is_refused_and_leaves_the_first_file(tmp_path: Path) -> None:
    db, out = tmp_path / "kms.db", tmp_path / "alice.json"
    assert _enrol(db, out)[0] == 0
    first = out.read_bytes()
    code, err = _enrol(db, tmp_path / "again.json")
    assert code == 2 and "already enrolled" in err, err
    assert out.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir() if "json" in p.name) == ["alice.json"]
