"""``mckm codec`` on messages we did not produce, and the generated docs build with Sphinx -W."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from mckm.impl.codec.cli import codec
from mckm.impl.codec.describe import markdown_table, rows
from mckm.impl.codec.docs import render_pages
from mckm.models.grammar.registry import BY_NAME, structures

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
VECTORS = json.loads(VENDOR.read_text())["i_messages_published"]


def test_decode_encode_round_trip_on_vendor_hex(tmp_path: Path) -> None:
    runner = CliRunner()
    for vector in VECTORS:
        hex_text = vector["i_message_hex"]
        decoded = runner.invoke(codec, ["decode", "--raw", hex_text])
        assert decoded.exit_code == 0, decoded.output
        obj = json.loads(decoded.output)
        assert obj["data_type"] == "SAKKE"
        assert [p["payload"] for p in obj["payloads"]][-1] == "SIGN"
        assert obj["layout"] == vector["payload_layout"]
        path = tmp_path / "m.json"
        path.write_text(decoded.output)
        encoded = runner.invoke(codec, ["encode", str(path)])
        assert encoded.exit_code == 0, encoded.output
        assert encoded.output.strip() == hex_text


def test_decode_from_stdin_and_file(tmp_path: Path) -> None:
    hex_text = VECTORS[2]["i_message_hex"]
    runner = CliRunner()
    from_stdin = runner.invoke(codec, ["decode", "--raw", "-"], input=hex_text + "\n")
    binary = tmp_path / "m.bin"
    binary.write_bytes(bytes.fromhex(hex_text))
    from_file = runner.invoke(codec, ["decode", "--raw", str(binary)])
    assert from_stdin.exit_code == from_file.exit_code == 0
    assert from_stdin.output == from_file.output
    idr = [p for p in json.loads(from_file.output)["payloads"] if p["payload"] == "IDR"]
    assert idr[0]["id_role"] == {"value": 8, "name": "IDRuidi"}


def test_decode_error_is_one_line_not_a_traceback() -> None:
    """REQ-CODEC-03: mckm codec decode prints the DecodeError (offset, payload, field) on one
    line, no traceback.
    """
    result = CliRunner().invoke(codec, ["decode", "011a0501"])
    assert result.exit_code == 1
    assert "offset 4, payload HDR, field csb_id" in result.output
    assert "Traceback" not in result.output


def test_encode_rejects_broken_presence(tmp_path: Path) -> None:
    """REQ-CODEC-04: mckm codec encode refuses a message that breaks a presence rule (SIGN
    dropped).
    """
    runner = CliRunner()
    obj = json.loads(runner.invoke(codec, ["decode", "--raw", VECTORS[0]["i_message_hex"]]).output)
    obj["payloads"] = obj["payloads"][:-1]  # drop SIGN
    path = tmp_path / "m.json"
    path.write_text(json.dumps(obj))
    result = runner.invoke(codec, ["encode", str(path)])
    assert result.exit_code == 1 and "SIGN" in result.output


def test_describe_prints_the_grammar_table() -> None:
    runner = CliRunner()
    out = runner.invoke(codec, ["describe", "IDR"]).output
    for name, bits, *_ in rows(BY_NAME["IDR"].spec):
        assert name in out and bits in out
    assert "IDRuidi" in out and "RFC 6043 6.6" in out
    rule = runner.invoke(codec, ["describe", "TRANSFER_INIT"]).output
    assert "data type 14" in rule and "last payload: V" in rule
    bad = runner.invoke(codec, ["describe", "NOPE"])
    assert bad.exit_code == 2 and "unknown payload" in bad.output  # a usage error (README)


def test_docs_show_the_same_tables() -> None:
    pages = render_pages()
    assert set(pages) == {"codec-payloads", "codec-messages"}
    for spec in structures():
        assert markdown_table(spec) in pages["codec-payloads"], spec.name
    for name in BY_NAME:
        assert f"## {name}" in pages["codec-payloads"]


def test_docs_build_with_sphinx_warnings_as_errors(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_parser"]\nproject = "t"\n'
                                 'suppress_warnings = ["myst.header"]\n')
    pages = render_pages()
    toctree = "\n".join(pages)
    (src / "index.md").write_text(f"# t\n\n```{{toctree}}\n{toctree}\n```\n")
    for name, text in pages.items():
        (src / f"{name}.md").write_text(text)
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(src),
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
