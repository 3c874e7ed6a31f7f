"""The ignore file: findings an editor has reviewed and accepted.

One entry per line; ``#`` starts a comment (the reason), blank lines are skipped::

    # rule-id   [file-glob[:line]]   [# reason]
    spelling     seeds/003_*.txt:233  # "forfilling" is quoted from the source
    placeholder  *                    # draft pCRs keep x-numbers
    *            draft.txt:12
    term-variants /MC [Dd]omain/      # a pattern on the message text

The rule id may be ``*`` (any rule).  The second field is either a file glob (matched against the
path as given and against its base name) with an optional ``:line``, or a regular expression
between slashes that is searched in the finding's message.  Without a second field the rule is
ignored everywhere.  By default ``.mckmlintignore`` in the current directory is read.  A rule id
that no rule has is refused (exit status 2) with the file, line and id.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePath

from mckm.impl.errors import UsageError
from mckm.impl.lint.model import Finding
from mckm.impl.lint.rules import all_rules

DEFAULT_NAME = ".mckmlintignore"


@dataclass(frozen=True)
class IgnoreEntry:
    """One line of an ignore file."""

    rule: str
    glob: str | None = None
    line: int | None = None
    pattern: re.Pattern[str] | None = None

    def matches(self, f: Finding) -> bool:
        if self.rule not in ("*", f.rule):
            return False
        if self.pattern is not None:
            return bool(self.pattern.search(f.message))
        if self.glob is not None:
            name = PurePath(f.file).name
            if not (fnmatch.fnmatch(f.file, self.glob) or fnmatch.fnmatch(name, self.glob)):
                return False
        return self.line is None or self.line == f.line


def parse_ignore(
    text: str, source: str = "<ignore>", rule_ids: Collection[str] | None = None
) -> list[IgnoreEntry]:
    """Entries of an ignore file; :class:`UsageError` names the bad line, and a rule id not in
    ``rule_ids`` (when given): an entry for a rule that does not exist would silently ignore
    nothing, which is a typo the editor wants to hear about."""
    entries: list[IgnoreEntry] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        rule, _, rest = line.partition(" ")
        rest = rest.strip()
        if not re.fullmatch(r"\*|[a-z0-9]+(?:-[a-z0-9]+)*", rule):
            raise UsageError(f"{source}:{number}: '{rule}' is not a rule id")
        if rule_ids is not None and rule != "*" and rule not in rule_ids:
            raise UsageError(
                f"{source}:{number}: unknown rule id '{rule}'; known: {', '.join(sorted(rule_ids))}"
            )
        if not rest:
            entries.append(IgnoreEntry(rule))
        elif rest.startswith("/") and rest.endswith("/") and len(rest) > 1:
            try:
                entries.append(IgnoreEntry(rule, pattern=re.compile(rest[1:-1])))
            except re.error as exc:
                raise UsageError(f"{source}:{number}: bad pattern {rest}: {exc}") from exc
        else:
            glob, _, ln = rest.partition(":") if re.search(r":\d+$", rest) else (rest, "", "")
            entries.append(IgnoreEntry(rule, glob=glob, line=int(ln) if ln else None))
    return entries


def load_ignore(path: str | Path | None) -> list[IgnoreEntry]:
    """Entries of ``path``, or of ``.mckmlintignore`` in the working directory if it exists;
    every rule id must be a registered rule's (or ``*``)."""
    if path is None:
        default = Path(DEFAULT_NAME)
        if not default.is_file():
            return []
        path = default
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: ignore file not found")
    return parse_ignore(p.read_text(encoding="utf-8"), str(p), {r.id for r in all_rules()})
