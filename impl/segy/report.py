"""The simulator's counts as a text table, CSV or JSON (one row per approach)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping

from mckm.impl.segy.simulator import METRICS

Results = Mapping[int, Mapping[str, int]]


def text_table(results: Results) -> str:
    """A fixed-width table: a row per count, a column per approach."""
    numbers = list(results)
    width = max(len(m) for m in METRICS)
    cols = [max(8, *(len(f"{results[a][m]:,}") for m in METRICS)) for a in numbers]
    head = f"{'count':<{width}}  " + "  ".join(
        f"{'approach ' + str(a):>{w}}" for a, w in zip(numbers, cols, strict=True))
    lines = [head, "-" * len(head)]
    for m in METRICS:
        lines.append(f"{m:<{width}}  " + "  ".join(
            f"{results[a][m]:>{w},}" for a, w in zip(numbers, cols, strict=True)))
    return "\n".join(lines)


def to_csv(results: Results, sizes: Mapping[str, int]) -> str:
    """CSV: the sizes, the approach, then every count (a row per approach)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*sizes, "approach", *METRICS])
    for a, row in results.items():
        writer.writerow([*sizes.values(), a, *(row[m] for m in METRICS)])
    return out.getvalue()


def to_json(results: Results, sizes: Mapping[str, int]) -> str:
    return json.dumps({"sizes": dict(sizes), "metrics": METRICS,
                       "approaches": {str(a): dict(row) for a, row in results.items()}},
                      indent=2)
