"""The fuzz targets in the test suite: every seed, then a few hundred inputs mutated from the
seeds (deterministic, no atheris), plus the crash reproducers the fuzzers found.  The long
runs are ``tests/fuzz/fuzz.py`` (README.md, "Fuzzing")."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from mckm.impl.errors import UsageError
from mckm.impl.lint import readers
from tests.fuzz import targets
from tests.fuzz.seeded import mutated

#: inputs per target beyond the seeds (the KMS ones verify a token per request: fewer)
RUNS = {"codec": 400, "sip": 400, "kms-xml": 150, "http": 60, "lint": 150, "cms": 400,
        "interkmm": 150, "idm": 300}


def _inputs(name: str) -> list[bytes]:
    """Each seed as it is, then mutations of them in ``mutated``'s format (octet 0 >= 128)."""
    rng = random.Random(name)
    seeds = targets.TARGETS[name].seeds()
    out = [b"\x00" + s for s in seeds]
    for _ in range(RUNS[name]):
        patch = rng.randbytes(rng.randrange(0, 12))
        out.append(bytes([128 + rng.randrange(128), rng.randrange(256), rng.randrange(256),
                          rng.randrange(256)]) + patch)
    return out


@pytest.mark.parametrize("name", sorted(RUNS))
def test_target_holds_on_seeds_and_mutations(name: str) -> None:
    for data in _inputs(name):
        targets.TARGETS[name].one_input(data)


def test_every_target_is_smoke_tested() -> None:
    assert set(RUNS) == set(targets.TARGETS)


def test_mutated_reaches_every_seed_and_mode() -> None:
    seeds = [b"abcd", b"efgh"]
    assert mutated(b"\x05xyz", seeds) == b"xyz"
    assert mutated(bytes([129, 1, 0, 1]) + b"Z", seeds) == b"eZgh"  # overwrite in seed 1
    assert mutated(bytes([130, 0, 0, 1]) + b"Z", seeds) == b"aZbcd"  # insert
    assert mutated(bytes([128, 0, 0, 1]) + b"ZZ", seeds) == b"ad"  # cut two


# ------------------------------------------------------------------- crash reproducers (lint)
# docx_lines let zipfile's and zlib's own errors out of a damaged .docx (found by the lint
# target, 2000 inputs): each must be the documented UsageError.

def _docx() -> bytes:
    return targets.lint_seeds()[2][1:]


def _central_offset_broken() -> bytes:
    """The end record places the central directory 4096 octets later than it is: zipfile still
    finds it, but moves every member 4096 octets back, so the first one's local header is at a
    negative offset (OSError, EINVAL, from the seek)."""
    data = bytearray(_docx())
    end = data.rindex(b"PK\x05\x06")
    offset = int.from_bytes(data[end + 16:end + 20], "little")
    data[end + 16:end + 20] = (offset + 4096).to_bytes(4, "little")
    return bytes(data)


def _compression_unknown() -> bytes:
    """Every member claims compression method 99 (zipfile: NotImplementedError)."""
    data = bytearray(_docx())
    for marker, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (found := data.find(marker, start)) >= 0:
            data[found + at:found + at + 2] = (99).to_bytes(2, "little")
            start = found + 4
    return bytes(data)


def _deflate_broken() -> bytes:
    """The deflate stream of [Content_Types].xml is overwritten with garbage of the same length
    (zlib.error before the CRC is checked)."""
    data = bytearray(_docx())
    name = b"[Content_Types].xml"
    local = data.index(name) - 30  # its local file header (30 octets before the name)
    size = int.from_bytes(data[local + 18:local + 22], "little")
    start = local + 30 + len(name) + int.from_bytes(data[local + 28:local + 30], "little")
    data[start:start + size] = bytes([0xFF]) * size
    return bytes(data)


@pytest.mark.parametrize("damage", [_central_offset_broken, _compression_unknown,
                                    _deflate_broken])
def test_damaged_docx_is_a_usage_error(damage: Callable[[], bytes], tmp_path: Path) -> None:
    path = tmp_path / "damaged.docx"
    path.write_bytes(damage())
    with pytest.raises(UsageError, match=r"not a readable \.docx"):
        readers.open_source(path)
