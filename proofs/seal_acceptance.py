"""What the SEAL receiver's guards guarantee about an accepted I_MESSAGE (and the sender's).

Models: the guards of ``mckm.models.procedures.seal_key_distribution`` (seed 004 / TS 33.434
6.Y.2, RFC 6509, TS 33.180 F.2.1), read through ``to_z3``: crypto as uninterpreted predicates
``SignedBy(msg, uid)`` and ``EncryptedTo(blob, uid)`` (Dolev-Yao: nothing is assumed about them),
``Uid(identity, period)`` and ``PeriodOf(time)`` uninterpreted, sets as arrays.

Properties (stated here from the clause's words, in the same expression language, never copied
from the guards): an accepted I_MESSAGE is signed by the UID of the identity in IDRi for the
receiver's *current* period and encrypted to the receiver's own UID for that period; it is
addressed to the receiver; it comes from an acceptable SKM-S; it is fresh; its purpose is one
the receiver accepts.  The sender only sends with its own identity in IDRi and a registered
purpose.  Policy values (replay window, key-id layout) in a property are the model's, so a
mutant that changes them is caught.

Leaves out: the soundness of ECCSI/SAKKE themselves (the predicates are trusted), the message
sequence across runs (the property tests cover replays across runs), clock skew between roles.
"""

from __future__ import annotations

import functools
from typing import Any

import z3

from mckm.impl.engine import EffectRegistry, RoleMachine
from mckm.models.procedures.expr import (
    And,
    EncryptedTo,
    Eq,
    Expr,
    Field,
    In,
    KeyFits,
    Msg,
    Not,
    NotIn,
    Now,
    Policy,
    Purpose,
    Self,
    SignedBy,
    Uid,
    Within,
    Z3Reading,
)
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.mutants import Mutant, mark, mutants
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from mckm.proofs.replay import ModelFacts, concretize
from mckm.proofs.result import MutantResult, ProofResult, counterexample, describe, timed

ASSUMPTION = "Dolev-Yao crypto predicates"

#: the step, by (role, message) -> property name -> statement
PROPERTIES: dict[tuple[str, str], dict[str, Expr]] = {
    ("receiver", "I_MESSAGE"): {
        "accepted I_MESSAGE is signed by UID(IDRi, current period) and encrypted to own UID":
            And(SignedBy(Msg(), Uid(Field("idri"), Self("period"))),
                EncryptedTo(Field("sakke"), Uid(Self("uri"), Self("period")))),
        "accepted I_MESSAGE is addressed to the receiver": Eq(Field("idrr"), Self("uri")),
        "accepted I_MESSAGE names an acceptable SKM-S": In(Field("idrkmsi"), Self("trusted_kms")),
        "accepted I_MESSAGE is fresh and not a replay":
            And(Within(Field("t"), Now(), Policy("replay_window")),
                NotIn(Field("rand"), Self("replay_cache"))),
        "accepted SK-ID has an accepted purpose":
            In(Purpose(Field("csb_id")), Self("accepted_purposes")),
        "an accepted key fits the receiver's store under its id, K being for its own UID":
            KeyFits(Self("key_store"), Msg(), Uid(Self("uri"), Self("period")),
                    Purpose(Field("csb_id"))),
        "an accepted group key comes from an authorised SGM-S":
            Not(And(Eq(Purpose(Field("csb_id")), Policy("group_key_purpose")),
                    Not(In(Field("idri"), Self("group_servers"))))),
    },
    ("initiator", "I_MESSAGE"): {
        "sent I_MESSAGE carries the sender's own URI in IDRi": Eq(Field("idri"), Self("uri")),
        "sent SK-ID has a registered purpose": In(Purpose(Field("csb_id")), Self("purposes")),
    },
}


#: property name -> the requirement ids it states
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "accepted I_MESSAGE is signed by UID(IDRi, current period) and encrypted to own UID":
        ("REQ-SEAL-KD-10", "REQ-SEAL-KD-11", "REQ-SEAL-KD-04", "REQ-SEAL-KD-05"),
    "accepted I_MESSAGE is addressed to the receiver": ("REQ-SEAL-KD-06",),
    "accepted I_MESSAGE names an acceptable SKM-S": ("REQ-SEAL-KD-07",),
    "accepted I_MESSAGE is fresh and not a replay": ("REQ-SEAL-KD-09",),
    "accepted SK-ID has an accepted purpose": ("REQ-SEAL-KD-12",),
    "an accepted key fits the receiver's store under its id, K being for its own UID":
        ("REQ-SEAL-KD-15",),
    "an accepted group key comes from an authorised SGM-S": ("REQ-SEAL-KD-14",),
    "sent I_MESSAGE carries the sender's own URI in IDRi": ("REQ-SEAL-KD-05",),
    "sent SK-ID has a registered purpose": ("REQ-SEAL-KD-02",),
}


def _goal_check(procedure: Procedure, model_step: Step, prop: Expr
                ) -> tuple[z3.ModelRef | None, Z3Reading]:
    z = PROCEDURE.z3_reading(model_step, procedure.policy)
    reference = z.with_policy(PROCEDURE.policy)
    hyps = [*z.domain(), *(g.expr.to_z3(z) for g in model_step.guards)]
    return counterexample(hyps, prop.to_z3(reference)), z


def check(procedure: Procedure) -> dict[tuple[str, str], tuple[z3.ModelRef | None, Z3Reading]]:
    """(step number, property) -> counterexample or None, and the step's z3 reading."""
    out = {}
    for (role, message), props in PROPERTIES.items():
        step = procedure.step_for(role, message)
        for name, prop in props.items():
            out[(step.number, name)] = _goal_check(procedure, step, prop)
    return out


def prove(quick: bool = False) -> list[ProofResult]:
    """Every row, each on every generated mutant (``quick``: no field-swap mutants)."""
    results, seconds = timed(lambda: check(PROCEDURE))
    rows = {key: ProofResult(f"SEAL step {key[0]}: {key[1]}", ASSUMPTION, model is None,
                             seconds / len(results), None if model is None else describe(model),
                             requirements=REQUIREMENTS[key[1]])
            for key, (model, _) in results.items()}
    for mutant in mutants(PROCEDURE, quick=quick):
        mres, mseconds = timed(functools.partial(check, mutant.procedure))
        for key, (model, _) in mres.items():
            rows[key].mutants.append(MutantResult(mutant.name, model is not None,
                                                  None if model is None else describe(model),
                                                  mark(PROCEDURE, mutant)))
            rows[key].seconds += mseconds / len(mres)
    return list(rows.values())


# --------------------------------------------------------------------------- replay


def replay(mutant: Mutant, number: str, model: z3.ModelRef, z: Z3Reading) -> dict[str, Any]:
    """Run a counterexample through the runtime: the mutant's role machine accepts it, the
    model's refuses it.  Returns what each did.  ``number`` is a key of :func:`check`."""
    step = mutant.procedure.step(number)
    message, role_vars, now = concretize(model, z, step, mutant.procedure)
    facts = ModelFacts(model, z)
    noop = EffectRegistry({e: (lambda ctx: None) for s in PROCEDURE.steps for e in s.effects})
    outcome: dict[str, Any] = {}
    for label, proc in (("mutant", mutant.procedure), ("model", PROCEDURE)):
        machine = RoleMachine(proc, step.role, vars=dict(role_vars), facts=facts, effects=noop)
        try:
            machine.check_guards(proc.step(number), message, now=now)
            outcome[label] = "accepted"
        except Exception as exc:
            outcome[label] = exc
    return outcome


__all__ = ["PROPERTIES", "ModelFacts", "check", "concretize", "prove", "replay"]
