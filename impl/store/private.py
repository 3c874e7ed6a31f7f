"""Files that hold key material: created owner-only (0600), refused if others can read them."""

from __future__ import annotations

import os
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
