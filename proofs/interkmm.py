"""Guard regression rows of the InterKMM relay models (seed 000, ``models/procedures/interkmm``).

Each row reads one step of a model (or of a mutant) through ``to_z3`` and checks that its
guards imply what the step's requirements say, written here from REQ-IKMM-01, -09..14 in the
model's expression language, with the model's policy.  These rows cannot find an attack
(:mod:`mckm.proofs.regression`): they compose no steps and no attacker.  They are what makes
every drop, policy and field-swap mutant of the two models a finding.

The protocol properties under a Dolev-Yao attacker (the KMM never in clear on a hop, only the
UE, the MCX server and the IWF read it, a replay on either hop refused, an end point never takes
its own InterKMM as its peer's) are the family ``interkmm-attacker``
(:mod:`mckm.proofs.attacker_interkmm`).
"""

from __future__ import annotations

from mckm.models.procedures import interkmm
from mckm.models.procedures.expr import And, Eq, Expr, Field, Msg, NotIn, Now, Policy, Self, Within
from mckm.models.procedures.mikey_ticket.terms import AtMost
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import Mutant
from mckm.models.procedures.predicates import (
    IKMM_AFFILIATED,
    IKMM_KMF_KNOWN,
    IKMM_OPENS,
    IKMM_PROTECTED,
    IKMM_XPK_AVAILABLE,
    IKMM_XPK_OF,
)
from mckm.models.procedures.skm_s import Given
from mckm.proofs import regression
from mckm.proofs.regression import StepKey
from mckm.proofs.result import ProofResult

F = Field
#: every hop: within the size limit, protected, opened under the hop's keyring (REQ-IKMM-01, -10)
OPENED = And(AtMost(F("body_octets"), Policy("max_body_octets")), IKMM_PROTECTED(Msg()),
             IKMM_OPENS(Msg()))
#: never accepted before and recent (REQ-IKMM-09)
FRESH = And(Given(F("msg_id")), Given(F("sent")), Within(F("sent"), Now(), Policy("replay_window")),
            NotIn(F("msg_id"), Self("replay_cache")))
#: the message is in its procedure's direction (REQ-IKMM-16)
DIRECTED = Eq(F("direction"), Policy("direction"))
#: the relayed message is the received one under the next peer's key (REQ-IKMM-12)
KEPT = And(*(Eq(F(name), Self(name)) for name in interkmm.KEPT))

STATEMENTS: dict[str, dict[StepKey, dict[str, Expr]]] = {
    interkmm.IWF_TO_UE.name: {
        StepKey("iwf", "INTERKMM_SPK", "send"): {
            "the IWF sends in its own name under its own SPK, naming its direction "
            "(REQ-IKMM-01, -14, -16)":
                And(Eq(F("xpk_id"), Self("xpk_id")), Eq(F("kmf_id"), Self("kmf_id")),
                    DIRECTED)},
        StepKey("mcx_server", "INTERKMM_SPK", "receive"): {
            "the server relays to a UE only what opened under the SPK of a KMF ID it knows, "
            "fresh, in its direction, for a user affiliated for interworking whose CSK it "
            "holds (REQ-IKMM-11, -16)":
                And(OPENED, IKMM_KMF_KNOWN(F("kmf_id")),
                    Eq(F("xpk_id"), IKMM_XPK_OF(F("kmf_id"))), DIRECTED, FRESH,
                    IKMM_AFFILIATED(F("mcptt_id")), IKMM_XPK_AVAILABLE(F("mcptt_id")))},
        StepKey("mcx_server", "INTERKMM_CSK", "send"): {
            "the server sends the UE what it opened, under the user's CSK (REQ-IKMM-12)":
                And(KEPT, Eq(F("xpk_id"), IKMM_XPK_OF(F("mcptt_id"))))},
        StepKey("ue", "INTERKMM_CSK", "receive"): {
            "the UE accepts only what opened under its CSK, for it, towards it, fresh "
            "(REQ-IKMM-14, -16)":
                And(OPENED, Eq(F("xpk_id"), Self("xpk_id")),
                    Eq(F("mcptt_id"), Self("mcptt_id")), DIRECTED, FRESH)},
    },
    interkmm.UE_TO_IWF.name: {
        StepKey("ue", "INTERKMM_CSK", "send"): {
            "the UE sends in its own name under its own CSK, naming its direction "
            "(REQ-IKMM-01, -14, -16)":
                And(Eq(F("xpk_id"), Self("xpk_id")), Eq(F("mcptt_id"), Self("mcptt_id")),
                    DIRECTED)},
        StepKey("mcx_server", "INTERKMM_CSK", "receive"): {
            "the server relays to the IWF only what opened under the CSK of the MCPTT ID it "
            "names, in its direction, fresh, from a user affiliated for interworking, for a "
            "known KMF ID whose SPK it holds (REQ-IKMM-13, -16)":
                And(OPENED, Eq(F("xpk_id"), IKMM_XPK_OF(F("mcptt_id"))), DIRECTED, FRESH,
                    IKMM_AFFILIATED(F("mcptt_id")), IKMM_KMF_KNOWN(F("kmf_id")),
                    IKMM_XPK_AVAILABLE(F("kmf_id")))},
        StepKey("mcx_server", "INTERKMM_SPK", "send"): {
            "the server sends the IWF what it opened, under the IWF's SPK (REQ-IKMM-12)":
                And(KEPT, Eq(F("xpk_id"), IKMM_XPK_OF(F("kmf_id"))))},
        StepKey("iwf", "INTERKMM_SPK", "receive"): {
            "the IWF accepts only what opened under its SPK, for its KMF ID, towards it, "
            "fresh (REQ-IKMM-14, -16)":
                And(OPENED, Eq(F("xpk_id"), Self("xpk_id")), Eq(F("kmf_id"), Self("kmf_id")),
                    DIRECTED, FRESH)},
    },
}


def _prefix(procedure: Procedure) -> str:
    return f"{procedure.name} "


def prove(quick: bool = False) -> list[ProofResult]:
    """Every regression row of both models, each run on every generated mutant of its model."""
    return [row for p in interkmm.PROCEDURES
            for row in regression.prove_rows(f"InterKMM {p.name}", p, STATEMENTS[p.name],
                                             _prefix(p), quick)]


def all_mutants(quick: bool = False) -> list[Mutant]:
    """Every generated mutant of both models, named as ``prove`` names them."""
    return [m for p in interkmm.PROCEDURES
            for m in regression.prefixed_mutants(p, _prefix(p), quick)]
