"""The document a rule reads: lines as a person sees them, and a finding's shape.

Every reader (:mod:`mckm.impl.lint.readers`) turns its input into a list of lines, numbered from
1 as an editor sees them (for ``.docx``: one line per paragraph, table cells in reading order).
Rules report ``Finding`` objects located by line and 1-based column in that text; in a
``.docx`` the engine adds the clause and a quoted snippet (:mod:`mckm.impl.lint.location`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "note"]
Stage = Literal["draft", "cr"]

#: Severities from most to least serious.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")


@dataclass(frozen=True, order=True)
class Finding:
    """One inconsistency: where it is, which rule found it, and how to fix it."""

    file: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    suggestion: str = ""
    #: in a .docx (:mod:`mckm.impl.lint.location`): the number of the clause heading the
    #: finding is under, and the offending text quoted with some context
    clause: str = ""
    snippet: str = ""

    def to_json(self) -> dict[str, object]:
        """The JSON object of ``--format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "suggestion": self.suggestion,
            "clause": self.clause,
            "snippet": self.snippet,
        }

    @property
    def where(self) -> str:
        """Clause and quoted snippet as a person reads them: ``in clause 6.2, at “…”`` (empty
        outside a .docx; no clause before the first heading)."""
        parts = [f"in clause {self.clause}"] if self.clause else []
        parts += [f"at “{self.snippet}”"] if self.snippet else []
        return ", ".join(parts)

    def to_text(self) -> str:
        """``file:line:col: severity rule-id: message [suggestion]``, then ``(in clause X, at
        “snippet”)`` for a finding in a .docx."""
        tail = f" [{self.suggestion}]" if self.suggestion else ""
        where = f"{self.file}:{self.line}:{self.column}"
        located = f" ({self.where})" if self.where else ""
        return f"{where}: {self.severity} {self.rule}: {self.message}{tail}{located}"


@dataclass(frozen=True)
class Undecodable:
    """A byte the file's encoding cannot decode, read as U+FFFD: where it is (``line`` counted
    in its :class:`Document`, 1-based ``column``, byte ``offset`` from the start of the file)."""

    line: int
    column: int
    byte: int
    offset: int
    encoding: str


@dataclass
class Document:
    """A contribution's text, or one part of a large one: ``lines[i]`` is line ``i + 1`` of
    the part and line ``first_line + i`` of the file (see :meth:`at`)."""

    path: str
    lines: list[str]
    first_line: int = 1
    undecodable: list[Undecodable] = field(default_factory=list)
    #: in a .docx: line -> clause number of each paragraph in a Word heading style
    #: (``Heading 1`` .. ``Heading 9``), which :mod:`mckm.impl.lint.location` prefers
    headings: dict[int, str] = field(default_factory=dict)
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    def at(self, number: int) -> int:
        """The file's line number of this document's line ``number``: what findings report,
        in their location and in their messages."""
        return number + self.first_line - 1

    @property
    def text(self) -> str:
        """The lines joined with ``\\n``, built once (:func:`mckm.impl.lint.scan.text`)."""
        from mckm.impl.lint.scan import text

        return text(self)

    def line(self, number: int) -> str:
        """Line ``number`` (1-based)."""
        return self.lines[number - 1]
