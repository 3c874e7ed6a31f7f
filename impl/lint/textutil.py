"""Small text helpers shared by the rules: edit distance, nearest name, sentence starts."""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*")


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, cut off at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def nearest(name: str, candidates: Iterable[str], limit: int = 2) -> str | None:
    """The candidate closest to ``name`` within ``limit`` edits (ties: alphabetical)."""
    best: tuple[int, str] | None = None
    for cand in candidates:
        d = edit_distance(name, cand, limit)
        if d <= limit and (best is None or (d, cand) < best):
            best = (d, cand)
    return best[1] if best else None


def sentence_start(line: str, col0: int) -> bool:
    """True if the word at 0-based ``col0`` starts a sentence (or the line)."""
    before = line[:col0].rstrip(" \t\"“'(‘")
    return (
        not before
        or before[-1] in ".:;!?·•-–—*"
        or bool(re.fullmatch(r"\s*(?:\d+[a-z]?|[a-z]|[A-Z]{1,3}\d+-\d+)[.)]?", before))
    )


def plural_stem(word: str) -> str:
    """``KMSs`` -> ``KMS``, ``KMS's`` -> ``KMS``, ``UEs`` -> ``UE``; others unchanged."""
    for suffix in ("'s", "’s", "s'", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)]
            if suffix != "s" or stem[-1].isupper():
                return stem
    return word
