"""Issue 13: ``mckm kms rollover`` issues one key period for every enrolled user, in a process
pool, resumable from the store.

Most runs use hash-based stand-ins for ECCSI and SAKKE (:func:`fast_algorithms`: an SSK as
random as ECCSI's v makes it, an RSK as deterministic as SAKKE's), so that a few hundred users
take a second and a changed key would show; one run uses the real algorithms and checks each
key set against what :meth:`KmsRole.issue` gives, and the ``kill -9`` and Ctrl-C runs drive the
real command with the real algorithms.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path

import pytest

from mckm.bench.rollover import children
from mckm.impl.errors import StoreError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.algorithms import IbcAlgorithms, standard
from mckm.impl.roles.kms.model import KmsConfig, UserKeySet
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.rollover import Progress, ProgressLine, _Community, roll_over
from mckm.impl.store.open import open_kms_store
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from tests.store import postgres_server
from tests.store.postgres_server import PostgresServer

KMS_URI = "kms.example.org"
CONFIG = KmsConfig(KMS_URI)
CLI = [sys.executable, "-c", "import sys; from mckm.impl.cli import main; "
       "sys.exit(main(prog_name='mckm'))"]


def fast_algorithms() -> IbcAlgorithms:
    """The shipped algorithms with SSK and RSK issue replaced by hashes (the UID, the key
    period arithmetic and the community keys stay real)."""
    real = standard()

    def issue_ssk(ksak: int, kpak: bytes, identity: bytes) -> tuple[Secret[int], bytes]:
        pvt = b"\x04" + os.urandom(64)
        digest = hashlib.sha256(ksak.to_bytes(32, "big") + identity + pvt).digest()
        return Secret(int.from_bytes(digest, "big")), pvt

    def issue_rsk(z: int, identity: bytes) -> bytes:
        return b"\x04" + hashlib.sha512(z.to_bytes(128, "big") + identity).digest()

    return IbcAlgorithms(real.kms_keypair, real.kms_master_key, issue_ssk, issue_rsk,
                         real.validate_ssk, real.validate_rsk, real.uid, real.period_number,
                         real.period_start, real.ntp64_to_unix)


def users(n: int) -> list[str]:
    return [f"sip:user{i:05d}@example.org" for i in range(n)]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kms.db"


def open_role(db: Path, algorithms: IbcAlgorithms | None = None) -> KmsRole:
    return KmsRole.open(SqliteKmsStore(db), CONFIG, algorithms or fast_algorithms())


def enrolled(db: Path, n: int) -> KmsRole:
    role = open_role(db)
    for user in users(n):
        role.enrol(user)
    return role


def stored(db: Path, period: int) -> dict[str, UserKeySet]:
    """Every stored key set of ``period``, by user; a second row for one user would fail."""
    store = SqliteKmsStore(db)
    try:
        found: dict[str, UserKeySet] = {}
        after = None
        while page := store.enrolled_users(after, 500):
            after = page[-1]
            for user in page:
                sets = store.key_sets(user, [period])
                if sets:
                    found[user] = sets[period]
        return found
    finally:
        store.close()


def rows_per_user(db: Path, period: int) -> dict[str, int]:
    """How many rows each user has for ``period``, read straight from the file."""
    with sqlite3.connect(db) as conn:
        return {str(u): int(c) for u, c in conn.execute(
            "SELECT user_uri, count(*) FROM key_sets WHERE period_no = ? GROUP BY user_uri",
            (period,))}


def secret_forms(role: KmsRole) -> list[bytes]:
    """KSAK and z as decimal and hex text."""
    values = (role.keys.ksak.reveal(), role.keys.z.reveal())
    return [form.encode() for v in values for form in (str(v), f"{v:x}", f"{v:X}")]


def fingerprint(k: UserKeySet) -> tuple[object, ...]:
    return (k.uid, k.valid_from, k.valid_to, k.ssk.reveal(), k.pvt, k.rsk.reveal())


# -- the rollover itself ------------------------------------------------------------------------


def test_every_user_lacking_the_period_gets_one_key_set(db: Path) -> None:
    role = enrolled(db, 300)
    period = role.current_periods()[1]
    early = users(300)[::15]  # 20 users provisioned by the serving KMS before the rollover
    before = {u: role.key_sets(u, [period])[0] for u in early}
    progress: list[Progress] = []
    result = roll_over(role, workers=2, batch=16, algorithms=fast_algorithms,
                       progress=progress.append)
    p = result.progress
    assert (p.period_no, p.users, p.issued, p.present, p.kept) == (period, 300, 280, 20, 0)
    assert progress[-1] == p and all(a.done <= b.done for a, b in pairwise(progress))
    assert rows_per_user(db, period) == dict.fromkeys(users(300), 1)
    after = stored(db, period)
    for user, key_set in after.items():
        assert key_set.uid == role.algorithms.uid(user, KMS_URI, CONFIG.period, CONFIG.offset,
                                                  period)
        assert key_set.rsk.reveal() == role.issue(user, period).rsk.reveal()
    assert all(fingerprint(after[u]) == fingerprint(before[u]) for u in early)
    again = roll_over(role, workers=2, batch=16, algorithms=fast_algorithms).progress
    assert (again.issued, again.present) == (0, 300)
    assert {u: fingerprint(k) for u, k in stored(db, period).items()} == {
        u: fingerprint(k) for u, k in after.items()}
    role.store.close()


def test_a_given_period_and_its_certificate_bound(db: Path) -> None:
    role = enrolled(db, 40)
    current = role.current_periods()[0]
    result = roll_over(role, current + 5, workers=1, batch=7, algorithms=fast_algorithms)
    assert (result.progress.period_no, result.progress.issued) == (current + 5, 40)
    assert rows_per_user(db, current + 5) == dict.fromkeys(users(40), 1)
    late = role.period_at(role.config.valid_to) + 1
    with pytest.raises(UsageError, match=rf"key period {late} is not inside .*REQ-SKMS-13"):
        roll_over(role, late, workers=1, algorithms=fast_algorithms)
    assert rows_per_user(db, late) == {}
    role.store.close()


def test_real_algorithms_give_what_the_kms_issues(db: Path) -> None:
    role = open_role(db, standard())
    for user in users(6):
        role.enrol(user)
    period = role.current_periods()[1]
    assert roll_over(role, workers=2, batch=2).progress.issued == 6
    a, keys = role.algorithms, role.keys
    for user, key_set in stored(db, period).items():
        issued = role.issue(user, period)
        assert (key_set.uid, key_set.valid_from, key_set.valid_to) == (
            issued.uid, issued.valid_from, issued.valid_to)
        assert key_set.rsk == issued.rsk  # RFC 6508 6.1.1: one RSK per identity
        a.validate_ssk(keys.kpak, key_set.uid, key_set.ssk.reveal(), key_set.pvt)
        a.validate_rsk(keys.z_pub, key_set.uid, key_set.rsk.reveal())
    role.store.close()


class _RacedStore(SqliteKmsStore):
    """A store at which, before each of the first ``races`` batches is written, a serving KMS
    (another connection to the same file) provisions that batch's first user."""

    def __init__(self, path: Path, races: int) -> None:
        super().__init__(path)
        self.server = open_role(path)
        self.races = races
        self.served: dict[str, UserKeySet] = {}

    def put_key_sets(self, key_sets: Sequence[UserKeySet]) -> None:
        if self.races:
            self.races -= 1
            first = key_sets[0]
            self.served[first.user_uri] = self.server.key_sets(first.user_uri,
                                                               [first.period_no])[0]
        super().put_key_sets(key_sets)


def test_a_key_set_stored_meanwhile_wins(db: Path) -> None:
    enrolled(db, 100).store.close()
    store = _RacedStore(db, races=3)
    role = KmsRole.open(store, CONFIG, fast_algorithms())
    result = roll_over(role, workers=2, batch=10, algorithms=fast_algorithms)
    p = result.progress
    assert (p.issued, p.present, p.kept) == (97, 0, 3)
    assert rows_per_user(db, p.period_no) == dict.fromkeys(users(100), 1)
    after = stored(db, p.period_no)
    assert len(store.served) == 3
    assert all(fingerprint(after[u]) == fingerprint(k) for u, k in store.served.items())
    store.server.store.close()
    store.close()


def test_a_rollover_beside_a_serving_kms_duplicates_nothing(db: Path) -> None:
    role = enrolled(db, 400)
    period = role.current_periods()[1]
    served: dict[str, UserKeySet] = {}
    done = threading.Event()

    def serve() -> None:  # another KMS process on the same file, provisioning users
        replica = open_role(db)
        try:
            for user in reversed(users(400)):
                if done.is_set():
                    break
                served[user] = replica.key_sets(user, [period])[0]
        finally:
            replica.store.close()

    server = threading.Thread(target=serve)
    server.start()
    try:
        result = roll_over(role, workers=2, batch=8, algorithms=fast_algorithms)
    finally:
        done.set()
        server.join()
    p = result.progress
    assert p.done == 400 and p.issued < 400
    assert rows_per_user(db, period) == dict.fromkeys(users(400), 1)
    after = stored(db, period)
    assert served and all(fingerprint(after[u]) == fingerprint(k) for u, k in served.items())
    role.store.close()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = postgres_server.start()  # skips without the binaries, fails under CI=true
    try:
        yield server
    finally:
        server.stop()


def test_a_rollover_on_postgresql_beside_a_serving_replica(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    role = KmsRole.open(open_kms_store(url), CONFIG, fast_algorithms())
    for user in users(300):
        role.enrol(user)
    period = role.current_periods()[1]
    served: dict[str, UserKeySet] = {}

    def serve() -> None:  # a KMS replica on its own connection, provisioning users
        replica = KmsRole.open(open_kms_store(url), CONFIG, fast_algorithms())
        try:
            for user in reversed(users(300)[::3]):
                served[user] = replica.key_sets(user, [period])[0]
        finally:
            replica.store.close()

    server = threading.Thread(target=serve)
    server.start()
    try:
        result = roll_over(role, workers=2, batch=8, algorithms=fast_algorithms)
    finally:
        server.join()
    assert result.progress.done == 300 and result.progress.issued <= 300
    again = roll_over(role, workers=1, algorithms=fast_algorithms).progress
    assert (again.issued, again.present) == (0, 300)
    assert role.store.count("key_sets") == 300
    for user in users(300):
        assert list(role.store.key_sets(user, [period])) == [period]
    for user, key_set in served.items():
        assert fingerprint(role.store.key_sets(user, [period])[period]) == fingerprint(key_set)
    role.store.close()


def dying_algorithms() -> IbcAlgorithms:
    """Fast algorithms whose worker process dies at its 50th RSK."""
    fast = fast_algorithms()
    issued = iter(range(50))

    def issue_rsk(z: int, identity: bytes) -> bytes:
        if next(issued, None) is None:
            os._exit(3)
        return fast.issue_rsk(z, identity)

    return dataclasses.replace(fast, issue_rsk=issue_rsk)


def refusing_algorithms() -> IbcAlgorithms:
    """Fast algorithms that cannot issue an RSK for the UID of user 42 (as RFC 6508 6.1.1
    refuses z + b = 0 mod q)."""
    fast = fast_algorithms()

    def issue_rsk(z: int, identity: bytes) -> bytes:
        if identity == fast.uid(users(43)[42], KMS_URI, CONFIG.period, CONFIG.offset, PERIOD):
            raise UsageError("SAKKE: z_S + b = 0 mod q (RFC 6508 6.1.1)")
        return fast.issue_rsk(z, identity)

    return dataclasses.replace(fast, issue_rsk=issue_rsk)


#: a key period inside the certificate of a KMS created now (workers import it too)
PERIOD = standard().period_number(time.time(), CONFIG.period, CONFIG.offset) + 3


@pytest.mark.parametrize("algorithms, error", [
    (dying_algorithms, r"a rollover worker process died; the [\d,]+ key sets stored by this "
                       r"run are kept: run it again to continue"),
    (refusing_algorithms, r"cannot issue the key set of sip:user00042@example.org for period "
                          rf"{PERIOD}: SAKKE: z_S \+ b = 0 mod q"),
], ids=["worker-dies", "issue-refused"])
def test_a_failing_worker_stops_the_run_and_keeps_whole_batches(
        db: Path, algorithms: Callable[[], IbcAlgorithms], error: str) -> None:
    role = enrolled(db, 200)
    progress: list[Progress] = []
    with pytest.raises((StoreError, UsageError), match=error):
        roll_over(role, PERIOD, workers=2, batch=10, algorithms=algorithms,
                  progress=progress.append)
    held = rows_per_user(db, PERIOD)
    assert len(held) == (progress[-1].issued if progress else 0) < 200
    assert len(held) % 10 == 0 and set(held.values()) <= {1}
    assert roll_over(role, PERIOD, workers=2, algorithms=fast_algorithms).progress.done == 200
    assert rows_per_user(db, PERIOD) == dict.fromkeys(users(200), 1)
    role.store.close()


def test_the_community_keys_stay_out_of_reprs(db: Path) -> None:
    role = open_role(db)
    community = _Community.of(role.config, role.keys)
    text = repr(community)
    for secret in (role.keys.ksak.reveal(), role.keys.z.reveal()):
        assert str(secret) not in text and f"{secret:x}" not in text
    assert community.keys() == role.keys
    role.store.close()


def test_the_progress_line_on_a_log() -> None:
    class Log(list[str]):
        def write(self, text: str) -> None:
            self.append(text)

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    log = Log()
    line = ProgressLine(log)  # type: ignore[arg-type]
    for issued in (0, 16, 32, 48):
        line(Progress(7, 100, issued=issued, present=10))
    line.close()
    text = "".join(log)
    assert text.count("\n") == 3, text  # nothing stored yet; the first store; the last state
    assert "10/100 users" in text and "26/100 users" in text and "58/100 users" in text


# -- the command --------------------------------------------------------------------------------


def rollover_command(db: Path, *options: str) -> list[str]:
    return [*CLI, "kms", "rollover", "--db", str(db), "--kms-uri", KMS_URI, *options]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def started(db: Path) -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _until_stored(proc: subprocess.Popen[str]) -> int:
    """Read the progress lines on stderr until one says key sets are stored; their number."""
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"([\d,]+) issued and stored", line)
        if found and int(found.group(1).replace(",", "")) > 0:
            return int(found.group(1).replace(",", ""))
    raise AssertionError(f"the rollover ended before storing anything: {proc.wait()}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_loses_nothing_acknowledged_and_the_rerun_completes(
        db: Path, started: list[subprocess.Popen[str]]) -> None:
    n = 1000
    role = enrolled(db, n)
    period = role.current_periods()[1]
    role.store.close()
    proc = subprocess.Popen(rollover_command(db, "--workers", "1", "--batch", "16"),
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    started.append(proc)
    acknowledged = _until_stored(proc)
    time.sleep(0.1)  # a few more batches: short, so that a fast machine is still mid-run
    workers = children(proc.pid)
    assert workers, "no worker process"
    for pid in workers:  # the community keys reach the workers through a pipe, not argv/env
        exposed = Path(f"/proc/{pid}/cmdline").read_bytes() + Path(
            f"/proc/{pid}/environ").read_bytes()
        assert not any(s in exposed for s in secret_forms(role)), pid
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(w) for w in workers), "a worker outlived the killed rollover"
    before = stored(db, period)
    assert acknowledged <= len(before) < n, (acknowledged, len(before))
    assert len(before) % 16 == 0  # whole batches only
    assert set(rows_per_user(db, period).values()) == {1}

    rerun = subprocess.run(rollover_command(db, "--workers", "2"), capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resumed: {len(before):,} users already held period {period}" in rerun.stderr
    assert re.fullmatch(rf"period {period}: {n:,} users, {n - len(before):,} issued, "
                        rf"{len(before):,} already present, .* users/s \(2 workers\)\n",
                        rerun.stdout), rerun.stdout
    assert rows_per_user(db, period) == dict.fromkeys(users(n), 1)
    after = stored(db, period)
    assert all(fingerprint(after[u]) == fingerprint(k) for u, k in before.items())
    check = open_role(db, standard())
    for user in users(n)[::125]:
        k = after[user]
        check.algorithms.validate_ssk(check.keys.kpak, k.uid, k.ssk.reveal(), k.pvt)
        check.algorithms.validate_rsk(check.keys.z_pub, k.uid, k.rsk.reveal())
    check.store.close()


def test_ctrl_c_stops_cleanly_and_the_rerun_completes(
        db: Path, started: list[subprocess.Popen[str]]) -> None:
    n = 3000  # 1,000 ended before the signal twice beside the other xdist worker's tests
    role = enrolled(db, n)
    period = role.current_periods()[1]
    role.store.close()
    # Ctrl-C as at a terminal: the child starts with SIGINT's default action even when the
    # test process ignores SIGINT (a child inherits an ignored signal across exec)
    proc = subprocess.Popen(rollover_command(db, "--workers", "1", "--batch", "16"),
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    started.append(proc)
    _until_stored(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""
    assert not re.search(r"[0-9a-fA-F]{32}|\d{40}", err), err  # no key material
    assert re.search(r"interrupted: the [\d,]+ key sets stored by this run are kept", err), err
    held = rows_per_user(db, period)
    assert 0 < len(held) < n and set(held.values()) == {1}
    rerun = subprocess.run(rollover_command(db, "--batch", "64"), capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rows_per_user(db, period) == dict.fromkeys(users(n), 1)


@pytest.mark.parametrize("options, message", [
    (("--db", "{tmp}/missing.db"), "--db {tmp}/missing.db: no KMS store there"),
    (("--period", "99999999"), "key period 99999999 is not inside the KMS certificate"),
    (("--workers", "0"), "Invalid value for '--workers'"),
], ids=["missing-store", "period-outside-certificate", "no-workers"])
def test_errors_are_one_line(db: Path, tmp_path: Path, options: tuple[str, ...],
                             message: str) -> None:
    enrolled(db, 3).store.close()
    given = [o.format(tmp=tmp_path) for o in options]
    command = rollover_command(db) if given[0] != "--db" else [
        *CLI, "kms", "rollover", "--kms-uri", KMS_URI, *given]
    if given[0] != "--db":
        command += given
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message.format(tmp=tmp_path) in lines[0], done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM key_sets").fetchone() == (0,)
