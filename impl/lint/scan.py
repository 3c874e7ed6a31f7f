"""Regular expressions run over a whole document at once, their matches located by line.

Calling a regex once per line costs a Python call per line and per match object; a 50 MB file
has about 900,000 lines.  The rules therefore scan the document's text (its lines joined with
``\\n``, built once) in one call and turn each match offset into a line and column.

A pattern given to :func:`matches` must not match across a line end, so that it finds in the
joined text exactly what it finds line by line: it matches no ``\\n`` (``[^\\S\\n]`` for
``\\s``, ``[^x\\n]`` for ``[^x]``), and neither ``^`` nor ``$`` (at a line's edge, ``\\b``
and lookarounds see ``\\n`` as they see the end of a line: neither a word character nor ``-``,
``.`` or ``#``).

:func:`lines_with` is a prefilter: the lines that contain one of a few plain strings that every
match of a rule's patterns contains; the rule reads those lines one by one as before.  A plain
string is found at memory speed, while a pattern that starts with ``\\b`` or a lookbehind is
tried at every character of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from mckm.impl.lint.model import Document


def text(doc: Document) -> str:
    """The document's lines joined with ``\\n`` (built once)."""
    return _index(doc)[0]


def _index(doc: Document) -> tuple[str, list[int]]:
    cached = doc._cache.get("scan")
    if isinstance(cached, tuple) and cached[2] == len(doc.lines):
        return cached[0], cached[1]
    joined = "\n".join(doc.lines)
    starts = [0] * len(doc.lines)
    offset = 0
    for i, line in enumerate(doc.lines):
        starts[i] = offset
        offset += len(line) + 1
    doc._cache["scan"] = (joined, starts, len(doc.lines))
    return joined, starts


def matches(doc: Document, pattern: re.Pattern[str]) -> Iterator[tuple[int, int, re.Match[str]]]:
    """``(line, column, match)`` for each match of ``pattern`` in ``doc``, in text order: the
    1-based line and the 0-based column of the match's start (see the module docstring for
    which patterns may be used)."""
    joined, starts = _index(doc)
    line, next_start = 0, 0
    for m in pattern.finditer(joined):
        at = m.start()
        if at >= next_start:
            line = bisect_right(starts, at)
            next_start = starts[line] if line < len(starts) else len(joined) + 1
        yield line, at - starts[line - 1], m


def lines_with(doc: Document, needles: Iterable[str]) -> list[int]:
    """The 1-based numbers, ascending, of the lines that contain one of ``needles`` (plain
    strings without ``\\n``): a rule's prefilter, a condition every line it reports on or
    learns from must meet."""
    joined, starts = _index(doc)
    found: set[int] = set()
    last = len(starts)
    for needle in needles:
        # an ASCII needle is looked for in the text's ASCII image: one byte per character, so
        # the offsets are the same, and a byte string is searched at memory speed
        find: Callable[[int], int]
        if needle.isascii() and "?" not in needle:
            find = partial(_ascii(doc).find, needle.encode("ascii"))
        else:
            find = partial(joined.find, needle)
        at = find(0)
        while at >= 0:
            line = bisect_right(starts, at)
            found.add(line)
            if line == last:
                break
            at = find(starts[line])
    return sorted(found)


def _ascii(doc: Document) -> bytes:
    """The joined text with every non-ASCII character as ``?`` (built once)."""
    cached = doc._cache.get("ascii")
    joined = text(doc)
    if isinstance(cached, tuple) and cached[1] is joined:
        return cached[0]  # type: ignore[no-any-return]
    image = joined.encode("ascii", "replace")
    doc._cache["ascii"] = (image, joined)
    return image


def pieces(doc: Document) -> list[list[str]]:
    """Each line's whitespace-separated pieces (``str.split``), built once.  A pattern that
    matches no whitespace and whose lookarounds accept whitespace as they accept a string's
    edge finds the same matches in a piece as in its line: a rule can judge each distinct
    piece once and read only the lines that hold a piece it cares about."""
    cached = doc._cache.get("pieces")
    if isinstance(cached, tuple) and cached[1] == len(doc.lines):
        return cached[0]  # type: ignore[no-any-return]
    split = list(map(str.split, doc.lines))
    doc._cache["pieces"] = (split, len(doc.lines))
    return split


def distinct_pieces(doc: Document) -> set[str]:
    """Every piece of :func:`pieces`, once (built once)."""
    cached = doc._cache.get("distinct_pieces")
    if isinstance(cached, tuple) and cached[1] == len(doc.lines):
        return cached[0]  # type: ignore[no-any-return]
    distinct: set[str] = set().union(*pieces(doc))
    doc._cache["distinct_pieces"] = (distinct, len(doc.lines))
    return distinct


def lines_with_pieces(doc: Document, wanted: set[str]) -> list[int]:
    """The 1-based numbers, ascending, of the lines that hold one of the pieces ``wanted``."""
    if not wanted:
        return []
    return [ln for ln, split in enumerate(pieces(doc), 1) if not wanted.isdisjoint(split)]


def lines_matching_image(doc: Document, pattern: re.Pattern[bytes]) -> list[int]:
    """The 1-based numbers, ascending, of the lines on which a bytes ``pattern`` (one that
    matches no ``\\n``) matches the part's ASCII image (every non-ASCII character read as
    ``?``): a prefilter for a str pattern whose every match the image pattern also matches."""
    image = _ascii(doc)
    starts = _index(doc)[1]
    out: list[int] = []
    pos, last = 0, len(starts)
    while (m := pattern.search(image, pos)) is not None:
        line = bisect_right(starts, m.start())
        out.append(line)
        if line == last:
            break
        pos = starts[line]
    return out

