"""Plots of each count against the number of external users, one line per approach
(matplotlib, written as PNG and SVG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mckm.impl.segy.simulator import METRICS

#: users -> approach -> count -> value
Sweep = Mapping[int, Mapping[int, Mapping[str, int]]]


def plot(sweep: Sweep, out_dir: Path, metrics: Sequence[str] = tuple(METRICS)) -> list[Path]:
    """One figure per count in ``out_dir`` (``segy-<count>.png`` and ``.svg``); the paths
    written.  Log-log axes: the approaches differ by orders of magnitude."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    users = sorted(sweep)
    approaches = list(next(iter(sweep.values())))
    written = []
    for metric in metrics:
        fig, ax = plt.subplots(figsize=(6, 4))
        for i, a in enumerate(approaches):  # markers and dashes tell overlapping lines apart
            ax.plot(users, [max(sweep[n][a][metric], 0.5) for n in users],
                    marker="osD^v"[i % 5], linestyle=("-", "--", ":", "-.")[i % 4],
                    label=f"approach {a}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("external users N")
        ax.set_ylabel(metric)
        ax.set_title(METRICS[metric], fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        for ext in ("png", "svg"):
            path = out_dir / f"segy-{metric}.{ext}"
            fig.savefig(path, metadata={"Date": None} if ext == "svg" else None)
            written.append(path)
        plt.close(fig)
    return written
