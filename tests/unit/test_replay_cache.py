"""The SEAL receiver's replay cache (RFC 3830 5.4) keeps what it must, and stays bounded."""

from __future__ import annotations

from mckm.impl.engine.replay import RETAIN, ReplayCache

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


def test_young_entries_are_never_pruned_and_a_dropped_stage_leaves_no_trace() -> None:
    cache = ReplayCache()
    for i in range(RETAIN + 100):  # all within 2 * window of now: none may go
        cache = cache.with_entry(i.to_bytes(4, "big"), 10_000, now=10_000, window=WINDOW)
    assert len(cache) == RETAIN + 100
    before = dict(cache)
    staged = cache.with_entry(b"refused", 10_000, now=10_000, window=WINDOW)  # step refused
    assert b"refused" in staged and b"refused" not in cache and dict(cache) == before
    kept = cache.with_entry(b"next", 10_000, now=10_000, window=WINDOW)  # the next step
    assert dict(kept) == {**before, b"next": 10_000}
    assert b"refused" not in kept


def test_pruning_follows_time_not_insertion_order() -> None:
    cache = ReplayCache()
    ts = [(i * 7919) % 10_007 for i in range(RETAIN + 50)]  # T out of order
    for i, t in enumerate(ts):
        cache = cache.with_entry(i.to_bytes(4, "big"), t, now=20_000, window=WINDOW)
    newest = sorted(ts, reverse=True)[:RETAIN]
    assert len(cache) == RETAIN and sorted(cache.values(), reverse=True) == newest


def test_onto_re_stages_a_lost_race_and_refuses_a_rand_already_committed() -> None:
    """Two receives staged from one committed cache: the second's entry goes onto the first's
    committed cache (both kept); the same RAND staged twice is refused (None)."""
    base = ReplayCache().with_entry(b"r0", 1000, now=1000, window=WINDOW)
    first = base.with_entry(b"a", 1000, now=1000, window=WINDOW)
    second = base.with_entry(b"b", 1000, now=1000, window=WINDOW)
    merged = second.onto(first, now=1000, window=WINDOW)
    assert merged is not None and set(merged) == {b"r0", b"a", b"b"}
    assert base.with_entry(b"a", 1000, now=1000, window=WINDOW).onto(merged, now=1000,
                                                                     window=WINDOW) is None
    later = merged.with_entry(b"c", 1001, now=1001, window=WINDOW)  # commits merged
    assert set(later) == {b"r0", b"a", b"b", b"c"}
