"""``mckm codec export --format wireshark-lua`` writes the dissector render() makes, and tshark
loads the written file and reads a message with it (the command users run, end to end)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mckm.impl.codec import decode, encode
from mckm.impl.codec.export_lua import FILE_NAME, render
from tests.codec.samples import sample_messages
from tests.export.test_lua_tshark import ETH_IP_UDP, Judge, _pcap, run_tshark

CLI = [sys.executable, "-c", "from mckm.impl.cli import main; main()"]


def _export(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "codec", "export", "--format", "wireshark-lua", "--out",
                           str(out)], capture_output=True, text=True, timeout=120)


def test_cli_writes_the_rendered_dissector(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    result = _export(out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(out / FILE_NAME)]
    assert (out / FILE_NAME).read_text(encoding="utf-8") == render()[FILE_NAME]


def test_cli_refuses_an_out_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = _export(tmp_path / "f")
    assert result.returncode == 2 and "--out" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.interop
def test_tshark_reads_a_message_with_the_exported_file(tmp_path: Path) -> None:
    assert _export(tmp_path).returncode == 0
    raw = encode(sample_messages()[17])  # RESOLVE_INIT_PK: CERT, CHASH, PKE, SIGN
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, raw)]))
    (packet,) = run_tshark(tmp_path / FILE_NAME, tmp_path / "x.pcap")
    judge = Judge()
    judge.message(raw, packet, ETH_IP_UDP)
    assert judge.fields >= len(decode(raw).payloads)
