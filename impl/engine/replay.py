"""A receiver's replay cache (RFC 3830 5.4): RANDs of accepted messages (SEAL and ticket roles).

RFC 3830 5.4 asks a receiver to keep the messages it accepted for as long as their timestamp
is inside its allowed clock skew, and to refuse a message already seen.  The model's guard is
``rand not in self.replay_cache`` next to ``|T - now| <= replay_window``; a message older than
the window is refused by the window, so entries older than ``2 * window`` can be forgotten --
but only beyond the most recent ``RETAIN`` entries: a receiver whose clock steps back by more
than the window (an NTP correction) would otherwise accept a replay of a message whose entry
was pruned under the later clock.  The cache is immutable: the engine stages a new one and
commits it only if the whole step succeeds.  The MIKEY-TICKET KMS's model has no T window: it
keeps each RAND until the ticket or B-TID of its message expires, and prunes it only
``EXPIRY_GRACE`` seconds later (:meth:`ReplayCache.with_expiring_entry`), so a clock stepping
back by at most that much does not reopen a replay.

Concurrent receives on one receiver each stage a cache from the one committed when they
started; :meth:`ReplayCache.onto` re-stages the entry of one that lost the race on the cache
committed since (compare-and-commit), so no accepted RAND is lost and a RAND two of them carry is
accepted once (spec/seal-key-distribution.md, "Concurrent receives").
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator, Mapping
from typing import Protocol

#: entries kept whatever their age (the newest by T); older ones beyond these are pruned by age
RETAIN = 4096
#: an entry may be pruned once its T is this many replay windows before now: the window's guard
#: refuses it for any clock that steps back by at most one window (proofs/replay_invariant.py)
PRUNE_WINDOWS = 2
#: seconds an entry kept until an expiry (:meth:`ReplayCache.with_expiring_entry`: the
#: MIKEY-TICKET KMS's, whose model has no T window) stays after that expiry: a clock that
#: steps back by at most this much finds it still held (pruning at the expiry itself would
#: reopen the replay of a message whose ticket or B-TID is valid again under the earlier clock)
EXPIRY_GRACE = 300


class _Entries:
    """The entries every committed cache of one receiver shares: RAND -> T, and a heap of
    (T, RAND) to find the oldest in O(log n) (a heap item whose T is no longer the RAND's is
    skipped)."""

    __slots__ = ("heap", "lock", "map")

    def __init__(self) -> None:
        self.map: dict[bytes, int] = {}
        self.heap: list[tuple[int, bytes]] = []
        self.lock = threading.Lock()  # add and prune of concurrent stagings do not interleave

    def add(self, rand: bytes, t: int) -> None:
        self.map[rand] = t
        heapq.heappush(self.heap, (t, rand))

    def prune(self, *, keep: int, cutoff: int) -> None:
        """Drop the oldest entries while more than ``keep`` are held and the oldest is older
        than ``cutoff``: those beyond the ``keep`` newest that are older than the cutoff."""
        while len(self.map) > keep and self.heap and self.heap[0][0] < cutoff:
            t, rand = heapq.heappop(self.heap)
            if self.map.get(rand) == t:
                del self.map[rand]


class ReplayCache(Mapping[bytes, int]):
    """RAND -> T (NTP seconds) of the accepted I_MESSAGEs, pruned by age.

    Immutable as the engine sees it, in O(log n) per insert: :meth:`with_entry` returns a cache
    that holds the new entry apart (nothing is copied); the entries before it are shared.
    Extending a cache commits it - its held-apart entry joins the shared entries - so a staged
    cache that is dropped (its step refused) leaves no trace, and the engine extends only the
    cache a role has committed.  Two caches made from one cache must not both be extended."""

    __slots__ = ("_entries", "_pending")

    def __init__(self, entries: Mapping[bytes, int] | None = None) -> None:
        self._entries = _Entries()
        for rand, t in (entries or {}).items():
            self._entries.add(bytes(rand), t)
        self._pending: tuple[bytes, int] | None = None

    @classmethod
    def of(cls, held: object, expiry: int) -> ReplayCache:
        """``held`` as a cache: itself, or a plain set of RANDs (a model's ``set[blob]``, as
        the symbolic worlds keep it) whose entries last until ``expiry``."""
        if isinstance(held, ReplayCache):
            return held
        return cls(dict.fromkeys(held or (), expiry))  # type: ignore[call-overload]

    @classmethod
    def _of(cls, entries: _Entries, pending: tuple[bytes, int]) -> ReplayCache:
        cache = cls.__new__(cls)
        cache._entries, cache._pending = entries, pending
        return cache

    def __getitem__(self, rand: bytes) -> int:
        if self._pending is not None and self._pending[0] == rand:
            return self._pending[1]
        return self._entries.map[rand]

    def __contains__(self, rand: object) -> bool:
        return (self._pending is not None and self._pending[0] == rand) or \
            rand in self._entries.map

    def __iter__(self) -> Iterator[bytes]:
        pending = self._pending
        if pending is not None:
            yield pending[0]
        yield from (r for r in self._entries.map if pending is None or r != pending[0])

    def __len__(self) -> int:
        pending = self._pending
        extra = pending is not None and pending[0] not in self._entries.map
        return len(self._entries.map) + int(extra)

    def __hash__(self) -> int:
        return hash(frozenset(self.items()))

    def with_entry(self, rand: bytes, t: int, *, now: int, window: int) -> ReplayCache:
        """A cache with ``rand`` added; entries older than ``now - PRUNE_WINDOWS * window`` are
        dropped once more than ``RETAIN`` are held (the ``RETAIN`` newest always stay)."""
        entries = self._entries
        with entries.lock:
            if self._pending is not None:  # this cache is extended, so it was committed
                entries.add(*self._pending)
                self._pending = None  # the same content, now shared
            entries.prune(keep=RETAIN - 1, cutoff=now - PRUNE_WINDOWS * window)  # room for it
        return ReplayCache._of(entries, (bytes(rand), t))

    def with_expiring_entry(self, rand: bytes, expiry: int, *, now: int) -> ReplayCache:
        """A cache with ``rand`` held until ``expiry`` (NTP seconds: when the other guards
        refuse its replay anyway); an entry is pruned only ``EXPIRY_GRACE`` seconds after its
        expiry, once more than ``RETAIN`` are held."""
        entries = self._entries
        with entries.lock:
            if self._pending is not None:  # this cache is extended, so it was committed
                entries.add(*self._pending)
                self._pending = None
            entries.prune(keep=RETAIN - 1, cutoff=now - EXPIRY_GRACE)
        return ReplayCache._of(entries, (bytes(rand), expiry))

    def onto(self, current: ReplayCache, *, now: int, window: int) -> ReplayCache | None:
        """Compare-and-commit: this staged cache's own entry added to ``current``, the cache
        committed since this one was staged from an older one; None if ``current`` already
        holds that RAND (a concurrent receive accepted it first: a replay, RFC 3830 5.4)."""
        if self._pending is None:
            return current
        rand, t = self._pending
        if rand in current:
            return None
        return current.with_entry(rand, t, now=now, window=window)

    def __repr__(self) -> str:
        return f"ReplayCache({len(self)} entries)"

    @property
    def staged(self) -> tuple[bytes, int] | None:
        """The entry :meth:`with_entry` added and nothing has committed yet, or None."""
        return self._pending


class SharedReplay(Protocol):
    """The RANDs accepted by the replicas of one MIKEY-TICKET KMS (RFC 3830 5.4: a receiver
    refuses a message it accepted before).  :meth:`replay_claim` decides: of two replicas
    claiming one RAND, the database lets one in."""

    def replay_seen(self, rand: bytes) -> bool:
        """Whether a replica accepted ``rand`` (an expired entry not yet pruned counts: a
        message that old is refused by its timestamp or ticket validity anyway)."""
        ...

    def replay_claim(self, rand: bytes, expires: int, now: int) -> bool:
        """Record ``rand`` as accepted until ``expires`` (NTP seconds, as the replay cache
        keeps them), dropping entries expired more than ``EXPIRY_GRACE`` seconds before
        ``now``; False if a replica holds it already."""
        ...


class SharedReplayCache(ReplayCache):
    """A replay cache that also holds the RANDs the other replicas of a KMS accepted: a RAND
    is in it if this process or ``shared`` (their database) holds it.  Its endpoint claims
    the staged entry in ``shared`` before answering (:meth:`SharedReplay.replay_claim`), so
    of two replicas accepting one message at once the database lets one through."""

    __slots__ = ("_shared",)
    _shared: SharedReplay

    @classmethod
    def over(cls, cache: ReplayCache, shared: SharedReplay) -> SharedReplayCache:
        """``cache``'s entries (shared, not copied), committed, with ``shared`` behind them."""
        made = cls.__new__(cls)
        made._entries, made._pending, made._shared = cache._entries, cache._pending, shared
        if made._pending is not None:
            with made._entries.lock:
                made._entries.add(*made._pending)
            made._pending = None
        return made

    def __contains__(self, rand: object) -> bool:
        return super().__contains__(rand) or (
            isinstance(rand, bytes | bytearray) and self._shared.replay_seen(bytes(rand)))
