"""atheris fuzz target of the SIP / SDP carrier of MIKEY (``./dev fuzz sip -atheris_runs=N``).

Property: for any input, reading a TRANSFER_INIT from a SIP INVITE returns the INVITE and MIKEY
octets or raises DecodeError (nothing else, no hang); what it returns re-reads identically from
the re-encoded SIP message.  Half of the inputs overwrite, insert or cut octets of a valid INVITE
and 200 OK, so the fuzzer reaches the SDP attribute without a corpus directory.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from mckm.impl.errors import DecodeError
    from mckm.impl.roles.ticket import sip

TI = bytes([1, 14, 5, 0x81]) + bytes(60)
_INVITE = sip.invite(TI, from_uri="sip:alice@a.example", to_uri="sip:bob@b.example")
SEEDS = [_INVITE, sip.answer(sip.transfer_init_of(_INVITE)[0], bytes([1, 15, 5, 1]) + bytes(9))]


def _input(data: bytes) -> bytes:
    if len(data) < 4 or data[0] < 128:
        return data[1:]
    seed = SEEDS[data[1] % len(SEEDS)]
    at = int.from_bytes(data[2:4], "big") % (len(seed) + 1)
    patch = data[4:]
    mode = data[0] % 3
    if mode == 0:
        return seed[:at] + patch + seed[at + len(patch):]
    if mode == 1:
        return seed[:at] + patch + seed[at:]
    return seed[:at] + seed[at + len(patch):]


def test_one_input(data: bytes) -> None:
    raw = _input(data)
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
