"""Bulk key-period rollover: one key period's key set for every enrolled user (``mckm kms
rollover``).

TS 33.180 clause 5.3 and F.2.1: a user's ECCSI SSK+PVT and SAKKE RSK are bound to the UID of
(user URI, KMS URI, key period, offset, period number), so each key period needs a new key set
per user; a KMS that issues them before the period starts hands them out from its store
(REQ-SKMS-11: once issued, a key set is stored and never changed).

How it runs:

* the parent walks the users in pages (:meth:`KmsStore.enrolled_users`) and skips those that
  already hold the period; memory stays flat whatever the number of users;
* worker processes (a ``spawn`` pool) compute key sets with :meth:`KmsRole.issue`, from the
  community keys they receive once, through the pool initializer (never a command line, a log
  or a repr); at most :data:`IN_FLIGHT_PER_WORKER` tasks per worker are queued;
* the parent stores each task's key sets as one transaction; a key set another KMS process
  stored meanwhile (a serving replica) wins: ours is dropped, never a second row, never a
  changed key;
* the store is the checkpoint: a row present means done, so a run killed at any point (even
  ``kill -9``) is resumed by running it again.  On Linux a worker dies with the parent.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from typing import TextIO

from mckm.impl.errors import MckmError, StoreError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.algorithms import IbcAlgorithms, standard
from mckm.impl.roles.kms.model import CommunityKeys, KmsConfig, UserKeySet
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.store.kms_store import DuplicateError, KmsStore

#: users read from the store per page
PAGE = 1000
#: key sets per worker task, and per transaction
DEFAULT_BATCH = 128
#: tasks queued per worker: one running, one waiting, so no worker idles while the parent
#: stores a batch
IN_FLIGHT_PER_WORKER = 2

AlgorithmsFactory = Callable[[], IbcAlgorithms]

#: a key set in transit from a worker (``Secret`` is never pickled): user URI, period number,
#: UID, valid from, valid to, SSK, PVT, RSK
Row = tuple[str, int, bytes, int, int, int, bytes, bytes]


def bulk_algorithms() -> IbcAlgorithms:
    """The shipped algorithms with the fixed-base tables of a bulk issuer built at start: the
    SAKKE P table with window 10 (RFC 6508 6.1.1: about 2 s and 100 MB, the RSK is most of a
    key set's cost) and the P-256 G table with window 12 (RFC 6507 5.1.1: 0.3 s and 13 MB;
    the window-16 table a server builds saves about 30 us per SSK for 3 s and 190 MB)."""
    from mckm.impl.crypto import p256, sakke

    sakke.prepare_p_table(window=10)
    p256.prepare_g_table(window=12)
    return standard()


@dataclass(frozen=True)
class Progress:
    """Where a rollover stands: ``done`` of ``users`` walked (``issued`` + ``present`` +
    ``kept``)."""

    period_no: int
    users: int
    issued: int = 0
    #: users that already held the period when reached (an earlier run, or a serving KMS)
    present: int = 0
    #: key sets a serving KMS stored between our check and our write: the stored one kept
    kept: int = 0

    @property
    def done(self) -> int:
        return self.issued + self.present + self.kept


@dataclass(frozen=True)
class RolloverResult:
    """What a finished rollover did, and how fast."""

    progress: Progress
    seconds: float
    workers: int

    @property
    def users_per_s(self) -> float:
        """Key sets issued and stored per second of the run."""
        return self.progress.issued / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        p = self.progress
        return (f"period {p.period_no}: {p.users:,} users, {p.issued:,} issued, "
                f"{p.present + p.kept:,} already present, {self.seconds:.1f} s, "
                f"{self.users_per_s:,.0f} users/s ({self.workers} worker"
                f"{'s' if self.workers != 1 else ''})")


def roll_over(role: KmsRole, period_no: int | None = None, *, workers: int | None = None,
              batch: int = DEFAULT_BATCH, algorithms: AlgorithmsFactory = bulk_algorithms,
              progress: Callable[[Progress], None] | None = None) -> RolloverResult:
    """Issue and store key period ``period_no`` (default: the one after the current) for
    every user of ``role``'s store that lacks it, in ``workers`` processes (default: one per
    CPU).  ``algorithms`` builds each worker's :class:`IbcAlgorithms` (an importable function:
    it is sent to the workers by name).  ``progress`` is called after each stored batch.

    A :class:`StoreError` or an interrupt stops the run; what was stored is kept (each batch
    is one transaction) and a new run continues from there.  The workers are started with
    ``spawn``: a script that calls this guards its entry point (``if __name__ ==
    "__main__":``), as :mod:`multiprocessing` requires.
    """
    period = role.current_periods()[1] if period_no is None else period_no
    if not role.period_allowed(period):
        raise UsageError(f"key period {period} is not inside the KMS certificate's validity "
                         f"({role.config.valid_from} to {role.config.valid_to}) [REQ-SKMS-13]")
    count = workers if workers is not None else os.cpu_count() or 1
    if count < 1 or batch < 1:
        raise UsageError(f"workers ({count}) and batch ({batch}) must be at least 1")
    walk = _Walk(role.store, Progress(period, role.store.count("users")), progress)
    start = time.monotonic()
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker,
                               initargs=(_Community.of(role.config, role.keys), algorithms,
                                         os.getpid()))
    pending: set[Future[list[Row]]] = set()
    try:
        missing = walk.missing()
        while True:
            while len(pending) < count * IN_FLIGHT_PER_WORKER:
                chunk = list(islice(missing, batch))
                if not chunk:
                    break
                pending.add(pool.submit(_issue_rows, chunk, period))
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                pending.discard(future)
                walk.put([_key_set(row) for row in future.result()])
    except BrokenProcessPool as exc:
        raise StoreError(f"a rollover worker process died; the {walk.state.issued:,} key sets "
                         "stored by this run are kept: run it again to continue") from exc
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
    return RolloverResult(walk.state, time.monotonic() - start, count)


# -- the parent: walk, check, store ----------------------------------------------------------


@dataclass
class _Walk:
    """The parent's side: which users lack the period, storing what the workers return."""

    kms_store: KmsStore
    state: Progress
    report: Callable[[Progress], None] | None = None

    def _advance(self, **counts: int) -> None:
        self.state = Progress(self.state.period_no, self.state.users,
                              **{k: getattr(self.state, k) + counts.get(k, 0)
                                 for k in ("issued", "present", "kept")})
        if self.report is not None:
            self.report(self.state)

    def _lacks(self, user: str) -> bool:
        return not self.kms_store.key_sets(user, [self.state.period_no])

    def missing(self) -> Iterator[str]:
        """The users without a key set for the period, a page at a time."""
        after: str | None = None
        while page := self.kms_store.enrolled_users(after, PAGE):
            after = page[-1]
            lacking = [user for user in page if self._lacks(user)]
            if len(lacking) < len(page):
                self._advance(present=len(page) - len(lacking))
            yield from lacking

    def put(self, key_sets: list[UserKeySet]) -> None:
        """Store ``key_sets`` in one transaction; those another process stored first are
        dropped (the stored key set wins) and the rest stored."""
        kept = 0
        while key_sets:
            try:
                self.kms_store.put_key_sets(key_sets)
                break
            except DuplicateError:
                held = {k.user_uri for k in key_sets if not self._lacks(k.user_uri)}
                if not held:
                    raise
                kept += len(held)
                key_sets = [k for k in key_sets if k.user_uri not in held]
        self._advance(issued=len(key_sets), kept=kept)


def _key_set(row: Row) -> UserKeySet:
    user, period_no, uid, valid_from, valid_to, ssk, pvt, rsk = row
    return UserKeySet(user_uri=user, period_no=period_no, uid=uid, valid_from=valid_from,
                      valid_to=valid_to, ssk=Secret(ssk), pvt=pvt, rsk=Secret(rsk))


# -- the workers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Community:
    """The KMS configuration and community keys as plain values, for the pool initializer
    (``Secret`` refuses pickling); the secret halves are left out of the repr."""

    config: KmsConfig
    kpak: bytes
    z_pub: bytes
    ksak: int = field(repr=False)
    z: int = field(repr=False)

    @classmethod
    def of(cls, config: KmsConfig, keys: CommunityKeys) -> _Community:
        return cls(config, keys.kpak, keys.z_pub, keys.ksak.reveal(), keys.z.reveal())

    def keys(self) -> CommunityKeys:
        return CommunityKeys(ksak=Secret(self.ksak), kpak=self.kpak, z=Secret(self.z),
                             z_pub=self.z_pub)


#: the worker's KMS role: issue() only (its store is an empty in-memory one, never used)
_role: KmsRole | None = None

#: prctl(2) option: the signal a process gets when its parent dies (Linux)
_PR_SET_PDEATHSIG = 1


def _start_worker(community: _Community, algorithms: AlgorithmsFactory, parent: int) -> None:
    """Pool initializer: die with the parent, leave Ctrl-C to the parent (which stops the
    pool), and build the role that issues key sets."""
    global _role
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from mckm.impl.store.sqlite_kms import SqliteKmsStore

    _role = KmsRole(community.config, community.keys(), SqliteKmsStore(":memory:"),
                    algorithms())


def _issue_rows(users: list[str], period_no: int) -> list[Row]:
    """The key sets of ``users`` for ``period_no`` (:meth:`KmsRole.issue`)."""
    role = _role
    if role is None:
        raise RuntimeError("rollover worker used before its initializer ran")
    rows = []
    for user in users:
        try:
            k = role.issue(user, period_no)
        except MckmError as exc:  # e.g. RFC 6508 6.1.1: no RSK for this identity
            raise UsageError(f"cannot issue the key set of {user} for period {period_no}: "
                             f"{exc}") from None
        rows.append((k.user_uri, k.period_no, k.uid, k.valid_from, k.valid_to, k.ssk.reveal(),
                     k.pvt, k.rsk.reveal()))
    return rows


# -- the progress line -------------------------------------------------------------------------


class ProgressLine:
    """A one-line progress counter on ``stream`` (stderr): redrawn in place at most every
    0.2 s on a terminal; elsewhere (a log) one line when the first batch is stored, then at
    most one every :attr:`log_every` seconds.  ``last`` is the latest state reported."""

    log_every = 5.0

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last: Progress | None = None
        self._drawn: Progress | None = None
        self._start = time.monotonic()
        self._shown = float("-inf")
        self._issued_shown = False

    def __call__(self, state: Progress) -> None:
        self.last = state
        now = time.monotonic()
        first = state.issued > 0 and not self._issued_shown
        if not first and now - self._shown < (0.2 if self.tty else self.log_every):
            return
        self._issued_shown = self._issued_shown or state.issued > 0
        self._shown = now
        self._draw(state, now)

    def _draw(self, state: Progress, now: float) -> None:
        self._drawn = state
        share = state.done / state.users if state.users else 1.0
        rate = state.issued / max(now - self._start, 1e-9)
        line = (f"rollover period {state.period_no}: {state.done:,}/{state.users:,} users "
                f"({share:.0%}), {state.issued:,} issued and stored, {rate:,.0f} users/s")
        if self.tty:
            bar = "#" * int(share * 20)
            self.stream.write(f"\r[{bar:<20}] {line}\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Draw the last state and end the line."""
        if self.last is not None and self.last != self._drawn:
            self._draw(self.last, time.monotonic())
        if self._drawn is not None and self.tty:
            self.stream.write("\n")
            self.stream.flush()
