"""The ``xml-protect`` vector kind: shipped vectors pass, a wrong output or IV list is named."""

from __future__ import annotations

import json

import pytest

from mckm.impl.vectors.kinds import KINDS
from mckm.impl.vectors.runner import builtin_files, check_document


def _shipped() -> dict[str, object]:
    path = next(p for p in builtin_files() if p.name == "xml-protect.json")
    document: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_the_kind_is_registered_and_shipped() -> None:
    assert KINDS["xml-protect"].clause.startswith("TS 33.180 9.3.3")
    outcomes = check_document(_shipped(), "xml-protect.json")
    assert len(outcomes) == 3 and [o.failure for o in outcomes] == [None] * 3


def _first() -> dict[str, object]:
    vectors = _shipped()["vectors"]
    assert isinstance(vectors, list)
    first: dict[str, object] = dict(vectors[0])
    return first


def test_a_changed_protected_document_is_reported() -> None:
    vector = _first()
    vector["protected"] = str(vector["protected"]).replace("CipherValue>", "CipherValue> ", 1)
    failure = check_document({"vectors": [vector]}, "x")[0].failure
    assert failure is not None and "field 'protected' differs" in failure


@pytest.mark.parametrize(("ivs", "message"), [
    ("00" * 11, "not a whole number of 12-octet IVs"),
    ("00" * 24, "more IVs than protected elements"),
    ("", "not a whole number"),
])
def test_a_wrong_iv_list_is_named(ivs: str, message: str) -> None:
    vector = _first()
    vector["ivs"] = ivs
    failure = check_document({"vectors": [vector]}, "x")[0].failure
    assert failure is not None and message in failure


def test_an_xpk_id_of_another_purpose_is_named() -> None:
    """REQ-IKMM-03: an XPK-ID of another purpose than CSK or SPK is refused."""
    vector = _first()
    vector["xpk_id"] = 0x1000_0001  # a PCK-ID
    failure = check_document({"vectors": [vector]}, "x")[0].failure
    assert failure is not None and "not CSK or SPK" in failure
