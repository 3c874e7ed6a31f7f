"""CPU time and peak memory of the ``mckm lint`` process on a large generated file (issue 13).

Not collected by pytest (the default test run measures 5 MB in ``test_readers.py``, the 50 MB
run is the ``slow`` test there); run::

    .venv/bin/python tests/lint/measure_large.py 50      # 50 MB: prints MB, seconds, peak RSS
    .venv/bin/python tests/lint/measure_large.py 50 /tmp/lint50.txt   # only write the text
    /usr/bin/time -v .venv/bin/mckm lint /tmp/lint50.txt > /dev/null  # the same, by time(1)

The text is :func:`mckm.bench.lint.write_corpus`: the seed contributions and every per-rule
sample of ``test_rules.py`` (defective and fixed), copied with varied numbers, misspellings and
message names.  ``mckm lint FILE`` runs in a child process (the CLI's own path, findings printed
to a pipe and counted) that reports its own figures when it exits: user + system CPU seconds of
the whole process (start-up included) and its peak resident set size, VmHWM, which must not
grow with the file.
"""

from __future__ import annotations

import re
import resource
import subprocess
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


#: The child: ``mckm lint`` on argv[1], then its own CPU seconds and peak RSS on stderr.
_CHILD = """
import atexit, resource, sys
sys.path.insert(0, {here!r})
from measure_large import peak_rss_mb
def report():
    r = resource.getrusage(resource.RUSAGE_SELF)
    print(f"figures: {{r.ru_utime + r.ru_stime:.2f}} {{peak_rss_mb()}}", file=sys.stderr)
atexit.register(report)
from mckm.impl.lint.cli import lint
lint([sys.argv[1]])
"""


def measure(path: Path) -> tuple[float, float, int, int]:
    """(wall s, CPU s, findings, peak RSS in MB) of a ``mckm lint`` process on ``path``."""
    wall = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD.format(here=str(Path(__file__).parent)), str(path)],
        capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - wall
    figures = re.search(r"figures: ([\d.]+) (\d+)", child.stderr)
    if child.returncode not in (0, 1) or figures is None:
        raise RuntimeError(f"mckm lint failed ({child.returncode}): {child.stderr[-2000:]}")
    findings = child.stdout.count("\n")
    return wall, float(figures.group(1)), findings, int(figures.group(2))


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
