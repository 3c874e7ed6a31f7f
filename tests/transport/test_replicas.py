"""Replica processes on one port (SO_REUSEPORT): connections spread over them, one killed
leaves the others serving, stop ends all of them gracefully, a replica that cannot start is
reported."""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mckm.impl.errors import UsageError
from mckm.impl.transport.http_server import HttpsServer
from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.replicas import Replicas
from tests.transport.wire import client_context, pid_echo_replica, read_all, status_of

ROOT = Path(__file__).resolve().parents[2]


def serving_pid(replicas: Replicas, identity: TlsIdentity, body: bytes = b"hi") -> int:
    """One request on a fresh connection; the id of the process that answered."""
    plain = socket.create_connection((replicas.host, replicas.port), timeout=5)
    with client_context(identity).wrap_socket(plain, server_hostname=replicas.host) as tls:
        tls.sendall(b"POST / HTTP/1.1\r\nHost: k\r\nConnection: close\r\nContent-Length: "
                    b"%d\r\n\r\n" % len(body) + body)
        answer = read_all(tls)
    assert status_of(answer) == 200 and answer.endswith(b":" + body)
    return int(answer.rpartition(b"pid:")[2].split(b":")[0])


def test_connections_spread_and_a_killed_replica_leaves_the_others_serving(
        identity: TlsIdentity) -> None:
    with Replicas(functools.partial(pid_echo_replica, identity), 3) as replicas:
        pids = {process.pid for process in replicas.processes}
        seen = {serving_pid(replicas, identity) for _ in range(40)}
        assert seen == pids  # every replica got connections (source ports hash apart)
        assert replicas.cpu_seconds() > 0  # spawn, imports, TLS: measurable in /proc
        victim = replicas.processes[0]
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(5)
        assert replicas.alive() == 2
        after = [serving_pid(replicas, identity, b"%d" % n) for n in range(20)]
        assert set(after) == pids - {victim.pid}
    assert replicas.alive() == 0


def test_stop_ends_every_replica_gracefully_and_frees_the_port(identity: TlsIdentity) -> None:
    replicas = Replicas(functools.partial(pid_echo_replica, identity), 2).start()
    serving_pid(replicas, identity)
    started = time.monotonic()
    replicas.stop()
    assert time.monotonic() - started < 8  # SIGTERM honoured, no kill after the grace
    assert [process.exitcode for process in replicas.processes] == [0, 0]
    with pytest.raises(OSError):
        socket.create_connection((replicas.host, replicas.port), timeout=2).close()
    # the port is free again: a plain server binds it
    HttpsServer(lambda peer: lambda request: None,  # type: ignore[arg-type,return-value]
                client_context(identity), identity, replicas.host, replicas.port).stop()


def refusing_replica(host: str, port: int) -> HttpsServer:
    raise UsageError("no store at /nonexistent")


def test_a_replica_that_cannot_start_is_reported_and_the_others_stopped() -> None:
    replicas = Replicas(refusing_replica, 2)
    with pytest.raises(UsageError, match="UsageError: no store at /nonexistent"):
        replicas.start()
    assert replicas.alive() == 0


def test_at_least_one_process() -> None:
    with pytest.raises(UsageError, match="at least one process"):
        Replicas(refusing_replica, 0)


PARENT = """
import functools, sys, time
from mckm.impl.transport.https_kms import make_tls_identity
from mckm.impl.transport.replicas import Replicas
from tests.transport.wire import pid_echo_replica
if __name__ == "__main__":
    replicas = Replicas(functools.partial(pid_echo_replica, make_tls_identity()), 2).start()
    print(" ".join(str(p.pid) for p in replicas.processes), flush=True)
    time.sleep(60)
"""


def test_replicas_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed parent cannot stop its replicas: they notice and stop by themselves."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2
        parent.kill()
        parent.wait()
        ends = time.monotonic() + 10
        while any(_running(pid) for pid in pids) and time.monotonic() < ends:
            time.sleep(0.1)
        assert not any(_running(pid) for pid in pids)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def _running(pid: int) -> bool:
    """``pid`` exists and is not a zombie (an orphan is reaped by init, not by us)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False
