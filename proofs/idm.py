"""Guard regression rows of the IdM's authorisation code flow (TS 33.180 B.4.2; RFC 6749 4.1;
RFC 7636; ``mckm.models.procedures.idm``).

Each row reads one guarded step of the model (or of a mutant) through ``to_z3`` and checks that
its guards imply what the step's requirements say, written here from REQ-IDM-02..08 in the
model's expression language.  These rows cannot find an attack (:mod:`mckm.proofs.regression`):
they compose no steps and no attacker (no code interception, no mix-up between IdMs, no CSRF
run).  They make every drop and field-swap mutant of the model a finding; ``tests/idm`` shows
the same guards on the real HTTPS endpoint, each with the model's mutant without it.
"""

from __future__ import annotations

from mckm.models.procedures import idm
from mckm.models.procedures.expr import And, Eq, Expr, Field, In, Not, Now, Self
from mckm.models.procedures.mikey_ticket.terms import AtMost
from mckm.models.procedures.mutants import Mutant
from mckm.models.procedures.predicates import (
    IDM_CLIENT_REGISTERED,
    IDM_CODE_CHALLENGE,
    IDM_CODE_CLIENT,
    IDM_CODE_EXPIRES,
    IDM_CODE_ISSUED,
    IDM_CODE_REDIRECT,
    IDM_CODE_UNUSED,
    IDM_LOGIN,
    IDM_REDIRECT_REGISTERED,
    IDM_WORDS,
    PKCE_FORM,
    PKCE_S256,
)
from mckm.models.procedures.skm_s import Given, Lit
from mckm.proofs import regression
from mckm.proofs.regression import StepKey
from mckm.proofs.result import ProofResult

PROCEDURE = idm.PROCEDURE
F = Field
CODE = F("code")

#: REQ-IDM-02: what an authentication request must be before the IdM answers it at all
AUTHENTICATION_REQUEST = And(
    IDM_CLIENT_REGISTERED(F("client_id")),
    IDM_REDIRECT_REGISTERED(F("client_id"), F("redirect_uri")),
    Eq(F("response_type"), Lit(idm.RESPONSE_TYPE)),
    In(Lit(idm.OPENID), IDM_WORDS(F("scope"))),
    idm.SubsetOf(IDM_WORDS(F("scope")), Self("scopes")),
    Given(F("state")),
    In(Lit(idm.ACR_PASSWORD), IDM_WORDS(F("acr_values"))),
    Given(F("code_challenge")),
    Eq(F("code_challenge_method"), Lit(idm.CHALLENGE_METHOD)),
    PKCE_FORM(F("code_challenge"), kind="challenge"))
STATE_ECHOED = Eq(F("state"), Self("state"))

STATEMENTS: dict[StepKey, dict[str, Expr]] = {
    StepKey("idm", "AUTH_REQUEST", "receive"): {
        "the login form answers only a registered client at one of its redirect URIs asking "
        "for a code with openid and defined scopes, a state, the password acr and an S256 "
        "challenge (REQ-IDM-02)": AUTHENTICATION_REQUEST},
    StepKey("idm", "LOGIN", "receive"): {
        "a code is made only for such a request and the user's right password (REQ-IDM-02, "
        "-03)": And(AUTHENTICATION_REQUEST, IDM_LOGIN(F("username"), F("password")))},
    StepKey("idm", "AUTH_RESPONSE", "send"): {
        "the authentication response echoes the request's state (REQ-IDM-08)": STATE_ECHOED},
    StepKey("client", "AUTH_RESPONSE", "receive"): {
        "the client takes a code only with the state it sent (REQ-IDM-08)": STATE_ECHOED},
    StepKey("idm", "TOKEN_REQUEST", "receive"): {
        "a code is taken only from a complete authorization_code request of a registered "
        "client, and only a code the IdM issued and never saw before (REQ-IDM-05, -06)": And(
            Eq(F("grant_type"), Lit(idm.GRANT_TYPE)),
            Given(CODE), Given(F("client_id")), Given(F("redirect_uri")),
            Given(F("code_verifier")),
            IDM_CLIENT_REGISTERED(F("client_id")),
            IDM_CODE_ISSUED(CODE), IDM_CODE_UNUSED(CODE))},
    StepKey("idm", "CODE_BINDING", "receive"): {
        "tokens are issued only for an unexpired code, to the client it was issued to, at the "
        "redirect URI of its request, for a well-formed verifier whose S256 is the code's "
        "challenge (REQ-IDM-04, -06)": And(
            Not(AtMost(IDM_CODE_EXPIRES(CODE), Now())),
            Eq(F("client_id"), IDM_CODE_CLIENT(CODE)),
            Eq(F("redirect_uri"), IDM_CODE_REDIRECT(CODE)),
            PKCE_FORM(F("code_verifier"), kind="verifier"),
            Eq(PKCE_S256(F("code_verifier")), IDM_CODE_CHALLENGE(CODE)))},
    StepKey("client", "TOKEN_RESPONSE", "receive"): {
        "the client takes Bearer tokens only (REQ-IDM-07)":
            Eq(F("token_type"), Lit(idm.TOKEN_TYPE))},
}


def prove(quick: bool = False) -> list[ProofResult]:
    """Every regression row, each run on every generated mutant of the model."""
    return regression.prove_rows("IdM", PROCEDURE, STATEMENTS, "idm ", quick)


def all_mutants(quick: bool = False) -> list[Mutant]:
    """Every generated mutant of the IdM model, named as ``prove`` names them."""
    return regression.prefixed_mutants(PROCEDURE, "idm ", quick)
