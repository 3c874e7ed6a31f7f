"""The IdM's authorisation code flow with PKCE (TS 33.180 5.1.2.3, B.4.2; seed 001 step 3a).

Models the native MC client's OpenID Connect flow of TS 33.180 B.4.2 with the user name and
password login of 5.1.2.3.2: the authentication request at ``/authorize`` (B.4.2.2, RFC 6749
4.1.1, RFC 7636 4.3), the login form posted back with the credentials (5.1.2.3.2 steps 3a,
3b), the authentication response redirected to the client with ``code`` and ``state``
(B.4.2.3, RFC 6749 4.1.2), the token request at ``/token`` (B.4.2.4, RFC 6749 4.1.3, RFC 7636
4.5) and the token response (B.4.2.5).  Roles: the ``client`` (the native MC client with its
user agent) and the ``idm``.  Requirement ids REQ-IDM-nn; their texts live here and are
spliced on ``spec/idm-tokens.md``.

Each HTTP request is one run of the ``idm`` (state ``listening``).  Every refusal is a guard
with its HTTP status and the OAuth error code of :data:`OAUTH_ANSWERS` (RFC 6749 4.1.2.1 for
``/authorize``, 5.2 for ``/token``, RFC 7636 4.4.1 and 4.6): a fault of ``client_id`` or
``redirect_uri`` is a 400 page and is never redirected (RFC 6749 4.1.2.1: "MUST NOT
automatically redirect"); every other fault of the authentication request is redirected to the
client with ``error`` and ``state``; a wrong password gets the form again (401).

A token request is read twice, as two messages of one run (RFC 6749 4.1.2: the code is used by
being presented): ``TOKEN_REQUEST`` takes the code (it must be issued and never presented
before; the effect marks it used), then ``CODE_BINDING`` checks what the code is bound to (not
expired, the same client and redirect URI, the PKCE verifier).  So a code is consumed by its
first presentation whatever the outcome of the second check (REQ-IDM-05): a wrong verifier
cannot be retried.

Leaves out: refresh tokens (B.5), token exchange (B.7), the user agent's HTML (the form is a
message with no fields here), the tokens' content (``impl/roles/idm/tokens.py``; what a KMS
checks of them is REQ-IDM-20..23, the ``token-*`` guards of the KMS models) and the signing
keys' rollover (REQ-IDM-10..13, ``impl/roles/idm/keys.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import z3

from mckm.models.procedures.expr import Env, Eq, Expr, Field, In, Not, Now, Self, Z3Reading
from mckm.models.procedures.mikey_ticket.terms import AtMost
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
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
from mckm.models.procedures.skm_s import ABSENT, Given, Lit
from mckm.models.procedures.verdict import YES, Verdict

CLAUSE = ("TS 33.180 5.1.2.3.2, B.4.2; RFC 6749 4.1, 5.2; RFC 7636 4; seed 001 (TR 33.879 "
          "7.x.2 step 3a)")

#: TS 33.180 B.4.2.2: the only response type and challenge method of the profile; B.4.2.4: the
#: grant type; B.4.2.5: the token type
RESPONSE_TYPE, CHALLENGE_METHOD, GRANT_TYPE = "code", "S256", "authorization_code"
TOKEN_TYPE = "Bearer"
#: TS 33.180 B.4.2.2: "The scope value "openid" ... is mandatory"; acr_values
#: "3gpp:acr:password" is mandatory to support (the IdM's tokens carry it as acr)
OPENID, ACR_PASSWORD = "openid", "3gpp:acr:password"

REQUIREMENTS: Mapping[str, str] = {
    "REQ-IDM-01": "The IdM is served over HTTPS only (TS 33.180 B.12; TLS 1.2 or later). Its "
                  "issuer identifier (iss) is its base URL. A path it does not serve is 404, a "
                  "method a path does not take is 405.",
    "REQ-IDM-02": "An authentication request (B.4.2.2) names a registered client_id and, "
                  "character for character, one of its registered redirect URIs (B.3, RFC 6749 "
                  "3.1.2.3); otherwise it is a 400 page and nothing is redirected. Every other "
                  "fault is redirected to the client with error, error_description and the "
                  "state (RFC 6749 4.1.2.1): response_type not code is "
                  "unsupported_response_type; a scope without openid or with a value B.4.2.2 "
                  "does not define is invalid_scope; no state, no 3gpp:acr:password in "
                  "acr_values, no code_challenge (code challenge required, RFC 7636 4.4.1), a "
                  "code_challenge_method other than S256 or a challenge that is not 43 "
                  "base64url characters is invalid_request.",
    "REQ-IDM-03": "The user logs in with MC ID and password (5.1.2.3.2 steps 3a, 3b); passwords "
                  "are stored as scrypt hashes (RFC 7914; N = 2^14, r = 8, p = 1, 16-octet "
                  "salt). A wrong password and an unknown user get the same answer, the form "
                  "again with 'The user name or password is wrong.' (401), and cost the same "
                  "scrypt work; no code is made.",
    "REQ-IDM-04": "An authorisation code is 256 random bits (base64url), bound to the client, "
                  "the redirect URI, the user, the granted scopes, the nonce and the PKCE "
                  "challenge, and lives code_lifetime seconds (60 s by default, at most 600 s: "
                  "RFC 6749 4.1.2); an expired code is invalid_grant.",
    "REQ-IDM-05": "A code is consumed by its first presentation at /token, whatever the outcome "
                  "(a wrong verifier cannot be retried); a code never issued is invalid_grant, "
                  "a second presentation is invalid_grant 'already used'. RFC 6749 4.1.2 also "
                  "says the server SHOULD revoke the tokens issued from a code presented twice: "
                  "not done (tokens are not tracked; they expire).",
    "REQ-IDM-06": "A token request (B.4.2.4) has grant_type authorization_code "
                  "(unsupported_grant_type), code, client_id, redirect_uri and code_verifier "
                  "(invalid_request), and a registered client_id (invalid_client, 401). The "
                  "code must have been issued to that client, the redirect_uri be identical to "
                  "the authentication request's, the verifier be 43-128 unreserved characters "
                  "(RFC 7636 4.1) and BASE64URL(SHA-256(verifier)) equal the challenge (RFC "
                  "7636 4.6); each otherwise is invalid_grant with the reason. The client is "
                  "public: PKCE is its authentication (B.4.2.4), no client secret.",
    "REQ-IDM-07": "The token response (B.4.2.5) is JSON with access_token, token_type Bearer, "
                  "expires_in, id_token, scope and, when a key management scope was granted, "
                  "kms_access_token (RFC 6749 5.1 allows extra members); Cache-Control "
                  "no-store, Pragma no-cache. No refresh token is issued (B.5 not "
                  "implemented). The client takes only Bearer tokens.",
    "REQ-IDM-08": "The authentication response echoes the request's state (RFC 6749 4.1.2), "
                  "and the client takes a code only with the state it sent (B.4.2.3; RFC 6749 "
                  "10.12: cross-site request forgery).",
    "REQ-IDM-10": "The IdM signs with P-256 keys (ES256, RFC 7518 3.4), each named by its RFC "
                  "7638 thumbprint as kid, published at /jwks with alg ES256 and use sig.",
    "REQ-IDM-11": "A new signing key is published before it signs: the JWKS holds the current "
                  "key and the next one, and a rollover makes the next key current (a relying "
                  "party that fetched the JWKS before the rollover already knows it).",
    "REQ-IDM-12": "A retired key stays in the JWKS until token_lifetime seconds after its "
                  "retirement, when the last token it signed has expired; then it leaves.",
    "REQ-IDM-13": "A relying party (the KMS) fetches the JWKS from jwks_uri over HTTPS trusting "
                  "the IdM's CA, and fetches it again when a token names a kid it does not "
                  "know, at most once per min_interval seconds (default 5), so that made-up "
                  "kids cannot make it hammer the IdM; an IdM that cannot be read is named in "
                  "the refusal.",
    "REQ-IDM-20": "The algorithm is pinned: the joserfc registry the KMS uses knows ES256 only "
                  "(none and HS256 included, anything else is refused). The kid must name a "
                  "key of the JWKS (with several keys a token without kid is refused). The "
                  "signature must verify (joserfc) and be low-S (s <= n/2): joserfc accepts "
                  "both (r, s) and (r, n - s), so this rule is the project's own, and the IdM "
                  "signs low-S.",
    "REQ-IDM-21": "iss is the IdM's issuer URL and aud the KMS's audience: the MCPTT server's "
                  "access token is refused by the KMS. mcptt_id, scope, exp, iss and aud are "
                  "required (an ID token has no scope).",
    "REQ-IDM-22": "The stated clock skew is 30 s, TS 33.180 B.2.1.2 / B.2.2.2's maximum: nbf "
                  "and iat may lie up to 30 s ahead of the KMS's clock; exp gets no leeway "
                  "(expired at exp <= now). A token lives at most 86,400 s after iat.",
    "REQ-IDM-23": "scope includes 3gpp:mc:ptt_key_management_service (403) and mcptt_id is the "
                  "MC ID the request is for (403), the MC ID being enrolled at the KMS (403).",
}

#: guard name -> (HTTP status, OAuth error code) of its refusal (RFC 6749 4.1.2.1, 5.2; RFC
#: 7636 4.4.1, 4.6).  302: redirected to the client with the error; no code: a 400 page (an
#: unchecked client or redirect URI) or the login form again (401).
OAUTH_ANSWERS: Mapping[str, tuple[int, str | None]] = {
    "client-registered": (400, None),
    "redirect-registered": (400, None),
    "response-type-code": (302, "unsupported_response_type"),
    "scope-openid": (302, "invalid_scope"),
    "scope-defined": (302, "invalid_scope"),
    "state-given": (302, "invalid_request"),
    "acr-password": (302, "invalid_request"),
    "challenge-given": (302, "invalid_request"),
    "challenge-s256": (302, "invalid_request"),
    "challenge-form": (302, "invalid_request"),
    "password-right": (401, None),
    "grant-type": (400, "unsupported_grant_type"),
    "token-request-complete": (400, "invalid_request"),
    "token-client-registered": (401, "invalid_client"),
    "code-issued": (400, "invalid_grant"),
    "code-unused": (400, "invalid_grant"),
    "code-unexpired": (400, "invalid_grant"),
    "code-client": (400, "invalid_grant"),
    "code-redirect": (400, "invalid_grant"),
    "verifier-form": (400, "invalid_grant"),
    "verifier-matches": (400, "invalid_grant"),
}
#: the OAuth error of a request the model cannot read (a field missing or ill-typed)
FIELD_ERROR = "invalid_request"

_IDENT, _BLOB, _SET = "ident", "blob", "set[ident]"
_GRAMMAR = ("HTTP query or application/x-www-form-urlencoded body (RFC 6749 4.1, Appendix B): "
            "mckm.impl.roles.idm.wire")


def _msg(name: str, clause: str, fields: Mapping[str, tuple[str, str]],
         optional: tuple[str, ...] = ()) -> MessageSpec:
    return MessageSpec(name, {k: t for k, (t, _) in fields.items()}, grammar=_GRAMMAR,
                       paths={k: p for k, (_, p) in fields.items()}, clause=clause,
                       optional=frozenset(optional))


#: the parameters of an authentication request (B.4.2.2); an absent text parameter is ''
#: and an absent identifier None, so that a guard (not the field check) refuses it
_AUTH_FIELDS: Mapping[str, tuple[str, str]] = {
    "client_id": (_IDENT, "client_id"),
    "redirect_uri": (_IDENT, "redirect_uri"),
    "response_type": (_IDENT, "response_type"),
    "scope": (_BLOB, "scope (space-delimited)"),
    "state": (_BLOB, "state"),
    "acr_values": (_BLOB, "acr_values (space-delimited)"),
    "code_challenge": (_BLOB, "code_challenge"),
    "code_challenge_method": (_IDENT, "code_challenge_method"),
}
_AUTH_OPTIONAL = ("client_id", "redirect_uri", "response_type", "code_challenge_method")
_TOKEN_FIELDS: Mapping[str, tuple[str, str]] = {
    "grant_type": (_IDENT, "grant_type"),
    "code": (_BLOB, "code"),
    "client_id": (_IDENT, "client_id"),
    "redirect_uri": (_IDENT, "redirect_uri"),
    "code_verifier": (_BLOB, "code_verifier"),
}
_TOKEN_OPTIONAL = ("grant_type", "client_id", "redirect_uri")

AUTH_REQUEST = _msg("AUTH_REQUEST", "TS 33.180 B.4.2.2; RFC 6749 4.1.1; RFC 7636 4.3 (GET "
                    "/authorize, query)", _AUTH_FIELDS, _AUTH_OPTIONAL)
LOGIN_FORM = _msg("LOGIN_FORM", "TS 33.180 5.1.2.3.2 step 3a (200, text/html)", {})
LOGIN = _msg("LOGIN", "TS 33.180 5.1.2.3.2 step 3b (POST /authorize, form)", {
    **_AUTH_FIELDS, "username": (_BLOB, "username (the MC ID)"),
    "password": (_BLOB, "password")}, _AUTH_OPTIONAL)
AUTH_RESPONSE = _msg("AUTH_RESPONSE", "TS 33.180 B.4.2.3; RFC 6749 4.1.2 (302, Location "
                     "query)", {"code": (_BLOB, "code"), "state": (_BLOB, "state")})
TOKEN_REQUEST = _msg("TOKEN_REQUEST", "TS 33.180 B.4.2.4; RFC 6749 4.1.3; RFC 7636 4.5 (POST "
                     "/token, form)", _TOKEN_FIELDS, _TOKEN_OPTIONAL)
CODE_BINDING = _msg("CODE_BINDING", "RFC 6749 4.1.3; RFC 7636 4.6 (the same POST /token, read "
                    "for what the code is bound to)", _TOKEN_FIELDS, _TOKEN_OPTIONAL)
TOKEN_RESPONSE = _msg("TOKEN_RESPONSE", "TS 33.180 B.4.2.5; RFC 6749 5.1 (200, JSON)", {
    "token_type": (_IDENT, "token_type"), "access_token": (_BLOB, "access_token"),
    "id_token": (_BLOB, "id_token")})
MESSAGES = (AUTH_REQUEST, LOGIN_FORM, LOGIN, AUTH_RESPONSE, TOKEN_REQUEST, CODE_BINDING,
            TOKEN_RESPONSE)

#: path -> method -> the request message it carries (REQ-IDM-01)
ENDPOINTS: Mapping[str, Mapping[str, str]] = {
    "/authorize": {"GET": "AUTH_REQUEST", "POST": "LOGIN"},
    "/token": {"POST": "TOKEN_REQUEST"},
}

# --------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class SubsetOf(Expr):
    """Every member of ``part`` is in ``whole``; a refusal names the members that are not."""

    part: Expr
    whole: Expr

    def to_python(self, env: Env) -> Any:
        extra = sorted(set(self.part.to_python(env)) - set(self.whole.to_python(env)))
        return YES if not extra else Verdict.no(f"{' '.join(extra)} not defined")

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.IsSubset(self.part.to_z3(z), self.whole.to_z3(z))

    def to_text(self) -> str:
        return f"{self.part.to_text()} <= {self.whole.to_text()}"


@dataclass(frozen=True)
class Required(Expr):
    """Every one of ``fields`` is given; a refusal names the first that is not."""

    fields: tuple[Expr, ...]

    def __init__(self, *fields: Expr) -> None:
        object.__setattr__(self, "fields", tuple(fields))

    def _rebuild(self, changes: dict[str, Any]) -> Expr:
        return Required(*changes["fields"])

    def to_python(self, env: Env) -> Any:
        for f in self.fields:
            if f.to_python(env) in (ABSENT, None):
                return Verdict.no(f"{f.to_text()} is required")
        return YES

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.And([Given(f).to_z3(z) for f in self.fields])

    def to_text(self) -> str:
        return "given(" + ", ".join(f.to_text() for f in self.fields) + ")"


# --------------------------------------------------------------------------- guards

F = Field
CODE = F("code")


def guard(name: str, expr: Expr, requirement: str, reason: str, *detects: str) -> Guard:
    """A guard whose HTTP status is :data:`OAUTH_ANSWERS` [name]."""
    return Guard(name, expr, requirement, reason, None, detects, OAUTH_ANSWERS[name][0])


G_CLIENT = guard("client-registered", IDM_CLIENT_REGISTERED(F("client_id")), "REQ-IDM-02",
                 "client_id is missing or not registered (TS 33.180 B.3)", "misaddressed")
G_REDIRECT = guard("redirect-registered",
                   IDM_REDIRECT_REGISTERED(F("client_id"), F("redirect_uri")), "REQ-IDM-02",
                   "redirect_uri is missing or not one registered for the client (TS 33.180 "
                   "B.4.2.2, RFC 6749 3.1.2.3)", "misaddressed")
AUTH_GUARDS = (
    G_CLIENT, G_REDIRECT,
    guard("response-type-code", Eq(F("response_type"), Lit(RESPONSE_TYPE)), "REQ-IDM-02",
          "response_type must be code (TS 33.180 B.4.2.2)", "malformed"),
    guard("scope-openid", In(Lit(OPENID), IDM_WORDS(F("scope"))), "REQ-IDM-02",
          "scope must include openid (TS 33.180 B.4.2.2)", "malformed"),
    guard("scope-defined", SubsetOf(IDM_WORDS(F("scope")), Self("scopes")), "REQ-IDM-02",
          "scope values TS 33.180 B.4.2.2 does not define", "malformed"),
    guard("state-given", Given(F("state")), "REQ-IDM-02", "state is required (TS 33.180 "
          "B.4.2.2)", "malformed"),
    guard("acr-password", In(Lit(ACR_PASSWORD), IDM_WORDS(F("acr_values"))), "REQ-IDM-02",
          f"acr_values must include {ACR_PASSWORD} (TS 33.180 B.4.2.2)", "malformed"),
    guard("challenge-given", Given(F("code_challenge")), "REQ-IDM-02",
          "code challenge required (RFC 7636 4.4.1)", "malformed"),
    guard("challenge-s256", Eq(F("code_challenge_method"), Lit(CHALLENGE_METHOD)), "REQ-IDM-02",
          "transform algorithm not supported: code_challenge_method must be S256 (TS 33.180 "
          "B.4.2.2, RFC 7636 4.4.1)", "malformed"),
    guard("challenge-form", PKCE_FORM(F("code_challenge"), kind="challenge"), "REQ-IDM-02",
          "code_challenge is not 43 base64url characters (RFC 7636 4.2)", "malformed"),
)
G_PASSWORD = guard("password-right", IDM_LOGIN(F("username"), F("password")), "REQ-IDM-03",
                   "The user name or password is wrong.", "bad-credentials")
G_STATE_ECHOED = Guard("state-echoed", Eq(F("state"), Self("state")), "REQ-IDM-08",
                       "the response carries another state than the request's")
G_STATE_OURS = Guard("state-is-ours", Eq(F("state"), Self("state")), "REQ-IDM-08",
                     "the state of the response is not ours (B.4.2.3)",
                     detects=("forged-response",))

TOKEN_GUARDS = (
    guard("grant-type", Eq(F("grant_type"), Lit(GRANT_TYPE)), "REQ-IDM-06",
          "grant_type must be authorization_code (TS 33.180 B.4.2.4)", "malformed"),
    guard("token-request-complete", Required(CODE, F("client_id"), F("redirect_uri"),
                                             F("code_verifier")), "REQ-IDM-06",
          "a parameter of TS 33.180 B.4.2.4 is missing", "malformed"),
    guard("token-client-registered", IDM_CLIENT_REGISTERED(F("client_id")), "REQ-IDM-06",
          "client_id is not registered (TS 33.180 B.3)", "misaddressed"),
    guard("code-issued", IDM_CODE_ISSUED(CODE), "REQ-IDM-05",
          "the authorisation code is not known (RFC 6749 5.2)", "forged"),
    guard("code-unused", IDM_CODE_UNUSED(CODE), "REQ-IDM-05",
          "the authorisation code was already used (RFC 6749 4.1.2: single use)", "replay"),
)
BINDING_GUARDS = (
    guard("code-unexpired", Not(AtMost(IDM_CODE_EXPIRES(CODE), Now())), "REQ-IDM-04",
          "the authorisation code has expired (RFC 6749 4.1.2)", "stale"),
    guard("code-client", Eq(F("client_id"), IDM_CODE_CLIENT(CODE)), "REQ-IDM-06",
          "the authorisation code was issued to another client (RFC 6749 4.1.3)",
          "misaddressed"),
    guard("code-redirect", Eq(F("redirect_uri"), IDM_CODE_REDIRECT(CODE)), "REQ-IDM-06",
          "redirect_uri is not the one of the authentication request (TS 33.180 B.4.2.4)",
          "misaddressed"),
    guard("verifier-form", PKCE_FORM(F("code_verifier"), kind="verifier"), "REQ-IDM-06",
          "code_verifier is not 43-128 unreserved characters (RFC 7636 4.1)", "malformed"),
    guard("verifier-matches", Eq(PKCE_S256(F("code_verifier")), IDM_CODE_CHALLENGE(CODE)),
          "REQ-IDM-06", "code_verifier does not match the code_challenge (RFC 7636 4.6)",
          "intercepted"),
)
G_BEARER = Guard("bearer-tokens", Eq(F("token_type"), Lit(TOKEN_TYPE)), "REQ-IDM-07",
                 "the token response is not of type Bearer", detects=("malformed",))

# --------------------------------------------------------------------------- steps

_IDM_VARS = {"scopes": _SET, "state": _BLOB}
_CLIENT_VARS = {"state": _BLOB}

STEPS = (
    Step("1", "client", "send", "AUTH_REQUEST", "idm", "idle", "asked", "REQ-IDM-02",
         "GET /authorize with client_id, redirect_uri, response_type code, scope, state, "
         "acr_values and the S256 code challenge."),
    Step("2", "idm", "receive", "AUTH_REQUEST", "client", "listening", "asking", "REQ-IDM-02",
         "Check the authentication request.", AUTH_GUARDS),
    Step("3", "idm", "send", "LOGIN_FORM", "client", "asking", "answered", "REQ-IDM-03",
         "Answer the login form, carrying the request's parameters.", auto=True),
    Step("4", "client", "receive", "LOGIN_FORM", "idm", "asked", "form", "REQ-IDM-03",
         "Show the form to the user."),
    Step("5", "client", "send", "LOGIN", "idm", "form", "logging-in", "REQ-IDM-03",
         "POST /authorize: the form with user name and password."),
    Step("6", "idm", "receive", "LOGIN", "client", "listening", "authenticated", "REQ-IDM-04",
         "Check the request again and the password; make the authorisation code.",
         (*AUTH_GUARDS, G_PASSWORD), ("idm.make_code",), implements=("REQ-IDM-03",)),
    Step("7", "idm", "send", "AUTH_RESPONSE", "client", "authenticated", "answered",
         "REQ-IDM-08", "302 to the redirect URI with code and the request's state.",
         (G_STATE_ECHOED,), ("idm.redirect",), auto=True),
    Step("8", "client", "receive", "AUTH_RESPONSE", "idm", "logging-in", "authorised",
         "REQ-IDM-08", "Take the code only with the state it sent.", (G_STATE_OURS,)),
    Step("9", "client", "send", "TOKEN_REQUEST", "idm", "authorised", "redeeming",
         "REQ-IDM-06", "POST /token: grant_type, code, client_id, redirect_uri and the "
         "code verifier."),
    Step("10", "idm", "receive", "TOKEN_REQUEST", "client", "listening", "code-taken",
         "REQ-IDM-05", "Take the code: issued, never presented before; it is used from now on.",
         TOKEN_GUARDS, ("idm.take_code",), implements=("REQ-IDM-06",)),
    Step("11", "idm", "receive", "CODE_BINDING", "client", "code-taken", "redeemed",
         "REQ-IDM-06", "Check what the code is bound to: its lifetime, client, redirect URI "
         "and PKCE challenge.", BINDING_GUARDS, implements=("REQ-IDM-04",)),
    Step("12", "idm", "send", "TOKEN_RESPONSE", "client", "redeemed", "answered", "REQ-IDM-07",
         "Answer the ID token, the access token and the KMS access token.",
         effects=("idm.issue_tokens",), auto=True),
    Step("13", "client", "receive", "TOKEN_RESPONSE", "idm", "redeeming", "done", "REQ-IDM-07",
         "Keep the tokens.", (G_BEARER,)),
)

PROCEDURE = Procedure(
    name="idm-authorisation",
    title="The IdM's authorisation code flow with PKCE (TS 33.180 B.4.2; seed 001 step 3a)",
    clause=CLAUSE,
    roles=(
        Role("client", initial="idle", final=("done",), vars=_CLIENT_VARS,
             resumes={"logging-in": "the client posted the login form (its user agent's part)",
                      "redeeming": "the client presented its code"}),
        Role("idm", initial="listening", final=("answered",), vars=_IDM_VARS),
    ),
    messages=MESSAGES,
    steps=STEPS,
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-IDM-01", None, "no such IdM resource, or not in this state"),
    policy={},
    outcome="the client holds the tokens of the user who logged in, and only the client that "
            "holds the PKCE verifier of the request gets them, once",
    leaves_out=(
        "refresh tokens (B.5) and token exchange (B.7): not implemented",
        "the tokens' content and what a KMS checks of them (REQ-IDM-20..23: the token guards "
        "of skm-s-provisioning, cek-management and sip-registration)",
        "the signing keys and their rollover (REQ-IDM-10..13: impl/roles/idm/keys.py)",
        "the user agent's HTML: the login form is a message without fields",
    ),
)


def oauth_answer(guard_name: str | None) -> tuple[int, str | None]:
    """The HTTP status and OAuth error code of a refusal by ``guard_name`` (None: a field the
    model cannot read, RFC 6749 5.2 invalid_request)."""
    if guard_name is None:
        return 400, FIELD_ERROR
    return OAUTH_ANSWERS[guard_name]


__all__ = [
    "ACR_PASSWORD",
    "CLAUSE",
    "ENDPOINTS",
    "MESSAGES",
    "OAUTH_ANSWERS",
    "OPENID",
    "PROCEDURE",
    "REQUIREMENTS",
    "Required",
    "SubsetOf",
    "oauth_answer",
]
