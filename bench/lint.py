"""``mckm lint`` throughput, and the large contribution text it is measured on (issue 13).

:func:`write_corpus` builds a text of any size from the five seed contributions of a checkout
(``tests/data/seeds/*.txt``) and any extra texts given (the test suite adds its per-rule
samples), copied over and over with every copy changed, so that no cache makes a copy free:

* each short number standing alone (a clause number's first part, a step, a change, a
  reference label) moves by the copy's offset (``7.8.1`` -> ``9.8.1``, ``[6]`` -> ``[8]``),
  so headings, steps and references differ from copy to copy;
* a few long words get two inner letters swapped (``signalling`` -> ``sigalnling``): new
  misspellings in every copy, each looked up and given a suggestion by rule ``spelling``;
* one message name gets a letter dropped (``RESOLVE_RESP`` -> ``RESOLVE_RSP``).

The copies are separated by a blank line; the text is UTF-8.  The benchmark
``lint-throughput`` lints such a 1 MB file through the CLI's own path (``open_source`` and
``lint_source``, findings consumed one by one): one operation is one MB, so ops/s is MB/s.  It
alternates between :data:`FILES` different files, each linted once by the setup: the per-word
caches (dictionary look-ups, suggested corrections) are warm, as they are a few MB into a large
file, while every part is still tokenised, scanned and analysed anew.

The 50 MB run of issue 13 is ``tests/lint/measure_large.py`` (it adds the test suite's
per-rule samples to the seeds).
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from mckm.bench.registry import benchmark

#: The seed contributions of a checkout (the benchmark needs one; a wheel does not ship them).
SEEDS = Path(__file__).resolve().parents[1] / "tests" / "data" / "seeds"
#: Distinct 1 MB files the benchmark alternates between.
FILES = 2

_SHORT_NUMBER = re.compile(r"(?<![\w.])\d{1,2}(?!\w)")
_LONG_WORD = re.compile(r"\b[a-z]{8,}\b")
_MESSAGE = re.compile(r"\b[A-Z]+_[A-Z_]+\b")
_SWAPS_PER_COPY = 4


def seed_texts() -> list[str]:
    """The seed contributions' texts; a clear error outside a checkout."""
    paths = sorted(SEEDS.glob("*.txt"))
    if not paths:
        raise FileNotFoundError(f"{SEEDS}: no seed contributions (the benchmark needs a checkout)")
    return [p.read_text(encoding="utf-8") for p in paths]


def vary(text: str, copy: int) -> str:
    """Copy number ``copy`` of ``text``: numbers moved, words and one message name misspelled."""
    rng = random.Random(copy)
    offset = copy % 17
    text = _SHORT_NUMBER.sub(lambda m: str(int(m.group()) + offset), text)
    words = list(_LONG_WORD.finditer(text))
    chosen = sorted(rng.sample(words, min(_SWAPS_PER_COPY, len(words))), key=lambda m: m.start())
    names = list(_MESSAGE.finditer(text))
    if names:
        chosen.append(rng.choice(names))
        chosen.sort(key=lambda m: m.start())
    out, last = [], 0
    for m in chosen:
        if m.start() < last:
            continue
        word = m.group()
        i = rng.randrange(1, len(word) - 2)
        if "_" in word:  # drop a letter of a message name
            changed = word[:i] + word[i + 1 :] if word[i] != "_" else word[:-1]
        else:  # swap two inner letters of a word
            changed = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        out += [text[last : m.start()], changed]
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def copies(texts: Iterable[str], first: int = 0) -> Iterator[str]:
    """Varied copies of the concatenated ``texts``, numbered from ``first``, without end."""
    whole = "\n\n".join(t.strip("\n") for t in texts) + "\n\n"
    copy = first
    while True:
        yield vary(whole, copy)
        copy += 1


def write_corpus(path: Path, megabytes: float, extra: Iterable[str] = (), first: int = 0) -> int:
    """Write at least ``megabytes`` MB (10^6 bytes) of varied seed copies (and ``extra`` texts)
    into ``path``; the number of bytes written."""
    target, written = int(megabytes * 1_000_000), 0
    with path.open("wb") as fh:
        for text in copies([*seed_texts(), *extra], first):
            data = text.encode("utf-8")
            fh.write(data)
            written += len(data)
            if written >= target:
                return written
    raise AssertionError("unreachable")  # pragma: no cover


def _lint(path: Path) -> int:
    from mckm.impl.lint.engine import lint_source
    from mckm.impl.lint.readers import open_source

    return sum(1 for _ in lint_source(open_source(path)))


@benchmark("lint-throughput", "mckm lint over 1 MB of varied seed contributions (ops/s = MB/s)")
def lint_setup() -> Callable[[], object]:
    tmp = tempfile.TemporaryDirectory(prefix="mckm-bench-lint-")
    paths = []
    for k in range(FILES):
        path = Path(tmp.name) / f"corpus{k}.txt"
        write_corpus(path, 1.0, first=1000 * k)
        paths.append(path)
    turn = iter(range(sys.maxsize))

    def run() -> int:
        return _lint(paths[next(turn) % FILES])

    weakref.finalize(run, tmp.cleanup)  # the files live as long as the operation
    for path in paths:  # the dictionary, the rules' tables and per-word caches, untimed
        _lint(path)
    return run

