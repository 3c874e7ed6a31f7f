"""SIP registration and service authorisation at the MCPTT server (seed 001 steps 1, 2 and 4).

Models seed 001 (a pCR to TR 33.879, solution 7.x) figure 7.x.2-1: step 1, the UE registers its
IMPU with the SIP core (REGISTER, RFC 3261 10); step 2, the SIP core tells the MCPTT server of
the registration by a third-party REGISTER (TS 24.229 5.4.1.7) naming the IMPU and the SIP
core's address; step 4, the UE gives the MCPTT server its access token in a PUBLISH (RFC 3903;
TS 24.379 7.2.1A / 7.3.3: an ``application/vnd.3gpp.mcptt-info+xml`` body whose
``mcptt-access-token`` holds it), which the SIP core forwards asserting the registered IMPU
(P-Asserted-Identity, RFC 3325) and the UE's registered contact; the server validates the
token (the IdM's JWKS, ``iss``, ``aud`` = the MCPTT server, ``exp``/``nbf`` with 30 s skew, the
MCPTT service scope, never used before), binds the token's MCPTT ID to the IMPU and the SIP
session (the registered contact), and answers 200 with the service authorisation profile.

Roles: the ``ue``, the ``sip_core`` (registrar and proxy: the S-CSCF and P-CSCF in one) and the
``mcptt_server``.  Each SIP request is one run of the receiving role (state ``listening``); its
state between requests (registrations, bindings, tokens used) is in the role's variables, which
the engine commits only when a run succeeds.  Every refusal is a guard with its SIP status and
reason phrase (:data:`SIP_ANSWERS`, RFC 3261 21; RFC 3903 6).

Leaves out: IMS AKA (TS 33.203) and the IPsec or TLS between UE and P-CSCF (the SIP core takes
the UE's word for its IMPU: this model checks what the MCPTT server can check), the HSS and
initial filter criteria (the SIP core is configured with its one MCPTT server), publication
refresh and removal by SIP-ETag (RFC 3903 4.3-4.5), the poc-settings document that TS 24.379
sends next to the mcptt-info body, and the user profile's content (TS 24.484).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mckm.models.procedures.expr import And, Eq, Expr, Field, In, Not, Now, Self
from mckm.models.procedures.mikey_ticket.terms import AtMost
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
from mckm.models.procedures.predicates import (
    SIP_REGISTERED,
    SIP_SERVES,
    SIP_TOKEN_UNUSED,
    TOKEN_SCOPES,
    TOKEN_VALID,
)
from mckm.models.procedures.skm_s import Implies, Lit

CLAUSE = ("seed 001 (TR 33.879 7.x.2 steps 1, 2, 4); RFC 3261 10; TS 24.229 5.4.1.7; RFC 3903; "
          "RFC 3325; TS 24.379 7.3.3")

#: the event package of the service authorisation PUBLISH (TS 24.379 7.2.1A: poc-settings)
EVENT = "poc-settings"
#: the body type carrying the access token (TS 24.379 Annex F.1: mcptt-info)
MCPTT_INFO_TYPE = "application/vnd.3gpp.mcptt-info+xml"
#: the body type of the service authorisation profile (project choice, spec/cek-smime.md)
PROFILE_TYPE = "application/vnd.mckm.service-authorisation+xml"
#: the scope the access token must grant (TS 33.180 B.4.2.2)
SERVICE_SCOPE = "3gpp:mc:ptt_service"

REQUIREMENTS: Mapping[str, str] = {
    "REQ-SIPREG-01": "The UE registers its IMPU with the SIP core: REGISTER with the IMPU in To, "
                     "its contact in Contact and Expires. The SIP core refuses an IMPU it does "
                     "not serve (404) and an expiry other than 0 below MIN_EXPIRES (423 with "
                     "Min-Expires); it binds the IMPU to the contact and answers 200 with the "
                     "contact and its expiry. Expires 0 removes the binding (RFC 3261 10.2, "
                     "10.3).",
    "REQ-SIPREG-02": "After each successful registration (and de-registration) the SIP core "
                     "sends the MCPTT server a third-party REGISTER: Request-URI the server, "
                     "From and Contact the SIP core's URI, To the IMPU, the same Expires "
                     "(TS 24.229 5.4.1.7). It answers the UE once the server answered or Timer "
                     "F fired: the UE's registration does not depend on the server's answer.",
    "REQ-SIPREG-03": "The MCPTT server takes a third-party REGISTER only from its SIP core (From "
                     "its URI, top Via its address), otherwise 403; it records the IMPU as "
                     "registered until the expiry, and on Expires 0 drops the registration and "
                     "every binding of the IMPU.",
    "REQ-SIPREG-04": "The SIP core forwards a PUBLISH only from a registered IMPU (otherwise "
                     "403), asserting that IMPU in P-Asserted-Identity and the registered "
                     "contact in Contact (RFC 3325 9.1; a P-Asserted-Identity the UE sent is "
                     "removed).",
    "REQ-SIPREG-05": "The MCPTT server takes a service authorisation PUBLISH only through its "
                     "SIP core (top Via), with Event poc-settings (otherwise 489 Bad Event, "
                     "RFC 3903 6) and for an IMPU registered by third-party registration "
                     "(otherwise 403).",
    "REQ-SIPREG-06": "The PUBLISH body is an mcptt-info document whose mcptt-access-token holds "
                     "the access token. The token must be signed by the IdM (its JWKS), from "
                     "the IdM (iss), for the MCPTT server (aud), within exp/nbf (30 s skew for "
                     "nbf and iat), grant the MCPTT service scope and never have been presented "
                     "before; each refusal is 403 with a reason phrase naming what is wrong "
                     "(RFC 3261 21.4.4: the token is in the body, so no 401 challenge "
                     "applies), and nothing is bound.",
    "REQ-SIPREG-07": "On a valid token the MCPTT server binds the token's MCPTT ID to the IMPU "
                     "and the SIP session (the registered contact) and answers 200 with "
                     "SIP-ETag, Expires and the service authorisation profile (MCPTT ID, IMPU, "
                     "session, expiry) for that binding only.",
    "REQ-SIPREG-08": "The UE accepts a registration answer only for its IMPU and a profile only "
                     "for its MCPTT ID and IMPU.",
    "REQ-SIPREG-09": "A request a role does not expect in its state is refused; a role's "
                     "refusal is answered with the SIP status and reason phrase its guard "
                     "names; a request the model cannot read (a field missing) is 400.",
}

#: the model's policy: none.  The shortest registration a SIP core takes (RFC 3261 10.3 step
#: 7: local policy) is a constant: a larger one is stricter, never a way around a guard, so it
#: is no policy mutant of the proofs
POLICY: Mapping[str, Any] = {}
MIN_EXPIRES = 60
#: the longest a binding lasts (seconds), within its registration: the Expires of the 200 to a
#: PUBLISH (RFC 3903 6 step 7); no guard reads it, so it is no policy of the guards
PUBLISH_EXPIRES = 3600

#: guard name -> (SIP status, reason phrase) its refusal is answered with (RFC 3261 21)
SIP_ANSWERS: Mapping[str, tuple[int, str]] = {
    "impu-served": (404, "Not Found"),
    "expires-acceptable": (423, "Interval Too Brief"),
    "from-sip-core": (403, "Not From The SIP Core"),
    "publisher-registered": (403, "Not Registered"),
    "through-sip-core": (403, "Not Through The SIP Core"),
    "event-package": (489, "Bad Event"),
    "impu-registered": (403, "IMPU Not Registered"),
    "token-valid": (403, "Invalid Access Token"),
    "token-scope": (403, "Access Token Lacks MCPTT Scope"),
    "token-unused": (403, "Access Token Replayed"),
}
#: the answer to a request the role does not expect, or cannot read (REQ-SIPREG-09)
UNEXPECTED_ANSWER = (400, "Bad Request")
OK = (200, "OK")

_IDENT, _INT, _BLOB = "ident", "int", "blob"


def _msg(name: str, clause: str, fields: Mapping[str, tuple[str, str]],
         optional: tuple[str, ...] = ()) -> MessageSpec:
    return MessageSpec(name, {k: t for k, (t, _) in fields.items()},
                       grammar="SIP (RFC 3261 7) over UDP or TCP: mckm.impl.roles.sip_core.view",
                       paths={k: p for k, (_, p) in fields.items()}, clause=clause,
                       optional=frozenset(optional))


REGISTER = _msg("REGISTER", "RFC 3261 10.2; seed 001 step 1", {
    "impu": (_IDENT, "To URI (the address-of-record)"),
    "contact": (_IDENT, "Contact URI"),
    "expires": (_INT, "Expires, else the Contact's expires parameter, else 3600")})
REGISTER_OK = _msg("REGISTER_OK", "RFC 3261 10.3 step 8", {
    "impu": (_IDENT, "To URI"), "contact": (_IDENT, "Contact URI"),
    "expires": (_INT, "Contact expires parameter")})
THIRD_PARTY_REGISTER = _msg("THIRD_PARTY_REGISTER", "TS 24.229 5.4.1.7; seed 001 step 2", {
    "impu": (_IDENT, "To URI (the registered IMPU)"),
    "core": (_IDENT, "From URI (the SIP core)"),
    "via": (_IDENT, "top Via sent-by (host:port)"),
    "expires": (_INT, "Expires")})
PUBLISH = _msg("PUBLISH", "RFC 3903 4; TS 24.379 7.2.1A; seed 001 step 4", {
    "impu": (_IDENT, "From URI"),
    "event": (_IDENT, "Event (package name)"),
    "token": (_BLOB, "body: mcptt-info / mcptt-Params / mcptt-access-token / mcpttString "
                     "(absent: '')")})
PUBLISH_ASSERTED = _msg("PUBLISH_ASSERTED", "RFC 3325 9.1; TS 24.379 7.3.3; seed 001 step 4", {
    "impu": (_IDENT, "P-Asserted-Identity URI"),
    "contact": (_IDENT, "Contact URI (the registered contact, set by the SIP core)"),
    "via": (_IDENT, "top Via sent-by (host:port)"),
    "event": (_IDENT, "Event (package name)"),
    "token": (_BLOB, "as in PUBLISH")})
PUBLISH_OK = _msg("PUBLISH_OK", "RFC 3903 6 step 7; seed 001 step 4 (service authorisation "
                  "profile)", {
    "mcptt_id": (_IDENT, "profile / mcptt-id"), "impu": (_IDENT, "profile / impu"),
    "session": (_IDENT, "profile / session"), "expires": (_INT, "Expires"),
    "etag": (_BLOB, "SIP-ETag")})
MESSAGES = (REGISTER, REGISTER_OK, THIRD_PARTY_REGISTER, PUBLISH, PUBLISH_ASSERTED, PUBLISH_OK)

F = Field


def guard(name: str, expr: Expr, requirement: str, reason: str, *detects: str) -> Guard:
    """A guard whose SIP answer is :data:`SIP_ANSWERS` [name]."""
    return Guard(name, expr, requirement, reason, None, detects,
                 http_status=SIP_ANSWERS[name][0])


def _send(name: str, expr: Expr, requirement: str, reason: str) -> Guard:
    return Guard(name, expr, requirement, reason)


G_SERVED = guard("impu-served", SIP_SERVES(F("impu")), "REQ-SIPREG-01",
                 "the SIP core serves no such IMPU", "misaddressed")
G_EXPIRES = guard("expires-acceptable",
                  Implies(Not(Eq(F("expires"), Lit(0))), AtMost(Lit(MIN_EXPIRES),
                                                               F("expires"))),
                  "REQ-SIPREG-01", "the registration expiry is below MIN_EXPIRES", "malformed")
G_FROM_CORE = guard("from-sip-core", And(Eq(F("core"), Self("core_uri")),
                                         Eq(F("via"), Self("core_address"))),
                    "REQ-SIPREG-03", "the third-party REGISTER is not from the SIP core",
                    "impersonation")
G_PUBLISHER = guard("publisher-registered",
                    SIP_REGISTERED(Self("registrations"), F("impu"), Now()), "REQ-SIPREG-04",
                    "the publisher's IMPU is not registered with the SIP core", "unregistered")
G_THROUGH_CORE = guard("through-sip-core", Eq(F("via"), Self("core_address")), "REQ-SIPREG-05",
                       "the PUBLISH did not come through the SIP core", "impersonation")
G_EVENT = guard("event-package", Eq(F("event"), Lit(EVENT)), "REQ-SIPREG-05",
                f"the event package is not {EVENT}", "malformed")
G_REGISTERED = guard("impu-registered", SIP_REGISTERED(Self("registrations"), F("impu"), Now()),
                     "REQ-SIPREG-05", "no third-party registration of the IMPU is live",
                     "unregistered")
G_TOKEN = guard("token-valid", TOKEN_VALID(F("token"), Now()), "REQ-SIPREG-06",
                "no valid access token", "bad-token")
G_SCOPE = guard("token-scope", In(Self("scope"), TOKEN_SCOPES(F("token"))), "REQ-SIPREG-06",
                "the access token does not grant the MCPTT service scope", "wrong-scope")
G_UNUSED = guard("token-unused", SIP_TOKEN_UNUSED(Self("tokens_used"), F("token")),
                 "REQ-SIPREG-06", "the access token was presented before", "replay")

_UE_VARS = {"impu": _IDENT, "mcptt_id": _IDENT}
_CORE_VARS = {"core_uri": _IDENT, "registrations": "set[ident]", "impu": _IDENT,
              "contact": _IDENT, "expires": _INT}
_SERVER_VARS = {"core_uri": _IDENT, "core_address": _IDENT, "registrations": "set[ident]",
                "scope": _IDENT, "tokens_used": "set[blob]", "bindings": "set[ident]",
                "mcptt_id": _IDENT, "impu": _IDENT, "session": _IDENT}

STEPS = (
    # ---- step 1: REGISTER (RFC 3261 10)
    Step("1", "ue", "send", "REGISTER", "sip_core", "idle", "registering", "REQ-SIPREG-01",
         "REGISTER the IMPU with its contact and expiry.", effects=("ue.register",)),
    Step("2", "sip_core", "receive", "REGISTER", "ue", "listening", "registered",
         "REQ-SIPREG-01", "Check the IMPU and the expiry; bind the IMPU to the contact "
         "(Expires 0: unbind).", (G_SERVED, G_EXPIRES), ("core.bind",)),
    # ---- step 2: third-party registration (TS 24.229 5.4.1.7)
    Step("3", "sip_core", "send", "THIRD_PARTY_REGISTER", "mcptt_server", "registered",
         "notified", "REQ-SIPREG-02", "Tell the MCPTT server: third-party REGISTER of the "
         "IMPU, from the SIP core, with the same expiry.",
         (_send("same-registration", And(Eq(F("impu"), Self("impu")),
                                         Eq(F("expires"), Self("expires"))),
                "REQ-SIPREG-02", "the third-party REGISTER names another registration"),
          _send("as-the-core", Eq(F("core"), Self("core_uri")), "REQ-SIPREG-02",
                "the third-party REGISTER is sent in the SIP core's name")),
         ("core.third_party",), auto=True),
    Step("4", "sip_core", "send", "REGISTER_OK", "ue", "notified", "answered", "REQ-SIPREG-01",
         "Answer the UE 200 with its contact and expiry.",
         (_send("answers-the-registration", Eq(F("impu"), Self("impu")), "REQ-SIPREG-01",
                "the 200 names another IMPU"),), ("core.answer",), auto=True),
    Step("5", "mcptt_server", "receive", "THIRD_PARTY_REGISTER", "sip_core", "listening",
         "registered", "REQ-SIPREG-03", "Take it only from the SIP core; record the IMPU as "
         "registered (Expires 0: drop it and its bindings); answer 200.", (G_FROM_CORE,),
         ("server.register",)),
    Step("6", "ue", "receive", "REGISTER_OK", "sip_core", "registering", "registered",
         "REQ-SIPREG-08", "Keep the registration.",
         (Guard("for-my-impu", Eq(F("impu"), Self("impu")), "REQ-SIPREG-08",
                "the answer names another IMPU", detects=("misaddressed",)),)),
    # ---- step 4: PUBLISH with the access token (RFC 3903; TS 24.379 7.3.3)
    Step("7", "ue", "send", "PUBLISH", "sip_core", "registered", "publishing", "REQ-SIPREG-06",
         "PUBLISH (Event poc-settings) the access token in an mcptt-info body.",
         effects=("ue.publish",)),
    Step("8", "sip_core", "receive", "PUBLISH", "ue", "listening", "asserting",
         "REQ-SIPREG-04", "Forward only from a registered IMPU.", (G_PUBLISHER,),
         ("core.assert",)),
    Step("9", "sip_core", "send", "PUBLISH_ASSERTED", "mcptt_server", "asserting",
         "forwarded", "REQ-SIPREG-04", "Forward it asserting the registered IMPU and contact.",
         (_send("asserts-the-publisher", Eq(F("impu"), Self("impu")), "REQ-SIPREG-04",
                "the asserted IMPU is not the registered publisher"),
          _send("asserts-its-contact", Eq(F("contact"), Self("contact")), "REQ-SIPREG-04",
                "the asserted contact is not the publisher's registered contact")),
         ("core.forward",), auto=True),
    Step("10", "mcptt_server", "receive", "PUBLISH_ASSERTED", "sip_core", "listening",
         "authorised", "REQ-SIPREG-07", "Check the path, the event, the registration and the "
         "access token; bind the MCPTT ID to the IMPU and the session.",
         (G_THROUGH_CORE, G_EVENT, G_REGISTERED, G_TOKEN, G_SCOPE, G_UNUSED),
         ("server.bind",), implements=("REQ-SIPREG-05", "REQ-SIPREG-06")),
    Step("11", "mcptt_server", "send", "PUBLISH_OK", "ue", "authorised", "answered",
         "REQ-SIPREG-07", "Answer 200 with SIP-ETag, Expires and the service authorisation "
         "profile of that binding.",
         (_send("profile-of-the-binding", And(Eq(F("mcptt_id"), Self("mcptt_id")),
                                              Eq(F("impu"), Self("impu")),
                                              Eq(F("session"), Self("session"))),
                "REQ-SIPREG-07", "the profile is not the one of the binding just made"),),
         ("server.profile",), auto=True),
    Step("12", "ue", "receive", "PUBLISH_OK", "mcptt_server", "publishing", "authorised",
         "REQ-SIPREG-08", "Keep the service authorisation profile.",
         (Guard("profile-for-me", And(Eq(F("mcptt_id"), Self("mcptt_id")),
                                      Eq(F("impu"), Self("impu"))), "REQ-SIPREG-08",
                "the profile is for another MCPTT ID or IMPU", detects=("misaddressed",)),),
         ("ue.profile",)),
)

PROCEDURE = Procedure(
    name="sip-registration",
    title="SIP registration, third-party registration and service authorisation (seed 001)",
    clause=CLAUSE,
    roles=(Role("ue", "idle", ("registered", "authorised"), _UE_VARS,
                resumes={"registered": "a registered UE publishes its access token"}),
           Role("sip_core", "listening", ("answered", "forwarded"), _CORE_VARS),
           Role("mcptt_server", "listening", ("registered", "answered"), _SERVER_VARS)),
    messages=MESSAGES, steps=STEPS, requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-SIPREG-09", None, "request not expected by this role"),
    policy=POLICY,
    outcome="the MCPTT server holds the token's MCPTT ID bound to the registered IMPU and its "
            "SIP session, and the UE holds that binding's service authorisation profile",
    leaves_out=(
        "IMS AKA (TS 33.203) and the UE - P-CSCF security associations: the SIP core takes the "
        "UE's word for its IMPU",
        "the HSS and initial filter criteria: the SIP core is configured with one MCPTT server",
        "publication refresh, modification and removal by SIP-ETag (RFC 3903 4.3-4.5)",
        "the poc-settings document TS 24.379 carries next to the mcptt-info body, and the "
        "MCPTT user profile's content (TS 24.484)",
    ),
    status_protocol="SIP")


def sip_answer(guard_name: str | None) -> tuple[int, str]:
    """The SIP status and reason phrase of a refusal by ``guard_name`` (None: the request was
    not expected, or a field was missing or ill-typed)."""
    if guard_name is None:
        return UNEXPECTED_ANSWER
    return SIP_ANSWERS.get(guard_name, (500, "Server Internal Error"))


__all__ = [
    "CLAUSE",
    "EVENT",
    "MCPTT_INFO_TYPE",
    "MESSAGES",
    "MIN_EXPIRES",
    "OK",
    "POLICY",
    "PROCEDURE",
    "PROFILE_TYPE",
    "PUBLISH_EXPIRES",
    "REQUIREMENTS",
    "SERVICE_SCOPE",
    "SIP_ANSWERS",
    "sip_answer",
]
