"""Files that hold key material: created owner-only (0600), refused if others can read them;
and the SQLite connection the stores open on such a file."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from mckm.impl.errors import UsageError


def create_private(path: Path, what: str) -> None:
    """Create ``path`` with mode 0600 if missing; refuse an existing file others can read."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
    if mode & 0o077:
        raise UsageError(f"{path} holds {what} but is readable by others (mode {mode:o}); "
                         f"chmod 600 it")


def exposure(path: str) -> str | None:
    """Why others could read the SQLite file ``path`` or its journals (the first file found
    with a group or other bit), or None: what a store checks while it runs (REQ-SKMS-40)."""
    if path == ":memory:":
        return None
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            return f"{os.path.basename(name)} has mode {mode:o}, not 600"
    return None


def connect_private(path: str, what: str) -> sqlite3.Connection:
    """A SQLite connection (autocommit, shareable between threads under the caller's lock) on
    the owner-only file ``path``, or a private in-memory database for ``:memory:``."""
    if path != ":memory:":
        create_private(Path(path), what)
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)
