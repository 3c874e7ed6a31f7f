"""Labels of one list share one style and count up without gaps.

A list is the run of labels of one kind (``1.``/``Step 1:`` numbers, ``a)`` letters, ``A1-1``
codes) within one clause.  Reported (warning): a label whose punctuation differs from the rest
of its list (``7`` among ``6.`` and ``8.``, ``A4-1.`` among ``A4-2``), and numbers or letters
that skip or repeat (``1.``, ``2.``, ``4.``).  Ranges (``1-5.``) and sub-steps (``3a``, ``3b``)
count as the numbers they name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.structure import Label, structure

ID = "list-labels"


def _kind(label: Label) -> str:
    return "number" if label.kind in ("step", "number") else label.kind


def _style(label: Label) -> str:
    return f"{'Step ' if label.kind == 'step' else ''}n{label.suffix}"


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    lists: dict[tuple[int, str, str], list[Label]] = {}
    for lb in st.labels:
        series = re.sub(r"\d+$", "", lb.text) if lb.kind == "code" else ""
        lists.setdefault((lb.clause, _kind(lb), series), []).append(lb)
    for (_, kind, _), labels in lists.items():
        if len(labels) < 2:
            continue
        styles = Counter(_style(lb) for lb in labels)
        if len(styles) > 1:
            common, _ = styles.most_common(1)[0]
            for lb in labels:
                if _style(lb) != common:
                    yield finding(
                        doc,
                        ID,
                        "warning",
                        lb.line,
                        lb.column,
                        f"label '{lb.text}{lb.suffix}' is styled '{_style(lb)}' in a "
                        f"list styled '{common}'",
                        common.replace("n", lb.text if lb.kind != "step" else lb.values[0], 1),
                    )
        yield from _sequence(doc, kind, labels)


def _ordinal(value: str, kind: str) -> tuple[int, str] | None:
    if kind == "alpha":
        return (ord(value) - ord("a") + 1, "")
    m = re.fullmatch(r"(?:[A-Z]{1,3}\d+-)?(\d+)([a-z]?)", value)
    return (int(m.group(1)), m.group(2)) if m else None


def _sequence(doc: Document, kind: str, labels: list[Label]) -> Iterator[Finding]:
    prev: tuple[int, str] | None = None
    for lb in labels:
        for value in lb.values:
            cur = _ordinal(value, kind)
            if cur is None:
                continue
            if prev is not None:
                ok = (
                    cur == (prev[0] + 1, "")
                    or cur == (prev[0] + 1, "a")
                    or (
                        cur[0] == prev[0] and prev[1] and cur[1] and ord(cur[1]) == ord(prev[1]) + 1
                    )
                )
                if not ok:
                    yield finding(
                        doc,
                        ID,
                        "warning",
                        lb.line,
                        lb.column,
                        f"label {lb.text} follows {_show(prev, kind)}",
                        f"{_show((prev[0] + 1, ''), kind)}",
                    )
            prev = cur
        if prev is None:
            continue


def _show(value: tuple[int, str], kind: str) -> str:
    if kind == "alpha":
        return chr(ord("a") + value[0] - 1)
    return f"{value[0]}{value[1]}"
