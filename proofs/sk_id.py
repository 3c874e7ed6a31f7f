"""SK-ID layout proofs (seed 004 / TS 33.434 6.Y.2; TS 33.180 key-id format).

Models: the key-id layout as written once in ``mckm.models.policy.key_id.SK_ID`` (a construct
``BitStruct``), read field by field into z3 bit-vectors: building concatenates the fields most
significant first (construct's semantics), parsing extracts them.  The purpose values are those
of the registry (``mckm.models.policy.key_purposes``).

Properties, for every purpose value and every 28-bit random value (the random width is read from
``SK_ID``): decoding the encoded id gives back purpose and random part; the purpose sits in the
most significant bits (as many as ``SK_ID`` gives the purpose field: 4); ids of different
purposes never collide.  Two assumptions: the purpose is a registered one, or any value that
fits the purpose field (a deployment may register more).

Leaves out: how the random part is drawn (uniformity, uniqueness across the domain) and the
CSB-ID's other uses in MIKEY; the equivalence of this z3 reading with construct's build/parse is
checked by tests (``tests/proofs/test_sk_id.py``), not proved.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import construct as c
import z3

from mckm.models.policy.key_id import PURPOSE_FIELD, RANDOM_FIELD, SK_ID, id_bits, slots
from mckm.models.policy.key_purposes import PURPOSES
from mckm.models.procedures.mutants import layout_mutants
from mckm.proofs.result import MutantResult, ProofResult, counterexample, describe, timed

VALUE_BITS = 8  # symbolic purpose values are this wide, so a too-wide value is expressible


def z3_encode(layout: c.Construct, purpose: Any, random: Any) -> Any:
    """The id built by ``layout`` from z3 bit-vectors ``purpose`` and ``random``."""
    parts = []
    inputs = {PURPOSE_FIELD: purpose, RANDOM_FIELD: random}
    for slot in sorted(slots(layout).values(), key=lambda s: -s.lsb):
        value = inputs.get(slot.name)
        if value is None:  # padding / constant fields build as zero
            parts.append(z3.BitVecVal(0, slot.width))
            continue
        size = value.size()
        if size >= slot.width:
            parts.append(z3.Extract(slot.width - 1, 0, value))
        else:
            parts.append(z3.ZeroExt(slot.width - size, value))
    return z3.Concat(*parts) if len(parts) > 1 else parts[0]


def z3_decode(layout: c.Construct, key_id: Any) -> tuple[Any, Any]:
    s = slots(layout)
    p, r = s[PURPOSE_FIELD], s[RANDOM_FIELD]
    return z3.Extract(p.msb, p.lsb, key_id), z3.Extract(r.msb, r.lsb, key_id)


def _same(a: Any, b: Any) -> Any:
    width = max(a.size(), b.size())
    return z3.ZeroExt(width - a.size(), a) == z3.ZeroExt(width - b.size(), b)


#: every row is about the SK-ID layout: 4 purpose bits, then 28 random bits
REQUIREMENTS = ("REQ-SEAL-KD-02",)


class Family:
    """Symbols and properties of the SK-ID proofs, against the reference layout ``SK_ID``."""

    def __init__(self) -> None:
        ref = slots(SK_ID)
        self.total = id_bits(SK_ID)
        self.purpose_width = ref[PURPOSE_FIELD].width
        self.p1, self.p2 = z3.BitVecs("purpose purpose2", VALUE_BITS)
        self.r1, self.r2 = z3.BitVecs("random random2", ref[RANDOM_FIELD].width)

    def assumptions(self, registered: Iterable[int]) -> dict[str, Any]:
        values = sorted(registered)

        def member(p: Any) -> Any:
            return z3.Or([p == v for v in values])

        def fits(p: Any) -> Any:
            return z3.ULT(p, 2**self.purpose_width)

        return {
            "registered purposes": lambda p: member(p),
            f"any {self.purpose_width}-bit purpose": lambda p: fits(p),
        }

    def properties(self, layout: c.Construct) -> dict[str, tuple[list[Any], Any]]:
        """name -> (extra hypotheses, goal) for ``layout`` (the model or a mutant)."""
        id1 = z3_encode(layout, self.p1, self.r1)
        id2 = z3_encode(layout, self.p2, self.r2)
        dp, dr = z3_decode(layout, id1)
        top = z3.Extract(self.total - 1, self.total - self.purpose_width, id1) \
            if id1.size() == self.total else None
        msb_goal = z3.BoolVal(False) if top is None else _same(top, self.p1)
        return {
            "decode(encode(p, r)) = (p, r)": ([], z3.And(_same(dp, self.p1), _same(dr, self.r1))),
            f"purpose in the {self.purpose_width} most significant bits": ([], msb_goal),
            "different purposes never collide": ([self.p1 != self.p2], id1 != id2),
        }


def _registry_mutant() -> tuple[str, list[int]]:
    """A policy mutant: the registry holding a value the purpose field cannot carry."""
    width = slots(SK_ID)[PURPOSE_FIELD].width
    return f"registry holds purpose value {2**width}", [*PURPOSES.values(), 2**width]


def layout_cases() -> Iterator[tuple[str, c.Construct, list[int]]]:
    registered = sorted(PURPOSES.values())
    for name, layout in layout_mutants(SK_ID):
        yield f"layout: {name}", layout, registered
    name, values = _registry_mutant()
    yield name, SK_ID, values


def check(layout: c.Construct, registered: Iterable[int]) -> dict[tuple[str, str], Any]:
    """(property, assumption) -> z3 counterexample model or None, for one layout."""
    fam = Family()
    out: dict[tuple[str, str], Any] = {}
    for aname, assume in fam.assumptions(registered).items():
        for pname, (extra, goal) in fam.properties(layout).items():
            hyps = [assume(fam.p1), assume(fam.p2), *extra]
            out[(pname, aname)] = counterexample(hyps, goal)
    return out


def prove(quick: bool = False) -> list[ProofResult]:
    """All rows of the SK-ID family, each with the mutants it kills (every layout mutant of
    ``mutants.layout_mutants`` and the registry mutant; ``quick`` changes nothing)."""
    fam_rows: dict[tuple[str, str], ProofResult] = {}
    results, seconds = timed(lambda: check(SK_ID, PURPOSES.values()))
    for (pname, aname), model in results.items():
        fam_rows[(pname, aname)] = ProofResult(
            f"SK-ID: {pname}", aname, model is None, seconds / len(results),
            None if model is None else describe(model), requirements=REQUIREMENTS)
    for name, layout, registered in layout_cases():
        mutant_results, mseconds = timed(functools.partial(check, layout, registered))
        for key, model in mutant_results.items():
            row = fam_rows[key]
            row.mutants.append(MutantResult(name, model is not None,
                                            None if model is None else describe(model)))
            row.seconds += mseconds / len(mutant_results)
    return list(fam_rows.values())


def counterexample_values(model: Any) -> tuple[int, int]:
    """(purpose, random) of a counterexample model, to replay against the runtime."""
    fam = Family()
    return (model.eval(fam.p1, model_completion=True).as_long(),
            model.eval(fam.r1, model_completion=True).as_long())
