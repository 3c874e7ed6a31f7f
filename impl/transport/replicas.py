"""Several processes serving one port: replicas of an :class:`HttpsServer` (Linux).

One Python process runs its roles under one interpreter lock, so one server uses about one
core whatever its worker threads.  A service whose state lives in its store (the SKM-S: users,
community and key sets in SQLite or PostgreSQL, a replica's write that loses a race is read
back, ``KmsRole.key_sets``) can run as several processes instead: each replica binds its own
listening socket to the same address with ``SO_REUSEPORT`` (socket(7)), and the kernel spreads
new connections over the listening sockets of that group.  A connection stays with the replica
that accepted it.  A service that keeps state in memory must not be replicated this way: the
ticket KMS's replay cache (REQ-TKT-11) would be split, and a message replayed to another
replica would be accepted; it stays one process.

:class:`Replicas` reserves the port in the parent (a socket bound with ``SO_REUSEPORT`` but
not listening, so it holds the port and is given no connection), starts ``processes`` spawned
children that each build their service with ``build(host, *ports)`` and report ready, and stops
them with SIGTERM, on which each stops its server gracefully (:meth:`HttpsServer.stop`); a
replica whose parent is gone (killed) stops the same way.  A replica that dies takes only the
connections it had accepted; the kernel gives new ones to the replicas left.  ``build`` must
be picklable (a module-level function, or a ``functools.partial`` of one with picklable
arguments).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Protocol, Self

from mckm.impl.errors import UsageError


class Service(Protocol):
    """What a replica runs: an :class:`~mckm.impl.transport.http_server.HttpsServer`, or a
    service of several (a ticket KMS's Ua and Zk endpoints)."""

    def start(self) -> object: ...
    def stop(self) -> None: ...


#: (host, port, ...) -> the service of one replica, its listening sockets bound to those ports
#: with ``reuse_port=True``, not started.
Build = Callable[..., Service]
#: seconds a replica may take to build its server and start listening
START_TIMEOUT = 60.0


def reserve_port(host: str, port: int = 0) -> socket.socket:
    """A socket bound to ``host``:``port`` (0: any free port) with ``SO_REUSEPORT`` and not
    listening: it keeps the port for the replicas' group and takes no connection."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _serve(build: Build, host: str, ports: tuple[int, ...], ready: Connection,
           parent: int) -> None:
    """A replica's main: build and start the server, say so, serve until SIGTERM or until the
    parent process is gone (killed: nobody would stop this replica), stop."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when replicas end
    try:
        server = build(host, *ports)
        server.start()
    except Exception as error:  # reported to the parent by type, never as a traceback
        ready.send(f"failed: {type(error).__name__}: {error}")
        ready.close()
        return
    ready.send("ready")
    ready.close()
    try:
        while not stop.wait(0.2) and os.getppid() == parent:
            pass
    finally:
        server.stop()


class Replicas:
    """``processes`` replicas of the service ``build`` makes, on ``host`` and ``ports`` (0: a
    free port, known once constructed; ``port`` is the first); a context manager, or
    :meth:`start` / :meth:`stop`."""

    def __init__(self, build: Build, processes: int, host: str = "127.0.0.1",
                 ports: tuple[int, ...] = (0,)) -> None:
        if processes < 1:
            raise UsageError(f"replicas: at least one process, not {processes}")
        if not ports:
            raise UsageError("replicas: at least one port")
        self.build, self.count, self.host = build, processes, host
        self._reserved: list[socket.socket] = []
        try:
            for port in ports:
                self._reserved.append(reserve_port(host, port))
        except OSError:
            for sock in self._reserved:
                sock.close()
            raise
        self.ports = tuple(int(sock.getsockname()[1]) for sock in self._reserved)
        self.port = self.ports[0]
        self.processes: list[multiprocessing.process.BaseProcess] = []

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Start every replica and wait until each listens; if one fails, stop the others and
        raise UsageError with its reason."""
        context = multiprocessing.get_context("spawn")
        pipes: list[Connection] = []
        for number in range(self.count):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_serve, name=f"mckm-replica-{number}",
                                      args=(self.build, self.host, self.ports, send,
                                            os.getpid()),
                                      daemon=True)
            process.start()
            send.close()
            self.processes.append(process)
            pipes.append(receive)
        failures = []
        for started, pipe in zip(self.processes, pipes, strict=True):
            answer = pipe.recv() if pipe.poll(timeout) else "failed: no answer in time"
            pipe.close()
            if answer != "ready":
                failures.append(f"{started.name} {answer}")
        if failures:
            self.stop()
            raise UsageError("replicas did not start: " + "; ".join(failures))
        return self

    def alive(self) -> int:
        """Replicas running now."""
        return sum(process.is_alive() for process in self.processes)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the running replicas have used so far (Linux
        ``/proc/<pid>/stat``, proc(5)); for the load benchmarks' cost per request."""
        total = 0
        for process in self.processes:
            try:
                with open(f"/proc/{process.pid}/stat", "rb") as stat:
                    fields = stat.read().rpartition(b")")[2].split()
            except OSError:  # ended meanwhile
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to every replica (each stops its server gracefully); one still running
        after ``grace`` seconds is killed.  The port is released."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(grace)
            if process.is_alive():
                process.kill()
                process.join()
        for sock in self._reserved:
            sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Build", "Replicas", "Service", "reserve_port"]
