"""The one page of facts whose source is not verified, generated from where each fact lives.

Every fact the models take from a standard carries a status: the name-space values and message
structures of ``models/grammar`` (``Value.status``, ``MessageRule.status``), the key purposes of
``models/policy`` and the prose facts of ``spec/unverified.yaml`` (a statement a spec page
relies on, with the page that does).  The page lists every fact that is not ``verified``, with
the legend of the statuses; the normative pages link here instead of carrying notes about how a
fact was found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import spec_tables
import yaml

from mckm.models.grammar import messages, namespaces
from mckm.models.grammar.dsl import Namespace
from mckm.models.policy.key_purposes import default_registry

#: page name
PAGE = "unverified"
#: what each status means
LEGEND = {
    "verified": "read in the text of the standard it cites (clause named)",
    "single_source": "read in one secondary source only (a reference table, an implementation's "
                     "data), not yet in the standard's own text",
    "recalled": "known but not read in any source during the project: to be looked up before "
                "anything more depends on it",
    "vendor": "taken from a vendor's published test vectors, which no standard text confirms",
    "project": "a value the project chose where the standards leave it open",
}
PROSE = Path(__file__).resolve().parents[1] / "spec" / "unverified.yaml"


def _namespace_rows() -> Iterator[list[str]]:
    for space in (v for v in vars(namespaces).values() if isinstance(v, Namespace)):
        for v in space.values:
            if v.status != "verified":
                yield [space.name, str(v.value), v.name, v.clause, v.status]


def _rule_rows() -> Iterator[list[str]]:
    for rule in messages.RULES:
        if rule.status != "verified":
            yield [rule.name, rule.structure, rule.clause, rule.status]


def prose_facts(path: Path = PROSE) -> list[dict[str, str]]:
    """The prose facts of ``spec/unverified.yaml``: id, statement, status, source, page."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    facts = list((data or {}).get("facts") or [])
    for f in facts:
        missing = {"id", "statement", "status", "source", "page"} - set(f)
        if missing or f["status"] not in LEGEND or f["status"] == "verified":
            raise ValueError(f"{path}: fact {f.get('id')!r}: needs id, statement, source, page "
                             f"and a status other than verified, one of {sorted(LEGEND)}")
    return facts


def _table(header: list[str], rows: list[list[str]]) -> str:
    return spec_tables.table(header, rows) if rows else "None: every one is verified."


def page() -> str:
    """The page: the legend, then each kind of fact that is not verified."""
    purposes = [[p.name, str(p.value), p.meaning, p.status] for p in default_registry()
                if p.status != "verified"]
    out = ["# Unverified facts", "",
           "Every fact mckm takes from a standard carries a status.  This page lists each one "
           "that is not *verified*; a normative page that relies on one links here.", "",
           spec_tables.table(["status", "meaning"], [[k, v] for k, v in LEGEND.items()]), "",
           "## Name-space values (models/grammar/namespaces.py)", "",
           _table(["name space", "value", "name", "clause", "status"], list(_namespace_rows())),
           "", "## Message structures (models/grammar/messages.py)", "",
           _table(["message", "structure", "clause", "status"], list(_rule_rows())), "",
           "## Key purposes (models/policy/data/key_purposes.yaml)", "",
           _table(["purpose", "value", "meaning", "status"], purposes), "",
           "## Statements the prose relies on (spec/unverified.yaml)", ""]
    for f in prose_facts():
        out += [f"(unverified-{f['id']})=", f"### {f['id']}", "",
                f"{f['statement']}  Status: *{f['status']}*; source: {f['source']}; relied on "
                f"by [{f['page']}](spec-{f['page']}.md).", ""]
    return "\n".join(out) + "\n"
