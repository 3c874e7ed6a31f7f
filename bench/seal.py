"""SEAL I_MESSAGE benchmarks (TS 33.434 6.Y.2 / RFC 6509): create and process, cold and warm.

Each operation runs the whole model step on the engine (codec, guards, effects).  "cold": no
per-user or per-peer cache (``SealFacts(warm=False)``: ECCSI sign from the SSK each time,
SAKKE encapsulate without a receiver table, ECCSI verify without HS/Y/KPAK tables, SAKKE
derive with a full pairing); the process-wide fixed-base tables for P, G, g and the KMS key Z,
which every long-running process has, are built during setup (Z's table would otherwise be
built by the second encapsulation, inside the timed region).  "warm": the receiver's RSK Miller
lines and [b]P + Z table built once per key period, the signer's Y cached by the verifier, the
initiator's table for a repeated receiver; the setup sends and receives as often as these
caches need to be built (a table on the second message), so none is built while timed.
"""

from __future__ import annotations

import itertools
import time

from mckm.bench.registry import Operation, benchmark
from mckm.impl.crypto import eccsi, p256, sakke
from mckm.impl.crypto.uid import unix_to_ntp
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.redact import Secret
from mckm.impl.roles.seal import Community, SealUser, UserKeys

ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"
_MESSAGES = 16


def _world(warm: bool) -> tuple[SealUser, SealUser, int]:
    ksak, kpak = eccsi.kms_keypair()
    z, z_pub = sakke.kms_master_key()
    p256.prepare_g_table()
    sakke.g_table()
    sakke.prepare_kms_table(z_pub)
    community = Community("kms.example.org", kpak, z_pub)
    now = unix_to_ntp(int(time.time()))
    period = community.period_of(now)

    def keys(uri: str) -> UserKeys:
        uid = community.uid(uri, period)
        ssk, pvt = eccsi.issue_ssk(ksak.reveal(), kpak, uid)
        return UserKeys(uri, period, uid, ssk, pvt, Secret(sakke.issue_rsk(z.reveal(), uid)))

    return (SealUser(ALICE, community, [keys(ALICE)], warm=warm),
            SealUser(BOB, community, [keys(BOB)], warm=warm), now)


def _create(warm: bool) -> Operation:
    alice, _, now = _world(warm)
    if warm:  # the first message marks Bob as a repeated receiver, the second builds his table
        for _ in range(2):
            alice.send(BOB, "PCK", now=now)
    return lambda: alice.send(BOB, "PCK", now=now)


def _process(warm: bool) -> Operation:
    alice, bob, now = _world(warm)
    messages = itertools.cycle([alice.send(BOB, "PCK", now=now)[0] for _ in range(_MESSAGES)])

    def op() -> object:
        bob.receiver_vars["replay_cache"] = ReplayCache()  # the same messages come round again
        return bob.receive(next(messages), now=now, sender_uri=ALICE)

    if warm:  # Alice's Y and its table: built by Bob's verifier at its y_table_after-th message
        for _ in range(bob.facts.ring.verifier.y_table_after):
            op()
    return op


@benchmark("imessage-create-cold", "SEAL I_MESSAGE create, no per-user/peer caches")
def create_cold() -> Operation:
    return _create(False)


@benchmark("imessage-create-warm", "SEAL I_MESSAGE create to a repeated receiver, caches")
def create_warm() -> Operation:
    return _create(True)


@benchmark("imessage-process-cold", "SEAL I_MESSAGE process, no per-user/peer caches")
def process_cold() -> Operation:
    return _process(False)


@benchmark("imessage-process-warm", "SEAL I_MESSAGE process, RSK lines and signer Y cached")
def process_warm() -> Operation:
    return _process(True)


@benchmark("replay-cache-insert-8k",
           "RFC 3830 5.4 replay cache: stage one RAND into a cache already holding 8192")
def replay_insert_setup() -> Operation:
    """What every accepted I_MESSAGE or ticket resolve pays once the cache is large: all entries
    young (a ticket's RANDs stay until its TRe), so nothing may be pruned; each insert extends
    the cache the previous one made, as the engine's committed steps do."""
    cache = ReplayCache()
    for i in range(8192):
        cache = cache.with_entry(i.to_bytes(16, "big"), 10_000, now=10_000, window=300)
    counter = itertools.count(8192)
    state = {"cache": cache}

    def run() -> object:
        state["cache"] = state["cache"].with_entry(next(counter).to_bytes(16, "big"), 10_000,
                                                   now=10_000, window=300)
        return state["cache"]

    return run
