"""SKM-S / KMS key provisioning over HTTPS: KMS initialisation, certificates and user keys.

Models TS 33.180 (Rel-16) Annex D: D.1 (the security extension: HMAC-SHA256 signatures with the
InK, TrK key wrap), D.2 (requests: D.2.2 KmsRequest security, D.2.3 init, D.2.4 keyprov, D.2.5
certcache, D.2.6 cert) and D.3 (responses: KmsInit, KmsKeyProv, KmsCertCache; KmsCertificate
D.3.2.2; KmsKeySet D.3.3.2), with the IdMS access token of TS 33.180 5.1 / Annex B as the
client's authentication (D.1: "the KMS has authenticated the identity of the key management
client"), on the key-period arithmetic of F.2.1.  Seed 004 (TS 33.434 6.Y) calls the same
server the SEAL Key Management Server.  The grammar of every message is the XML schema of D.3.5
(``mckm.models.grammar.kms_xml``); the request's HTTP parts (method, path, bearer token) are
fields of the same message.  Requirement ids are REQ-SKMS-*; their texts live here only.

Each request is one run: the client sends a ``*_REQUEST``; the KMS checks it (guards, each with
its requirement and HTTP status), runs the step's effects (which compute and store, never
refuse) and answers with the ``*_RESPONSE`` (an automatic send); the client checks the answer
(the signature, its addressing, the keys) and accepts it.  A request for a resource the KMS does
not serve is a message the table does not have: refused as unexpected (404).

Crypto, token and store facts are predicates in the Dolev-Yao style, each declared once in
:mod:`mckm.models.procedures.predicates` (``SKMS_PREDICATES``: python via the role's facts, z3 as
uninterpreted functions, text); ``Mentions`` and ``UriText`` are computed here.

Leaves out: D.2.7 lookup and D.2.8 redirect upload (404: not served), KmsResponse encryption with
AES-128-GCM (D.3.1 "may"), new TrK / InK delivery (KmsInitTkIkType, KmsKeyProvTkIkType: TrK and
InK are provisioned at enrolment), external KMS certificates (a single-KMS deployment: the
cache is empty), and error responses as a KmsError element (the KMS's refusals are text/plain;
a client refuses a response carrying a KmsError: REQ-SKMS-36).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import z3

from mckm.models.procedures.expr import (
    And,
    Env,
    Eq,
    Expr,
    Field,
    In,
    Msg,
    Not,
    Now,
    Policy,
    Self,
    Within,
    Z3Reading,
)
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
from mckm.models.procedures.predicates import (
    ENROLLED,
    INK_OF,
    KEY_SETS_VALID,
    PERIODS_ALLOWED,
    REQUEST_SIGNED_BY,
    RESPONSE_SIGNED_BY,
    SKMS_PREDICATES,
    STORE_PRIVATE,
    TOKEN_SCOPES,
    TOKEN_SUBJECT,
    TOKEN_VALID,
    TRK_OF,
    facts_protocol,
)

CLAUSE = "TS 33.180 Annex D (D.1, D.2, D.3), 5.1, F.2.1; TS 33.434 6.Y (seed 004)"

#: the value of an optional message field that is absent
ABSENT = ""

REQUIREMENTS = {
    "REQ-SKMS-01": "The KMS holds one user community: ECCSI KSAK (secret) and KPAK (public), "
                   "SAKKE z (secret) and Z (public), created on first start and kept in its "
                   "store; its Root KMS certificate carries KPAK and Z (D.3.2).",
    "REQ-SKMS-02": "Requests are HTTP POST to /keymanagement/identity/v1/{init, keyprov, "
                   "certcache, cert} (D.2); another method is refused (405) and another "
                   "resource is not found (404).",
    "REQ-SKMS-03": "keyprov options are a percent-encoded user URI and then a 64-bit NTP-UTC "
                   "time as 16 hex digits (D.2.4); certcache takes one decimal cache number "
                   "(D.2.5), cert one KMS URI (D.2.6); a path that breaks this is 400.",
    "REQ-SKMS-04": "A cert request names a KMS whose certificate the KMS holds; otherwise the "
                   "certificate is not available (404, D.3.1).",
    "REQ-SKMS-10": "A user key set is ECCSI SSK + PVT and SAKKE RSK for the UID of F.2.1; "
                   "keyprov without a time returns the key sets of the current and the next key "
                   "period, with a time the key set of the period holding it.",
    "REQ-SKMS-11": "A key set once issued is stored and returned unchanged on every later "
                   "request for that user and period.",
    "REQ-SKMS-12": "The key sets of one request are stored in one transaction, all or none; a "
                   "request refused by any check stores nothing.",
    "REQ-SKMS-13": "Key sets are issued only for key periods that overlap the KMS certificate's "
                   "ValidFrom..ValidTo (403).",
    "REQ-SKMS-20": "Every request carries a valid IdMS access token as an OAuth 2.0 bearer "
                   "token (RFC 6750): signed by the IdMS, for this audience, not expired; "
                   "otherwise 401.",
    "REQ-SKMS-21": "The token grants the KMS scope and its MC ID is enrolled at the KMS (has a "
                   "TrK and an InK); otherwise 403.",
    "REQ-SKMS-22": "A user URI in the path and a KmsRequest's UserUri are the token's MC ID, "
                   "and the KmsRequest's KmsUri is this KMS (D.2.2); otherwise 403.",
    "REQ-SKMS-23": "The HTTPS log names method, resource and status only: never a token, a "
                   "header, a body or a user URI; a request whose URL carries its bearer token "
                   "(RFC 6750 5.3: logs and proxies record URLs) is refused (400).",
    "REQ-SKMS-24": "A KmsRequest's ClientReqUrl is the resource URI the request was posted to "
                   "and its Time is within the request window of the KMS clock (D.2.2); "
                   "otherwise 403.",
    "REQ-SKMS-25": "A SignedKmsRequest is accepted only if its HMAC-SHA256 signature verifies "
                   "with the InK of its UserUri (D.2.2); otherwise 403.",
    "REQ-SKMS-26": "A request body is KMS XML that the D.3.5 schema accepts, a KmsRequest or a "
                   "SignedKmsRequest; otherwise 400 naming the line and element.",
    "REQ-SKMS-30": "KmsInit carries the Root KMS certificate (D.3.2.2), its elements in the "
                   "order of KmsCertificateType (D.3.5.1).",
    "REQ-SKMS-31": "KmsKeyProv carries one KmsKeySet per key period (D.3.3.2), UserID in "
                   "base64 (Table D.3.3.2-1).",
    "REQ-SKMS-32": "SSK and RSK are wrapped under the user's TrK (EncKeyContentType, AES-256 "
                   "key wrap) and the TrK-ID is given in the extension namespace of D.3.5.3; "
                   "the client accepts secret keys only so wrapped, under its own TrK.",
    "REQ-SKMS-33": "Every response is signed with HMAC-SHA256 under the user's InK, the "
                   "Signature-ID (D.3.5.3) naming it; the client accepts only a response whose "
                   "signature verifies, and reads only the signed element.",
    "REQ-SKMS-34": "The client accepts a response only if UserUri, KmsUri and ClientReqUrl are "
                   "its own, and each key set names its user and KMS, has the UID it computes "
                   "for KeyPeriodNo as UserID, and its SSK and RSK validate (RFC 6507 5.1.2, "
                   "RFC 6508 6.1.2).",
    "REQ-SKMS-35": "KMS XML is parsed without DTDs, entity expansion or network access, and "
                   "validated against the D.3.5 schema before it is used; every document the "
                   "KMS writes validates against it.",
    "REQ-SKMS-36": "The client accepts a response only if it is the answer its request asked "
                   "for (D.2, D.3.1): a KmsMessage carrying KmsInit for init, KmsKeyProv for "
                   "keyprov, KmsCertCache for certcache and cert, and no KmsError beside it; "
                   "a KmsError answers no request.",
    "REQ-SKMS-40": "The store holds the community secrets, the TrK and InK of every user and "
                   "every issued SSK and RSK: it is created owner-only (0600) and a store that "
                   "others can read is refused: at start, and for every request while it is "
                   "so (503).",
}


# --------------------------------------------------------------------------- SKM-S terms


#: what the SKM-S guards ask of a role's facts, generated from the declarations
#: (:mod:`mckm.models.procedures.predicates`, ``SKMS_PREDICATES``): the KMS answers the
#: ``SkmsKmsFacts`` part (``impl/roles/kms/service.py``), the client the ``SkmsClientFacts``
#: part (``impl/roles/kms/client.py``), the proofs' replay every fact (``ModelFacts``)
SkmsFacts = facts_protocol(
    "SkmsFacts", SKMS_PREDICATES,
    "What the SKM-S guards ask of a role's facts (TS 33.180 Annex D): the union of "
    "SkmsKmsFacts and SkmsClientFacts.")

# the declared predicates' public names (each is its declaration, called to build a node)
TokenValid = TOKEN_VALID
TokenScopes = TOKEN_SCOPES
TokenSubject = TOKEN_SUBJECT
Enrolled = ENROLLED
RequestSignedBy = REQUEST_SIGNED_BY
PeriodsAllowed = PERIODS_ALLOWED
ResponseSignedBy = RESPONSE_SIGNED_BY
KeySetsValid = KEY_SETS_VALID
StorePrivate = STORE_PRIVATE
InkOf = INK_OF
TrkOf = TRK_OF


def _absent(term: Any) -> Any:
    """The z3 value of an absent optional field of ``term``'s sort."""
    return z3.Const("absent", term.sort())


@dataclass(frozen=True)
class Lit(Expr):
    """A constant of the model (an int, or a string compared with fields)."""

    value: int | str

    def to_python(self, env: Env) -> Any:
        return self.value

    def to_z3(self, z: Z3Reading) -> Any:
        if isinstance(self.value, int):
            return z3.IntVal(self.value)
        return z3.Const(f"lit:{self.value}", z.Ident)

    def to_text(self) -> str:
        return repr(self.value)


@dataclass(frozen=True)
class Given(Expr):
    """An optional field is present (not :data:`ABSENT`)."""

    field: Expr

    def to_python(self, env: Env) -> bool:
        return self.field.to_python(env) not in (ABSENT, None)

    def to_z3(self, z: Z3Reading) -> Any:
        term = self.field.to_z3(z)
        return term != _absent(term)

    def to_text(self) -> str:
        return f"given({self.field.to_text()})"


@dataclass(frozen=True)
class IsTime(Expr):
    """A field holds a time (an integer number of seconds), as an optional time field must."""

    field: Expr

    def to_python(self, env: Env) -> bool:
        value = self.field.to_python(env)
        return isinstance(value, int) and not isinstance(value, bool)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.BoolVal(True)  # the z3 reading is typed: a time field is an Int

    def to_text(self) -> str:
        return f"time({self.field.to_text()})"


@dataclass(frozen=True)
class Implies(Expr):
    """``when`` implies ``then`` (``then`` is evaluated only if ``when`` holds)."""

    when: Expr
    then: Expr

    def to_python(self, env: Env) -> Any:
        if not self.when.to_python(env):
            return True
        return self.then.to_python(env)  # a fact's Verdict keeps its reason

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.Implies(self.when.to_z3(z), self.then.to_z3(z))

    def to_text(self) -> str:
        return f"{self.when.to_text()} => {self.then.to_text()}"


def absent_or(field: Expr, value: Expr) -> Expr:
    """An optional field is absent or equal to ``value``."""
    return Implies(Given(field), Eq(field, value))


@dataclass(frozen=True)
class Mentions(Expr):
    """``text`` carries ``secret`` (verbatim or percent-encoded); an absent secret is in no
    text (RFC 6750 5.3: a URL is logged, so a bearer token must not travel in one)."""

    text: Expr
    secret: Expr

    def to_python(self, env: Env) -> bool:
        secret, text = self.secret.to_python(env), self.text.to_python(env)
        if not isinstance(secret, str) or not secret or not isinstance(text, str):
            return False
        return secret in text or secret in unquote(text)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.Function("Mentions", z.Ident, z.Blob, z3.BoolSort())(self.text.to_z3(z),
                                                                      self.secret.to_z3(z))

    def to_text(self) -> str:
        return f"mentions({self.text.to_text()}, {self.secret.to_text()})"


@dataclass(frozen=True)
class UriText(Expr):
    """The URI a token or body field names, as an identity (the token's ``sub`` claim is the
    MC ID's URI, TS 33.180 B.2.2); z3: ``AsUri`` from the field sort to identities."""

    value: Expr

    def to_python(self, env: Env) -> Any:
        return self.value.to_python(env)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.Function("AsUri", z.Blob, z.Ident)(self.value.to_z3(z))

    def to_text(self) -> str:
        return f"uri({self.value.to_text()})"


def KeyId(kind: str, kms: Expr, user: Expr) -> Expr:
    """The id of the ``kind`` key ("TrK" or "InK") that ``user`` shares with KMS ``kms``
    (D.1: provisioned at enrolment, one pair per user and KMS): ``TrkOf`` / ``InkOf``."""
    return {"TrK": TRK_OF, "InK": INK_OF}[kind](kms, user)


# --------------------------------------------------------------------------- messages

#: a KmsRequest body: none, a KmsRequest, or a SignedKmsRequest (D.2.2)
BODY_NONE, BODY_PLAIN, BODY_SIGNED = 0, 1, 2

#: what a KmsResponse answers (D.3.1, D.3.5.1 KMSMessage): nothing (no KmsMessage, no
#: KmsError), the one KmsInit / KmsKeyProv / KmsCertCache of its KmsMessage, a KmsError (with or
#: without a KmsMessage), or other KmsMessage content (the ##other slot of the choice)
ANSWER_NONE, ANSWER_INIT, ANSWER_KEYPROV, ANSWER_CERTCACHE, ANSWER_ERROR, ANSWER_OTHER = range(6)
#: the KmsMessage child's element name -> the answer it is
ANSWER_ELEMENTS = {"KmsInit": ANSWER_INIT, "KmsKeyProv": ANSWER_KEYPROV,
                   "KmsCertCache": ANSWER_CERTCACHE}

_REQUEST_FIELDS = {
    "method": ("ident", "HTTP method"),
    "url": ("ident", "HTTP: the resource URI the request is posted to (scheme, host, path, "
                     "?query)"),
    "token": ("blob", "the bearer token: URI query access_token (RFC 6750 2.3), else HTTP "
                      "Authorization: Bearer <token> (absent: '')"),
    "path_user": ("blob", "path option: the percent-decoded user URI (absent: '')"),
    "body": ("int", "body: 0 none, 1 KmsRequest, 2 SignedKmsRequest (D.3.5.1)"),
    "body_user": ("blob", "KmsRequest/UserUri (absent: '')"),
    "body_kms": ("ident", "KmsRequest/KmsUri (absent: None)"),
    "body_url": ("ident", "KmsRequest/ClientReqUrl (absent: None)"),
    "body_time": ("time", "KmsRequest/Time, Unix seconds (absent: None)"),
}
#: request fields a message may lack (no KmsRequest body): None, which the engine allows
_REQUEST_OPTIONAL = frozenset({"body_kms", "body_url", "body_time"})
_RESPONSE_FIELDS = {
    "user_uri": ("ident", "SignedKmsResponse/KmsResponse/UserUri"),
    "kms_uri": ("ident", "KmsResponse/KmsUri"),
    "client_req_url": ("ident", "KmsResponse/ClientReqUrl"),
    "trk_id": ("ident", "KmsResponse/ext:TrK-ID (D.3.5.3)"),
    "signature_id": ("ident", "KmsResponse/ext:Signature-ID (D.3.5.3)"),
    "answer": ("int", "KmsResponse/KmsMessage/* and KmsResponse/KmsError: 0 neither, 1 KmsInit, "
                      "2 KmsKeyProv, 3 KmsCertCache, 4 a KmsError (with or without KmsMessage), "
                      "5 other KmsMessage content"),
    "document": ("blob", "the SignedKmsResponse octets"),
}
_GRAMMAR = "kms_xml: TS 33.180 D.3.5 (HTTP request line and Authorization header)"


def _msg(name: str, clause: str, fields: dict[str, tuple[str, str]]) -> MessageSpec:
    return MessageSpec(name=name, grammar=_GRAMMAR, clause=clause,
                       fields={k: t for k, (t, _) in fields.items()},
                       paths={k: p for k, (_, p) in fields.items()},
                       optional=_REQUEST_OPTIONAL & fields.keys())


INIT_REQUEST = _msg("INIT_REQUEST", "TS 33.180 D.2.3, D.2.2", _REQUEST_FIELDS)
KEYPROV_REQUEST = _msg("KEYPROV_REQUEST", "TS 33.180 D.2.4, D.2.2", {
    **_REQUEST_FIELDS,
    "time": ("blob", "path option: NTP-UTC 64-bit time (absent: '')")})
CERTCACHE_REQUEST = _msg("CERTCACHE_REQUEST", "TS 33.180 D.2.5, D.2.2", {
    **_REQUEST_FIELDS, "cache_num": ("blob", "path option: the client's cache number")})
CERT_REQUEST = _msg("CERT_REQUEST", "TS 33.180 D.2.6, D.2.2", {
    **_REQUEST_FIELDS, "cert_kms": ("ident", "path option: the KMS URI of the certificate")})
INIT_RESPONSE = _msg("INIT_RESPONSE", "TS 33.180 D.3.1, D.3.2 (KmsInit)", _RESPONSE_FIELDS)
KEYPROV_RESPONSE = _msg("KEYPROV_RESPONSE", "TS 33.180 D.3.1, D.3.3 (KmsKeyProv)",
                        _RESPONSE_FIELDS)
CERTCACHE_RESPONSE = _msg("CERTCACHE_RESPONSE", "TS 33.180 D.3.1, D.3.2 (KmsCertCache)",
                          _RESPONSE_FIELDS)
CERT_RESPONSE = _msg("CERT_RESPONSE", "TS 33.180 D.2.6, D.3.1 (KmsCertCache, one certificate)",
                     _RESPONSE_FIELDS)

#: the answer each response must be (D.2.3-D.2.6, D.3.1); what the KMS's answer effect writes
ANSWERS = {"INIT_RESPONSE": ANSWER_INIT, "KEYPROV_RESPONSE": ANSWER_KEYPROV,
           "CERTCACHE_RESPONSE": ANSWER_CERTCACHE, "CERT_RESPONSE": ANSWER_CERTCACHE}

MESSAGES = (INIT_REQUEST, KEYPROV_REQUEST, CERTCACHE_REQUEST, CERT_REQUEST,
            INIT_RESPONSE, KEYPROV_RESPONSE, CERTCACHE_RESPONSE, CERT_RESPONSE)

#: resource name of D.2 -> (request, response)
RESOURCES = {"init": ("INIT_REQUEST", "INIT_RESPONSE"),
             "keyprov": ("KEYPROV_REQUEST", "KEYPROV_RESPONSE"),
             "certcache": ("CERTCACHE_REQUEST", "CERTCACHE_RESPONSE"),
             "cert": ("CERT_REQUEST", "CERT_RESPONSE")}

# --------------------------------------------------------------------------- guards

TOKEN = Field("token")
SUBJECT = TokenSubject(TOKEN)


def _g(name: str, expr: Expr, req: str, reason: str, status: int | None,
       *detects: str) -> Guard:
    return Guard(name, expr, req, reason, None, tuple(detects), status)


G_POST = _g("post", In(Field("method"), Self("methods")), "REQ-SKMS-02",
            "KMS requests are POST (TS 33.180 D.2.1)", 405, "wrong-method")
G_STORE_PRIVATE = _g("store-private", StorePrivate(), "REQ-SKMS-40",
                     "the KMS store is readable by others: no secret is served from it", 503,
                     "exposed-store")
G_TOKEN_NOT_IN_URL = _g("token-not-in-url", Not(Mentions(Field("url"), TOKEN)), "REQ-SKMS-23",
                        "the request URL carries the bearer token (RFC 6750 5.3)", 400,
                        "token-in-url")
G_TOKEN = _g("token-valid", TokenValid(TOKEN, Now()), "REQ-SKMS-20",
             "no valid IdMS access token", 401, "bad-token")
G_SCOPE = _g("token-scope", In(Self("scope"), TokenScopes(TOKEN)), "REQ-SKMS-21",
             "the access token does not grant the KMS scope", 403, "wrong-scope")
G_ENROLLED = _g("enrolled", Enrolled(SUBJECT), "REQ-SKMS-21",
                "the token's MC ID is not enrolled at this KMS (no TrK)", 403, "not-enrolled")
G_PATH_USER = _g("path-user-is-subject", absent_or(Field("path_user"), SUBJECT), "REQ-SKMS-22",
                 "the user URI in the path is not the token's MC ID", 403, "other-user")
G_BODY_USER = _g("body-user-is-subject", absent_or(Field("body_user"), SUBJECT),
                 "REQ-SKMS-22", "the KmsRequest names another user", 403, "other-user")
G_BODY_KMS = _g("body-for-this-kms", absent_or(Field("body_kms"), Self("uri")), "REQ-SKMS-22",
                "the KmsRequest is for another KMS", 403, "misaddressed")
G_BODY_URL = _g("body-url-is-request-url", absent_or(Field("body_url"), Field("url")),
                "REQ-SKMS-24", "the KmsRequest's ClientReqUrl is not the resource posted to",
                403, "misaddressed")
G_BODY_TIME = _g("body-time-recent",
                 Implies(Given(Field("body_time")),
                         And(IsTime(Field("body_time")),
                             Within(Field("body_time"), Now(), Policy("request_window")))),
                 "REQ-SKMS-24", "the KmsRequest's Time is outside the request window", 403,
                 "stale")
G_BODY_SIGNED = _g("request-signed-by-user",
                   Implies(Eq(Field("body"), Lit(BODY_SIGNED)), RequestSignedBy(Msg(), SUBJECT)),
                   "REQ-SKMS-25", "the SignedKmsRequest's signature does not verify with the "
                   "user's InK", 403, "forged-signature")
G_PERIODS = _g("periods-in-certificate", PeriodsAllowed(Field("time"), Now()), "REQ-SKMS-13",
               "the key period is outside the KMS certificate validity", 403, "bad-period")
G_CERT_KNOWN = _g("certificate-known", In(Field("cert_kms"), Self("certificates")),
                  "REQ-SKMS-04", "the KMS certificate is not available", 404, "unknown-cert")

REQUEST_GUARDS = (G_POST, G_STORE_PRIVATE, G_TOKEN_NOT_IN_URL, G_TOKEN, G_SCOPE, G_ENROLLED,
                  G_PATH_USER, G_BODY_USER, G_BODY_KMS, G_BODY_URL, G_BODY_TIME, G_BODY_SIGNED)

G_ANSWERS = dataclasses.replace(
    _g("answers-requester", Eq(Field("user_uri"), Self("subject")), "REQ-SKMS-22",
       "the response must be addressed to the token's MC ID", None),
    equivalent="implied by RESPONSE_WRITES: the answer effect writes UserUri from subject, so "
               "dropped it changes no response the KMS sends (defence in depth against a build "
               "bug; the client's guard addressed checks it on receipt); a swapped read only "
               "makes the KMS refuse its own answer, a liveness loss the safety rows do not see")

# client side: what it checks before it accepts anything (REQ-SKMS-32..34)
G_SIGNED = _g("signed-with-ink", ResponseSignedBy(Msg(), Self("ink_id")), "REQ-SKMS-33",
              "the response signature does not verify with the InK", None, "tampered")
G_FOR_ME = _g("addressed", Eq(Field("user_uri"), Self("uri")), "REQ-SKMS-34",
              "the response is for another user", None, "misaddressed")
G_FROM_KMS = _g("from-my-kms", Eq(Field("kms_uri"), Self("kms_uri")), "REQ-SKMS-34",
                "the response is from another KMS", None, "misaddressed")
G_MY_URL = _g("for-my-request", Eq(Field("client_req_url"), Self("request_url")),
              "REQ-SKMS-34", "ClientReqUrl is not the URL this client requested", None,
              "misaddressed")
G_MY_TRK = _g("under-my-trk", Eq(Field("trk_id"), Self("trk_id")), "REQ-SKMS-32",
              "TrK-ID names another transport key", None, "misaddressed")
G_KEYS = _g("key-sets-valid", KeySetsValid(Msg()), "REQ-SKMS-34",
            "a key set is not this client's or does not validate", None, "tampered")

RESPONSE_GUARDS = (G_SIGNED, G_FOR_ME, G_FROM_KMS, G_MY_URL, G_MY_TRK)


def answers_my_request(response: str) -> Guard:
    """The client's guard that ``response`` is the answer its request asked for, with no
    KmsError (REQ-SKMS-36; D.2.3-D.2.6, D.3.1)."""
    kind = next(k for k, v in ANSWER_ELEMENTS.items() if v == ANSWERS[response])
    return _g("answers-my-request", Eq(Field("answer"), Lit(ANSWERS[response])), "REQ-SKMS-36",
              f"the response is not a {kind} without KmsError", None, "wrong-answer")

# --------------------------------------------------------------------------- writes

#: what the KMS's effects write into its variables (the proofs carry them from the receiving
#: step to the answer; ``tests/kms`` checks the runtime writes exactly this)
VAR_WRITES: dict[str, dict[str, Expr]] = {
    "skms.identify": {"subject": UriText(SUBJECT), "request_url": Field("url")},
}
#: the KmsResponse fields the KMS's answer effects write (D.3.1, D.3.5.3), from its variables
#: (and ``answer``: :data:`ANSWERS` of the response); the whole KmsResponse is signed with the
#: InK named by Signature-ID (D.1)
RESPONSE_WRITES: dict[str, Expr] = {
    "user_uri": Self("subject"),
    "kms_uri": Self("uri"),
    "client_req_url": Self("request_url"),
    "trk_id": TRK_OF(Self("uri"), Self("subject")),
    "signature_id": INK_OF(Self("uri"), Self("subject")),
}

# --------------------------------------------------------------------------- steps

_KMS_VARS = {"uri": "ident", "methods": "set[ident]", "scope": "ident",
             "certificates": "set[ident]", "subject": "ident", "request_url": "ident"}
_CLIENT_VARS = {"uri": "ident", "kms_uri": "ident", "ink_id": "ident", "trk_id": "ident",
                "request_url": "ident"}


def _exchange(first: int, resource: str, text: str, extra: tuple[Guard, ...],
              kms_effects: tuple[str, ...], build: str, implements: tuple[str, ...],
              client_extra: tuple[Guard, ...], requirement: str) -> tuple[Step, ...]:
    request, response = RESOURCES[resource]
    n = [str(first + i) for i in range(4)]
    return (
        Step(n[0], "client", "send", request, peer="kms", source="idle",
             target=f"{resource}-asked", requirement="REQ-SKMS-02",
             text=f"POST .../{resource} with the access token (and optionally a KmsRequest, "
                  "signed with the InK) (D.2.2).",
             effects=("client.build_request",)),
        Step(n[1], "kms", "receive", request, peer="client", source="listening",
             target=f"{resource}-accepted", requirement=requirement, text=text,
             guards=(*REQUEST_GUARDS, *extra), effects=("skms.identify", *kms_effects),
             implements=("REQ-SKMS-03", "REQ-SKMS-26")),
        Step(n[2], "kms", "send", response, peer="client", source=f"{resource}-accepted",
             target="answered", requirement=requirement, auto=True,
             text="Answer with a SignedKmsResponse: schema-valid (D.3.5), TrK-ID and "
                  "Signature-ID in the extension namespace, signed with the InK (D.1).",
             guards=(G_ANSWERS,), effects=(build,),
             implements=("REQ-SKMS-33", "REQ-SKMS-35", *implements)),
        Step(n[3], "client", "receive", response, peer="kms", source=f"{resource}-asked",
             target="done", requirement="REQ-SKMS-34",
             text="Verify the InK signature, then the addressing, then that it is the answer "
                  "asked for (no KmsError), then the content; accept.",
             guards=(*RESPONSE_GUARDS, answers_my_request(response), *client_extra),
             effects=("client.accept",),
             implements=("REQ-SKMS-35",)),
    )


STEPS = (
    *_exchange(1, "init", "KMS Initialize: the Root KMS certificate (D.2.3, D.3.2).", (),
               (), "skms.build_kms_init", ("REQ-SKMS-30", "REQ-SKMS-01"), (), "REQ-SKMS-30"),
    *_exchange(5, "keyprov",
               "KMS KeyProvision: the key sets of the current and next period, or of the "
               "period holding the requested time; stored first if new (D.2.4, D.3.3).",
               (G_PERIODS,), ("skms.select_periods", "skms.provision_key_sets"),
               "skms.build_key_prov", ("REQ-SKMS-31", "REQ-SKMS-32", "REQ-SKMS-11",
                                       "REQ-SKMS-12"), (G_KEYS,), "REQ-SKMS-10"),
    *_exchange(9, "certcache", "KMS CertCache: the external KMS certificates (D.2.5).", (),
               (), "skms.build_cert_cache", ("REQ-SKMS-30",), (), "REQ-SKMS-02"),
    *_exchange(13, "cert", "KMS Cert: one KMS certificate in a KmsCertCache (D.2.6).",
               (G_CERT_KNOWN,), (), "skms.build_cert", ("REQ-SKMS-30",), (), "REQ-SKMS-04"),
)

PROCEDURE = Procedure(
    name="skm-s-provisioning",
    title="SKM-S / KMS key provisioning (TS 33.180 Annex D)",
    clause=CLAUSE,
    roles=(
        Role("client", initial="idle", final=("done",), vars=_CLIENT_VARS),
        Role("kms", initial="listening", final=("answered",), vars=_KMS_VARS),
    ),
    messages=MESSAGES,
    steps=STEPS,
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-SKMS-02", None, "no such KMS resource, or not in this state"),
    policy={"request_window": 300},
    outcome="the client holds the certificate or key sets the KMS issued, verified",
    leaves_out=(
        "D.2.7 lookup and D.2.8 redirect upload (not served: 404)",
        "AES-128-GCM encryption of the KmsMessage (D.3.1 'may')",
        "new TrK / InK in KmsInitTkIkType / KmsKeyProvTkIkType (provisioned at enrolment)",
        "external KMS certificates (single KMS: the cache is empty)",
        "KmsError responses from the KMS (refusals are text/plain with the requirement id; "
        "a client refuses a response that carries one, REQ-SKMS-36)",
    ),
)

#: the HTTP status of a refusal at a step by a guard (:meth:`Procedure.http_status`)
http_status = PROCEDURE.http_status
