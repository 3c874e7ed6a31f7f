"""ECCSI (RFC 6507) benchmarks: SSK issue, sign, verify for a new signer and for a cached one.

Each setup builds keys and warms the process-wide caches (the table for G, the KPAK table) the
way a long-running KMS, UE or server would have them, then returns the operation to time.
"""

from __future__ import annotations

import itertools

from mckm.bench.registry import Operation, benchmark
from mckm.impl.crypto import eccsi, p256

_MESSAGE = bytes(range(256)) * 2  # 512 octets, about the size of a MIKEY-SAKKE I_MESSAGE


def _kms() -> eccsi.Kms:
    p256.prepare_g_table()
    return eccsi.Kms()


@benchmark("eccsi-ssk-issue", "RFC 6507 5.1.1: (SSK, PVT) for a new identity by a KMS")
def ssk_issue() -> Operation:
    kms = _kms()
    counter = itertools.count()
    return lambda: kms.issue_ssk(next(counter).to_bytes(32, "big"))


@benchmark("eccsi-sign", "RFC 6507 5.2.1: sign 512 octets with an installed Signer")
def sign() -> Operation:
    kms = _kms()
    identity = b"\x01" * 32
    ssk, pvt = kms.issue_ssk(identity)
    signer = eccsi.Signer(identity, ssk, pvt, kms.kpak)
    return lambda: signer.sign(_MESSAGE)


@benchmark("eccsi-verify-cold", "RFC 6507 5.2.2: verify, each time a signer not in the cache")
def verify_cold() -> Operation:
    kms = _kms()
    verifier = eccsi.Verifier(kms.kpak, cache_size=256)
    signed = []
    for n in range(1024):  # four times the cache: every verification misses
        identity = n.to_bytes(32, "big")
        ssk, pvt = kms.issue_ssk(identity)
        signed.append((identity, eccsi.Signer(identity, ssk, pvt, kms.kpak,
                                              validate=False).sign(_MESSAGE)))
    for identity, signature in signed[:16]:  # the KPAK table is built here, not timed
        verifier.verify(_MESSAGE, signature, identity)
    cycle = itertools.cycle(signed[16:])

    def op() -> None:
        identity, signature = next(cycle)
        verifier.verify(_MESSAGE, signature, identity)

    return op


@benchmark("eccsi-verify-cached", "RFC 6507 5.2.2: verify, signer's Y and its table cached")
def verify_cached() -> Operation:
    kms = _kms()
    identity = b"\x02" * 32
    ssk, pvt = kms.issue_ssk(identity)
    signature = eccsi.Signer(identity, ssk, pvt, kms.kpak).sign(_MESSAGE)
    verifier = eccsi.Verifier(kms.kpak)
    for _ in range(verifier.y_table_after):  # Y and its table are built here, not timed
        verifier.verify(_MESSAGE, signature, identity)
    return lambda: verifier.verify(_MESSAGE, signature, identity)
