"""The ticket CLI's server processes for tests: started from a config file, ready when they
write their ports (``mckm.impl.roles.ticket.cli``: ``bsf-serve``, ``kms-serve``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "mckm.impl.roles.ticket.cli"]
READY_TIMEOUT = 30.0


def spawn(d: Path, name: str, command: str, config: str) -> subprocess.Popen[bytes]:
    """``command`` run on the config ``config`` (written to ``d/name.json``), its output in
    ``d/name.log``."""
    config_file = d / f"{name}.json"
    config_file.write_text(config)
    with (d / f"{name}.log").open("wb") as log:
        return subprocess.Popen([*CLI, command, "--config", str(config_file)], stdout=log,
                                stderr=subprocess.STDOUT)


def ready(d: Path, name: str, proc: subprocess.Popen[bytes]) -> dict[str, int]:
    """The ports ``name`` wrote once serving (``d/name.ready``); fails the test with its log if
    it ended or took longer than :data:`READY_TIMEOUT`."""
    marker = d / f"{name}.ready"
    deadline = time.monotonic() + READY_TIMEOUT
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            log = (d / f"{name}.log").read_text(errors="replace")
            pytest.fail(f"{name} did not become ready (exit {proc.poll()}):\n{log[-2000:]}")
        time.sleep(0.05)
    ports: dict[str, int] = json.loads(marker.read_text())
    return ports
