"""A seed's proposed text: its clauses with corrections marked, each change with its reason.

A change list (``spec/proposed/NNN.yaml``) names the seed file, the clauses to bring (each by
the seed's line where it starts and the line before which it ends, matched as text) and the
changes, each an ``old`` text that occurs exactly once in its clause, the ``new`` text, the
reason (``why``) and what decided it (``see``: requirement ids and spec pages).  Loading checks
all of that against the seed text and names the change that does not fit: a change list that
no longer matches its seed stops the build instead of marking the wrong words.

:func:`diff_runs` splits a change into what stays, what is deleted and what is inserted, word
by word (:mod:`difflib`), so that a delegate sees the words that changed, as Word's compare does.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from mckm.impl.errors import UsageError

Kind = Literal["same", "del", "ins"]
#: a word with the spaces before it: the unit of the word diff
_TOKEN = re.compile(r"\s*\S+|\s+")
#: a list marker alone on a line of the seed's text export
_MARKER = re.compile(r"-|·|\d+(?:-\d+)?\.?|NOTE(?: \d+)?:")


@dataclass(frozen=True)
class Change:
    """One correction: ``old`` becomes ``new`` in clause ``clause``; its number on the page."""

    number: int
    clause: str
    old: str
    new: str
    why: str
    see: tuple[str, ...]


@dataclass(frozen=True)
class Clause:
    """A clause of the seed as the target TS/TR numbers it, with the seed's lines."""

    number: str
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    """A seed's clauses and the changes to them."""

    seed: str
    target: str
    title: str
    clauses: tuple[Clause, ...]
    changes: tuple[Change, ...]

    def changes_in(self, clause: Clause) -> list[Change]:
        return [c for c in self.changes if c.clause == clause.number]


@dataclass(frozen=True)
class Piece:
    """A stretch of a paragraph: kept, deleted or inserted, and the change it belongs to."""

    kind: Kind
    text: str
    change: Change | None = None


def _field(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or (not value and key != "new"):
        raise UsageError(f"{where}: '{key}' must be a non-empty string")
    return value


def _same_line(line: str, wanted: str) -> bool:
    """Equal up to spacing: the seed's text export has no-break spaces ("TR 21.905")."""
    return line.split() == wanted.split()


def _clause(seed_lines: Sequence[str], entry: dict[str, Any], where: str,
            after: int) -> tuple[Clause, int]:
    """The clause whose first line is ``from``, searched from line ``after`` on (clauses are
    listed in reading order, so a line the seed repeats names the next one), up to the line
    ``to``; and the line where it stopped."""
    number, first, end = (_field(entry, k, where) for k in ("number", "from", "to"))
    start = next((i for i in range(after, len(seed_lines))
                  if _same_line(seed_lines[i], first)), None)
    if start is None:
        raise UsageError(f"{where}: no 'from' line {first!r} in the seed after the clause "
                         "before it")
    stop = next((i for i in range(start + 1, len(seed_lines))
                 if _same_line(seed_lines[i], end)), None)
    if stop is None:
        raise UsageError(f"{where}: 'to' line {end!r} does not follow the 'from' line")
    clause = Clause(number, str(entry.get("title", "")), tuple(paragraphs(seed_lines[start:stop])))
    return clause, stop


def paragraphs(lines: Sequence[str]) -> Iterator[str]:
    """The seed's lines as paragraphs: a list marker alone on its line ("-", "3.", "1-5.")
    joins the line after it, as the Word original shows it; blank lines go."""
    marker = ""
    for line in (x.strip() for x in lines):
        if _MARKER.fullmatch(line):
            marker = f"{marker}{line} "
        elif line:
            yield marker + line
            marker = ""
    if marker:
        yield marker.strip()


def load(changes_file: Path, seed_dir: Path) -> Proposal:
    """The proposal of ``changes_file``; :class:`UsageError` naming the entry that does not
    fit its seed (a missing file, a clause not found, an ``old`` text not exactly once)."""
    try:
        data = yaml.safe_load(changes_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise UsageError(f"{changes_file}: cannot read the change list: {e}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{changes_file}: a change list is a mapping (seed, clauses, changes)")
    seed = _field(data, "seed", str(changes_file))
    try:
        seed_lines = (seed_dir / seed).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{changes_file}: cannot read the seed {seed}: {e}") from None
    found: list[Clause] = []
    after = 0
    for i, entry in enumerate(data.get("clauses") or [], start=1):
        read, after = _clause(seed_lines, entry, f"{changes_file}: clause {i}", after)
        found.append(read)
    clauses = tuple(found)
    by_number = {c.number: c for c in clauses}
    changes: list[Change] = []
    last = (-1, -1, -1)
    for i, entry in enumerate(data.get("changes") or [], start=1):
        where = f"{changes_file}: change {i}"
        target = by_number.get(_field(entry, "clause", where))
        if target is None:
            raise UsageError(f"{where}: no clause {entry['clause']!r} in the list")
        old, new = _field(entry, "old", where), _field(entry, "new", where)
        times = sum(line.count(old) for line in target.lines)
        if times != 1:
            raise UsageError(f"{where}: 'old' text {old!r} occurs {times} times in clause "
                             f"{target.number} (it must occur once)")
        at = next((clauses.index(target), n, line.index(old))
                  for n, line in enumerate(target.lines) if old in line)
        if at < last:
            raise UsageError(f"{where}: changes are listed in reading order; this one comes "
                             f"before change {i - 1}")
        last = at
        see = entry.get("see") or []
        changes.append(Change(i, target.number, old, new, _field(entry, "why", where),
                              tuple(str(s) for s in see)))
    return Proposal(seed, _field(data, "target", str(changes_file)),
                    _field(data, "title", str(changes_file)), clauses, tuple(changes))


def diff_runs(change: Change) -> list[Piece]:
    """``change`` word by word: the words it keeps, deletes and inserts, in reading order."""
    a, b = _TOKEN.findall(change.old), _TOKEN.findall(change.new)
    out: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(Piece("same", "".join(a[i1:i2])))
            continue
        gone, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        # the space both start with is kept text, so marks start at the word
        space = len(gone) - len(gone.lstrip()) if gone and added else 0
        space = min(space, len(added) - len(added.lstrip()))
        if space:
            out.append(Piece("same", gone[:space]))
        if gone[space:]:
            out.append(Piece("del", gone[space:], change))
        if added[space:]:
            out.append(Piece("ins", added[space:], change))
    return out


def paragraph(line: str, changes: Sequence[Change]) -> Iterator[Piece]:
    """The pieces of one seed line with the changes that fall in it marked."""
    rest = line
    while rest:
        hits = [(rest.find(c.old), c) for c in changes if c.old in rest]
        if not hits:
            yield Piece("same", rest)
            return
        at, change = min(hits, key=lambda h: h[0])
        if at:
            yield Piece("same", rest[:at])
        yield from diff_runs(change)
        rest = rest[at + len(change.old):]


def accepted(pieces: Sequence[Piece]) -> str:
    """The text with every change accepted."""
    return "".join(p.text for p in pieces if p.kind != "del")


def rejected(pieces: Sequence[Piece]) -> str:
    """The text with every change rejected: the seed's."""
    return "".join(p.text for p in pieces if p.kind != "ins")
