"""Guard regression rows of the SIP registration model (seed 001 steps 1, 2 and 4,
``models/procedures/sip_registration``).

Each row reads one step of the model (or of a mutant) through ``to_z3`` and checks that its
guards imply what the step's requirements say, written here from REQ-SIPREG-01..08 in the
model's expression language, with the model's policy.  These rows cannot find an attack
(:mod:`mckm.proofs.regression`): they compose no steps and no attacker.  They are what makes
every drop, policy and field-swap mutant of the model a finding.

Leaves out (not proved here): the properties across steps under a network attacker (a binding
only for the holder of a valid access token presented through the SIP core for a registered
IMPU; a token bound at most once).  ``tests/sip_core`` checks them on real sockets, and with
each guard dropped (``test_model.py``).
"""

from __future__ import annotations

from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.expr import And, Eq, Expr, Field, In, Not, Now, Self
from mckm.models.procedures.mikey_ticket.terms import AtMost
from mckm.models.procedures.mutants import Mutant
from mckm.models.procedures.predicates import (
    SIP_REGISTERED,
    SIP_SERVES,
    SIP_TOKEN_UNUSED,
    TOKEN_SCOPES,
    TOKEN_VALID,
)
from mckm.models.procedures.skm_s import Implies, Lit
from mckm.proofs import regression
from mckm.proofs.regression import StepKey
from mckm.proofs.result import ProofResult

PROCEDURE = model.PROCEDURE
F = Field
TOKEN = F("token")


def _same(*names: str) -> Expr:
    return And(*(Eq(F(n), Self(n)) for n in names))


STATEMENTS: dict[StepKey, dict[str, Expr]] = {
    StepKey("sip_core", "REGISTER", "receive"): {
        "the SIP core binds only an IMPU it serves, for 0 or at least MIN_EXPIRES seconds "
        "(REQ-SIPREG-01)":
            And(SIP_SERVES(F("impu")),
                Implies(Not(Eq(F("expires"), Lit(0))),
                        AtMost(Lit(model.MIN_EXPIRES), F("expires"))))},
    StepKey("sip_core", "THIRD_PARTY_REGISTER", "send"): {
        "the third-party REGISTER names the registration just made, in the SIP core's name "
        "(REQ-SIPREG-02)": And(_same("impu", "expires"), Eq(F("core"), Self("core_uri")))},
    StepKey("sip_core", "REGISTER_OK", "send"): {
        "the 200 answers the IMPU registered (REQ-SIPREG-01)": _same("impu")},
    StepKey("mcptt_server", "THIRD_PARTY_REGISTER", "receive"): {
        "the MCPTT server records a registration only from its SIP core, by URI and path "
        "(REQ-SIPREG-03)":
            And(Eq(F("core"), Self("core_uri")), Eq(F("via"), Self("core_address")))},
    StepKey("ue", "REGISTER_OK", "receive"): {
        "the UE takes a registration answer only for its IMPU (REQ-SIPREG-08)": _same("impu")},
    StepKey("sip_core", "PUBLISH", "receive"): {
        "the SIP core forwards a PUBLISH only from a registered IMPU (REQ-SIPREG-04)":
            SIP_REGISTERED(Self("registrations"), F("impu"), Now())},
    StepKey("sip_core", "PUBLISH_ASSERTED", "send"): {
        "the SIP core asserts the registered publisher and its contact (REQ-SIPREG-04)":
            _same("impu", "contact")},
    StepKey("mcptt_server", "PUBLISH_ASSERTED", "receive"): {
        "the MCPTT server binds only through its SIP core, for the poc-settings package, a "
        "registered IMPU and a valid access token never presented before that grants the "
        "MCPTT service scope (REQ-SIPREG-05, -06)":
            And(Eq(F("via"), Self("core_address")), Eq(F("event"), Lit(model.EVENT)),
                SIP_REGISTERED(Self("registrations"), F("impu"), Now()),
                TOKEN_VALID(TOKEN, Now()), In(Self("scope"), TOKEN_SCOPES(TOKEN)),
                SIP_TOKEN_UNUSED(Self("tokens_used"), TOKEN))},
    StepKey("mcptt_server", "PUBLISH_OK", "send"): {
        "the profile is the binding just made (REQ-SIPREG-07)":
            _same("mcptt_id", "impu", "session")},
    StepKey("ue", "PUBLISH_OK", "receive"): {
        "the UE takes a profile only for its MCPTT ID and IMPU (REQ-SIPREG-08)":
            _same("mcptt_id", "impu")},
}


def prove(quick: bool = False) -> list[ProofResult]:
    """Every regression row, each run on every generated mutant of the model."""
    return regression.prove_rows("SIP registration", PROCEDURE, STATEMENTS, "sip ", quick)


def all_mutants(quick: bool = False) -> list[Mutant]:
    """Every generated mutant of the model, named as ``prove`` names them."""
    return regression.prefixed_mutants(PROCEDURE, "sip ", quick)
