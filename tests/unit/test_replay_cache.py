"""The SEAL receiver's replay cache (RFC 3830 5.4) keeps what it must, and stays bounded."""

from __future__ import annotations

from mckm.impl.roles.seal.replay import MERGE, RETAIN, ReplayCache

WINDOW = 300


def test_an_entry_survives_a_later_clock_so_a_clock_step_back_cannot_replay_it() -> None:
    cache = ReplayCache().with_entry(b"r0", 1000, now=1000, window=WINDOW)
    later = cache.with_entry(b"r1", 1000 + 10 * WINDOW, now=1000 + 10 * WINDOW, window=WINDOW)
    assert b"r0" in later and b"r1" in later
    assert b"r0" in cache and b"r1" not in cache  # immutable: the old cache is unchanged


def test_old_entries_are_pruned_beyond_the_retained_newest() -> None:
    cache = ReplayCache()
    sizes = []
    total = RETAIN + 3 * MERGE
    for i in range(total):
        cache = cache.with_entry(i.to_bytes(4, "big"), i, now=i, window=WINDOW)
        sizes.append(len(cache))
    # bounded; the newest RETAIN always stay; the oldest (older than now - 2 * window) went
    assert max(sizes) <= RETAIN + MERGE and len(cache) < total
    assert all(i.to_bytes(4, "big") in cache for i in range(total - RETAIN, total))
    assert b"\x00\x00\x00\x00" not in cache and max(cache.values()) == total - 1


def test_young_entries_are_never_pruned_and_versions_stay_apart() -> None:
    cache = ReplayCache()
    for i in range(RETAIN + 2 * MERGE):  # all within 2 * window of now: none may go
        cache = cache.with_entry(i.to_bytes(4, "big"), 10_000, now=10_000, window=WINDOW)
    assert len(cache) == RETAIN + 2 * MERGE
    branch_a = cache.with_entry(b"a", 10_000, now=10_000, window=WINDOW)
    branch_b = cache.with_entry(b"b", 10_000, now=10_000, window=WINDOW)
    assert b"a" in branch_a and b"a" not in branch_b and b"a" not in cache
    assert dict(branch_a) == {**dict(cache), b"a": 10_000}
