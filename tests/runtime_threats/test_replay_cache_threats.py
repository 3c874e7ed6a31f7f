"""Replay threats against the receivers' replay cache (RFC 3830 5.4: a receiver refuses a
message it accepted while its timestamp is inside the allowed clock skew), killing the
mutants of ``impl/engine/replay.py`` that ``./dev mutate engine`` found alive.

The window rule each test derives its numbers from is the model's guard ``|T - now| <= w``
(``replay_window``), not the cache's code."""

from __future__ import annotations

from mckm.impl.engine.replay import PRUNE_WINDOWS, RETAIN, ReplayCache

WINDOW = 300


def _window_accepts(t: int, now: int) -> bool:
    """The SEAL receiver's timestamp guard (RFC 3830 5.4, REQ-SEAL-KD-05): |T - now| <= w."""
    return abs(t - now) <= WINDOW


def test_a_rand_at_the_prune_boundary_stays_while_a_clock_step_back_reopens_its_window() -> None:
    """An entry exactly ``PRUNE_WINDOWS`` windows old is not yet forgettable: a clock that
    steps back by one window accepts its T again, so its replay must still be found."""
    now = 100_000
    boundary = now - PRUNE_WINDOWS * WINDOW
    young = {i.to_bytes(4, "big"): now for i in range(RETAIN - 1)}
    cache = ReplayCache({b"edge": boundary, **young})  # full: the next entry prunes the oldest
    cache = cache.with_entry(b"new", now, now=now, window=WINDOW)
    stepped_back = now - WINDOW
    assert _window_accepts(boundary, stepped_back)  # the window alone lets the replay in
    assert b"edge" in cache, "pruned while a clock step of one window reopens its replay"
    older = ReplayCache({b"old": boundary - 1, **young}).with_entry(b"new", now, now=now,
                                                                      window=WINDOW)
    assert not _window_accepts(boundary - 1, stepped_back) and b"old" not in older


def test_a_model_set_of_seen_rands_becomes_a_cache_that_refuses_them_until_expiry() -> None:
    """A role state's replay cache as the symbolic worlds keep it (a set of RANDs) is the same
    cache: each RAND held, until the expiry given."""
    held = ReplayCache.of(frozenset({b"r1", b"r2"}), 5_000)
    assert b"r1" in held and b"r2" in held and b"r3" not in held
    assert dict(held) == {b"r1": 5_000, b"r2": 5_000}
    assert len(ReplayCache.of(None, 5_000)) == 0
    same = ReplayCache().with_entry(b"x", 1, now=1, window=WINDOW)
    assert ReplayCache.of(same, 9) is same


def test_a_rand_staged_again_is_one_entry_not_two() -> None:
    """A RAND committed, then staged again (a receive that the guard will refuse): the cache
    holds it once, with the staged T, and counts it once."""
    committed = ReplayCache({b"r": 10})
    again = committed.with_entry(b"r", 20, now=20, window=WINDOW)
    assert list(again) == [b"r"] and len(again) == 1 and again[b"r"] == 20
    assert len(ReplayCache()) == 0 and list(ReplayCache()) == []
