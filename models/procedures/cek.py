"""KMS-managed CEK for S/MIME of SIP bodies (seed 001, a pCR to TR 33.879 solution 7.x).

Models seed 001 7.x.1 (the KMS access token authorises key management), 7.x.2 (the KMS issues
a 256-bit CEK with a unique Key ID over HTTP-1 and pushes it to the MCPTT server; step 3b of
figure 7.x.2-1) and 7.x.3 (the CEK lives until the SIP session is torn down or the user logs
off; the KMS may push a new CEK to both ends; an endpoint may ask the KMS, which decides: the
same CEK or a new one).  Roles: the MCPTT ``client``, the ``kms`` and the MCPTT ``server``.
Requirement ids REQ-CEK-10..; their texts live here and on ``spec/cek-smime.md``.

Each HTTP-1 request is one run of the ``kms`` (state ``listening``): it checks the request
(guards, each with its HTTP status), runs its effects (which compute and store, never refuse),
then sends automatically what the state calls for: the push to the server (and, for a
KMS-started update, to the client's notification endpoint), then the answer to the client.
The server (and a client's notification endpoint) receives a push in state ``listening`` and
checks who pushed it by the mutually authenticated TLS identity (field ``peer``, filled by the
transport from the verified client certificate).

The decision of an endpoint-started update (7.x.3 "the KMS will determine if an update of the
current CEK or a new CEK is required"): the request names the Key ID the endpoint holds and
what it wants, ``resync`` (it lost or doubts the CEK) or ``new`` (it wants a fresh one).  The
KMS answers with the same CEK only for ``resync`` of a CEK younger than the policy
``cek_refresh_age``; otherwise it issues a new CEK and Key ID, retires the old one and pushes
the new one to the server.  A retired Key ID is never live again: every request naming one is
refused (409), and a server never takes a push under a Key ID it has held (409).

Leaves out: the IBC key material of step 3b (the SKM-S, ``skm_s``), the SIP steps 1, 2 and 4
(REGISTER, third-party registration, PUBLISH: ``sip_registration``), a server-started update
request (the server could ask over its mutually authenticated link; not built) and the CEK's
use (``impl/smime``).
"""

from __future__ import annotations

import dataclasses

from mckm.models.procedures.expr import And, Eq, Expr, Field, In, Not, Now, Policy, Self, Within
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
from mckm.models.procedures.predicates import (
    CEK_HELD,
    CEK_IS_LIVE,
    CEK_ISSUED_AT,
    CEK_KEY_ID_SEEN,
    CEK_LIVE_FOR,
    TOKEN_SCOPES,
    TOKEN_SUBJECT,
    TOKEN_VALID,
)
from mckm.models.procedures.skm_s import Given, Implies, Lit, UriText

CLAUSE = "seed 001 (TR 33.879 7.x.1, 7.x.2, 7.x.3); RFC 6750; RFC 7519"

#: what an endpoint-started update asks for (UPDATE_REQUEST ``want``)
WANT_RESYNC, WANT_NEW = "resync", "new"

#: the S/MIME profile of the bodies the CEK protects (``impl/smime``, no procedure step: the
#: CEK's use); written here so that every REQ-CEK text has one home and one table
SMIME_REQUIREMENTS = {
    "REQ-CEK-01": "The CEK is 256 bits. Its Key ID is an octet string assigned by the KMS. In "
                  "CMS terms the CEK is the key-encryption key of a KEKRecipientInfo (version "
                  "4) whose kekid.keyIdentifier is the Key ID; date and other are absent "
                  "(seed 001 7.x.2; RFC 5652 6.2.3).",
    "REQ-CEK-02": "A protected body is a ContentInfo of type id-ct-authEnvelopedData holding "
                  "an AuthEnvelopedData of version 0 with one KEKRecipientInfo and no "
                  "originatorInfo. A receiver uses the first KEKRecipientInfo whose Key ID it "
                  "knows and skips recipient kinds it does not use (RFC 5083 2.1; RFC 5652 3, "
                  "6.2).",
    "REQ-CEK-03": "Each body gets a fresh 256-bit content-authenticated-encryption key and a "
                  "fresh 12-octet nonce. The content is encrypted with AES-256-GCM: "
                  "id-aes256-GCM with GCMParameters (nonce of 12 octets, aes-ICVlen 16), and "
                  "the 16-octet tag is the mac. A receiver refuses another algorithm, nonce "
                  "length or ICV length, and a mac whose length is not the ICV length (RFC "
                  "5084 3.1, 3.2; RFC 5083 2.1).",
    "REQ-CEK-04": "The content key is wrapped under the CEK with id-aes256-wrap (AES key wrap, "
                  "RFC 3394), with the algorithm parameters absent; the wrapped key is 40 "
                  "octets. A receiver refuses another key-encryption algorithm, parameters "
                  "that are present, and another length (RFC 3565 2.3.2; RFC 3394 2.2.1).",
    "REQ-CEK-05": "The content is the canonical MIME entity of the SIP body: its Content-Type "
                  "header field, an empty line and the body, with CMS content type id-data. A "
                  "sender writes no authAttrs. A receiver authenticates any authAttrs it gets "
                  "as GCM's additional data, DER-encoded with the SET OF tag. When the content "
                  "type is not id-data, it requires authAttrs with a content-type attribute of "
                  "the same value (RFC 8551 3.1; RFC 5083 2.1, 2.2).",
    "REQ-CEK-06": "A body whose KEKRecipientInfos name no Key ID the receiver holds is refused "
                  "with PolicyError naming the Key IDs found (Key IDs are not secret). Nothing "
                  "is kept (seed 001 7.x: to identify the CEK at the receiving SIP endpoint).",
    "REQ-CEK-07": "Nothing is returned unless the GCM tag verifies over the ciphertext and the "
                  "authAttrs. An altered bit in the ciphertext, the tag or the wrapped key, or "
                  "a wrong CEK, is refused with VerifyError. Every structural fault is refused "
                  "with DecodeError, which names the field: version, algorithm, nonce, ICV "
                  "length, an INTEGER that is empty or not minimally encoded, missing content, "
                  "or octets after the ContentInfo (with their offset) (RFC 5083 2.2; RFC 5084 "
                  "3.2; RFC 3394 2.2.3).",
    "REQ-CEK-08": "The CMS object travels as application/pkcs7-mime; "
                  "smime-type=authEnveloped-data; name=smime.p7m. As the body of a SIP request "
                  "it is binary DER, with Content-Disposition: attachment; handling=required; "
                  "filename=smime.p7m; a receiver also accepts Content-Transfer-Encoding: "
                  "base64. As a MIME body part it is base64 in lines of at most 76 characters "
                  "(RFC 8551 3.2.2, 3.4; RFC 3261 20.11, 23; RFC 2045 6.8).",
    "REQ-CEK-09": "Integrity of a body is the authenticated encryption under the CEK "
                  "(REQ-CEK-03, REQ-CEK-07). No ECCSI signature is added: see the decision "
                  "below (project decision, for seed 001 figure 7.x.2-2).",
}

REQUIREMENTS = {
    **SMIME_REQUIREMENTS,
    "REQ-CEK-10": "The client asks the KMS for a CEK over HTTP-1 (HTTPS) with POST "
                  "/cek/v1/issue, /cek/v1/update or /cek/v1/retire, a JSON body naming the "
                  "MCPTT ID and the SIP session, and its KMS access token as a bearer token; "
                  "another resource is 404, a body that is not the JSON of its request 400.",
    "REQ-CEK-11": "The KMS access token is signed by the IdM (its JWKS), from the IdM "
                  "(iss), for the KMS (aud), within exp/nbf (30 s skew for nbf and iat), "
                  "otherwise 401 naming what is wrong; it grants the key management scope and "
                  "its MCPTT ID is the one the request names, otherwise 403.",
    "REQ-CEK-12": "The KMS issues a 256-bit CEK and a fresh Key ID (16 random octets, never "
                  "issued before) per (MCPTT ID, SIP session): at most one live CEK per pair "
                  "(an issue while one is live is 409); users logged in through one SIP "
                  "session each get their own CEK and Key ID.",
    "REQ-CEK-13": "A CEK is stored before it leaves the KMS, in one transaction (store "
                  "constraints: Key ID unique, one live CEK per (user, session)); a refused "
                  "request stores nothing.",
    "REQ-CEK-14": "The KMS pushes the CEK and Key ID to the MCPTT server over mutually "
                  "authenticated TLS; the server takes a push only from the KMS's verified "
                  "TLS identity (403), and never under a Key ID it has held before (409).  "
                  "A CEK the server did not take is retired and the client gets 502.",
    "REQ-CEK-15": "An endpoint-started update names the live Key ID it holds (a retired, "
                  "unknown or other user's Key ID is 409), or none if it holds none (no live "
                  "CEK for the user and session is 404), and wants 'resync' or 'new'; the KMS "
                  "answers the same CEK for 'resync' of the named CEK while it is younger than "
                  "cek_refresh_age, otherwise a new CEK and Key ID, pushed to the server, the "
                  "old one retired.",
    "REQ-CEK-16": "A KMS-started update retires the live CEK of (user, session) and pushes a "
                  "new CEK and Key ID to the server and to the client's notification endpoint "
                  "(given at issue), both over mutually authenticated TLS.",
    "REQ-CEK-17": "Tear-down or log-off retires the CEK: the KMS erases it (only the Key ID "
                  "is kept), pushes the retirement to the server, which drops it; a retired "
                  "Key ID is never accepted or issued again.",
    "REQ-CEK-18": "The client accepts an answer only for the MCPTT ID and SIP session it "
                  "asked for; CEKs never appear in a log line or a repr.",
}

_REQUEST_FIELDS = {
    "token": ("blob", "HTTP Authorization: Bearer <KMS access token> (absent: '')"),
    "user": ("ident", "JSON user: the MCPTT ID the CEK is for"),
    "session": ("ident", "JSON session: the SIP session (its URI or Call-ID)"),
}
_KEY_FIELDS = {
    "user": ("ident", "JSON user"),
    "session": ("ident", "JSON session"),
    "key_id": ("blob", "JSON key_id: the Key ID, 32 hex digits"),
}
_PUSH_FIELDS = {
    **_KEY_FIELDS,
    "peer": ("ident", "TLS: the identity (SAN URI) of the verified client certificate of the "
                      "pusher"),
}
_GRAMMAR = "JSON (RFC 8259) over HTTPS: mckm.impl.roles.cek.wire"


def _msg(name: str, clause: str, fields: dict[str, tuple[str, str]]) -> MessageSpec:
    return MessageSpec(name=name, grammar=_GRAMMAR, clause=clause,
                       fields={k: t for k, (t, _) in fields.items()},
                       paths={k: p for k, (_, p) in fields.items()})


CEK_REQUEST = _msg("CEK_REQUEST", "seed 001 7.x.2 step 3b", {
    **_REQUEST_FIELDS,
    "notify": ("blob", "JSON notify: the client's HTTPS URL for KMS pushes (absent: '')")})
UPDATE_REQUEST = _msg("UPDATE_REQUEST", "seed 001 7.x.3", {
    **_REQUEST_FIELDS,
    "key_id": ("blob", "JSON key_id: the Key ID the endpoint holds (absent: '', it holds none: "
                       "it lost its CEK or missed a KMS push)"),
    "want": ("ident", "JSON want: 'resync' or 'new'")})
RETIRE_REQUEST = _msg("RETIRE_REQUEST", "seed 001 7.x.3 (tear-down, log-off)", {
    **_REQUEST_FIELDS, "key_id": _KEY_FIELDS["key_id"]})
CEK_RESPONSE = _msg("CEK_RESPONSE", "seed 001 7.x.2", _KEY_FIELDS)
RETIRED = _msg("RETIRED", "seed 001 7.x.3", _KEY_FIELDS)
CEK_PUSH = _msg("CEK_PUSH", "seed 001 7.x.2 step 3b (push to the MCPTT server)", _PUSH_FIELDS)
CEK_NOTIFY = _msg("CEK_NOTIFY", "seed 001 7.x.3 (KMS push to the client)", _PUSH_FIELDS)
RETIRE_PUSH = _msg("RETIRE_PUSH", "seed 001 7.x.3", _PUSH_FIELDS)

MESSAGES = (CEK_REQUEST, UPDATE_REQUEST, RETIRE_REQUEST, CEK_RESPONSE, RETIRED, CEK_PUSH,
            CEK_NOTIFY, RETIRE_PUSH)

#: resource (POST /cek/v1/<resource>) -> the request message it carries
RESOURCES = {"issue": "CEK_REQUEST", "update": "UPDATE_REQUEST", "retire": "RETIRE_REQUEST"}
#: the resource a push is posted to at an endpoint -> its message
PUSH_RESOURCES = {"push": "CEK_PUSH", "notify": "CEK_NOTIFY", "retire": "RETIRE_PUSH"}

# --------------------------------------------------------------------------- guards

TOKEN = Field("token")
USER, SESSION, KEY_ID = Field("user"), Field("session"), Field("key_id")


def _g(name: str, expr: Expr, req: str, reason: str, status: int | None, *detects: str,
       equivalent: str = "") -> Guard:
    return Guard(name, expr, req, reason, None, tuple(detects), status, equivalent)


G_TOKEN = _g("token-valid", TOKEN_VALID(TOKEN, Now()), "REQ-CEK-11",
             "no valid KMS access token", 401, "bad-token")
G_SCOPE = _g("token-scope", In(Self("scope"), TOKEN_SCOPES(TOKEN)), "REQ-CEK-11",
             "the KMS access token does not grant the key management scope", 403,
             "wrong-scope")
G_SUBJECT = _g("token-subject-is-user", Eq(UriText(TOKEN_SUBJECT(TOKEN)), USER), "REQ-CEK-11",
               "the KMS access token is for another MCPTT ID", 403, "other-user")
G_NONE_LIVE = _g("no-live-cek", Not(CEK_LIVE_FOR(USER, SESSION)), "REQ-CEK-12",
                 "a CEK is live for this MCPTT ID and SIP session: ask for an update", 409,
                 "duplicate")
G_KEY_LIVE = _g("key-id-live", CEK_IS_LIVE(KEY_ID, USER, SESSION), "REQ-CEK-15",
                "the Key ID is not the live CEK of this MCPTT ID and SIP session", 409,
                "replay", "retired")
G_KEY_LIVE_RETIRE = dataclasses.replace(G_KEY_LIVE, requirement="REQ-CEK-17")
G_KEY_LIVE_IF_GIVEN = dataclasses.replace(
    G_KEY_LIVE, expr=Implies(Given(KEY_ID), CEK_IS_LIVE(KEY_ID, USER, SESSION)))
G_HAS_LIVE = _g("live-cek-exists", CEK_LIVE_FOR(USER, SESSION), "REQ-CEK-15",
                "no live CEK for this MCPTT ID and SIP session: ask for one (issue)", 404,
                "misaddressed")
G_WANT = _g("want-known", In(Field("want"), Self("wants")), "REQ-CEK-15",
            "want is neither 'resync' nor 'new'", 400, "malformed")

TOKEN_GUARDS = (G_TOKEN, G_SCOPE, G_SUBJECT)

G_FROM_KMS = _g("pushed-by-the-kms", Eq(Field("peer"), Self("kms_identity")), "REQ-CEK-14",
                "the push does not come from the KMS (mutually authenticated TLS identity)",
                403, "impersonation")
G_KEY_ID_NEW = _g("key-id-never-held", Not(CEK_KEY_ID_SEEN(KEY_ID)), "REQ-CEK-14",
                  "the Key ID was held before: a retired Key ID is never accepted again", 409,
                  "replay", "retired")
G_HELD = _g("key-id-held", CEK_HELD(KEY_ID, USER, SESSION), "REQ-CEK-17",
            "the endpoint holds no live CEK under this Key ID for this user and session", 404,
            "misaddressed")
G_FOR_ME = _g("for-my-request", And(Eq(USER, Self("user")), Eq(SESSION, Self("session"))),
              "REQ-CEK-18", "the answer is for another MCPTT ID or SIP session", None,
              "misaddressed")
G_PUSH_FOR_ME = _g("push-for-me", And(Eq(USER, Self("user")), Eq(SESSION, Self("session"))),
                   "REQ-CEK-16", "the push is for another MCPTT ID or SIP session", 403,
                   "misaddressed")

#: the branch of an endpoint-started update that answers the same CEK (REQ-CEK-15)
RESYNC = And(Eq(Field("want"), Lit(WANT_RESYNC)),
             Within(CEK_ISSUED_AT(KEY_ID), Now(), Policy("cek_refresh_age")))

# --------------------------------------------------------------------------- steps

_KMS_VARS = {"scope": "ident", "wants": "set[ident]", "user": "ident", "session": "ident",
             "key_id": "blob"}
_CLIENT_VARS = {"user": "ident", "session": "ident", "kms_identity": "ident"}
_SERVER_VARS = {"kms_identity": "ident"}


def _kms_answer(number: str, source: str, message: str, requirement: str,
                text: str) -> Step:
    return Step(number, "kms", "send", message, peer="client", source=source, target="answered",
                requirement=requirement, auto=True, text=text, effects=("cek.answer",))


STEPS = (
    # ---- issue (7.x.2, figure 7.x.2-1 step 3b)
    Step("1", "client", "send", "CEK_REQUEST", peer="kms", source="idle", target="asked",
         requirement="REQ-CEK-10", effects=("client.request",),
         text="POST /cek/v1/issue {user, session[, notify]} with the KMS access token."),
    Step("2", "kms", "receive", "CEK_REQUEST", peer="client", source="listening",
         target="issued", requirement="REQ-CEK-12",
         guards=(*TOKEN_GUARDS, G_NONE_LIVE), effects=("cek.identify", "cek.issue"),
         implements=("REQ-CEK-10", "REQ-CEK-13"),
         text="Validate the KMS access token; create a 256-bit CEK and a fresh Key ID for "
              "(user, session) and store them."),
    Step("3", "kms", "send", "CEK_PUSH", peer="server", source="issued", target="pushed",
         requirement="REQ-CEK-14", auto=True, effects=("cek.push",),
         text="Push the CEK and Key ID to the MCPTT server (mutual TLS)."),
    _kms_answer("4", "pushed", "CEK_RESPONSE", "REQ-CEK-12",
                "Answer the client with the CEK and Key ID."),
    Step("5", "server", "receive", "CEK_PUSH", peer="kms", source="listening", target="holding",
         requirement="REQ-CEK-14", guards=(G_FROM_KMS, G_KEY_ID_NEW),
         effects=("endpoint.hold",),
         text="Take the CEK only from the KMS's verified TLS identity, under a Key ID never "
              "held before; keep it for (user, session)."),
    Step("6", "client", "receive", "CEK_RESPONSE", peer="kms", source="asked", target="done",
         requirement="REQ-CEK-18", guards=(G_FOR_ME,), effects=("client.hold",),
         text="Keep the CEK for the SIP session it asked for."),
    # ---- endpoint-started update (7.x.3): the KMS decides, same or new
    Step("7", "kms", "receive", "UPDATE_REQUEST", peer="client", source="listening",
         target="resending", requirement="REQ-CEK-15", when=RESYNC,
         guards=(*TOKEN_GUARDS, G_WANT, G_KEY_LIVE_IF_GIVEN, G_HAS_LIVE),
         effects=("cek.identify", "cek.resend"),
         text="resync of a CEK younger than cek_refresh_age: the same CEK and Key ID."),
    Step("8", "kms", "receive", "UPDATE_REQUEST", peer="client", source="listening",
         target="issued", requirement="REQ-CEK-15",
         guards=(*TOKEN_GUARDS, G_WANT, G_KEY_LIVE_IF_GIVEN, G_HAS_LIVE),
         effects=("cek.identify", "cek.rekey"),
         implements=("REQ-CEK-13",),
         text="Otherwise: retire the live CEK, issue and store a new CEK and Key ID; push it "
              "to the server (step 3) and answer (step 4)."),
    _kms_answer("9", "resending", "CEK_RESPONSE", "REQ-CEK-15",
                "Answer the same CEK and Key ID."),
    Step("10", "client", "send", "UPDATE_REQUEST", peer="kms", source="done", target="asked",
         requirement="REQ-CEK-15", effects=("client.request",),
         text="POST /cek/v1/update {user, session, key_id, want}."),
    # ---- KMS-started update (7.x.3): new CEK pushed to both ends
    Step("11", "kms", "send", "CEK_PUSH", peer="server", source="listening",
         target="notifying", requirement="REQ-CEK-16", effects=("cek.rekey", "cek.push"),
         text="The KMS retires the live CEK of (user, session) and pushes a new one to the "
              "MCPTT server."),
    Step("12", "kms", "send", "CEK_NOTIFY", peer="client", source="notifying",
         target="answered", requirement="REQ-CEK-16", auto=True, effects=("cek.push",),
         text="... and to the client's notification endpoint."),
    Step("13", "client", "receive", "CEK_NOTIFY", peer="kms", source="done", target="done",
         requirement="REQ-CEK-16", guards=(G_FROM_KMS, G_PUSH_FOR_ME),
         effects=("client.hold",),
         text="Take the new CEK only from the KMS's verified TLS identity, for its session."),
    # ---- tear-down / log-off (7.x.3)
    Step("14", "client", "send", "RETIRE_REQUEST", peer="kms", source="done", target="leaving",
         requirement="REQ-CEK-17", effects=("client.request",),
         text="POST /cek/v1/retire {user, session, key_id} at tear-down or log-off."),
    Step("15", "kms", "receive", "RETIRE_REQUEST", peer="client", source="listening",
         target="retiring", requirement="REQ-CEK-17",
         guards=(*TOKEN_GUARDS, G_KEY_LIVE_RETIRE), effects=("cek.identify", "cek.retire"),
         implements=("REQ-CEK-13",),
         text="Retire the CEK: erase it, keep its Key ID so that it is never live again."),
    Step("16", "kms", "send", "RETIRE_PUSH", peer="server", source="retiring",
         target="retire-pushed", requirement="REQ-CEK-17", auto=True, effects=("cek.push",),
         text="Tell the MCPTT server to drop the CEK (mutual TLS)."),
    _kms_answer("17", "retire-pushed", "RETIRED", "REQ-CEK-17", "Answer: retired."),
    Step("18", "server", "receive", "RETIRE_PUSH", peer="kms", source="listening",
         target="dropped", requirement="REQ-CEK-17", guards=(G_FROM_KMS, G_HELD),
         effects=("endpoint.drop",), text="Drop the CEK; its Key ID stays held-before."),
    Step("19", "client", "receive", "RETIRED", peer="kms", source="leaving", target="left",
         requirement="REQ-CEK-17", guards=(G_FOR_ME,), effects=("client.drop",),
         text="Drop the CEK."),
)

PROCEDURE = Procedure(
    name="cek-management",
    title="KMS-managed CEK for S/MIME of SIP bodies (seed 001)",
    clause=CLAUSE,
    roles=(
        Role("client", initial="idle", final=("done", "left"), vars=_CLIENT_VARS,
             resumes={"done": "a client that holds a CEK asks for an update or retires it"}),
        Role("kms", initial="listening", final=("answered",), vars=_KMS_VARS),
        Role("server", initial="listening", final=("holding", "dropped"), vars=_SERVER_VARS),
    ),
    messages=MESSAGES,
    steps=STEPS,
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-CEK-10", None, "no such CEK resource, or not in this state"),
    policy={"cek_refresh_age": 3600},
    outcome="the client and the MCPTT server hold the same live CEK under one Key ID per "
            "(user, SIP session); retired Key IDs are never live again",
    leaves_out=(
        "the IBC key material of step 3b (the SKM-S model, skm-s-provisioning)",
        "SIP steps 1, 2 and 4 (REGISTER, third-party registration, PUBLISH): the model "
        "sip-registration",
        "an update request from the MCPTT server (not built)",
        "the CEK's use on SIP bodies (impl/smime, REQ-CEK-01..09)",
    ),
)

#: the HTTP status of a refusal at a step by a guard (:meth:`Procedure.http_status`)
http_status = PROCEDURE.http_status
