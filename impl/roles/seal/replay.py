"""The receiver's replay cache (RFC 3830 5.4): RANDs of accepted I_MESSAGEs within the window.

RFC 3830 5.4 asks a receiver to keep the messages it accepted for as long as their timestamp
is inside its allowed clock skew, and to refuse a message already seen.  The model's guard is
``rand not in self.replay_cache`` next to ``|T - now| <= replay_window``; a message older than
the window is refused by the window, so entries older than ``2 * window`` can be forgotten --
but only beyond the most recent ``RETAIN`` entries: a receiver whose clock steps back by more
than the window (an NTP correction) would otherwise accept a replay of a message whose entry
was pruned under the later clock.  The cache is immutable: the engine stages a new one and
commits it only if the whole step succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

#: entries kept whatever their age (the newest by T); older ones beyond these are pruned by age
RETAIN = 4096
#: new entries held apart from the shared older ones until this many; then merged (and pruned)
MERGE = 64


class ReplayCache(Mapping[bytes, int]):
    """RAND -> T (NTP seconds) of the accepted I_MESSAGEs, pruned by age.

    Immutable and cheap to extend: a cache shares its older entries (a dict no cache changes)
    with the caches made from it and copies only its newest ones (at most ``MERGE``), so
    :meth:`with_entry` costs O(MERGE) and, every ``MERGE`` entries, one merge and prune; it holds
    at most ``RETAIN + MERGE`` entries plus those younger than ``2 * window``."""

    __slots__ = ("_base", "_recent")

    def __init__(self, entries: Mapping[bytes, int] | None = None) -> None:
        self._base: dict[bytes, int] = dict(entries or {})
        self._recent: dict[bytes, int] = {}

    @classmethod
    def _of(cls, base: dict[bytes, int], recent: dict[bytes, int]) -> ReplayCache:
        cache = cls.__new__(cls)
        cache._base, cache._recent = base, recent
        return cache

    def __getitem__(self, rand: bytes) -> int:
        if rand in self._recent:
            return self._recent[rand]
        return self._base[rand]

    def __contains__(self, rand: object) -> bool:
        return rand in self._recent or rand in self._base

    def __iter__(self) -> Iterator[bytes]:
        yield from self._recent
        yield from (r for r in self._base if r not in self._recent)

    def __len__(self) -> int:
        return len(self._base) + sum(1 for r in self._recent if r not in self._base)

    def __hash__(self) -> int:
        return hash(frozenset(self.items()))

    def with_entry(self, rand: bytes, t: int, *, now: int, window: int) -> ReplayCache:
        """A cache with ``rand`` added; once ``MERGE`` new entries have gathered they join the
        older ones, and if more than ``RETAIN`` are then held, those older than
        ``now - 2 * window`` beyond the ``RETAIN`` newest are dropped."""
        recent = {**self._recent, bytes(rand): t}
        if len(recent) < MERGE:
            return ReplayCache._of(self._base, recent)
        keep = {**self._base, **recent}
        if len(keep) > RETAIN:
            newest = sorted(keep.items(), key=lambda item: item[1], reverse=True)
            keep = dict(newest[:RETAIN])
            keep.update((r, ts) for r, ts in newest[RETAIN:] if ts >= now - 2 * window)
        return ReplayCache._of(keep, {})

    def __repr__(self) -> str:
        return f"ReplayCache({len(self)} entries)"
