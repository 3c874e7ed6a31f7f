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
  worker: with ``--users`` 10000 and 100000 they should be the same (memory flat);
* CPU time per key set in the workers and in the parent over the same span (``/proc/<pid>/stat``
  and ``time.process_time``), and the CPU time of one RSK issue on one core; ``cpu_ratio`` =
  RSK CPU / (worker + parent CPU per key set) is the ratio two otherwise idle cores would give.
  On a shared machine the wall-clock ratio measures the scheduler as much as the code, the CPU
  figures do not.

``python -m mckm.bench.rollover --users 100000 --workers 2`` (several sizes: ``--users 10000
--users 100000``); ``mckm bench --only kms-rollover`` runs it as a load benchmark on
5 x the budget's count of users (3,000 quick, 15,000 full).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
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


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far; 0.0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _Sample:
    """At one stored batch: the time, key sets issued, parent and workers' CPU seconds."""

    at: float
    issued: int
    parent_cpu: float
    workers_cpu: float


@dataclass
class _Watch:
    """The progress callback: the first and the last stored batches (with CPU samples), and
    the workers' peak memory (sampled, and at the last batch while they are still alive)."""

    start: float
    first: _Sample | None = None
    last: _Sample | None = None
    sampled: float = 0.0
    worker_hwm_kb: int = 0

    def _sample(self, now: float, issued: int) -> _Sample:
        workers = children(os.getpid())
        self.worker_hwm_kb = max([self.worker_hwm_kb, *(vm_hwm_kb(pid) for pid in workers)])
        return _Sample(now, issued, time.process_time(), sum(cpu_s(pid) for pid in workers))

    def __call__(self, state: Progress) -> None:
        now = time.monotonic()
        if state.issued and self.first is None:
            self.first = self._sample(now, state.issued)
            self.sampled = now
        elif now - self.sampled >= SAMPLE_EVERY_S or state.done == state.users:
            self.last = self._sample(now, state.issued)
            self.sampled = now


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
    worker_cpu_ms: float
    parent_cpu_ms: float
    rsk_cpu_ms: float

    @property
    def ratio(self) -> float:
        return self.users_per_s / (self.workers * self.rsk_issue_per_s)

    @property
    def cpu_ratio(self) -> float:
        return self.rsk_cpu_ms / (self.worker_cpu_ms + self.parent_cpu_ms)

    def as_json(self) -> dict[str, float]:
        return {"users": self.users, "workers": self.workers,
                "users_per_s": round(self.users_per_s, 1),
                "wall_users_per_s": round(self.wall_users_per_s, 1),
                "startup_s": round(self.startup_s, 2),
                "rsk_issue_per_s_1core": round(self.rsk_issue_per_s, 1),
                "ratio": round(self.ratio, 3), "parent_hwm_mb": round(self.parent_hwm_mb, 1),
                "worker_hwm_mb": round(self.worker_hwm_mb, 1),
                "worker_cpu_ms_per_user": round(self.worker_cpu_ms, 3),
                "parent_cpu_ms_per_user": round(self.parent_cpu_ms, 3),
                "rsk_cpu_ms_1core": round(self.rsk_cpu_ms, 3),
                "cpu_ratio": round(self.cpu_ratio, 3)}


def rsk_issue_rate(quick: bool = False) -> float:
    """The one-core ``sakke-rsk-issue`` figure (median), measured in a fresh interpreter."""
    runs, seconds = (3, 0.2) if quick else (3, 1.0)
    return run_timed("sakke-rsk-issue", ("mckm.bench.crypto_sakke",), runs=runs,
                     seconds=seconds, quick=quick).ops_per_s


def _rsk_cpu_ms(count: int) -> float:
    """CPU milliseconds of one RSK issue (RFC 6508 6.1.1, window-10 P table, as
    ``sakke-rsk-issue``), run in this worker process."""
    from mckm.impl.crypto import sakke

    sakke.prepare_p_table(window=10)
    z = sakke.kms_master_key()[0].reveal()
    sakke.issue_rsk(z, bytes(32))
    start = time.process_time()
    for n in range(1, count + 1):
        sakke.issue_rsk(z, n.to_bytes(32, "big"))
    return (time.process_time() - start) * 1000 / count


def rsk_cpu_ms(count: int = 1000) -> float:
    """:func:`_rsk_cpu_ms` in a fresh process (the parent's memory figure stays its own)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_rsk_cpu_ms, count).result()


def measure_rollover(users: int, workers: int = WORKERS, *, quick: bool = False) -> RolloverFigure:
    """Enrol ``users`` users in a fresh store, then time their rollover (see the module)."""
    with tempfile.TemporaryDirectory(prefix="mckm-bench-rollover-") as directory:
        store = SqliteKmsStore(Path(directory) / "kms.db")
        try:
            role = KmsRole.open(store, KmsConfig("kms.example.org"), standard())
            for n in range(users):
                role.enrol(f"sip:user{n:07d}@example.org")
            rsk = rsk_issue_rate(quick)
            rsk_cpu = rsk_cpu_ms(300 if quick else 1000)
            watch = _Watch(time.monotonic())
            result = roll_over(role, workers=workers, progress=watch)
        finally:
            store.close()
    if result.progress.issued != users or watch.first is None or watch.last is None:
        raise RuntimeError(f"the rollover issued {result.progress.issued} of {users} key sets")
    first, last = watch.first, watch.last
    issued = last.issued - first.issued
    if issued <= 0 or last.at <= first.at:
        raise RuntimeError(f"{users} users are too few to time: raise --users")
    return RolloverFigure(
        users, workers, issued / (last.at - first.at), result.users_per_s,
        first.at - watch.start, rsk, vm_hwm_kb() / 1024, watch.worker_hwm_kb / 1024,
        (last.workers_cpu - first.workers_cpu) * 1000 / issued,
        (last.parent_cpu - first.parent_cpu) * 1000 / issued, rsk_cpu)


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
              f"largest worker {figure.worker_hwm_mb:,.0f} MB; CPU per key set: workers "
              f"{figure.worker_cpu_ms:.3f} ms, parent {figure.parent_cpu_ms:.3f} ms, one RSK "
              f"{figure.rsk_cpu_ms:.3f} ms: cpu_ratio {figure.cpu_ratio:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
