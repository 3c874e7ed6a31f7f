"""atheris fuzz target of the MIKEY codec (``./dev fuzz -atheris_runs=1000000``).

Property: for any input, ``decode`` returns a Message or raises DecodeError (nothing else, no
hang), and every Message it returns re-encodes to exactly the input (canonical encoding).

Half of the inputs are used as they are; the other half overwrite, insert or cut octets of a
valid message (the vendor I_MESSAGEs and one message of every data type), so the fuzzer reaches
deep into the payload chain without a corpus directory.  libFuzzer/atheris arguments pass
through (``-atheris_runs=N``, ``-max_len=N``, a corpus directory, ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from mckm.impl.codec import decode, encode
    from mckm.impl.errors import DecodeError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.codec.samples import sample_messages  # noqa: E402
from tests.fuzz.seeded import mutated  # noqa: E402

VENDOR = ROOT / "tests" / "data" / "vendor_vectors.json"


def _seeds() -> list[bytes]:
    seeds = [encode(m) for m in sample_messages().values()]
    if VENDOR.exists():
        data = json.loads(VENDOR.read_text())
        seeds += [bytes.fromhex(v["i_message_hex"]) for v in data["i_messages_published"]]
    return seeds


SEEDS = _seeds()


def test_one_input(data: bytes) -> None:
    raw = mutated(data, SEEDS)
    try:
        message = decode(raw)
    except DecodeError:
        return
    again = encode(message)
    if again != raw:
        raise AssertionError(f"not canonical: {raw.hex()} re-encodes as {again.hex()}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
