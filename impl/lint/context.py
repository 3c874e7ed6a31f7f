"""What every rule may consult besides the document: the stage, the vocabulary, the dictionary."""

from __future__ import annotations

from dataclasses import dataclass

from mckm.impl.lint.model import Document, Finding, Severity, Stage
from mckm.impl.lint.vocabulary import Glossary, Vocabulary, glossary, vocabulary


@dataclass
class Context:
    """Run-wide settings; ``stage`` chooses stage-dependent severities (see spec/lint.md)."""

    stage: Stage = "draft"

    @property
    def vocabulary(self) -> Vocabulary:
        return vocabulary()

    @property
    def glossary(self) -> Glossary:
        return glossary()

    def by_stage(self, draft: Severity, cr: Severity) -> Severity:
        """The severity for the current stage."""
        return cr if self.stage == "cr" else draft


def finding(
    doc: Document,
    rule: str,
    severity: Severity,
    line: int,
    column: int,
    message: str,
    suggestion: str = "",
) -> Finding:
    """A :class:`Finding` in ``doc`` at its line ``line`` (shorthand used by the rules).

    Line numbers a message quotes go through :meth:`Document.at` too."""
    where = doc.at(line)
    return Finding(doc.path, where, max(column, 1), rule, severity, message, suggestion)
