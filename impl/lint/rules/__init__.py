"""The rule registry: one module per rule, each with a stable kebab-case id.

A rule module defines ``ID`` (the rule id), a module docstring whose first line is the rule's
one-line purpose and whose rest explains what it reports and why, and
``check(doc, ctx) -> Iterable[Finding]``.  :data:`RULES` lists them in report order; the CLI's
``--help``, ``--disable``/``--select`` and the docs page are all generated from it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from mckm.impl.lint.context import Context
from mckm.impl.lint.model import Document, Finding

#: Rule modules, in the order their findings are explained in the docs.
MODULES: tuple[str, ...] = (
    "encoding",
    "change_markers",
    "clause_numbering",
    "placeholder",
    "references",
    "xref",
    "step_ref",
    "message_name",
    "message_flow",
    "model_numbers",
    "model_purpose",
    "model_key_id",
    "model_identity",
    "model_payloads",
    "term_variants",
    "abbreviations",
    "spelling",
    "revision_residue",
    "unbalanced_delimiters",
    "requirement_ids",
    "list_labels",
    "note_normative",
    "drafting_clause_word",
    "drafting_informative",
    "drafting_notes",
    "drafting_captions",
    "drafting_definitions",
    "cover_page",
)


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    id: str
    summary: str
    description: str
    check: Callable[[Document, Context], Iterable[Finding]]


def _rule(module: ModuleType) -> Rule:
    doc = (module.__doc__ or "").strip()
    summary, _, rest = doc.partition("\n")
    return Rule(module.ID, summary.strip(), rest.strip(), module.check)


def all_rules() -> tuple[Rule, ...]:
    """Every rule, in registry order."""
    return tuple(_rule(importlib.import_module(f"{__name__}.{m}")) for m in MODULES)
