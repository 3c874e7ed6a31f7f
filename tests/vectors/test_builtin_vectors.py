"""The vector files shipped with mckm (RFC appendices, vendor data) all pass, and the runner
names the first differing field and octet when a vector is wrong."""

from __future__ import annotations

import copy
import json

import pytest

from mckm.impl.vectors.kinds import KINDS
from mckm.impl.vectors.runner import builtin_files, check_document, make_vectors


def _documents() -> list[tuple[str, dict[str, object]]]:
    return [(p.name, json.loads(p.read_text())) for p in builtin_files()]


DOCUMENTS = pytest.mark.parametrize(
    ("name", "document"), _documents(), ids=[p.name for p in builtin_files()]
)


@DOCUMENTS
def test_builtin_file_passes(name: str, document: dict[str, object]) -> None:
    outcomes = check_document(document, name)
    assert outcomes, "a shipped file with no vector"
    assert [o.describe() for o in outcomes if o.failure] == []


def test_every_kind_has_a_shipped_vector() -> None:
    shipped = {v["kind"] for _, d in _documents() for v in d["vectors"]}  # type: ignore[attr-defined]
    assert set(KINDS) <= shipped


@DOCUMENTS
def test_a_changed_expected_value_is_reported(name: str, document: dict[str, object]) -> None:
    for index, vector in enumerate(document["vectors"]):  # type: ignore[arg-type]
        k = KINDS[vector["kind"]]
        broken = copy.deepcopy(vector)
        out = next(f for f in k.outputs if f.name in vector)
        if out.type == "hex":
            raw = bytearray(bytes.fromhex(vector[out.name]))
            raw[-1] ^= 1
            broken[out.name] = raw.hex()
        elif out.type == "bool":
            broken[out.name] = not vector[out.name]
        outcome = check_document({"vectors": [broken]}, name)[0]
        assert outcome.failure is not None, f"vector {index}: a wrong {out.name} passed"
        assert repr(out.name) in outcome.failure


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_made_vectors_check_and_are_deterministic(kind: str) -> None:
    made = make_vectors(kind, seed=7, count=2)
    assert made == make_vectors(kind, seed=7, count=2)
    assert made != make_vectors(kind, seed=8, count=2)
    assert [o.failure for o in check_document(made, "made")] == [None, None]


@pytest.mark.parametrize(
    ("vector", "reason"),
    [
        ({"kind": "nope"}, "unknown kind"),
        ({"kind": "uid-derive", "uri": "sip:a@b", "kms_uri": "k", "key_period": 1}, "missing"),
        ({"kind": "uid-derive", "uri": "sip:a@b", "kms_uri": "k", "key_period": -1,
          "key_period_no": 1, "uid": "00"}, "non-negative"),
        ({"kind": "eccsi-verify", "kpak": "zz", "identity": "", "message": "", "signature": "",
          "valid": True}, "not valid hex"),
        ({"kind": "uid-derive", "uri": "sip:a@b", "kms_uri": "k", "key_period": 1,
          "key_period_no": 1}, "no expected output"),
        ({"kind": "uid-derive", "uri": "sip:a@b", "kms_uri": "k", "key_period": 1,
          "key_period_no": 1, "uid": "00", "extra": 1}, "unknown field"),
    ],
)
def test_malformed_vectors_fail_cleanly(vector: dict[str, object], reason: str) -> None:
    outcome = check_document({"vectors": [vector]}, "bad")[0]
    assert outcome.failure is not None and reason in outcome.failure


def test_not_a_vector_file() -> None:
    assert check_document([1, 2], "x")[0].failure is not None
