"""The splice directives of ``docs/splice.py``: what they render and how they fail."""

from __future__ import annotations

import pytest

from mckm.models.policy.key_purposes import default_registry
from mckm.models.procedures.registry import by_name
from tests.docs.site import splice


def test_a_directive_becomes_a_table_and_the_prose_stays() -> None:
    page = "Prose before.\n\n```{mckm-purposes}\n```\n\nProse after.\n"
    out = splice.expand(page, "test.md")
    assert out.startswith("Prose before.\n\n| value |") and out.endswith("\n\nProse after.\n")
    assert "```" not in out
    assert all(f"| {p.name} |" in out for p in default_registry())


def test_requirements_columns_follow_the_labels() -> None:
    page = ("```{mckm-requirements} mikey-ticket-one-kms mikey-ticket-two-kms\n"
            ":labels: one KMS, two KMSs\n```\n")
    header = splice.expand(page, "test.md").splitlines()[0]
    assert header == "| id | requirement | one KMS | two KMSs | refused by guard (MIKEY error) |"


def test_guards_bring_their_mikey_error_and_steps_their_numbers() -> None:
    out = splice.expand("```{mckm-requirements} seal-key-distribution\n```\n", "test.md")
    row = next(line for line in out.splitlines() if line.startswith("| REQ-SEAL-KD-06 |"))
    guard = next(g for s in by_name("seal-key-distribution").steps for g in s.guards
                 if g.requirement == "REQ-SEAL-KD-06")
    assert row.endswith(f"| 2 | `{guard.name}` ({guard.mikey_error} Invalid ID) |")


def test_leaves_out_lists_each_models_items_under_its_title() -> None:
    out = splice.expand("```{mckm-leaves-out} cek-management sip-registration\n```\n", "test.md")
    for name in ("cek-management", "sip-registration"):
        p = by_name(name)
        assert f"- {p.title}:" in out
        assert all(f"\n  - {item}" in out for item in p.leaves_out)


def test_other_fences_are_left_alone() -> None:
    page = "```text\n| REQ-SEAL-KD-01 | x |\n```\n\n```{note}\nhi\n```\n"
    assert splice.expand(page, "test.md") == page


@pytest.mark.parametrize("page,message", [
    ("```{mckm-purpose}\n```\n", "unknown directive"),
    ("```{mckm-steps} no-such-procedure\n```\n", "no procedure model 'no-such-procedure'"),
    ("```{mckm-steps} seal-key-distribution mikey-ticket-one-kms\n```\n", "one procedure"),
    ("```{mckm-key-id} seal-key-distribution\n```\n", "takes no argument"),
    ("```{mckm-requirements} seal-key-distribution\n:label: x\n```\n", "unknown options"),
    ("```{mckm-requirements} seal-key-distribution\n:labels: a, b\n```\n", "2 labels"),
    ("```{mckm-requirements} seal-key-distribution\nbody text\n```\n", "malformed"),
    ("- item\n\n  ```{mckm-key-id}\n  ```\n", "malformed"),
])
def test_a_wrong_directive_stops_the_build_and_names_the_page(page: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^spec/x\.md: ") as info:
        splice.expand(page, "spec/x.md")
    assert message in str(info.value)
