"""Kaitai Struct export judged in C++: the compiler's ``cpp_stl`` output, built by g++
(-std=c++11) against ``cpp_runtime`` (our own implementation of the documented kaitai::kstream /
kaitai::kstruct interface: the official runtime is in no registry CI reaches) with the driver of
``cpp_driver``, reads the vendor I_MESSAGEs, the ticket messages (RFC 6043 data types 11-18 and
those the ticket roles build), the held-out messages and every other sample; each field it
prints, the payloads inside TP Data, Initiator Data, clear Key data and SAKKE-to-self included
(``models/grammar/inner_chains.py``), is compared with mckm's decode.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mckm.impl.codec import decode
from tests.conftest import require_tool
from tests.export import corpus, cpp_driver, fields, judges

pytestmark = pytest.mark.interop

MESSAGES = [*corpus.vendor(), *corpus.ticket_roles(), *corpus.samples(), *corpus.held_out()]


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gxx = require_tool("g++")
    work = tmp_path_factory.mktemp("ksy_cpp")
    ksy = judges.export_ksy(work / "ksy")
    files = judges.compile_ksy("cpp_stl", ksy, work / "gen")
    main = work / "gen" / "driver.cpp"
    main.write_text(cpp_driver.source())
    sources = [str(p) for p in files if p.suffix == ".cpp"] + [str(main)]
    exe = work / "mikey_fields"
    result = subprocess.run([gxx, "-std=c++11", "-O0", "-I", str(judges.CPP_RUNTIME), "-I",
                             str(work / "gen"), *sources, "-o", str(exe)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"g++: {result.stderr[-4000:]}"
    return exe


@pytest.fixture(scope="module")
def printed(driver: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """The driver's JSON line for each message, in one run."""
    work = tmp_path_factory.mktemp("ksy_cpp_messages")
    paths = []
    for i, (_, raw) in enumerate(MESSAGES):
        path = work / f"m{i}.mikey"
        path.write_bytes(raw)
        paths.append(str(path))
    result = subprocess.run([str(driver), *paths], capture_output=True, text=True, timeout=120,
                            check=True)
    lines = result.stdout.splitlines()
    assert len(lines) == len(MESSAGES)
    return [json.loads(line) for line in lines]


def test_corpus_has_vendor_and_ticket_messages() -> None:
    kinds = {decode(raw).data_type for _, raw in MESSAGES}
    assert set(corpus.RFC6043_TYPES) <= kinds and 26 in kinds
    assert sum(t.startswith("vendor") for t, _ in MESSAGES) >= 4


@pytest.mark.parametrize("index", range(len(MESSAGES)), ids=[t for t, _ in MESSAGES])
def test_cpp_parser_reads_what_mckm_decodes(printed: list[dict[str, object]], index: int) -> None:
    title, raw = MESSAGES[index]
    theirs = printed[index]
    assert "error" not in theirs, f"{title}: {theirs.get('error')}"
    ours = fields.from_mckm(decode(raw))
    assert fields.differences(ours, theirs) == [], title


def test_cpp_parser_refuses_a_truncated_message(driver: Path, tmp_path: Path) -> None:
    """Our kstream refuses a read past the end, and the generated parser's ``valid`` checks an
    unknown Next Payload and an octet after the last payload: the driver reports an error
    instead of fields."""
    raw = MESSAGES[0][1]
    cut, bad, long = tmp_path / "cut.mikey", tmp_path / "bad.mikey", tmp_path / "long.mikey"
    cut.write_bytes(raw[:-5])
    bad.write_bytes(raw[:2] + b"\x63" + raw[3:])
    long.write_bytes(raw + b"\x00")
    result = subprocess.run([str(driver), str(cut), str(bad), str(long)], capture_output=True,
                            text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "end of stream" in lines[0]["error"]
    assert "not any of" in lines[1]["error"]
    assert "/seq/2" in lines[2]["error"] and "validation failed" in lines[2]["error"]


def test_cpp_parser_refuses_what_mckm_refuses_inside(driver: Path, tmp_path: Path) -> None:
    """Payloads inside an octet field that mckm's chain decoders refuse (corpus.bad_inner):
    the generated parser's wrapper types refuse them too (a read past the end or a failed
    ``valid``), so the driver prints an error for each."""
    from mckm.impl.codec.chains import inner_payloads
    from mckm.impl.errors import DecodeError

    cases = corpus.bad_inner()
    paths = []
    for i, (_, raw) in enumerate(cases):
        with pytest.raises(DecodeError):
            for p in decode(raw).payloads:
                inner_payloads(p)
        path = tmp_path / f"bad{i}.mikey"
        path.write_bytes(raw)
        paths.append(str(path))
    result = subprocess.run([str(driver), *paths], capture_output=True, text=True, timeout=60,
                            check=True)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(cases)
    for (title, _), line in zip(cases, lines, strict=True):
        assert "error" in line, title
