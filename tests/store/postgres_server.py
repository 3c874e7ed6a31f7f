"""A real PostgreSQL server for the store tests, started from the Debian binaries in a temporary
folder: ``initdb`` (run as the unprivileged ``postgres`` user when we are root: it refuses
root), then ``pg_ctl start`` on a free loopback port and a unix socket in the same folder.

The superuser ``mckm`` has a password (scram-sha-256 over TCP), so the tests see a URL with a
password and can check that no message shows it.  ``fsync=off``: the tests kill KMS replicas,
never this server.  Without the binaries the tests skip, and fail under ``CI=true``
(``require_tool``).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.conftest import require_tool

SUPERUSER = "mckm"


def _bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` (Debian), else ``initdb`` on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(require_tool(found[-1] if found else "initdb")).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running server; :meth:`new_database` gives each test a database of its own."""

    root: Path
    port: int
    password: str
    _as_user: list[str] = field(default_factory=list)
    _bin: Path = Path()
    _count: int = 0

    def url(self, database: str, password: str | None = None) -> str:
        return (f"postgresql://{SUPERUSER}:{self.password if password is None else password}"
                f"@127.0.0.1:{self.port}/{database}")

    def new_database(self) -> str:
        """A fresh empty database (ICU collation en-US, where "B" sorts after "a", unlike byte
        order) and its URL."""
        self._count += 1
        name = f"kms{os.getpid()}_{self._count}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                         "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'".encode())
        return self.url(name)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self._as_user, str(self._bin / "pg_ctl"), "-D",
                               str(self.root / "data"), *args], capture_output=True, check=False)

    def crash(self) -> None:
        """Stop the server at once (``-m immediate``: clients see their connections cut)."""
        self._pg_ctl("-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        """Start the stopped server again on the same port."""
        started = self._pg_ctl("-l", str(self.root / "log"), "-w", "-t", "30", "-o",
                               _options(self.root, self.port), "start")
        assert started.returncode == 0, started.stderr.decode()

    def stop(self) -> None:
        self.crash()
        shutil.rmtree(self.root, ignore_errors=True)


def _options(root: Path, port: int) -> str:
    return (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c log_error_verbosity=terse -c max_connections=200")


def start() -> PostgresServer:
    """Initialise and start a server in a new folder under the system's temporary folder (the
    ``postgres`` user must be able to enter it, which pytest's root-only folders do not allow)."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="mckm-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            raise RuntimeError("running as root, and no 'postgres' user to run initdb as "
                               "(the Debian postgresql package creates it)") from None
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = [require_tool("runuser"), "-u", "postgres", "--"]
    password = secrets.token_hex(12)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if as_user:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    data = root / "data"
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                    f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                    "-E", "UTF8", "--no-locale", "--no-sync"],
                   capture_output=True, check=True)
    for _ in range(3):  # another process may take the free port before the server binds it
        port = _free_port()
        started = subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
             "-w", "-t", "30", "-o", _options(root, port), "start"],
            capture_output=True, check=False)
        if started.returncode == 0:
            return PostgresServer(root, port, password, as_user, bin_dir)
    log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {started.stderr.decode()} {log[-1500:]}")
