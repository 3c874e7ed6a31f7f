"""SK-ID proofs: results, mutants, the z3 reading against construct, counterexample replay."""

from __future__ import annotations

import construct as c
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import EncodeError, UsageError
from mckm.models.policy import PURPOSES, SK_ID, Purpose, default_registry, slots
from mckm.models.policy.key_id import decode_key_id, encode_key_id
from mckm.models.procedures.mutants import layout_mutants
from mckm.proofs import sk_id
from mckm.proofs.result import survivors


def test_layout_matches_the_seed_text() -> None:
    s = slots(SK_ID)
    got = (s["purpose"].width, s["purpose"].msb, s["random"].width, s["random"].lsb)
    assert got == (4, 31, 28, 0)


def test_all_sk_id_properties_hold_and_every_mutant_is_killed() -> None:
    rows = sk_id.prove()
    assert rows and all(r.holds for r in rows)
    assert survivors(rows) == []


@settings(max_examples=60, deadline=None)
@given(layout=st.sampled_from([SK_ID, *(m for _, m in layout_mutants(SK_ID))]),
       purpose=st.integers(0, 7), random=st.integers(0, 2**27 - 1))
def test_z3_reading_of_a_layout_agrees_with_construct(layout: c.Construct, purpose: int,
                                                      random: int) -> None:
    built = encode_key_id(purpose, random, layout)
    width = slots(SK_ID)["random"].width
    term = sk_id.z3_encode(layout, z3.BitVecVal(purpose, 8), z3.BitVecVal(random, width))
    assert z3.simplify(term).as_long() == built


@pytest.mark.parametrize("case", list(sk_id.layout_cases())[:4], ids=lambda case: case[0])
def test_counterexamples_replay_against_the_runtime(case) -> None:
    name, layout, registered = case
    for (prop, _assumption), model in sk_id.check(layout, registered).items():
        if model is None:
            continue
        purpose, random = sk_id.counterexample_values(model)
        try:
            key_id = encode_key_id(purpose, random, layout)
        except EncodeError:
            continue  # the runtime refuses to build it: the violation is caught there
        got_purpose, got_random = decode_key_id(key_id, layout)
        violated = (
            (got_purpose, got_random) != (purpose, random)
            or key_id >> slots(SK_ID)["purpose"].lsb != purpose  # the reference layout's rule
            or "collide" in prop
        )
        assert violated, f"{name}: z3's counterexample for {prop!r} does not replay"


def test_registry_refuses_collisions_and_values_that_do_not_fit() -> None:
    reg = default_registry()
    assert {"PCK", "GMK", "CSK", "SPK"} <= {p.name for p in reg}
    with pytest.raises(UsageError):
        reg.register(Purpose("X", 16))
    with pytest.raises(UsageError):
        reg.register(Purpose("Y", PURPOSES.by_name("PCK").value))
    reg.register(Purpose("DEPLOYMENT", 9))
    assert reg.by_value(9).name == "DEPLOYMENT"
    assert "DEPLOYMENT" not in {p.name for p in PURPOSES}
