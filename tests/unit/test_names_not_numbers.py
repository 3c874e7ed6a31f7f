"""Names, not numbers: namespace values by attribute, and no bare number where a name is meant.

(The scan of the tree is added below the attribute tests.)
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from mckm.models.grammar import namespaces
from mckm.models.grammar.dsl import Namespace, Value, ident_of, stub_text
from mckm.models.grammar.namespaces import DATA_TYPE, ERROR_NO, ID_ROLE, TS_TYPE
from mckm.models.policy import key_id

ROOT = Path(__file__).resolve().parents[2]


def test_values_by_attribute_equal_the_wire_numbers() -> None:
    assert ERROR_NO.INVALID_ID == ERROR_NO.value_of("Invalid ID") == 7
    assert DATA_TYPE.SAKKE == 26
    assert ID_ROLE.IDRKMS == 3
    assert TS_TYPE.NTP_UTC == 0
    assert ERROR_NO.name_of(ERROR_NO.UNSPECIFIED_ERROR) == "Unspecified error"
    assert f"{ID_ROLE.IDRKMSR}" == "7"  # formats as the int (JSON, logs, HTTP bodies)


def test_every_value_has_its_attribute() -> None:
    for ns in namespaces._namespaces().values():
        for v in ns.values:
            assert getattr(ns, v.identifier) == v.value
            assert getattr(ns, v.identifier).name == v.identifier


def test_a_misspelt_name_fails() -> None:
    with pytest.raises(AttributeError, match="INVALID_IDD"):
        ERROR_NO.INVALID_IDD  # type: ignore[attr-defined]  # noqa: B018


def test_identifier_rule() -> None:
    assert ident_of("Invalid ID") == "INVALID_ID"
    assert ident_of("IDRkms") == "IDRKMS"
    assert ident_of("NTP-UTC-32") == "NTP_UTC_32"
    assert ident_of("sender's FEC order") == "SENDERS_FEC_ORDER"
    assert ident_of("TGK+SALT") == "TGK_SALT"


def test_a_name_without_a_clean_identifier_needs_an_ident() -> None:
    with pytest.raises(ValueError, match="explicit ident"):
        Namespace("x", 8, "", (Value(1, "3GPP thing"),))
    with pytest.raises(ValueError, match="share an identifier"):
        Namespace("x", 8, "", (Value(1, "A-B"), Value(2, "A B")))
    assert Namespace("x", 8, "", (Value(1, "3GPP thing", ident="THING_3GPP"),)).THING_3GPP == 1


def test_namespaces_pickle() -> None:
    assert pickle.loads(pickle.dumps(ERROR_NO)).INVALID_TS == 1


def test_stub_is_generated_from_the_declarations() -> None:
    stub = ROOT / "models" / "grammar" / "namespaces.pyi"
    expected = stub_text(namespaces._namespaces(), namespaces._stub_doc())
    assert stub.read_text() == expected, (
        "namespaces.pyi is stale: run python -c 'from mckm.models.grammar.namespaces import "
        "write_stub; write_stub()'")


def test_key_id_widths_by_name() -> None:
    assert (key_id.PURPOSE_BITS, key_id.RANDOM_BITS, key_id.KEY_ID_BITS) == (4, 28, 32)
