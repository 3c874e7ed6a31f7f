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
MODEL_RULES = ("model-numbers", "model-purpose", "model-key-id")


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
        ("It is data type 26 (SAKKE_MSG).", "26 is 'SAKKE', not 'SAKKE_MSG'", "SAKKE"),
        ("The IDR payload (type 13) names the KMS.", "'IDR' is 14, not 13", "14"),
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


def test_seeds_have_no_model_findings() -> None:
    assert len(SEEDS) == 5
    assert lint_paths(SEEDS, select_rules(MODEL_RULES)) == []
