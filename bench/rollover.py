"""Bulk key-period rollover (``mckm kms rollover``): users/s on N worker processes against the
single-core SAKKE RSK issue rate, and the peak memory of the parent and of each worker.

One run enrols ``--users`` users in a fresh SQLite store (not timed), measures the one-core
RSK issue rate (``sakke-rsk-issue``, in its own interpreter as ``mckm bench`` does), then
rolls every user over to the next key period with :func:`~mckm.impl.roles.kms.rollover.roll_over`
and the real algorithms.  It reports:

* ``users/s``: key sets issued and stored per second from the first stored batch to the last
  (the pool's start-up, mostly each worker's 2 s SAKKE table, is ``startup_s``);
* ``wall users/s``: the same over the whole run, start-up included;
* ``ratio``: users/s / (workers x the one-core RSK issue rate) (each key set is an RSK and an
  SSK+PVT, so 1.0 would be perfect scaling with a free SSK and free storage);
* ``VmHWM`` (peak resident set, from ``/proc/<pid>/status``) of the parent and the largest
  worker: with ``--users`` 10000 and 100000 they should be the same (memory flat).

``python -m mckm.bench.rollover --users 100000 --workers 2`` (several sizes: ``--users 10000
--users 100000``); ``mckm bench --only kms-rollover`` runs it as a load benchmark on
5 x the budget's count of users (3,000 quick, 15,000 full).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mckm.bench.load import LoadBudget, load_benchmark
from mckm.bench.registry import Result
from mckm.bench.runner import run_timed
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.rollover import Progress, roll_over
from mckm.impl.store.sqlite_kms import SqliteKmsStore

WORKERS = 2
#: the worker pool's memory is sampled at most this often (a /proc scan per sample)
SAMPLE_EVERY_S = 0.5


def vm_hwm_kb(pid: int | str = "self") -> int:
    """Peak resident set size (VmHWM) of process ``pid`` in kB; 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class _Watch:
    """The progress callback: when the first and the last batches were stored, and the
    workers' peak memory (sampled, and at the last batch while they are still alive)."""

    start: float
    first: tuple[float, int] | None = None
    last: tuple[float, int] | None = None
    sampled: float = 0.0
    worker_hwm_kb: int = 0

    def __call__(self, state: Progress) -> None:
        now = time.monotonic()
        if state.issued and self.first is None:
            self.first = (now, state.issued)
        self.last = (now, state.issued)
        if now - self.sampled >= SAMPLE_EVERY_S or state.done == state.users:
            self.sampled = now
            hwm = [vm_hwm_kb(pid) for pid in children(os.getpid())]
            self.worker_hwm_kb = max([self.worker_hwm_kb, *hwm])


@dataclass(frozen=True)
class RolloverFigure:
    users: int
    workers: int
    users_per_s: float
    wall_users_per_s: float
    startup_s: float
    rsk_issue_per_s: float
    parent_hwm_mb: float
    worker_hwm_mb: float

    @property
    def ratio(self) -> float:
        return self.users_per_s / (self.workers * self.rsk_issue_per_s)

    def as_json(self) -> dict[str, float]:
        return {"users": self.users, "workers": self.workers,
                "users_per_s": round(self.users_per_s, 1),
                "wall_users_per_s": round(self.wall_users_per_s, 1),
                "startup_s": round(self.startup_s, 2),
                "rsk_issue_per_s_1core": round(self.rsk_issue_per_s, 1),
                "ratio": round(self.ratio, 3), "parent_hwm_mb": round(self.parent_hwm_mb, 1),
                "worker_hwm_mb": round(self.worker_hwm_mb, 1)}


def rsk_issue_rate(quick: bool = False) -> float:
    """The one-core ``sakke-rsk-issue`` figure (median), measured in a fresh interpreter."""
    runs, seconds = (3, 0.2) if quick else (3, 1.0)
    return run_timed("sakke-rsk-issue", ("mckm.bench.crypto_sakke",), runs=runs,
                     seconds=seconds, quick=quick).ops_per_s


def measure_rollover(users: int, workers: int = WORKERS, *, quick: bool = False) -> RolloverFigure:
    """Enrol ``users`` users in a fresh store, then time their rollover (see the module)."""
    with tempfile.TemporaryDirectory(prefix="mckm-bench-rollover-") as directory:
        store = SqliteKmsStore(Path(directory) / "kms.db")
        try:
            role = KmsRole.open(store, KmsConfig("kms.example.org"), standard())
            for n in range(users):
                role.enrol(f"sip:user{n:07d}@example.org")
            rsk = rsk_issue_rate(quick)
            watch = _Watch(time.monotonic())
            result = roll_over(role, workers=workers, progress=watch)
        finally:
            store.close()
    if result.progress.issued != users or watch.first is None or watch.last is None:
        raise RuntimeError(f"the rollover issued {result.progress.issued} of {users} key sets")
    (t0, n0), (t1, n1) = watch.first, watch.last
    steady = (n1 - n0) / (t1 - t0) if t1 > t0 else result.users_per_s
    return RolloverFigure(users, workers, steady, result.users_per_s, t0 - watch.start, rsk,
                          vm_hwm_kb() / 1024, watch.worker_hwm_kb / 1024)


@load_benchmark("kms-rollover", "mckm kms rollover: key sets (SSK, PVT, RSK) issued and "
                "stored per second on 2 worker processes (ratio: to 2 x sakke-rsk-issue)")
def rollover_load(budget: LoadBudget) -> Result:
    quick = budget.count < 1000
    figure = measure_rollover(5 * budget.count, quick=quick)
    extra = {k: float(v) for k, v in figure.as_json().items() if k != "users_per_s"}
    return Result("kms-rollover", figure.users_per_s, 1, extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mckm.bench.rollover", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, action="append",
                        help="users to enrol and roll over (repeatable; default 10000)")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--json", action="store_true", help="one JSON object per size")
    args = parser.parse_args(argv)
    for users in args.users or [10_000]:
        figure = measure_rollover(users, args.workers)
        if args.json:
            print(json.dumps(figure.as_json()), flush=True)
            continue
        print(f"{users:,} users, {figure.workers} workers: {figure.users_per_s:,.0f} users/s "
              f"({figure.wall_users_per_s:,.0f} with the {figure.startup_s:.1f} s start-up); "
              f"1-core RSK issue {figure.rsk_issue_per_s:,.0f}/s; ratio to {figure.workers} x "
              f"RSK issue {figure.ratio:.2f}; VmHWM parent {figure.parent_hwm_mb:,.0f} MB, "
              f"largest worker {figure.worker_hwm_mb:,.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
