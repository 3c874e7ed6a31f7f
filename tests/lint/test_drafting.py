"""Drafting rules of TR 21.801, reference checks and precision fixes (issue 18), on small texts."""

from __future__ import annotations

import pytest

from mckm.impl.lint.engine import lint_document, select_rules
from mckm.impl.lint.model import Document, Finding


def run(rules: list[str], text: str, path: str = "t.txt") -> list[Finding]:
    return lint_document(Document(path, text.split("\n")), select_rules(rules))


def messages(rules: list[str], text: str, path: str = "t.txt") -> list[str]:
    return [f.message for f in run(rules, text, path)]


# --- drafting-clause


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("As given in Section 5.2.1, the KMS signs.", "'Section 5.2.1'"),
        ("See sections 4 and 5.", "'sections 4'"),
        ("The procedure of this section applies.", "'this section'"),
    ],
)
def test_section_where_a_clause_is_meant(text: str, said: str) -> None:
    text = f"{text}\nThe UE acts as in clause 6."
    assert [m.split(":")[0] for m in messages(["drafting-clause"], text)] == [said]


@pytest.mark.parametrize(
    "text",
    [
        "The payload of section 6.1 of RFC 3830 is used.",
        "As in RFC 6043, Section 5.2, the KMS answers.",
        "See Section 9 of [14].",
        'The "Section 5" field is empty.',
        "The cross-section of the cable.",
        "As OpenID Connect Discovery 1.0 section 3 says.",
    ],
)
def test_a_section_of_an_external_document_is_left_alone(text: str) -> None:
    assert messages(["drafting-clause"], f"{text}\nThe UE acts as in clause 6.") == []


def test_a_text_that_never_says_clause_keeps_its_sections() -> None:
    assert messages(["drafting-clause"], "The curve of section 4 is used.") == []


# --- drafting-informative


def test_modal_verbs_in_informative_annex_and_example() -> None:
    text = (
        "B.1\nNormative\nThe KMS shall sign.\n"
        "Annex C (informative):\nFlows\nC.1\nGeneral\nThe UE should log it.\n"
        'The "UE shall" literal.\nEXAMPLE:\nThe KMS may cache the key.\n'
        "Annex D (normative):\nFormats\nThe KMS shall encode.\n"
    )
    found = run(["drafting-informative"], text)
    assert [(f.line, f.message.split(" (")[0]) for f in found] == [
        (8, "'should' in informative annex C"),
        (11, "'may' in an EXAMPLE"),
    ]


# --- drafting-notes


@pytest.mark.parametrize(
    ("notes", "words"),
    [
        (["NOTE 1: One."], "NOTE 1 is the only NOTE of its clause"),
        (["NOTE: One.", "NOTE: Two."], "2 unnumbered NOTEs in a clause with 2 notes"),
        (["NOTE 1: One.", "NOTE: Two."], "1 unnumbered NOTE in a clause with 2 notes"),
        (["NOTE 1: One.", "NOTE 3: Two."], "NOTE 3 follows NOTE 1"),
        (["NOTE 2: One.", "NOTE 3: Two."], "the first numbered NOTE of its clause is NOTE 2"),
        (["NOTE1: One.", "NOTE 2: Two."], "'NOTE1': the number is separated"),
    ],
)
def test_note_numbering(notes: list[str], words: str) -> None:
    found = messages(["drafting-notes"], "\n".join(["5.1", "General", *notes]))
    assert any(words in m for m in found), found


def test_note_numbering_accepted_forms() -> None:
    ok = [
        ["NOTE: One."],
        ["NOTE 1: One.", "NOTE 2: Two.", "NOTE 3: Three."],
        ["NOTE 1: One.", "NOTE 1a: Inserted.", "NOTE 2: Two."],
        ["NOTE 1: In the text.", "NOTE 2: In the text.", "NOTE 1: In a table.", "NOTE 2: Too."],
    ]
    for notes in ok:
        assert messages(["drafting-notes"], "\n".join(["5.1", "General", *notes])) == [], notes
    # notes of two clauses are counted apart
    text = "5.1\nOne\nNOTE: A.\n5.2\nTwo\nNOTE: B.\n"
    assert messages(["drafting-notes"], text) == []


# --- drafting-captions


def test_caption_numbering() -> None:
    text = (
        "7.1\nFlows\nFigure 7.1-1, figure 7.1-3 and figure 7.1-2 show it; Table 7.1: lists.\n"
        "Figure 7.1-1: One\nFigure 7.1-3: Three\nFigure 7.1-2: Two\nTable 7.1-1: A\nTable 7.1: B\n"
    )
    assert messages(["drafting-captions"], text) == [
        "Figure 7.1-2 comes after Figure 7.1-3",
        "Table 7.1 has no rank: tables are numbered Table <clause>-<n>",
    ]
    # a gap is a change showing only the figures it modifies; placeholders are rule placeholder's
    assert messages(["drafting-captions"], "7.1\nX\nFigure 7.1-1: A\nFigure 7.1-4: B\n") == []
    assert messages(["drafting-captions"], "Figure 7.x-2: A\nFigure 7.x-1: B\n") == []


# --- drafting-definitions and two expansions


def test_abbreviations_clause_order_and_duplicates() -> None:
    text = (
        "3.2\nAbbreviations\nFor the purposes of the present document, the following apply:\n"
        "CSK\tClient-Server Key\nCSK-ID\tClient-Server Key Identifier\nCS\tCrypto Session\n"
        "KMS\tKey Management Server\nKMS\tKey Management Server\nIdM\tIdentity Management\n"
        "IdM\tIdentity Management Server\n"
    )
    found = run(["drafting-definitions", "abbreviations"], text)
    got = sorted((f.line, f.rule, f.message.split(":")[0]) for f in found)
    assert got == [
        (6, "drafting-definitions", "the abbreviations are not in alphabetical order"),
        (8, "drafting-definitions", "KMS is listed twice in the abbreviations (also line 7)"),
        (10, "abbreviations", "IdM is expanded as 'Identity Management Server' here but as "
         "'Identity Management' on line 9"),
    ]


def test_definitions_clause_order() -> None:
    text = "3.1\nDefinitions\nHome KMS: The KMS of the home.\n**External KMS:** Another KMS.\n"
    assert messages(["drafting-definitions"], text) == [
        "the definitions are not in alphabetical order: External KMS after Home KMS"
    ]
    fixed = "3.1\nDefinitions\n**External KMS:** Another KMS.\nHome KMS: The KMS of the home.\n"
    assert messages(["drafting-definitions"], fixed) == []


# --- references: number and title


def test_a_citation_that_names_another_document_than_its_entry() -> None:
    text = (
        '2\nReferences\n[1]\t3GPP TS 33.180: "Security".\n[2]\tIETF RFC 6509: "MIKEY-SAKKE".\n'
        '[3]\tIETF RFC 6043: "MIKEY-TICKET".\n\n'
        "As in RFC 6509 [3] and [2, RFC 6043], keys are used (TS 33.180 [1], RFC 6509 [2]).\n"
    )
    found = run(["references"], text)
    assert [(f.line, f.message) for f in found] == [
        (7, "RFC 6509 is cited as [3], but entry [3] is RFC 6043"),
        (7, "RFC 6043 is cited as [2], but entry [2] is RFC 6509"),
    ]
    # without a reference list the numbers are the target specification's: nothing to compare
    assert run(["references"], "As in RFC 6509 [3], keys are used.\n") == []


# --- precision: what is never reported


@pytest.mark.parametrize(
    "text",
    [
        "REQ-SEAL-KD-03 applies, and [MCSEC-7.1-2] and R-5.13-001 and S3-241234.",
        "The SGM\u2011S (SEAL Group Management Server) signs. The SGM\u2011S then sends it.",
        "The PDSCH-Config and DMRS-DownlinkConfig parameters.",
        'The transport "RTP/SAVPF" is used.',
        "The UE uses 16QAM on the PDSCH of WG1.",
    ],
)
def test_identifiers_and_names_are_no_undefined_abbreviations(text: str) -> None:
    assert run(["abbreviations"], text) == []


def test_markdown_italics_name_a_parameter() -> None:
    assert run(["abbreviations"], "The UE reads *IMCS* in the DCI.\n", "t.md") == []
    assert [f.message for f in run(["abbreviations"], "The UE reads IMCS.\n", "t.md")] == [
        "abbreviation IMCS is used but not defined"
    ]


def test_common_words_are_no_misspellings() -> None:
    assert run(["spelling"], "The UICC apps store a timestamp in plaintext.\n") == []


def test_the_glossary_spelling_wins_over_the_more_frequent_one() -> None:
    text = "The BTID is sent. The BTID is kept. The BTID expires. The B-TID is unique.\n"
    (f,) = run(["term-variants"], text)
    assert f.suggestion == "B-TID" and "the glossary writes B-TID" in f.message
    assert f.column == text.index("BTID") + 1  # reported at the first form that is not B-TID


def test_a_hyphenated_identifier_is_never_cut_short() -> None:
    text = "The SGM-S signs. The SGM-S sends. The SGMS stores. The SIM-S and the SIM-C log in.\n"
    (f,) = run(["term-variants"], text)
    assert f.message.startswith("one term, different hyphenation or case: 'SGM-S' 2x, 'SGMS' 1x")
    assert f.suggestion == "SGM-S"
