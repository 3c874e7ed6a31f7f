"""atheris fuzz target of the SIP / SDP carrier of MIKEY (``./dev fuzz sip -atheris_runs=N``).

Property: for any input, reading a TRANSFER_INIT from a SIP INVITE returns the INVITE and MIKEY
octets or raises DecodeError (nothing else, no hang); what it returns re-reads identically from
the re-encoded SIP message.  Inputs are mutated from a valid INVITE and 200 OK (``seeded``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from mckm.impl.errors import DecodeError
    from mckm.impl.roles.ticket import sip

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fuzz.seeded import mutated

TI = bytes([1, 14, 5, 0x81]) + bytes(60)
_INVITE = sip.invite(TI, from_uri="sip:alice@a.example", to_uri="sip:bob@b.example")
SEEDS = [_INVITE, sip.answer(sip.transfer_init_of(_INVITE)[0], bytes([1, 15, 5, 1]) + bytes(9))]


def test_one_input(data: bytes) -> None:
    raw = mutated(data, SEEDS)
    for reader in (sip.transfer_init_of, sip.transfer_resp_of):
        try:
            out = reader(raw)
        except DecodeError:
            continue
        again = reader(out[0].encode()) if isinstance(out, tuple) else out
        assert again == out, "a message read twice gave different results"


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
