"""Model-aware lint rules (issue 18): planted defects are reported citing the model element and
its clause; the seeds raise no false model findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mckm.impl.lint.engine import lint_document, lint_paths, select_rules
from mckm.impl.lint.model import Document, Finding
from mckm.models.grammar.namespaces import ERROR_NO
from mckm.models.policy.key_id import PURPOSE_BITS, RANDOM_BITS
from mckm.models.policy.key_purposes import PURPOSES

SEEDS = sorted((Path(__file__).parents[1] / "data" / "seeds").glob("*.txt"))
MODEL_RULES = ("model-numbers", "model-purpose", "model-key-id", "model-identity",
               "model-payloads")


def run(rules: tuple[str, ...] | str, text: str) -> list[Finding]:
    chosen = (rules,) if isinstance(rules, str) else rules
    return lint_document(Document("t.txt", text.split("\n")), select_rules(chosen))


# ---- MIKEY-SAKKE I_MESSAGE payloads from the grammar (data type SAKKE, RFC 6509 2.1)

SAKKE_TEXT = (
    "6.2\nKey distribution\nThe key is sent in a MIKEY-SAKKE I_MESSAGE. The I_MESSAGE carries the "
    "{payload} payload.\n"
)


def test_kemac_in_a_mikey_sakke_i_message() -> None:
    found = run("message-name", SAKKE_TEXT.format(payload="KEMAC"))
    assert len(found) == 1, found
    f = found[0]
    assert (f.line, f.rule) == (3, "message-name")
    assert "I_MESSAGE has no KEMAC payload" in f.message
    assert "RFC 6509 2.1" in f.message and "data type SAKKE" in f.message


@pytest.mark.parametrize("payload", ["SAKKE", "SIGN", "IDRr", "RAND"])
def test_sakke_i_message_payloads_pass(payload: str) -> None:
    assert run("message-name", SAKKE_TEXT.format(payload=payload)) == []


def test_kemac_in_a_psk_i_message_passes() -> None:
    # RFC 3830 3.1: the PSK I_MESSAGE carries a KEMAC; no SAKKE named, every variant counts
    text = "5.1\nPre-shared key\nThe MIKEY I_MESSAGE carries the KEMAC payload.\n"
    assert run("message-name", text) == []


# ---- error numbers, data types, payload types (models/grammar namespaces)


@pytest.mark.parametrize(
    ("text", "words", "suggestion"),
    [
        ("The KMS returns MIKEY error 9 (Invalid ID).", "'Invalid ID' is 7, not 9", "7"),
        ("A stale message gets Invalid TS (error 7).", "'Invalid TS' is 1, not 7", "1"),
        ('It answers with error code 14 "Invalid TPpar".', "'Invalid TPpar' is 15", "15"),
        ("RESOLVE_RESP (data type 17) is returned.", "'RESOLVE_RESP' is 18, not 17", "18"),
        ("It is data type 26 (REQUEST_RESP).", "'REQUEST_RESP' is 13, not 26", "13"),
        ("It is data type 26 (SAKKE_MSG).", "I_MESSAGE), not 'SAKKE_MSG'", "SAKKE"),
        ("The IDR payload (type 13) names the KMS.", "'IDR' is 14, not 13", "14"),
        ("It sends the I_MESSAGE (data type 18).", "18 is 'RESOLVE_RESP'", "RESOLVE_RESP"),
        ("Otherwise MIKEY error 13 is returned.", "MIKEY error 13 is not assigned", ""),
    ],
)
def test_wrong_numbers(text: str, words: str, suggestion: str) -> None:
    found = run("model-numbers", text)
    assert len(found) == 1, found
    assert words in found[0].message
    assert "RFC" in found[0].message  # the clause of the namespace value
    if suggestion:
        assert found[0].suggestion == suggestion


@pytest.mark.parametrize("number", [0, 26])
def test_i_message_data_types(number: int) -> None:
    # RFC 3830 6.1 (PSK, data type 0) and RFC 6509 4.1 (MIKEY-SAKKE, 26) both name an I_MESSAGE
    assert run("model-numbers", f"It sends the I_MESSAGE (data type {number}).") == []


def test_numbers_read_from_the_grammar() -> None:
    for value in ERROR_NO.values:  # every assigned error, stated right, passes
        assert run("model-numbers", f"It returns MIKEY error {value.value} ({value.name}).") == []


# ---- purpose values (models/policy key_purposes) and the SK-ID layout (models/policy/key_id)


def test_purpose_values() -> None:
    for p in PURPOSES:
        assert run("model-purpose", f"The {p.name} purpose value is {p.value}.") == []
        wrong = (p.value + 1) % (1 << PURPOSE_BITS)
        found = run("model-purpose", f"The purpose value {wrong} ({p.name}) is used.")
        assert len(found) == 1 and f"is {p.value}, not {wrong}" in found[0].message
        assert "key_purposes.yaml" in found[0].message
    found = run("model-purpose", "A purpose value of 16 is reserved.")
    assert len(found) == 1 and f"{PURPOSE_BITS}-bit purpose field" in found[0].message


def test_sk_id_layout() -> None:
    text = (
        "A 24-bit SK-ID is generated. The 4 least significant bits of the SK-ID shall indicate "
        "the purpose of the key, the other 20 bits shall be randomly generated."
    )
    found = run("model-key-id", text)
    messages = [f.message for f in found]
    assert len(found) == 3, messages
    assert "32 bits, not 24" in messages[0]
    assert "4 most significant bits, not the 4 least" in messages[1]
    assert f"{RANDOM_BITS} bits, not 20" in messages[2]
    assert all("seal-key-distribution" in m and "TS 33.434 6.Y.2" in m for m in messages)
    good = (
        "A 32-bit SK-ID is generated. The 4 most significant bits of the SK-ID shall indicate "
        "the purpose of the key, the other 28 bits shall be randomly generated."
    )
    assert run("model-key-id", good) == []


def test_key_id_rule_ignores_other_bit_fields() -> None:
    assert run("model-key-id", "The 4 least significant bits of the counter are zero.") == []


# ---- the seeds: no false model findings


def test_seeds_have_no_false_model_findings() -> None:
    assert len(SEEDS) == 5
    found = lint_paths(SEEDS, select_rules(MODEL_RULES))
    # the one finding is seed 002's real defect (test_seed_002_step_5_is_a_real_defect)
    assert [(Path(f.file).name[:3], f.line, f.rule) for f in found] == [
        ("002", 111, "model-identity")
    ]


# ---- a step list as a flow: what a step receives, which identity a check compares

SEAL_STEPS = """6.Y.2
Common Key Distribution Method
1.
The initiating entity sends the MIKEY-SAKKE I_MESSAGE to the receiving entity.
2.
The receiving entity converts the {field} to a UID and uses it to check the signature.
"""


def test_signature_checked_with_the_wrong_identity() -> None:
    found = run("model-identity", SEAL_STEPS.format(field="recipient field (IDRr)"))
    assert len(found) == 1, found
    f = found[0]
    assert f.line == 6 and "responder's identity" in f.message
    assert "guard signed-by-initiator (REQ-SEAL-KD-10" in f.message
    assert "seal-key-distribution" in f.message and "TS 33.434 6.Y.2" in f.message
    assert f.suggestion == "the initiator's identity (IDRi)"
    assert run("model-identity", SEAL_STEPS.format(field="initiator field (IDRi)")) == []


TICKET_STEPS = """B.2.2.2.2
Procedures
1.
The responder sends a RESOLVE_INIT_PSK message to the KMS.
2.
The KMS verifies that one of the identities in the received USS matches the identity of the {who}.
3.
The KMS generates the RESOLVE_RESP message and sends it to the responder.
4.
The responder receives the {msg} message.
"""


def test_uss_match_compares_the_responder() -> None:
    found = run("model-identity", TICKET_STEPS.format(who="initiator", msg="RESOLVE_RESP"))
    assert len(found) == 1, found
    assert "guard uss-match (REQ-TKT-08" in found[0].message
    assert "IDRr (Responder)" in found[0].message
    assert run("model-identity", TICKET_STEPS.format(who="responder", msg="RESOLVE_RESP")) == []


def test_a_step_receives_what_nobody_sent() -> None:
    text = TICKET_STEPS.format(who="responder", msg="REQUEST_RESP")
    found = run("message-flow", text)
    assert len(found) == 1 and found[0].line == 10, found
    assert "receives REQUEST_RESP, which no earlier step sends" in found[0].message
    assert found[0].suggestion == "RESOLVE_RESP"
    # the model: who receives what step 3 sent, where REQUEST_RESP is sent, and the clause
    assert "RESOLVE_RESP is received by the responder at step 8 of mikey-ticket" in found[0].message
    assert "REQUEST_RESP is sent by the kms" in found[0].message
    assert "TS 33.328 B.2.2.2" in found[0].message


def test_model_procedures_cover_every_mikey_model() -> None:
    from mckm.impl.lint.model_facts import procedures
    from mckm.models.procedures.registry import PROCEDURES

    mikey = {p.name for p in PROCEDURES if any(m.grammar.startswith("mikey") for m in p.messages)}
    assert mikey == {p.name for p in procedures()}


def test_seed_002_step_5_is_a_real_defect() -> None:
    # seed 002 B.2.2.2 step 5 matches the USS against "the public identity of the initiator";
    # the model (and spec/mikey-ticket.md, "Differences from the seed") match IDRr
    seed = next(p for p in SEEDS if p.name.startswith("002_"))
    found = lint_paths([seed], select_rules(("model-identity",)))
    assert [(f.line, f.rule) for f in found] == [(111, "model-identity")]
    assert "uss-match" in found[0].message


# ---- payload lists (RFC notation or prose) against the grammar's presence rules

SAKKE_LIST = "The MIKEY-SAKKE I_MESSAGE is {payloads}."


def test_payload_list_of_a_sakke_i_message() -> None:
    found = run("model-payloads", SAKKE_LIST.format(
        payloads="HDR, T, RAND, [IDRi], [IDRr], {SP}, SAKKE, KEMAC"))
    messages = sorted(f.message for f in found)
    assert len(found) == 2, messages
    assert messages[0].startswith("I_MESSAGE cannot carry KEMAC (RFC 6509 2.1")
    assert messages[1].startswith("the payload list of I_MESSAGE leaves out SIGN")
    good = "HDR, T, RAND, [IDRi], [IDRr], [IDRkmsi], [IDRkmsr], {SP}, SAKKE, SIGN"
    assert run("model-payloads", SAKKE_LIST.format(payloads=good)) == []


def test_payload_list_in_prose() -> None:
    text = "The RESOLVE_INIT_PSK carries the HDR, T, RANDRr, {who}, TICKET and V payloads."
    found = run("model-payloads", text.format(who="IDi"))
    assert len(found) == 1 and "RESOLVE_INIT_PSK cannot carry IDi (RFC 6043 4.2.3" in \
        found[0].message
    assert found[0].column == text.index("{who}") + 1
    assert run("model-payloads", text.format(who="IDRr")) == []


def test_a_partial_payload_list_is_not_a_layout() -> None:
    # not starting with HDR: a subset named in prose, nothing is missing
    assert run("model-payloads", "The I_MESSAGE carries the RAND, IDRi and SAKKE payloads, "
                                 "in MIKEY-SAKKE.") == []


# ---- real 3GPP text: TS 33.180 E.2.1-E.6.1 and Annex G (tests/data/lint_model)

TS33180 = Path(__file__).parents[1] / "data" / "lint_model" / "ts33180_g_c0_e2-e4_g.md"


def test_ts_33180_text_has_no_model_findings() -> None:
    rules = select_rules((*MODEL_RULES, "message-name", "message-flow"))
    assert lint_paths([TS33180], rules) == []


def test_purpose_table_rows() -> None:
    text = TS33180.read_text(encoding="utf-8")
    bad = text.replace("  2                   CSK ", "  3                   CSK ")
    found = run("model-purpose", bad)
    assert [(f.line, f.message.split(":")[0]) for f in found] == [
        (bad.split("\n").index(next(x for x in bad.split("\n") if "3                   CSK" in x))
         + 1, "the purpose value of CSK is 2, not 3")
    ]
    # a Word table read cell by cell: the value and the name on lines of their own
    cells = "Purpose tag value\nKey type\n0\nGMK\n2\nPCK\n"
    found = run("model-purpose", cells)
    assert [(f.line, f.suggestion) for f in found] == [(5, "1")]


@pytest.mark.parametrize(
    ("where", "bits", "words"),
    [("least", "four", "not the 4 least"), ("most", "eight", "not the 8 most")],
)
def test_key_id_layout_in_words(where: str, bits: str, words: str) -> None:
    # TS 33.180 Annex G writes "the most significant four bits"
    text = (f"The 'purpose tag' within the key identifier (e.g. GMK-ID) shall be the {where} "
            f"significant {bits} bits of the key.")
    found = run("model-key-id", text)
    assert len(found) == 1 and words in found[0].message, found


def test_the_message_named_in_the_same_sentence_counts() -> None:
    text = ("B.1\nProcedures\n1.\nThe KMS receives the REQUEST_INIT_PSK and verifies that the "
            "USS holds the identity of the {who}.\n")
    found = run("model-identity", text.format(who="responder"))
    assert len(found) == 1 and "guard uss-match (REQ-TKT-02" in found[0].message, found
    assert "IDRi (Initiator)" in found[0].message
    assert run("model-identity", text.format(who="initiator")) == []


def test_a_party_receives_what_the_model_gives_another() -> None:
    text = ("B.2.2.2.2\nProcedures\n1.\nThe initiator sends the TRANSFER_INIT message.\n2.\n"
            "{who} receives the TRANSFER_INIT message and checks it.\n")
    found = run("message-flow", text.format(who="The KMS"))
    assert len(found) == 1 and found[0].line == 6, found
    assert "the KMS receives TRANSFER_INIT, but in the models only the responder does" in \
        found[0].message
    assert "step 1 of mikey-ticket-one-kms" in found[0].message
    assert found[0].suggestion == "the responder receives TRANSFER_INIT"
    assert run("message-flow", text.format(who="The responder")) == []
    assert run("message-flow", text.format(who="KMS_R")) != []
