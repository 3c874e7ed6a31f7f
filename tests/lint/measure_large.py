"""Time and peak memory of ``mckm lint`` on a large generated text file (issue 13).

Not collected by pytest (the default test run measures 5 MB in ``test_readers.py``); run::

    .venv/bin/python tests/lint/measure_large.py 50      # 50 MB: prints MB, seconds, peak RSS

The text is the seed contributions (``tests/data/seeds/*.txt``) repeated to the size asked.  The
linter runs in this process through the CLI's own path (``open_source`` + ``lint_source``,
findings consumed one by one as the CLI prints them); the figures are wall-clock and CPU seconds
and the peak resident set size (``resource.getrusage``), which must not grow with the file.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

SEEDS = sorted((Path(__file__).parents[1] / "data" / "seeds").glob("*.txt"))


def make_text(path: Path, megabytes: float) -> None:
    """Write the seeds repeated to ``megabytes`` MB (10^6 bytes) into ``path``."""
    seeds = b"".join(p.read_bytes() for p in SEEDS)
    with path.open("wb") as fh:
        for _ in range(int(megabytes * 1_000_000) // len(seeds) + 1):
            fh.write(seeds)


def measure(path: Path) -> tuple[float, float, int, int]:
    """(wall s, CPU s, findings, peak RSS in MB) of linting ``path``."""
    from mckm.impl.lint.engine import lint_source
    from mckm.impl.lint.readers import open_source

    wall, cpu = time.perf_counter(), time.process_time()
    findings = sum(1 for _ in lint_source(open_source(path)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, findings, peak_rss_mb()


def peak_rss_mb() -> int:
    """This process's peak resident set size: VmHWM of /proc/self/status, which belongs to the
    process image (``ru_maxrss`` keeps the parent's peak across fork and exec, so a child of a
    large test worker would report the worker's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.txt"
        make_text(path, megabytes)
        size = path.stat().st_size / 1e6
        wall, cpu, findings, peak = measure(path)
    print(f"{size:.1f} MB: {wall:.1f} s wall, {cpu:.1f} s CPU, {findings} findings, "
          f"peak RSS {peak} MB")


if __name__ == "__main__":
    main()
