"""The page of unverified facts (docs/unverified.py): every fact that carries a status other
than verified is on it, and every prose fact is marked on the page that relies on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mckm.models.grammar import messages, namespaces
from mckm.models.grammar.dsl import Namespace
from tests.docs.site import SPEC, unverified


def test_every_unverified_value_and_structure_is_listed() -> None:
    text = unverified.page()
    values = [(s.name, v) for s in vars(namespaces).values() if isinstance(s, Namespace)
              for v in s.values]
    for space, v in values:
        row = f"| {space} | {v.value} | {v.name} |"
        assert (row in text) == (v.status != "verified"), row
    for rule in messages.RULES:
        assert (f"| {rule.name} | " in text) == (rule.status != "verified"), rule.name
    assert all(f"| {status} |" in text for status in unverified.LEGEND)


def test_every_prose_fact_is_marked_where_it_is_relied_on() -> None:
    for fact in unverified.prose_facts():
        page = SPEC / f"{fact['page']}.md"
        assert f"<unverified-{fact['id']}>" in page.read_text(encoding="utf-8"), fact["id"]


@pytest.mark.parametrize("entry,says", [
    ("- {id: a, statement: s, status: verified, source: x, page: kdf}", "a status other than"),
    ("- {id: b, statement: s, status: recalled, page: kdf}", "needs id, statement, source"),
])
def test_a_prose_fact_must_be_complete_and_unverified(tmp_path: Path, entry: str,
                                                      says: str) -> None:
    f = tmp_path / "u.yaml"
    f.write_text("facts:\n" + entry + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=says):
        unverified.prose_facts(f)
