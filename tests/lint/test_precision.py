"""Precision of ``mckm lint`` on real 3GPP texts (issue 18): every finding judged, >= 90 % real.

The texts are the five seed contributions (``tests/data/seeds``) and real 3GPP texts
(``tests/data/lint_corpus``, sources in its ``SOURCE.md``).  ``judged.yaml`` holds each finding
all rules report on them, judged real or false by reading the text.  The test fails when a
finding appears that nobody judged (judge it: read the line, add it with its verdict) or a judged
one disappears (a lost real finding is a recall regression; a lost false one, a fixed rule:
remove it from the file), and when the share of real findings falls under 90 %.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from mckm.impl.lint.engine import lint_paths

DATA = Path(__file__).resolve().parents[1] / "data"
JUDGED = yaml.safe_load((DATA / "lint_corpus" / "judged.yaml").read_text(encoding="utf-8"))
FILES = sorted({entry["file"] for entry in JUDGED["findings"]})
TARGET = 0.90


def _judged(file: str) -> tuple[Counter[tuple[int, str]], Counter[str]]:
    places: Counter[tuple[int, str]] = Counter()
    verdicts: Counter[str] = Counter()
    for entry in JUDGED["findings"]:
        if entry["file"] == file:
            n = int(entry.get("n", 1))
            places[(int(entry["line"]), entry["rule"])] += n
            verdicts[entry["verdict"]] += n
    return places, verdicts


def _found(file: str) -> Counter[tuple[int, str]]:
    return Counter((f.line, f.rule) for f in lint_paths([DATA / file]))


def test_the_corpus_has_the_seeds_and_five_other_real_texts() -> None:
    assert sum(f.startswith("seeds/") for f in FILES) == 5
    assert sum(f.startswith("lint_corpus/") for f in FILES) >= 5
    assert all((DATA / f).is_file() for f in FILES)
    listed = (DATA / "lint_corpus" / "SOURCE.md").read_text(encoding="utf-8")
    assert all(Path(f).name in listed for f in FILES if f.startswith("lint_corpus/"))


@pytest.mark.parametrize("file", FILES)
def test_every_finding_is_judged(file: str) -> None:
    judged, _ = _judged(file)
    found = _found(file)
    unjudged = found - judged
    gone = judged - found
    assert not unjudged, f"{file}: findings nobody judged (add them to judged.yaml): {unjudged}"
    assert not gone, f"{file}: judged findings no longer reported: {gone}"


def test_precision_is_at_least_90_percent() -> None:
    real = total = 0
    for file in FILES:
        _, verdicts = _judged(file)
        real += verdicts["real"]
        total += verdicts["real"] + verdicts["false"]
        assert set(verdicts) <= {"real", "false"}, file
    assert total and real / total >= TARGET, f"precision {real}/{total}"
