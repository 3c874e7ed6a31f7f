"""The English dictionary: pyspellchecker's word list, British spellings included.

pyspellchecker ships an English word-frequency list with American spellings.  3GPP writes
British English, so a word is also accepted when a regular British-to-American respelling of it
is known (``organisation`` -> ``organization``, ``behaviour`` -> ``behavior``, ``centre`` ->
``center``, ``signalled`` -> ``signaled``, ``analyse`` -> ``analyze``, ``defence`` -> ``defense``,
``programme`` -> ``program``).  The dictionary is loaded once, on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Regular British -> American respellings (suffix patterns, not a word list).
_BRITISH = (
    (re.compile(r"is(e|es|ed|ing|er|ers|ation|ations|able)$"), r"iz\1"),
    (re.compile(r"ys(e|es|ed|ing|er)$"), r"yz\1"),
    (re.compile(r"([a-z]{3,})our(s|ed|ing|ite|ites|able|ful)?$"), r"\1or\2"),
    (re.compile(r"([a-z]{2,}[^aeiou])re(s|d)?$"), r"\1er\2"),
    (re.compile(r"([a-z]{3,}[ae])ll(ed|ing|er|ers|ation|ations)$"), r"\1l\2"),
    (re.compile(r"ence(s)?$"), r"ense\1"),
    (re.compile(r"ogue(s)?$"), r"og\1"),
    (re.compile(r"mme(s)?$"), r"m\1"),
)
#: Regular inflections (suffix, what replaces it in the stem): attaches -> attach.
_INFLECTIONS = (
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
    ("ly", ""),
    ("er", ""),
    ("ers", ""),
    ("ment", ""),
    ("ments", ""),
    ("ness", ""),
    ("able", ""),
    ("able", "e"),
    ("ies", "y"),
    ("ied", "y"),
)
#: Prefixes that English attaches to any word (``re-encode``, ``pre-provisioned``).
PREFIXES = (
    "re",
    "pre",
    "non",
    "sub",
    "co",
    "multi",
    "inter",
    "intra",
    "un",
    "de",
    "mis",
    "over",
    "under",
    "bi",
    "semi",
    "post",
    "anti",
    "auto",
    "cross",
    "counter",
    "super",
    "self",
    "out",
    "e",
    "end",
    "off",
    "on",
)


@lru_cache(maxsize=1)
def _checker() -> Any:
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=2)


@lru_cache(maxsize=1)
def _words() -> dict[str, int]:
    """The dictionary's words (lower case) and counts: ``w in _words()`` is ``w in checker``
    for a lower-case ``w`` without pyspellchecker's per-call key normalisation."""
    words: dict[str, int] = _checker().word_frequency.dictionary
    return words


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """Ordinary words the dictionary lacks and pseudo-code keywords (``data/common_words.yaml``:
    ``app``, ``plaintext``, ``elseif``)."""
    import yaml

    path = Path(__file__).parent / "data" / "common_words.yaml"
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return frozenset(str(w).lower() for w in [*data["words"], *data.get("keywords", ())])


@lru_cache(maxsize=65536)
def known(word: str) -> bool:
    """Whether lower-case ``word`` (or a regular British respelling of it) is an English word."""
    words = _words()
    w = word.lower().replace("’", "'")
    if w in words or w in _common():
        return True
    if w.endswith("'s") and w[:-2] in words:
        return True
    for pattern, repl in _BRITISH:
        alt = pattern.sub(repl, w)
        if alt != w and alt in words:
            return True
    for suffix, repl in _INFLECTIONS:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            stem = w[: -len(suffix)] + repl
            if stem in words or stem in _common():
                return True
    for prefix in PREFIXES:
        if w.startswith(prefix) and len(w) - len(prefix) >= 4 and w[len(prefix) :] in words:
            return True
    return False


@lru_cache(maxsize=1)
def _by_shape() -> dict[tuple[str, int], list[tuple[str, int]]]:
    """Common dictionary words by (first letter, length), most frequent first."""
    groups: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for word, count in _checker().word_frequency.items():
        if count >= 50 and word.isalpha():
            groups.setdefault((word[0], len(word)), []).append((word, count))
    for words in groups.values():
        words.sort(key=lambda wc: -wc[1])
    return groups


@lru_cache(maxsize=4096)
def correction(word: str) -> str | None:
    """A likely intended word: the most frequent one edit away (pyspellchecker's edits), else
    the most frequent common word two edits away with the same first letter."""
    from mckm.impl.lint.textutil import edit_distance

    checker = _checker()
    words = _words()
    w = word.lower()
    near = (checker.edit_distance_1(w) & words.keys()) - {w}
    if near:
        best: str = max(near, key=lambda c: (checker.word_usage_frequency(c), c))
    else:
        pool = [
            wc for n in (len(w) - 1, len(w), len(w) + 1) for wc in _by_shape().get((w[0], n), [])
        ]
        scored = [(edit_distance(w, c, 2), -n, c) for c, n in pool]
        ok = [t for t in scored if t[0] <= 2]
        if not ok:
            return None
        best = min(ok)[2]
    return best if not word[0].isupper() else best.capitalize()


@lru_cache(maxsize=65536)
def american(word: str) -> str:
    """The regular American respelling of a British ``word`` when the dictionary knows it and
    not ``word`` itself; otherwise ``word`` (``signalling`` -> ``signaling``)."""
    words = _words()
    w = word.lower()
    for pattern, repl in _BRITISH:
        alt = pattern.sub(repl, w)
        if alt != w and alt in words:
            return alt
    return word
