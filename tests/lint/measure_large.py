"""Time and peak memory of ``mckm lint`` on a large generated text file (issue 13).

Not collected by pytest (the default test run measures 5 MB in ``test_readers.py``, the 50 MB
run is the ``slow`` test there); run::

    .venv/bin/python tests/lint/measure_large.py 50      # 50 MB: prints MB, seconds, peak RSS
    .venv/bin/python tests/lint/measure_large.py 50 /tmp/lint50.txt   # only write the text
    /usr/bin/time -v .venv/bin/mckm lint /tmp/lint50.txt > /dev/null  # the CLI process's figures

The text is :func:`mckm.bench.lint.write_corpus`: the seed contributions and every per-rule
sample of ``test_rules.py`` (defective and fixed), copied with varied numbers, misspellings and
message names.  The linter runs in this process through the CLI's own path (``open_source`` +
``lint_source``, findings consumed one by one as the CLI prints them); the figures are
wall-clock and CPU seconds and the peak resident set size, which must not grow with the file.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from mckm.bench.lint import write_corpus


def samples() -> list[str]:
    """The per-rule texts of ``test_rules.py``, the defective and the fixed one."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_rules import CASES

    return [text for bad, _, _, good in CASES.values() for text in (bad, good)]


def make_text(path: Path, megabytes: float) -> int:
    """Write the corpus of ``megabytes`` MB into ``path``; its size in bytes."""
    return write_corpus(path, megabytes, samples())


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
    if len(sys.argv) > 2:
        size = make_text(Path(sys.argv[2]), megabytes)
        print(f"{sys.argv[2]}: {size / 1e6:.1f} MB")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.txt"
        size = make_text(path, megabytes) / 1e6
        wall, cpu, findings, peak = measure(path)
    print(f"{size:.1f} MB: {wall:.1f} s wall, {cpu:.1f} s CPU, {findings} findings, "
          f"peak RSS {peak} MB")


if __name__ == "__main__":
    main()
