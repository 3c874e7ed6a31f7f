"""Requirement anchors and links (docs/reqlinks.py) and the traceability check
(docs/traceability.py): what each turns a page into, and each problem the check refuses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mckm.proofs.result import requirement_ids
from tests.docs.site import reqlinks, traceability
from tests.properties.toy_model import TOY

KNOWN = {"REQ-TOY-01", "REQ-TOY-02", "REQ-TOY-03", "REQ-TOY-04", "REQ-TOY-05"}


def _link(text: str, defining: bool = True) -> reqlinks.Linked:
    return reqlinks.link(text, defining=defining, known=KNOWN.__contains__)


def test_a_defining_row_becomes_the_anchor_and_other_mentions_links() -> None:
    out = _link("| REQ-TOY-02 | addressed to b, unlike REQ-TOY-03 | 2 |\n"
                "**REQ-TOY-04 Own nonce.** See REQ-TOY-02.")
    assert out.text == ("| {req}`REQ-TOY-02` | addressed to b, unlike "
                        "{ref}`REQ-TOY-03 <req-toy-03>` | 2 |\n"
                        "**{req}`REQ-TOY-04` Own nonce.** See {ref}`REQ-TOY-02 <req-toy-02>`.")
    assert out.defines == ["REQ-TOY-02", "REQ-TOY-04"]
    assert out.mentions == ["REQ-TOY-03", "REQ-TOY-02"]


def test_code_headings_fences_and_unknown_ids_stay_as_written() -> None:
    page = ("## Step 2 (REQ-TOY-02)\n\n```text\n| REQ-TOY-02 | x |\n```\n\n"
            "Run `REQ-TOY-03` and REQ-OTHER-09 here.\n<span>REQ-TOY-01</span>\n")
    out = _link(page)
    assert out.text == page and out.defines == []
    assert out.mentions == ["REQ-OTHER-09"]


def test_only_spec_pages_define() -> None:
    out = _link("| REQ-TOY-02 | addressed |", defining=False)
    assert out.text == "| {ref}`REQ-TOY-02 <req-toy-02>` | addressed |" and not out.defines


def test_a_proof_row_reads_the_short_form_of_a_list_of_ids() -> None:
    assert requirement_ids("relays (REQ-TOY-01, -04); REQ-TOY-LONG-03, -04") == (
        "REQ-TOY-01", "REQ-TOY-04", "REQ-TOY-LONG-03", "REQ-TOY-LONG-04")
    assert requirement_ids("no id here, -4") == ()


def _traced(pages: dict[str, str]) -> traceability.Trace:
    trace = traceability.Trace()
    traceability.link_pages(pages, trace)
    traceability.add_models([TOY], trace)
    return trace


TOY_PAGE = "\n".join(f"| {rid} | text |" for rid in sorted(TOY.requirements))


def _problems(pages: dict[str, str], procedures: list = [TOY],  # noqa: B006
              covered: bool = True) -> list[str]:
    trace = _traced(pages)
    if covered:
        traceability.add_threats((("toy", rid, "replay", "PING") for rid in TOY.requirements),
                                 trace)
    return traceability.problems(trace, procedures)


def test_a_complete_toy_site_has_no_problem() -> None:
    assert _problems({"spec-toy": TOY_PAGE}) == []


def test_each_problem_of_the_build_check_is_named() -> None:
    first = sorted(TOY.requirements)[0]
    twice = _problems({"spec-toy": TOY_PAGE, "spec-copy": f"| {first} | again |"})
    assert twice == [f"{first} is defined on 2 pages: spec-toy, spec-copy"]
    # an id mentioned somewhere but defined nowhere: the toy's page leaves one out
    missing = _problems({"spec-toy": TOY_PAGE.replace(f"| {first} | text |", ""),
                         "model-toy": f"see {first}"})
    assert f"{first} of model toy-ping-pong is shown on no page" in missing
    assert not _problems({"spec-toy": TOY_PAGE}, covered=True)
    uncovered = _problems({"spec-toy": TOY_PAGE}, covered=False)
    assert f"{first} has no trace: no threat, test or proof row names it" in uncovered


def test_a_requirement_without_step_is_refused() -> None:
    extra = {**TOY.requirements, "REQ-TOY-09": "nothing implements this"}
    toy = dataclasses.replace(TOY, requirements=extra)
    trace = traceability.Trace()
    traceability.link_pages({"spec-toy": TOY_PAGE + "\n| REQ-TOY-09 | nothing |"}, trace)
    traceability.add_models([toy], trace)
    found = traceability.problems(trace, [toy])
    assert ("REQ-TOY-09 of model toy-ping-pong has no step or guard, and the model does not say "
            "it leaves it out") in found
    left = dataclasses.replace(toy, leaves_out=("the rest (REQ-TOY-08..09: the runtime's)",))
    trace = traceability.Trace()
    traceability.link_pages({"spec-toy": TOY_PAGE + "\n| REQ-TOY-09 | nothing |"}, trace)
    traceability.add_models([left], trace)
    assert not any("REQ-TOY-09 of model" in x for x in traceability.problems(trace, [left]))
    assert traceability.named_in("x (REQ-TOY-01..03, REQ-TOY-LONG-20)") == [
        "REQ-TOY-01", "REQ-TOY-LONG-20", "REQ-TOY-02", "REQ-TOY-03"]


def test_a_step_without_requirement_cannot_be_built() -> None:
    """The model itself refuses it, so the site never shows one."""
    bare = dataclasses.replace(TOY.steps[0], requirement="")
    with pytest.raises(ValueError, match="step 1: requirement  is not declared"):
        dataclasses.replace(TOY, steps=(bare, *TOY.steps[1:]))


def test_a_proof_row_without_requirement_is_refused() -> None:
    trace = _traced({"spec-toy": TOY_PAGE})
    found = traceability.add_proofs([("toy", "nonces are fresh", "honest", ())], trace)
    assert found == ["proof row toy: 'nonces are fresh' (honest) names no requirement"]
    traceability.add_proofs([("toy", "p", "honest", ("REQ-TOY-77",))], trace)
    assert "a proof row names REQ-TOY-77, which no page defines" in traceability.problems(
        trace, [TOY])


def test_tests_name_requirements_by_function(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text('"""Module: REQ-TOY-01."""\n\n\ndef test_a() -> None:\n'
                                     '    """REQ-TOY-02: addressed."""\n\n\ndef helper() -> None:\n'
                                     '    """REQ-TOY-03"""\n', encoding="utf-8")
    trace = traceability.Trace()
    traceability.add_tests(tests, trace)
    assert trace.tests == {"REQ-TOY-01": ["tests/test_x.py"],
                           "REQ-TOY-02": ["tests/test_x.py::test_a"]}


@pytest.mark.parametrize("rid", sorted(KNOWN))
def test_labels_are_lower_case_ids(rid: str) -> None:
    assert reqlinks.label(rid) == rid.lower()
    assert reqlinks.trace_label(rid) == f"trace-{rid.lower()}"
