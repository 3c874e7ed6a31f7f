"""Faults of KMS replicas (issue 13), on SQLite (two processes on one file) and PostgreSQL: real
``mckm kms serve`` processes, HTTPS clients, and ``kill -9`` of one replica in the middle of a
provisioning burst or of a key-period rollover (both replicas issuing the same users' keys), or
of the ``mckm kms rollover`` command beside a serving replica.

After each kill: every key set a client got an HTTP 200 for is in the store unchanged; nothing
is duplicated (one row per (user, period), each user with both periods of a provisioning or
neither, no UID or SSK twice); the other replica serves the same users the same keys and issues
the missing ones exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.store.kms_store import KmsStore
from mckm.impl.store.open import open_kms_store, url_parts
from tests.store.replicas import (
    CONFIG,
    Burst,
    Deployment,
    KeyMaterial,
    cli,
    deploy,
    key_checks,
    material,
)

USERS = [f"sip:user{i:03d}@example.org" for i in range(24)]
#: acknowledged answers before the kill
BEFORE_KILL = 4


@pytest.fixture
def deployment(target: str, tmp_path: Path) -> Iterator[Deployment]:
    deployed = deploy(tmp_path, target, USERS)
    try:
        yield deployed
    finally:
        deployed.stop()


def _periods(at: float) -> int:
    number: int = standard().period_number(at, CONFIG.period, CONFIG.offset)
    return number


def _rows(store: KmsStore, periods: list[int]) -> dict[tuple[str, int], KeyMaterial]:
    """Every stored key set of ``periods``, checked for duplicates: the table holds no other
    row, each (user, period) once, and no UID or SSK is stored twice."""
    rows = {}
    for user in USERS:
        for period, key_set in store.key_sets(user, periods).items():
            rows[(user, period)] = material(key_set)
    assert store.count("key_sets") == len(rows)
    assert len({m[2] for m in rows.values()}) == len(rows), "a UID stored twice"
    assert len({m[3] for m in rows.values()}) == len(rows), "an SSK stored twice"
    assert store.count("users") == len(USERS) and store.count("community") == 1
    return rows


def _kill_in_the_middle(burst: Burst, deployment: Deployment) -> None:
    burst.wait_for(BEFORE_KILL)
    assert deployment.replicas[0].kill9() == -signal.SIGKILL
    burst.join()
    assert not burst.errors
    assert burst.failed, "the replica answered everything before the kill: nothing was cut"


def _logs_hide_the_password(deployment: Deployment) -> None:
    _, passwords = url_parts(deployment.target)
    for replica in deployment.replicas:
        log = replica.log.read_text(errors="replace")
        assert "listening on" in log and "Traceback" not in log, log[-1000:]
        assert not any(p in log for p in passwords), replica.name


def test_kill9_in_a_provisioning_burst(deployment: Deployment) -> None:
    a, b = deployment.spawn("a"), deployment.spawn("b")
    deployment.ready(a), deployment.ready(b)
    burst = Burst(deployment, a, USERS).start(threads=4)
    _kill_in_the_middle(burst, deployment)
    current = _periods(time.time())
    periods = [current, current + 1]

    store = deployment.open_store()
    try:
        stored = _rows(store, periods)
        for user, got in burst.acknowledged.items():
            assert [stored[(user, m[1])] for m in got] == got, user
        for user in USERS:  # a provisioning is both periods or neither (REQ-SKMS-12)
            assert sum((user, p) in stored for p in periods) in (0, 2), user
        on_b = Burst(deployment, b, USERS).start(threads=4)
        on_b.join()
        assert not on_b.errors and not on_b.failed
        for user, served in on_b.acknowledged.items():
            assert served == burst.acknowledged.get(user, served), user
            assert all(stored.get((user, m[1]), m) == m for m in served), user
        after = _rows(store, periods)
        assert len(after) == 2 * len(USERS)
        assert {k: after[k] for k in stored} == stored
    finally:
        store.close()
    assert b.proc.poll() is None
    _logs_hide_the_password(deployment)


def test_kill9_in_a_key_period_rollover(deployment: Deployment) -> None:
    """Both replicas issue the period after next for every user at once (a rollover), each
    user asked at both at about the same time (the same order), so their transactions race on
    the same rows; A dies in the middle.  One row per user for that period, and whatever A
    acknowledged is what B and the store hold."""
    a, b = deployment.spawn("a"), deployment.spawn("b")
    deployment.ready(a), deployment.ready(b)
    at = time.time() + 2 * CONFIG.period
    period = _periods(at)
    on_a = Burst(deployment, a, USERS, at=at).start(threads=3)
    on_b = Burst(deployment, b, USERS, at=at).start(threads=3)
    _kill_in_the_middle(on_a, deployment)
    on_b.join()
    assert not on_b.errors and not on_b.failed
    assert len(on_b.acknowledged) == len(USERS)

    store = deployment.open_store()
    try:
        stored = _rows(store, [period])
        assert len(stored) == len(USERS)
        for burst in (on_a, on_b):
            for user, got in burst.acknowledged.items():
                assert [m[1] for m in got] == [period]
                assert got == [stored[(user, period)]], user
        raced = set(on_a.acknowledged) & set(on_b.acknowledged)
        assert raced, "no user was served by both replicas"
    finally:
        store.close()
    assert b.proc.poll() is None
    _logs_hide_the_password(deployment)


def test_replicas_starting_together_on_an_empty_store_share_one_community(
        target: str, tmp_path: Path) -> None:
    """Two replicas started at once on an empty store: one community (the id = 1 key), and
    both sign with it: the client checks each one's key sets against the stored certificate."""
    deployment = deploy(tmp_path, target, [])
    try:
        a, b = deployment.spawn("a"), deployment.spawn("b")
        deployment.ready(a), deployment.ready(b)
        store = open_kms_store(target)
        try:
            assert store.count("community") == 1
            role = KmsRole.open(store, CONFIG, standard())
            user = "sip:late@example.org"
            deployment.users[user] = role.enrol(user)
            checks = key_checks(role)
            assert (deployment.keyprov(a, user, checks=checks)
                    == deployment.keyprov(b, user, checks=checks))
        finally:
            store.close()
    finally:
        deployment.stop()


def test_kill9_of_the_rollover_command_beside_a_serving_replica(target: str,
                                                                tmp_path: Path) -> None:
    """``mckm kms rollover`` issues the next period for every user while replica B serves the
    same period to clients; the rollover is killed (-9) after its first batches and run again.
    Every user ends with one key set for the period, and what B acknowledged is what is
    stored, before and after the rerun."""
    users = [f"sip:r{i:04d}@example.org" for i in range(120)]
    deployment = deploy(tmp_path, target, users)
    store = open_kms_store(target)
    try:
        b = deployment.ready(deployment.spawn("b"))
        period = _periods(time.time()) + 1
        at = standard().period_start(period, CONFIG.period, CONFIG.offset) + 1
        command = [*cli(), "kms", "rollover", "--db", target, "--kms-uri", CONFIG.kms_uri,
                   "--period", str(period)]
        run = subprocess.Popen([*command, "--workers", "1", "--batch", "8"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        on_b = Burst(deployment, b, users[::-6], at=at).start(threads=3)
        deadline = time.monotonic() + 60
        while store.count("key_sets") < 24:
            assert run.poll() is None, f"the rollover ended before the kill ({run.returncode})"
            assert time.monotonic() < deadline, "the rollover stored nothing"
            time.sleep(0.01)
        run.kill()
        assert run.wait(timeout=10) == -signal.SIGKILL
        on_b.join()
        assert not on_b.errors and not on_b.failed

        def stored() -> dict[str, KeyMaterial]:
            rows = {}
            for user in users:
                for key_set in store.key_sets(user, [period]).values():
                    rows[user] = material(key_set)
            assert store.count("key_sets") == len(rows)  # one row per user, none elsewhere
            return rows

        cut = stored()
        assert 24 <= len(cut) < len(users)
        for user, got in on_b.acknowledged.items():
            assert got == [cut[user]], user

        rerun = subprocess.run([*command, "--workers", "1"], capture_output=True, text=True,
                               timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        done = stored()
        assert len(done) == len(users) and {u: done[u] for u in cut} == cut
        assert deployment.keyprov(b, users[1], at=at) == [done[users[1]]]
    finally:
        store.close()
        deployment.stop()
