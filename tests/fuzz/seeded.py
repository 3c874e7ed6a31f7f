"""How the fuzz targets turn the fuzzer's octets into an input: half are used as they are, the
other half overwrite, insert or cut octets of a valid seed message, so the fuzzer reaches deep
into a message without a corpus directory."""

from __future__ import annotations

from collections.abc import Sequence


def mutated(data: bytes, seeds: Sequence[bytes]) -> bytes:
    """Byte 0 < 128: ``data[1:]`` as it is; else byte 0 picks overwrite / insert / cut, byte 1
    the seed, bytes 2-3 the position and the rest the octets written or the length cut."""
    if len(data) < 4 or data[0] < 128:
        return data[1:]
    seed = seeds[data[1] % len(seeds)]
    at = int.from_bytes(data[2:4], "big") % (len(seed) + 1)
    patch = data[4:]
    mode = data[0] % 3
    if mode == 0:  # overwrite
        return seed[:at] + patch + seed[at + len(patch):]
    if mode == 1:  # insert
        return seed[:at] + patch + seed[at:]
    return seed[:at] + seed[at + len(patch):]  # cut
