"""Small text helpers shared by the rules: edit distance, nearest name, sentence starts."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LABEL_BEFORE = re.compile(r"\s*(?:\d+[a-z]?|[a-z]|[A-Z]{1,3}\d+-\d+)[.)]?")
#: the verbal forms of requirement, recommendation, permission and obligation (the drafting
#: rules of TR 21.801): informative text uses none of them
MODAL = re.compile(r"\b(shall not|shall|should not|should|may not|may|must not|must)\b")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*")


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, cut off at ``limit + 1``.

    Myers' bit-parallel algorithm as Hyyrö gives it for the edit distance ("Explaining and
    extending the bit-parallel approximate string matching algorithm of Myers", 2001): one
    column of the dynamic-programming table per character of ``b``, held as bit vectors."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if not a:
        return min(len(b), limit + 1)
    peq: dict[str, int] = {}
    for i, c in enumerate(a):
        peq[c] = peq.get(c, 0) | (1 << i)
    ones = (1 << len(a)) - 1
    high = 1 << (len(a) - 1)
    pv, mv, score = ones, 0, len(a)
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & ones)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & ones
        mh = (mh << 1) & ones
        pv = mh | (~(xv | ph) & ones)
        mv = ph & xv
    return min(score, limit + 1)


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
        or bool(_LABEL_BEFORE.fullmatch(before))
    )


def plural_stem(word: str) -> str:
    """``KMSs`` -> ``KMS``, ``KMS's`` -> ``KMS``, ``UEs`` -> ``UE``; others unchanged."""
    for suffix in ("'s", "’s", "s'", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)]
            if suffix != "s" or stem[-1].isupper():
                return stem
    return word
