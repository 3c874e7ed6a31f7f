"""SAKKE (RFC 6508, parameter set 1) benchmarks: RSK issue, encapsulate and derive, each for a
new receiver ("cold") and for one whose precomputation is cached.

Setups build keys and warm the process-wide caches a long-running KMS, UE or server would
have (the P and g tables, the KMS public key table); "cold" means no per-receiver cache.
"""

from __future__ import annotations

import itertools

from mckm.bench.registry import Operation, benchmark
from mckm.impl.crypto import sakke

_KEYS = 64  # distinct receivers cycled through by the cold benchmarks


def _kms() -> tuple[int, bytes]:
    z, z_pub = sakke.kms_master_key()
    sakke.g_table()
    sakke.prepare_kms_table(z_pub)
    return z.reveal(), z_pub


def _identity(n: int) -> bytes:
    return n.to_bytes(32, "big")


@benchmark("sakke-rsk-issue", "RFC 6508 6.1.1: RSK for a new identity by a KMS (P table, w=10)")
def rsk_issue() -> Operation:
    sakke.prepare_p_table(window=10)
    z, _ = _kms()
    counter = itertools.count(1)
    return lambda: sakke.issue_rsk(z, _identity(next(counter)))


@benchmark("sakke-encapsulate-cold", "RFC 6508 6.2.1: encapsulate to a receiver not cached")
def encapsulate_cold() -> Operation:
    _, z_pub = _kms()
    ids = itertools.cycle([_identity(n) for n in range(1, _KEYS + 1)])
    ssv = bytes(range(16))
    return lambda: sakke.encapsulate(ssv, identity=next(ids), z_pub=z_pub)


@benchmark("sakke-encapsulate-table", "RFC 6508 6.2.1: encapsulate with the receiver's table")
def encapsulate_table() -> Operation:
    _, z_pub = _kms()
    target = sakke.EncapsulationTarget(_identity(7), z_pub)
    ssv = bytes(range(16))
    return lambda: target.encapsulate(ssv)


@benchmark("sakke-derive-cold", "RFC 6508 6.2.2: derive without precomputed Miller lines")
def derive_cold() -> Operation:
    z, z_pub = _kms()
    cases = []
    for n in range(1, 9):
        identity = _identity(n)
        rsk = sakke.issue_rsk(z, identity)
        cases.append((sakke.encapsulate(bytes(16), identity=identity, z_pub=z_pub),
                      identity, rsk))
    cycle = itertools.cycle(cases)

    def op() -> None:
        sed, identity, rsk = next(cycle)
        sakke.derive(sed, identity=identity, rsk=rsk, z_pub=z_pub)

    return op


@benchmark("sakke-derive-lines", "RFC 6508 6.2.2: derive with the RSK's Miller lines and table")
def derive_lines() -> Operation:
    z, z_pub = _kms()
    identity = _identity(7)
    receiver = sakke.Receiver(identity, sakke.issue_rsk(z, identity), z_pub)
    seds = itertools.cycle([sakke.encapsulate(bytes([n]) * 16, identity=identity, z_pub=z_pub)
                            for n in range(8)])
    return lambda: receiver.derive(next(seds))
