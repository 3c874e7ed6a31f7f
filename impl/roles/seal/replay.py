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


class ReplayCache(Mapping[bytes, int]):
    """RAND -> T (NTP seconds) of the accepted I_MESSAGEs, pruned by age."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[bytes, int] | None = None) -> None:
        self._entries = dict(entries or {})

    def __getitem__(self, rand: bytes) -> int:
        return self._entries[rand]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __hash__(self) -> int:
        return hash(frozenset(self._entries.items()))

    def with_entry(self, rand: bytes, t: int, *, now: int, window: int) -> ReplayCache:
        """A cache with ``rand`` added; entries older than ``now - 2 * window`` are dropped once
        more than ``RETAIN`` entries are held."""
        keep = dict(self._entries)
        keep[bytes(rand)] = t
        if len(keep) > RETAIN:
            newest = sorted(keep.items(), key=lambda item: item[1], reverse=True)
            keep = dict(newest[:RETAIN])
            keep.update((r, ts) for r, ts in newest[RETAIN:] if ts >= now - 2 * window)
        return ReplayCache(keep)

    def __repr__(self) -> str:
        return f"ReplayCache({len(self._entries)} entries)"
