"""`mckm kms serve --processes 2`: two replica processes on one port and one store serve every
user the same keys; after `kill -9` of one of them the other serves alone; SIGTERM to the
command stops every replica."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import time
from pathlib import Path

from tests.store.replicas import deploy

USERS = [f"sip:user{i}@example.org" for i in range(6)]


def _replicas(pid: int) -> list[int]:
    """The spawned replica processes of ``pid`` (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children
            if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_two_processes_serve_one_store_and_survive_a_kill(tmp_path: Path) -> None:
    dep = deploy(tmp_path, str(tmp_path / "kms.db"), USERS)
    served = dep.ready(dep.spawn("pair", processes=2))
    try:
        replicas = _replicas(served.proc.pid)
        assert len(replicas) == 2
        first = {user: dep.keyprov(served, user) for user in USERS}
        os.kill(replicas[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        # connections the kernel queued at the dead replica's listener are reset (socket(7)
        # SO_REUSEPORT): a client sees that once, as a client of any dead server would
        while not _gone(replicas[0]) or not _connects(served.port, served.ca_pem, 5):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        again = {user: dep.keyprov(served, user) for user in USERS}
        assert again == first  # the same key sets, issued once, from the store
        assert _replicas(served.proc.pid) == replicas[1:]
    finally:
        dep.stop()
    assert served.proc.returncode == 0, served.log.read_text()[-2000:]
    assert all(_gone(pid) for pid in replicas)


def _connects(port: int, ca_pem: bytes, times: int) -> bool:
    """``times`` TLS handshakes in a row succeed."""
    context = ssl.create_default_context(cadata=ca_pem.decode())
    try:
        for _ in range(times):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                    context.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
    except OSError:
        return False
    return True


def _gone(pid: int) -> bool:
    """``pid`` has exited (no process, or a zombie not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True
