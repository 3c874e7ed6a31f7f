"""The SEAL receiver's replay cache (RFC 3830 5.4) keeps what it must, and stays bounded."""

from __future__ import annotations

from mckm.impl.roles.seal.replay import RETAIN, ReplayCache

WINDOW = 300


def test_an_entry_survives_a_later_clock_so_a_clock_step_back_cannot_replay_it() -> None:
    cache = ReplayCache().with_entry(b"r0", 1000, now=1000, window=WINDOW)
    later = cache.with_entry(b"r1", 1000 + 10 * WINDOW, now=1000 + 10 * WINDOW, window=WINDOW)
    assert b"r0" in later and b"r1" in later
    assert b"r0" in cache and b"r1" not in cache  # immutable: the old cache is unchanged


def test_old_entries_are_pruned_beyond_the_retained_newest() -> None:
    cache = ReplayCache()
    for i in range(RETAIN + 10):
        cache = cache.with_entry(i.to_bytes(4, "big"), i, now=i, window=WINDOW)
    # the newest RETAIN stay; the ten oldest (T 0..9) are older than now - 2 * window: dropped
    assert len(cache) == RETAIN
    assert min(cache.values()) == 10 and max(cache.values()) == RETAIN + 9
