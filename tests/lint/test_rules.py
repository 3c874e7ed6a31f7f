"""Each rule: one text it must flag and one it must accept (issue 7, "Done when")."""

from __future__ import annotations

import pytest

from mckm.impl.lint.engine import lint_document, select_rules
from mckm.impl.lint.model import Document, Finding, Stage
from mckm.impl.lint.rules import all_rules


def run(rule: str, text: str, stage: Stage = "draft", path: str = "t.txt") -> list[Finding]:
    doc = Document(path, text.split("\n"))
    return lint_document(doc, select_rules([rule]), stage)


#: rule id -> (text with the defect, words the message must contain, line, the text fixed)
CASES: dict[str, tuple[str, str, int, str]] = {
    "change-markers": (
        "*** Start of change 1 ***\ntext\n*** End of change 2 ***\n",
        "closes change 1",
        3,
        "*** Start of change 1 ***\ntext\n*** End of change 1 ***\n*** Start of change 2 ***\nx\n"
        "*** End of change 2 ***\n",
    ),
    "clause-numbering": (
        "*** Start of change 1 ***\nB.2\nGeneral\nB.2.1\nScope\nB.2.2.2\nProcedures\n",
        "without a clause B.2.2",
        6,
        "*** Start of change 1 ***\nB.2\nGeneral\nB.2.1\nScope\nB.2.2\nCases\n"
        "B.2.2.1\nProcedures\n",
    ),
    "placeholder": (
        "7.8.x\nSolution title\nThe value is TBD.\n",
        "placeholder number 7.8.x",
        1,
        "7.8.3\nSolution title\nThe value is 5.\n",
    ),
    "references": (
        '2\nReferences\n[1]\t3GPP TS 33.180: "Security".\n\nAs in [2], keys are used [1].\n',
        "no entry [2]",
        5,
        '2\nReferences\n[1]\t3GPP TS 33.180: "Security".\n\nAs in [1], keys are used.\n',
    ),
    "xref": (
        "7.1\nOverview\nFigure 7.1-2 shows the flow.\n Figure 7.1-1: Flow\n",
        "figure 7.1-2 is referred to",
        3,
        "7.1\nOverview\nFigure 7.1-1 shows the flow.\n Figure 7.1-1: Flow\n",
    ),
    "step-ref": (
        "5.1\nProcedure\nStep 1: send.\nStep 2a: wait.\nStep 2b: receive.\n"
        "NOTE: Step 2 can be skipped.\n",
        "step 2 does not exist",
        6,
        "5.1\nProcedure\nStep 1: send.\nStep 2a: wait.\nStep 2b: receive.\n"
        "NOTE: Step 2a can be skipped.\n",
    ),
    "message-name": (
        "The KMS sends a RESOLV_RESP message in MIKEY.\n",
        "RESOLV_RESP is not a known",
        1,
        "The KMS sends a RESOLVE_RESP message in MIKEY.\n",
    ),
    "message-flow": (
        "9.1\nProcedures\n1.\nThe KMS sends a RESOLVE_RESP message.\n2.\n"
        "The responder receives the REQUEST_RESP message.\n",
        "receives REQUEST_RESP",
        6,
        "9.1\nProcedures\n1.\nThe KMS sends a RESOLVE_RESP message.\n2.\n"
        "The responder receives the RESOLVE_RESP message.\n",
    ),
    "term-variants": (
        "The end-point sends. Each endpoint answers.\n",
        "'end-point' 1x, 'endpoint' 1x",
        1,
        "The endpoint sends. Each endpoint answers.\n",
    ),
    "abbreviations": (
        "The QZX signs the message.\n",
        "QZX is used but not defined",
        1,
        "The Quick Zone Exchange (QZE) signs it. The QZE then sends it.\n",
    ),
    "spelling": (
        "The KMS intiated the exchange.\n",
        "'intiated'",
        1,
        "The KMS initiated the exchange and authorised the organisation's signalling.\n",
    ),
    "revision-residue": (
        "The KMS sends the the ticket.\n",
        "'the' twice",
        1,
        "The KMS sends the ticket.\n",
    ),
    "unbalanced-delimiters": (
        'Request-URI with "requesttype" equal to "ticketresolve”.\n',
        "closed with ”",
        1,
        'Request-URI with "requesttype" equal to "ticketresolve" (see A.1).\n',
    ),
    "requirement-ids": (
        "[REQ-KD-1] The KMS shall sign.\n[REQ-KD-2] It shall log.\n[REQ-KD-4] It shall stop.\n",
        "REQ-KD-3 missing",
        1,
        "[REQ-KD-1] The KMS shall sign.\n[REQ-KD-2] It shall log.\n[REQ-KD-3] It shall stop.\n",
    ),
    "list-labels": (
        "9.1\nProcedures\n1.\nSend.\n2.\nWait.\n3\nReceive.\n4.\nStore.\n",
        "styled 'n'",
        7,
        "9.1\nProcedures\n1.\nSend.\n2.\nWait.\n3.\nReceive.\n4.\nStore.\n",
    ),
    "note-normative": (
        "NOTE: The KMS should cache the key.\n",
        "'should' in a NOTE",
        1,
        "NOTE: The KMS can cache the key.\n",
    ),
    # drafting rules and the CR cover page (issue 18); more cases in tests/lint/test_drafting.py
    # and tests/lint/test_cover_page.py
    "drafting-clause": (
        "The KMS signs as given in Section 5.2, the UE as in clause 6.\n",
        "'Section 5.2'",
        1,
        "The KMS signs as given in clause 5.2 and in section 6.1 of RFC 3830.\n",
    ),
    "drafting-informative": (
        "Annex C (informative):\nFlows\nThe KMS shall sign the key.\n",
        "'shall' in informative annex C",
        3,
        "Annex C (informative):\nFlows\nThe KMS signs the key.\n",
    ),
    "drafting-notes": (
        "5.1\nGeneral\nNOTE 1: The KMS signs.\nNOTE 3: The UE checks.\n",
        "NOTE 3 follows NOTE 1",
        4,
        "5.1\nGeneral\nNOTE 1: The KMS signs.\nNOTE 2: The UE checks.\n",
    ),
    "drafting-captions": (
        "5.1\nFlows\nFigure 5.1-2 and figure 5.1-1 show it.\nFigure 5.1-2: Two\n"
        "Figure 5.1-1: One\n",
        "Figure 5.1-1 comes after Figure 5.1-2",
        5,
        "5.1\nFlows\nFigure 5.1-1 and figure 5.1-2 show it.\nFigure 5.1-1: One\n"
        "Figure 5.1-2: Two\n",
    ),
    "drafting-definitions": (
        "3.2\nAbbreviations\nKMS\tKey Management Server\nCSK\tClient-Server Key\n",
        "not in alphabetical order: CSK after KMS",
        4,
        "3.2\nAbbreviations\nCSK\tClient-Server Key\nKMS\tKey Management Server\n",
    ),
    "cover-page": (
        "CR-Form-v12.1\nCHANGE REQUEST\n33.180\tCR\t0123\trev\t-\tCurrent version:\t16.3.0\n"
        "Title:\tKMS fix\nSource to WG:\tmckm\nWork item code:\tMCXSec\nDate:\t2021-12-08\n"
        "Category:\tG\nRelease:\tRel-17\nReason for change:\tA bug.\nSummary of change:\tFixed.\n"
        "Consequences if not approved:\tThe bug.\nClauses affected:\t5.1\n",
        "Category 'G' is not one of F, A, B, C, D",
        8,
        "CR-Form-v12.1\nCHANGE REQUEST\n33.180\tCR\t0123\trev\t-\tCurrent version:\t16.3.0\n"
        "Title:\tKMS fix\nSource to WG:\tmckm\nWork item code:\tMCXSec\nDate:\t2021-12-08\n"
        "Category:\tF\nRelease:\tRel-17\nReason for change:\tA bug.\nSummary of change:\tFixed.\n"
        "Consequences if not approved:\tThe bug.\nClauses affected:\t5.1\n",
    ),
    # model-aware rules (issue 18); more cases in tests/lint/test_model_rules.py
    "model-numbers": (
        "The KMS returns MIKEY error 9 (Invalid ID).\n",
        "'Invalid ID' is 7, not 9",
        1,
        "The KMS returns MIKEY error 7 (Invalid ID).\n",
    ),
    "model-purpose": (
        "The GMK purpose value is 2.\n",
        "purpose value of GMK is 0, not 2",
        1,
        "The GMK purpose value is 0.\n",
    ),
    "model-key-id": (
        "The 4 least significant bits of the SK-ID shall indicate the purpose of the key.\n",
        "not the 4 least significant bits",
        1,
        "The 4 most significant bits of the SK-ID shall indicate the purpose of the key.\n",
    ),
    "model-identity": (
        "The UE sends the MIKEY-SAKKE I_MESSAGE.\nThe receiving entity checks the signature "
        "with the UID of the responder.\n",
        "guard signed-by-initiator",
        2,
        "The UE sends the MIKEY-SAKKE I_MESSAGE.\nThe receiving entity checks the signature "
        "with the UID of the initiator.\n",
    ),
    "model-payloads": (
        "The MIKEY-SAKKE I_MESSAGE is HDR, T, RAND, [IDRr], SAKKE, KEMAC, SIGN.\n",
        "cannot carry KEMAC",
        1,
        "The MIKEY-SAKKE I_MESSAGE is HDR, T, RAND, [IDRr], SAKKE, SIGN.\n",
    ),
}


def test_every_rule_has_a_case() -> None:
    # rule encoding reports what the reader could not decode: its cases are files of bytes, in
    # tests/lint/test_readers.py
    assert {r.id for r in all_rules()} == set(CASES) | {"encoding"}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_flags_the_defect(rule: str) -> None:
    bad, words, line, _ = CASES[rule]
    found = run(rule, bad)
    assert any(words in f.message and f.line == line for f in found), found


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_accepts_the_fixed_text(rule: str) -> None:
    _, _, _, good = CASES[rule]
    assert run(rule, good) == []


def test_placeholder_severity_depends_on_stage() -> None:
    text = "7.8.x\nSolution\nSee [xx].\n"
    draft = {f.severity for f in run("placeholder", text, "draft")}
    cr = {f.severity for f in run("placeholder", text, "cr")}
    assert draft == {"note", "warning"} and cr == {"error"}


def test_placeholder_groups_one_stem() -> None:
    found = run("placeholder", "7.8.x\nTitle\n7.8.x.1\nOverview\nFigure 7.8.x.1-1 shows it.\n")
    assert len(found) == 1 and "also on lines 3, 5" in found[0].message


def test_change_markers_unclosed_and_nested() -> None:
    found = run("change-markers", "*** Start of change 1 ***\n*** Start of change 2 ***\n")
    messages = " ".join(f.message for f in found)
    assert "do not nest" in messages and "never closed" in messages


def test_references_placeholder_entry_and_unused() -> None:
    found = run("references", "[1]\t3GPP TS 33.180\n[aa]\tIETF RFC 6509\nThe KMS signs.\n")
    messages = " ".join(f.message for f in found)
    assert "[aa] has a placeholder label" in messages and "[1] is never cited" in messages


def test_references_change_with_only_a_list_is_context() -> None:
    text = (
        "Text [1].\n*** Start of change 1 ***\n[1]\tTS 33.180\n[2]\tTS 33.220\n"
        "*** End of change 1 ***\n"
    )
    assert run("references", text) == []


def test_requirement_series_may_start_late_and_be_a_selection() -> None:
    text = "[R-5.13-002] One.\n[R-5.13-003] Two.\n[R-6.1-001] A.\n[R-6.1-009] B.\n"
    assert run("requirement-ids", text) == []


def test_references_without_list_are_not_missing() -> None:
    assert run("references", "GBA is defined in TS 33.220 [6].\n") == []


def test_step_ref_in_another_clause() -> None:
    text = (
        "B.1\nOne KMS\n1.\nSend.\n2.\nWait.\nB.2\nTwo KMS\n1.\nSteps 1 to 3 in clause B.1 apply.\n"
    )
    found = run("step-ref", text)
    assert [(f.line, f.message) for f in found] == [(10, "step 3 does not exist in clause B.1")]


def test_message_name_payload_not_in_message() -> None:
    text = (
        "MIKEY-TICKET:\n2.\n"
        "The responder prepares a RESOLVE_INIT_PSK message. The IDi payload is set.\n"
    )
    found = run("message-name", text)
    assert len(found) == 1 and "RESOLVE_INIT_PSK has no IDi payload" in found[0].message
    assert "IDRpsk" in found[0].suggestion


def test_term_variants_capitalisation_and_british() -> None:
    text = "The MC Domain is one. Each MC domain has a KMS. Its signalling and signaling differ.\n"
    messages = " ".join(f.message for f in run("term-variants", text))
    assert "'MC Domain' 1x, 'MC domain' 1x" in messages
    assert "British/American" in messages


def test_abbreviation_with_two_expansions() -> None:
    text = "The Identity Management Server (IdM) signs.\nThe Identity Management (IdM) server.\n"
    found = run("abbreviations", text)
    assert any("IdM is expanded as" in f.message for f in found)


def test_spelling_skips_names_and_quoted_literals() -> None:
    text = 'The Otway-Rees KMS_R uses IdM, "ticketresolve" and https://example.org/a-b.\n'
    assert run("spelling", text) == []


def test_spelling_accepts_bound_prefixes_but_not_a_misspelled_stem() -> None:
    assert run("spelling", "The pre-shared key of a non-3GPP co-located UE.\n") == []
    found = run("spelling", "The pre-sahred key.\n")
    assert [f.message for f in found] == ["'sahred' is not an English word"]


def test_unbalanced_bracket_and_label() -> None:
    assert run("unbalanced-delimiters", "a) The KMS (see A.1 sends it.\n")[0].message == (
        "'(' is never closed"
    )


def test_vocabulary_reads_the_real_grammar() -> None:
    from mckm.impl.lint.vocabulary import vocabulary
    from mckm.models.grammar import MESSAGE_NAMES, PAYLOAD_NAMES

    v = vocabulary()
    assert set(MESSAGE_NAMES) <= v.messages and set(PAYLOAD_NAMES) <= v.payloads
    assert v.structures["RESOLVE_INIT_PSK"] >= {"IDRpsk", "TICKET", "RANDRr"}


def test_vocabulary_merges_names_from_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from mckm.impl.lint import vocabulary as vocab_module

    fake = types.ModuleType("mckm.models.grammar")
    fake.MESSAGE_NAMES = ("GMK_PUSH",)  # type: ignore[attr-defined]
    fake.PAYLOAD_NAMES = ("IDRuid", "IDRr")  # type: ignore[attr-defined]
    fake.MESSAGE_PAYLOADS = {"GMK_PUSH": ("HDR, T, IDRuid, SAKKE, SIGN",)}  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "mckm.models.grammar", fake)
    vocab_module.vocabulary.cache_clear()
    try:
        v = vocab_module.vocabulary()
        assert "GMK_PUSH" in v.messages and "IDRuid" in v.payloads
        assert v.structures["GMK_PUSH"] >= {"IDRuid", "SAKKE"}
        assert "I_MESSAGE" in v.messages  # the data file still counts
        found = run("message-name", "In MIKEY the GMK_PUSH carries the IDRr payload.\n")
        assert [f.message.split(" (")[0] for f in found] == ["GMK_PUSH has no IDRr payload"]
    finally:
        vocab_module.vocabulary.cache_clear()
