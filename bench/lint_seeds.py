"""``mckm lint`` on the five seed contributions, as an editor runs it: one process each time.

Issue 18 asks for the five seeds in under 1 s with every rule on.  What an editor waits for is a
whole ``mckm lint`` process: interpreter start, imports (the model-aware rules read the grammar
and the MIKEY procedure models), the dictionary, and the rules over the five files.  The
benchmark ``lint-seeds`` times exactly that, a fresh ``mckm lint`` process per operation
(ops/s = runs/s; 1/ops is the seconds an editor waits).  ``lint-seeds-warm`` times the rules
alone in a process that has linted them before (caches and imports warm), the part a
long-running editor plug-in would pay.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from mckm.bench.lint import SEEDS
from mckm.bench.registry import benchmark


def _seeds() -> list[Path]:
    paths = sorted(SEEDS.glob("*.txt"))
    if len(paths) != 5:
        raise FileNotFoundError(f"{SEEDS}: the five seed contributions are needed (a checkout)")
    return paths


@benchmark("lint-seeds", "one mckm lint process over the five seeds, every rule (ops/s = runs/s)",
           instructions=False)
def lint_seeds_process() -> Callable[[], object]:
    # what the `mckm` console script runs (project.scripts: mckm.impl.cli:main)
    entry = "import sys; from mckm.impl.cli import main; sys.argv[0] = 'mckm'; main()"
    command = [sys.executable, "-c", entry, "lint", *map(str, _seeds())]

    def run() -> int:
        done = subprocess.run(command, capture_output=True, check=False)
        if done.returncode not in (0, 1):  # 1: findings (the seeds have errors)
            raise RuntimeError(f"mckm lint failed: {done.stderr.decode(errors='replace')}")
        return done.returncode

    run()  # the interpreter's bytecode caches, untimed
    return run


@benchmark("lint-seeds-warm", "the rules over the five seeds in a warm process (ops/s = runs/s)")
def lint_seeds_warm() -> Callable[[], object]:
    from mckm.impl.lint.engine import lint_paths

    paths = _seeds()

    def run() -> int:
        return len(lint_paths(paths))

    run()  # imports, dictionary, per-word caches
    return run
