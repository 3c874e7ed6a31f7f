"""Guard regression rows of the CEK model (seed 001; ``mckm.models.procedures.cek``).

Each row reads one step of the model (or of a mutant) through ``to_z3`` and checks that its
guards (and, for a branch, its ``when``) imply what the step's requirements say, written here
from REQ-CEK-11..18 in the model's expression language, with the model's policy.  These rows
cannot find an attack (:mod:`mckm.proofs.regression`): they compose no steps and no attacker.
They are what makes every drop, when and policy mutant of the model a finding.

Leaves out (not proved here): the protocol properties of issue 14 under a Dolev-Yao attacker
(a CEK released only to the holder of a valid KMS access token for that user; a Key ID names
one (user, session); no CEK reaches anyone but that user's client and the MCPTT server; a
retired CEK never accepted again).  The runtime tests of ``tests/cek`` check them on the real
endpoints, including the models with a guard dropped.
"""

from __future__ import annotations

from mckm.models.procedures import cek
from mckm.models.procedures.expr import And, Eq, Expr, Field, In, Not, Now, Self
from mckm.models.procedures.mutants import Mutant
from mckm.models.procedures.predicates import (
    CEK_HELD,
    CEK_IS_LIVE,
    CEK_KEY_ID_SEEN,
    CEK_LIVE_FOR,
    TOKEN_SCOPES,
    TOKEN_SUBJECT,
    TOKEN_VALID,
)
from mckm.models.procedures.skm_s import Given, Implies, UriText
from mckm.proofs import regression
from mckm.proofs.regression import StepKey
from mckm.proofs.result import ProofResult

PROCEDURE = cek.PROCEDURE
TOKEN, USER, SESSION, KEY_ID = Field("token"), Field("user"), Field("session"), Field("key_id")

#: the KMS access token authorises this user (REQ-CEK-11)
AUTHORISED = And(TOKEN_VALID(TOKEN, Now()), In(Self("scope"), TOKEN_SCOPES(TOKEN)),
                 Eq(UriText(TOKEN_SUBJECT(TOKEN)), USER))
FOR_ME = And(Eq(USER, Self("user")), Eq(SESSION, Self("session")))
FROM_KMS = Eq(Field("peer"), Self("kms_identity"))
UPDATE = And(AUTHORISED, In(Field("want"), Self("wants")),
             Implies(Given(KEY_ID), CEK_IS_LIVE(KEY_ID, USER, SESSION)),
             CEK_LIVE_FOR(USER, SESSION))

STATEMENTS: dict[StepKey, dict[str, Expr]] = {
    StepKey("kms", "CEK_REQUEST", "receive"): {
        "a CEK is issued only on a valid KMS access token for the user asked for, with the key "
        "management scope, and only while the session has no live CEK (REQ-CEK-11, -12)":
            And(AUTHORISED, Not(CEK_LIVE_FOR(USER, SESSION)))},
    StepKey("kms", "UPDATE_REQUEST", "receive", branch=True): {
        "the same CEK is given again only for a resync of the live Key ID, younger than "
        "cek_refresh_age, to its authorised user (REQ-CEK-11, -15)": And(UPDATE, cek.RESYNC)},
    StepKey("kms", "UPDATE_REQUEST", "receive"): {
        "a new CEK replaces only the live CEK of an authorised user's session, named by its "
        "live Key ID if any (REQ-CEK-11, -15)": UPDATE},
    StepKey("kms", "RETIRE_REQUEST", "receive"): {
        "only the authorised user retires only its live Key ID (REQ-CEK-11, -17)":
            And(AUTHORISED, CEK_IS_LIVE(KEY_ID, USER, SESSION))},
    StepKey("server", "CEK_PUSH", "receive"): {
        "the MCPTT server takes a CEK only from the KMS's TLS identity, under a Key ID it never "
        "held (REQ-CEK-14)": And(FROM_KMS, Not(CEK_KEY_ID_SEEN(KEY_ID)))},
    StepKey("server", "RETIRE_PUSH", "receive"): {
        "the MCPTT server drops a CEK only on the KMS's word, one it holds for that user and "
        "session (REQ-CEK-17)": And(FROM_KMS, CEK_HELD(KEY_ID, USER, SESSION))},
    StepKey("client", "CEK_RESPONSE", "receive"): {
        "the client keeps a CEK only for the user and session it asked for (REQ-CEK-18)":
            FOR_ME},
    StepKey("client", "CEK_NOTIFY", "receive"): {
        "the client takes a pushed CEK only from the KMS's TLS identity, for its session "
        "(REQ-CEK-16)": And(FROM_KMS, FOR_ME)},
    StepKey("client", "RETIRED", "receive"): {
        "the client drops the CEK only on an answer for its user and session (REQ-CEK-17)":
            FOR_ME},
}


def prove(quick: bool = False) -> list[ProofResult]:
    """Every regression row, each run on every generated mutant of the model."""
    return regression.prove_rows("CEK", PROCEDURE, STATEMENTS, "cek ", quick)


def all_mutants(quick: bool = False) -> list[Mutant]:
    """Every generated mutant of the CEK model, named as ``prove`` names them."""
    return regression.prefixed_mutants(PROCEDURE, "cek ", quick)
