"""The crypto, BSF and trust predicates of the models: each declared once, here.

A guard asks the crypto through predicates in the Dolev-Yao style: ``MacBy(m, k)`` is true iff
``m``'s V payload verifies under the keys of ``k``, and the proofs assume nothing else about it.
One :class:`Predicate` declaration per predicate gives every reading of it:

- the expression node: calling the declaration, ``MAC_BY(Msg(), key)``, builds an
  :class:`~mckm.models.procedures.expr.Apply` node (the public names ``MacBy``, ``SignedBy``...
  are the declarations themselves);
- the runtime reading: ``to_python`` asks the role's facts object the method named ``fact``
  (``Trust`` asks the procedure's trust relation, ``Env.trusted``); a ``bool`` predicate returns
  the facts' :class:`~mckm.models.procedures.verdict.Verdict` unchanged, or a plain answer as
  ``bool``;
- the z3 reading: :meth:`Predicate.function`, an uninterpreted function with the same name and
  sorts wherever it is built (z3 identifies functions by both);
- the docs reading: ``text``, formatted with the arguments' texts;
- the facts protocol: :func:`facts_protocol` makes the ``typing.Protocol`` of a family
  (:data:`SakkeFacts`, :data:`TicketFacts`, :data:`SkmsKmsFacts`, :data:`SkmsClientFacts`) and
  :func:`missing_facts` checks an implementation against the declarations (the real facts,
  the symbolic worlds and the proofs' replay facts are all checked by
  ``tests/proofs/test_predicates.py``);
- the counterexample replay: ``mckm.proofs.replay.ModelFacts`` answers every declared fact by
  evaluating :meth:`Predicate.function` in a z3 model.

Argument types are the model's type names (``msg``, ``blob``, ``ident``, ``uid``, ``int``,
``set[blob]``; see :class:`~mckm.models.procedures.expr.Z3Reading`), the result is ``bool`` or a
type name (``set[ident]`` for ``TokenScopes``; ``StorePrivate`` takes no argument).
``TicketTerm`` has a static parameter (the policy attribute): it names one function per
attribute, ``TP.<attr>``, with the attribute's type (``ticket_policy.TERM_TYPES``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import z3

from mckm.models.policy.ticket_policy import TERM_TYPES
from mckm.models.procedures.verdict import Verdict

if TYPE_CHECKING:
    from mckm.models.procedures.expr import Apply, Env, Expr, Z3Reading


@dataclass(frozen=True, eq=False)
class Predicate:
    """One crypto, BSF or trust predicate (see module docstring).  Compared by identity: each
    declaration is the one object of its predicate."""

    name: str  # the z3 function's name
    args: tuple[tuple[str, str], ...]  # (argument name, type name), in order
    result: str  # "bool" or a type name; with ``param``, the default of ``results``
    fact: str  # the facts method that answers it
    text: str  # str.format template over the argument names (and ``param``)
    clause: str
    doc: str = ""
    node: str = ""  # the public Python name, when it is not ``name``
    param: str | None = None  # a static (non-expression) argument, passed to the fact last
    results: Mapping[str, str] = field(default_factory=dict)  # param value -> result type
    source: Literal["facts", "trust"] = "facts"

    @property
    def python_name(self) -> str:
        return self.node or self.name

    def __call__(self, *args: Expr | str, **param: str) -> Apply:
        """The expression node applying this predicate to ``args``; a static parameter is
        given last or by name (``TicketTerm(TICKET, "tre")``)."""
        from mckm.models.procedures.expr import Apply, Expr  # expr imports this module

        given = list(args)
        if self.param is not None and self.param not in param and len(given) > len(self.args):
            param = {self.param: str(given.pop())}
        if set(param) != ({self.param} if self.param is not None else set()):
            raise TypeError(f"{self.python_name}: static parameter {self.param!r} expected")
        exprs = tuple(a for a in given if isinstance(a, Expr))
        if len(exprs) != len(given) or len(exprs) != len(self.args):
            raise TypeError(f"{self.python_name} takes {len(self.args)} expressions")
        return Apply(self, exprs, param.get(self.param) if self.param is not None else None)

    def result_type(self, param: str | None = None) -> str:
        return self.results.get(param, self.result) if param is not None else self.result

    def function(self, z: Z3Reading, param: str | None = None) -> z3.FuncDeclRef:
        """The uninterpreted z3 function (one per ``param`` value)."""
        name = self.name if param is None else f"{self.name}.{param}"
        result = self.result_type(param)
        out = z3.BoolSort() if result == "bool" else z.sort(result)
        return z3.Function(name, *(z.sort(t) for _, t in self.args), out)

    def answer(self, env: Env, values: list[Any]) -> Any:
        """The runtime reading: the facts' answer (a Verdict unchanged; a plain bool as bool)."""
        if self.source == "trust":
            got = env.trusted(*values)
        else:
            got = getattr(env.facts, self.fact)(*values)
        if self.result_type() == "bool" and not isinstance(got, Verdict):
            return bool(got)
        return got

    def render(self, texts: list[str], param: str | None) -> str:
        names = {n: t for (n, _), t in zip(self.args, texts, strict=True)}
        if self.param is not None:
            names[self.param] = param or ""
        return self.text.format(**names)

    def fact_arity(self) -> int:
        return len(self.args) + (self.param is not None)


def predicate(name: str, *args: tuple[str, str], result: str, fact: str, text: str,
              clause: str, doc: str = "", **more: Any) -> Predicate:
    """Declare a predicate (keyword form of :class:`Predicate`)."""
    return Predicate(name, tuple(args), result, fact, text, clause, doc, **more)


# --------------------------------------------------------------------------- MIKEY-SAKKE

UID = predicate(
    "Uid", ("identity", "ident"), ("period", "int"), result="uid", fact="uid",
    text="UID({identity}, {period})", clause="TS 33.180 F.2.1; RFC 6509 4.1",
    doc="The MIKEY-SAKKE UID of ``identity`` for key period ``period``.")
PERIOD_OF = predicate(
    "PeriodOf", ("time", "int"), result="int", fact="period_of", text="period({time})",
    clause="TS 33.180 F.2.1 (UserKeyPeriod, UserKeyOffset)",
    doc="The key period number containing time ``time`` (KMS certificate period and offset).")
SIGNED_BY = predicate(
    "SignedBy", ("message", "msg"), ("uid", "uid"), result="bool", fact="signed_by",
    text="SignedBy({message}, {uid})", clause="RFC 6507 5.2; RFC 6509 4.2",
    doc="``message`` carries a valid ECCSI signature made with ``uid``'s signing key.")
ENCRYPTED_TO = predicate(
    "EncryptedTo", ("blob", "blob"), ("uid", "uid"), result="bool", fact="encrypted_to",
    text="EncryptedTo({blob}, {uid})", clause="RFC 6508 6.2.2; RFC 6509 4.2",
    doc="``blob`` decapsulates (SAKKE) with ``uid``'s decryption key.")
KEY_FITS = predicate(
    "KeyFits", ("store", "set[blob]"), ("message", "msg"), ("uid", "uid"), ("purpose", "int"),
    result="bool", fact="key_fits", text="KeyFits({store}, {message}, {uid}, {purpose})",
    clause="TS 33.434 6.Y.2 (seed 004: stored by SK-ID); TS 33.180 5.2.3, F.1.3",
    doc="The K that ``message`` carries for ``uid`` can be stored by its id (the SK-ID, for a "
        "GMK the GMK-ID): ``store`` holds nothing under it, or the same key of ``purpose``.")

# --------------------------------------------------------------------------- trust between KMSs

TRUSTED = predicate(
    "Trust", ("a", "ident"), ("b", "ident"), result="bool", fact="trusted",
    text="trusts({a}, {b})", clause="TS 33.328 6.2.3.8 (seed 002); mckm.models.policy.trust",
    doc="KMS ``a`` trusts KMS ``b`` (the procedure's trust relation, not the facts).",
    node="Trusted", source="trust")

# --------------------------------------------------------------------------- MIKEY-TICKET

NAF_KEY = predicate(
    "NafKey", ("btid", "blob"), ("naf", "ident"), result="blob", fact="naf_key",
    text="NafKey({btid}, {naf})", clause="TS 33.220 4.5.2; RFC 6043 4.2.1 (IDRpsk)",
    doc="The GBA NAF key Ks_NAF of bootstrap ``btid`` for the NAF (KMS) ``naf``: the PSK of "
        "the Ua exchanges; a key reference, never key material.")
MAC_BY = predicate(
    "MacBy", ("message", "msg"), ("key", "blob"), result="bool", fact="mac_by",
    text="MacBy({message}, {key})", clause="RFC 6043 5.1.2, 5.5",
    doc="``message``'s V payload verifies with the auth_key derived from ``key`` (the MAC "
        "covers the message, the identities, and for a response the request).")
KEMAC_FOR = predicate(
    "KemacFor", ("kemac", "blob"), ("key", "blob"), result="bool", fact="kemac_for",
    text="KemacFor({kemac}, {key})", clause="RFC 6043 4.2.3.5",
    doc="The KEMAC is enciphered with the encr_key derived from ``key``.")
USS_HAS = predicate(
    "UssHas", ("btid", "blob"), ("identity", "ident"), result="bool", fact="uss_has",
    text="USS({btid}) has {identity}", clause="seed 002 B.2.2.2 step 5; TS 33.220 4.4.9 (Zn)",
    doc="The USS the BSF returns for ``btid`` lists a public user identity that, converted to "
        "a KMS user identity, equals ``identity``.")
NDS_FROM = predicate(
    "NdsFrom", ("message", "msg"), ("peer", "ident"), result="bool", fact="nds_from",
    text="NdsFrom({message}, {peer})", clause="TS 33.210; seed 002 4.2.4, B.2.2.3 steps 8, 11",
    doc="``message`` arrived over Zk in an NDS/IP security association whose authenticated "
        "peer is ``peer``.")
TICKET_SEALED_BY = predicate(
    "TicketSealedBy", ("ticket", "blob"), ("kms", "ident"), result="bool",
    fact="ticket_sealed_by", text="SealedBy({ticket}, {kms})", clause="RFC 6043 Appendix A",
    doc="The Ticket Data verifies with the ticket protection key of KMS ``kms``: it issued the "
        "ticket and can resolve it.")
TICKET_FOR = predicate(
    "TicketFor", ("ticket", "blob"), ("identity", "ident"), result="bool",
    fact="ticket_authorises", text="{identity} in IDRr({ticket})", clause="RFC 6043 6.10 (TP)",
    doc="``identity`` is one of the ticket policy's authorised responders (TP Data (IDRr)).")
TICKET_TERM = predicate(
    "TP", ("ticket", "blob"), result="int", fact="ticket_term", text="TP({ticket}).{attr}",
    clause="RFC 6043 6.10; mckm.models.policy.ticket_policy", node="TicketTerm", param="attr",
    results=TERM_TYPES,
    doc="An attribute of the ticket's granted policy (``ticket_policy.TERM_TYPES``).")
MPKI_OF = predicate(
    "MpkiOf", ("kemac", "blob"), ("key", "blob"), result="blob", fact="mpki_of",
    text="MPKi({kemac}, {key})", clause="RFC 6043 4.2.3.5",
    doc="MPKi carried in ``kemac``, opened with the keys derived from ``key``: the key of the "
        "Ticket Transfer exchange; a key reference, never key material.")
STORED_MPKI = predicate(
    "StoredMpki", ("store", "set[blob]"), ("ticket", "blob"), result="blob", fact="stored_mpki",
    text="MPKi stored with {ticket} in {store}", clause="RFC 6043 5.3",
    doc="MPKi kept with ``ticket`` in the reusable-ticket store ``store``.")
ZK_KEYS = predicate(
    "ZkKeys", ("message", "msg"), result="bool", fact="zk_keys", text="ZkKeys({message})",
    clause="seed 002 B.2.2.3 steps 10-11; RFC 6043 4.2.3.5, 5.4",
    doc="``message`` answers the request it answers (HDR copied), unprotected (V with the NULL "
        "MAC), with a clear KEMAC that carries MPKi and one TGK: keys a KMS can re-encipher.")

# --------------------------------------------------------------------------- SKM-S (TS 33.180 D)

TOKEN_VALID = predicate(
    "TokenValid", ("token", "blob"), ("now", "int"), result="bool", fact="token_valid",
    text="TokenValid({token}, {now})", clause="RFC 6750; RFC 7519; TS 33.180 B.2.2",
    doc="The bearer ``token`` is an IdMS access token: signature, audience and lifetime at "
        "``now``.")
TOKEN_SCOPES = predicate(
    "TokenScopes", ("token", "blob"), result="set[ident]", fact="token_scopes",
    text="scopes({token})", clause="TS 33.180 B.2.2 (scope)",
    doc="The scopes a (valid) access token grants.")
TOKEN_SUBJECT = predicate(
    "TokenSubject", ("token", "blob"), result="blob", fact="token_subject",
    text="subject({token})", clause="TS 33.180 B.2.2 (sub: the MC ID)",
    doc="The MC ID a (valid) access token is for (its subject).")
ENROLLED = predicate(
    "Enrolled", ("user", "blob"), result="bool", fact="enrolled", text="enrolled({user})",
    clause="TS 33.180 D.1", doc="``user`` is enrolled at this KMS: it has a TrK and an InK.")
REQUEST_SIGNED_BY = predicate(
    "RequestSignedBy", ("message", "msg"), ("user", "blob"), result="bool",
    fact="request_signed_by", text="SignedByInK({message}, {user})", clause="TS 33.180 D.2.2",
    doc="The SignedKmsRequest in ``message`` verifies with the InK of ``user``.")
PERIODS_ALLOWED = predicate(
    "PeriodsAllowed", ("time", "blob"), ("now", "int"), result="bool", fact="periods_allowed",
    text="periods({time}, {now}) in certificate", clause="TS 33.180 F.2.1, D.3.2.2",
    doc="The key periods a keyprov asks for (the one holding ``time``, or the current and "
        "next at ``now``) overlap the KMS certificate's validity.")
STORE_PRIVATE = predicate(
    "StorePrivate", result="bool", fact="store_private", text="store_private()",
    clause="mckm REQ-SKMS-40",
    doc="The KMS's store (database and journal files) is readable by its owner only: a fact "
        "of the KMS's own state, read at every request.")
INK_OF = predicate(
    "InkOf", ("kms", "ident"), ("user", "ident"), result="ident", fact="ink_of",
    text="InK({kms}, {user})", clause="TS 33.180 D.1, D.3.5.3 (Signature-ID)",
    doc="The id of the InK ``user`` shares with KMS ``kms`` (provisioned at enrolment, one per "
        "user and KMS).")
TRK_OF = predicate(
    "TrkOf", ("kms", "ident"), ("user", "ident"), result="ident", fact="trk_of",
    text="TrK({kms}, {user})", clause="TS 33.180 D.1, D.3.5.3 (TrK-ID)",
    doc="The id of the TrK ``user`` shares with KMS ``kms`` (provisioned at enrolment, one per "
        "user and KMS).")
RESPONSE_SIGNED_BY = predicate(
    "ResponseSignedBy", ("message", "msg"), ("key_id", "ident"), result="bool",
    fact="response_signed_by", text="SignedByInK({message}, {key_id})",
    clause="TS 33.180 D.1, D.3.1",
    doc="The SignedKmsResponse in ``message`` verifies with the InK named ``key_id``, and the "
        "fields read are those of the signed KmsResponse.")
KEY_SETS_VALID = predicate(
    "KeySetsValid", ("message", "msg"), result="bool", fact="key_sets_valid",
    text="KeySetsValid({message})", clause="TS 33.180 D.3.3.2; RFC 6507 5.1.2; RFC 6508 6.1.2",
    doc="Every KmsKeySet of ``message`` is this client's, unwraps under its TrK and "
        "validates.")

# --------------------------------------------------------------------------- CEK (seed 001)

CEK_LIVE_FOR = predicate(
    "CekLiveFor", ("user", "ident"), ("session", "ident"), result="bool", fact="cek_live_for",
    text="live_cek({user}, {session})", clause="seed 001 7.x.1, 7.x.3",
    doc="The KMS holds a live (issued, not retired) CEK for ``user`` on SIP session "
        "``session``.")
CEK_IS_LIVE = predicate(
    "CekIsLive", ("key_id", "blob"), ("user", "ident"), ("session", "ident"), result="bool",
    fact="cek_is_live", text="{key_id} = live_key_id({user}, {session})",
    clause="seed 001 7.x.2, 7.x.3",
    doc="``key_id`` names the live CEK of ``user`` on ``session`` (not a retired one, not "
        "another user's or session's).")
CEK_ISSUED_AT = predicate(
    "CekIssuedAt", ("key_id", "blob"), result="int", fact="cek_issued_at",
    text="issued_at({key_id})", clause="seed 001 7.x.3 (key freshness)",
    doc="When the KMS issued the CEK named ``key_id`` (Unix seconds).")
CEK_KEY_ID_SEEN = predicate(
    "CekKeyIdSeen", ("key_id", "blob"), result="bool", fact="cek_key_id_seen",
    text="seen({key_id})", clause="seed 001 7.x.2 (a unique Key ID)",
    doc="An SIP endpoint has held a CEK under ``key_id`` before (live or retired).")
CEK_HELD = predicate(
    "CekHeld", ("key_id", "blob"), ("user", "ident"), ("session", "ident"), result="bool",
    fact="cek_held", text="held({key_id}, {user}, {session})", clause="seed 001 7.x.3",
    doc="The SIP endpoint holds the live CEK ``key_id`` for ``user`` on ``session``.")

SAKKE_PREDICATES = (UID, PERIOD_OF, SIGNED_BY, ENCRYPTED_TO, KEY_FITS)
TICKET_PREDICATES = (NAF_KEY, MAC_BY, KEMAC_FOR, USS_HAS, NDS_FROM, TICKET_SEALED_BY, TICKET_FOR,
                     TICKET_TERM, MPKI_OF, STORED_MPKI, ZK_KEYS)
#: what the KMS's guards and answer writes ask (impl/roles/kms/service.py KmsFacts)
SKMS_KMS_PREDICATES = (TOKEN_VALID, TOKEN_SCOPES, TOKEN_SUBJECT, ENROLLED, REQUEST_SIGNED_BY,
                       PERIODS_ALLOWED, STORE_PRIVATE, INK_OF, TRK_OF)
#: what the client's guards ask (impl/roles/kms/client.py ClientFacts)
SKMS_CLIENT_PREDICATES = (RESPONSE_SIGNED_BY, KEY_SETS_VALID)
SKMS_PREDICATES = (*SKMS_KMS_PREDICATES, *SKMS_CLIENT_PREDICATES)
#: what the CEK KMS's guards ask (impl/roles/cek/service.py CekKmsFacts; with the token facts)
CEK_KMS_PREDICATES = (TOKEN_VALID, TOKEN_SCOPES, TOKEN_SUBJECT, CEK_LIVE_FOR, CEK_IS_LIVE,
                      CEK_ISSUED_AT)
#: what a SIP endpoint's guards ask of a push (impl/roles/cek/endpoint.py EndpointFacts)
CEK_ENDPOINT_PREDICATES = (CEK_KEY_ID_SEEN, CEK_HELD)
PREDICATES: tuple[Predicate, ...] = (
    *SAKKE_PREDICATES, TRUSTED, *TICKET_PREDICATES, *SKMS_PREDICATES, CEK_LIVE_FOR,
    CEK_IS_LIVE, CEK_ISSUED_AT, *CEK_ENDPOINT_PREDICATES)
# --------------------------------------------------------------------------- InterKMM (seed 000)

IKMM_PROTECTED = predicate(
    "IkmmProtected", ("message", "msg"), result="bool", fact="ikmm_protected",
    text="Protected({message})", clause="seed 000 7.8.x.3; TS 33.180 9.3.4.2, 9.3.5",
    doc="``message``'s InterKMM body is in its protected form: the signalling parameters and "
        "the KMM encrypted, both parts signed (a clear or half-protected body is not).")
IKMM_OPENS = predicate(
    "IkmmOpens", ("message", "msg"), result="bool", fact="ikmm_opens",
    text="Opens({message})", clause="TS 33.180 9.3.5, 9.3.4.2; mckm REQ-IKMM-04..08",
    doc="``message``'s signatures verify and its parts decrypt, all under one XPK of the "
        "receiver's keyring for this hop (the CSKs towards UEs, the SPKs towards IWFs).")
IKMM_XPK_OF = predicate(
    "IkmmXpkOf", ("peer", "ident"), result="int", fact="ikmm_xpk_of",
    text="XPK-ID({peer})", clause="TS 33.180 9.3.3 (XPK: CSK or SPK)",
    doc="The XPK-ID of the key this role shares with ``peer``: the CSK-ID of a UE's MCPTT ID, "
        "the SPK-ID of an IWF's KMF ID (-1: none).")
IKMM_XPK_AVAILABLE = predicate(
    "IkmmXpkAvailable", ("peer", "ident"), result="bool", fact="ikmm_xpk_available",
    text="key-available({peer})", clause="TS 33.180 9.3.3; seed 000 7.8.x.3",
    doc="This role holds a CSK or SPK for ``peer`` (an MCPTT ID or a KMF ID) to protect with.")
IKMM_KMF_KNOWN = predicate(
    "IkmmKmfKnown", ("kmf", "ident"), result="bool", fact="ikmm_kmf_known",
    text="known-KMF({kmf})", clause="seed 000 7.8.x.3 (KMF ID of the IWF)",
    doc="``kmf`` is the KMF ID of an IWF this role interworks with.")
IKMM_AFFILIATED = predicate(
    "IkmmAffiliated", ("user", "ident"), result="bool", fact="ikmm_affiliated",
    text="affiliated-for-interworking({user})", clause="seed 000 7.8.x.1 (interworking UE)",
    doc="The MC service user ``user`` is an interworking user of this MCX server: its "
        "InterKMMs are relayed.")
#: what the InterKMM guards ask (impl/roles/interkmm/facts.py HopFacts)
INTERKMM_PREDICATES = (IKMM_PROTECTED, IKMM_OPENS, IKMM_XPK_OF, IKMM_XPK_AVAILABLE,
                       IKMM_KMF_KNOWN, IKMM_AFFILIATED)
PREDICATES = (*PREDICATES, *INTERKMM_PREDICATES)
# --------------------------------------------------------------------------- SIP core (seed 001)

SIP_SERVES = predicate(
    "SipServes", ("impu", "ident"), result="bool", fact="sip_serves",
    text="serves({impu})", clause="RFC 3261 10.3 step 3; seed 001 step 1",
    doc="``impu`` is a public user identity of a subscriber this SIP core serves.")
SIP_REGISTERED = predicate(
    "SipRegistered", ("registrations", "set[ident]"), ("impu", "ident"), ("now", "int"),
    result="bool", fact="sip_registered", text="registered({impu}, {registrations}, {now})",
    clause="RFC 3261 10.3; TS 24.229 5.4.1.7",
    doc="``registrations`` holds a registration of ``impu`` that has not expired at ``now``.")
SIP_TOKEN_UNUSED = predicate(
    "SipTokenUnused", ("used", "set[blob]"), ("token", "blob"), result="bool",
    fact="sip_token_unused", text="{token} not in {used}", clause="seed 001 step 4",
    doc="``token`` (by its digest) was never presented to this MCPTT server before.")
#: what the SIP core's and the MCPTT server's guards ask (impl/roles/sip_core/facts.py),
#: with the token predicates
SIP_PREDICATES = (SIP_SERVES, SIP_REGISTERED, SIP_TOKEN_UNUSED)
PREDICATES = (*PREDICATES, *SIP_PREDICATES)
# --------------------------------------------------------------------------- IdM (seed 001 3a)

IDM_CLIENT_REGISTERED = predicate(
    "IdmClientRegistered", ("client", "ident"), result="bool", fact="idm_client_registered",
    text="registered({client})", clause="TS 33.180 B.3; RFC 6749 2.2",
    doc="``client`` is the client_id of a client registered at this IdM.")
IDM_REDIRECT_REGISTERED = predicate(
    "IdmRedirectRegistered", ("client", "ident"), ("uri", "ident"), result="bool",
    fact="idm_redirect_registered", text="{uri} in redirect_uris({client})",
    clause="TS 33.180 B.3, B.4.2.2; RFC 6749 3.1.2.3",
    doc="``uri`` is, character for character, a redirect URI registered for ``client``.")
IDM_WORDS = predicate(
    "IdmWords", ("text", "blob"), result="set[ident]", fact="idm_words", text="words({text})",
    clause="RFC 6749 3.3 (scope); OIDC Core 3.1.2.1 (acr_values)",
    doc="The values of a space-delimited parameter (scope, acr_values).")
IDM_LOGIN = predicate(
    "IdmLogin", ("user", "blob"), ("password", "blob"), result="bool", fact="idm_login",
    text="password_ok({user}, {password})", clause="TS 33.180 5.1.2.3.2 steps 3a, 3b",
    doc="``password`` is the password of the configured user ``user`` (scrypt, RFC 7914).")
IDM_CODE_ISSUED = predicate(
    "IdmCodeIssued", ("code", "blob"), result="bool", fact="idm_code_issued",
    text="issued({code})", clause="RFC 6749 4.1.2, 4.1.3",
    doc="``code`` is an authorisation code this IdM issued (and has not yet forgotten).")
IDM_CODE_UNUSED = predicate(
    "IdmCodeUnused", ("code", "blob"), result="bool", fact="idm_code_unused",
    text="unused({code})", clause="RFC 6749 4.1.2 (single use)",
    doc="``code`` was never presented at the token endpoint before.")
IDM_CODE_EXPIRES = predicate(
    "IdmCodeExpires", ("code", "blob"), result="int", fact="idm_code_expires",
    text="expires({code})", clause="RFC 6749 4.1.2 (short lifetime)",
    doc="When ``code`` expires (Unix seconds).")
IDM_CODE_CLIENT = predicate(
    "IdmCodeClient", ("code", "blob"), result="ident", fact="idm_code_client",
    text="client({code})", clause="RFC 6749 4.1.3",
    doc="The client_id ``code`` was issued to.")
IDM_CODE_REDIRECT = predicate(
    "IdmCodeRedirect", ("code", "blob"), result="ident", fact="idm_code_redirect",
    text="redirect_uri({code})", clause="RFC 6749 4.1.3",
    doc="The redirect_uri of the authentication request ``code`` answered.")
IDM_CODE_CHALLENGE = predicate(
    "IdmCodeChallenge", ("code", "blob"), result="blob", fact="idm_code_challenge",
    text="challenge({code})", clause="RFC 7636 4.4",
    doc="The code_challenge ``code`` is bound to.")
PKCE_S256 = predicate(
    "PkceS256", ("verifier", "blob"), result="blob", fact="pkce_s256", text="S256({verifier})",
    clause="RFC 7636 4.2, 4.6",
    doc="BASE64URL(SHA-256(ASCII(``verifier``))): a hash, no key.")
PKCE_FORM = predicate(
    "PkceForm", ("value", "blob"), result="bool", fact="pkce_form", text="{kind}({value})",
    clause="RFC 7636 4.1 (verifier), 4.2 (S256 challenge)", param="kind",
    results={"verifier": "bool", "challenge": "bool"},
    doc="``value`` has the form RFC 7636 gives a code_verifier (43-128 unreserved characters) "
        "or an S256 code_challenge (43 base64url characters).")
#: what the IdM's guards ask (impl/roles/idm/facts.py IdmFacts)
IDM_PREDICATES = (IDM_CLIENT_REGISTERED, IDM_REDIRECT_REGISTERED, IDM_WORDS, IDM_LOGIN,
                  IDM_CODE_ISSUED, IDM_CODE_UNUSED, IDM_CODE_EXPIRES, IDM_CODE_CLIENT,
                  IDM_CODE_REDIRECT, IDM_CODE_CHALLENGE, PKCE_S256, PKCE_FORM)
PREDICATES = (*PREDICATES, *IDM_PREDICATES)
#: facts method -> its declaration
BY_FACT: Mapping[str, Predicate] = {p.fact: p for p in PREDICATES}


# --------------------------------------------------------------------------- facts protocols


def _stub(p: Predicate) -> Callable[..., Any]:
    names = [n for n, _ in p.args] + ([p.param] if p.param else [])

    def method(self: Any, *args: Any) -> Any: ...

    method.__name__ = p.fact
    method.__doc__ = f"{p.doc} ({p.clause})"
    method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    return method


def facts_protocol(name: str, predicates: tuple[Predicate, ...], doc: str) -> type:
    """A runtime-checkable ``Protocol`` with one method per predicate answered by the facts."""
    body: dict[str, Any] = {p.fact: _stub(p) for p in predicates if p.source == "facts"}
    body.update(__doc__=doc, __module__=__name__)
    return runtime_checkable(type(name, (Protocol,), body))


def missing_facts(impl: object, predicates: tuple[Predicate, ...]) -> list[str]:
    """What ``impl`` (a facts class or object) lacks to answer ``predicates``: a method per
    fact, callable with the declared number of arguments."""
    problems = []
    for p in predicates:
        if p.source != "facts":
            continue
        method = getattr(impl, p.fact, None)
        if not callable(method):
            problems.append(f"{p.fact}: missing")
            continue
        given = [None] * (p.fact_arity() + (isinstance(impl, type)))
        try:
            inspect.signature(method).bind(*given)
        except TypeError as exc:
            problems.append(f"{p.fact}: {exc}")
        except ValueError:  # no signature (a builtin): accept
            pass
    return problems


SakkeFacts = facts_protocol(
    "SakkeFacts", SAKKE_PREDICATES,
    "Crypto and key-period facts the MIKEY-SAKKE terms ask (real: ECCSI/SAKKE/UID in "
    "impl/roles/seal; tests: tests/properties/seal_world.py; proofs: the replay's ModelFacts).")
TicketFacts = facts_protocol(
    "TicketFacts", TICKET_PREDICATES,
    "What the ticket guards ask of a role's facts (real: codec, KDFs, BSF over Zn, NDS/IP in "
    "impl/roles/ticket; tests: tests/properties/ticket_world.py; proofs: the replay's "
    "ModelFacts).")
SkmsKmsFacts = facts_protocol(
    "SkmsKmsFacts", SKMS_KMS_PREDICATES,
    "What the SKM-S KMS's guards ask (real: the IdMS token verifier, the store, the D.2.2 "
    "signature check, the F.2.1 periods in impl/roles/kms/service.py; tests: the real role on "
    "an in-memory store, tests/kms/skms_world.py; proofs: the replay's ModelFacts).")
SkmsClientFacts = facts_protocol(
    "SkmsClientFacts", SKMS_CLIENT_PREDICATES,
    "What the SKM-S client's guards ask (real: the D.1 signature and the key-set checks in "
    "impl/roles/kms/client.py; proofs: the replay's ModelFacts).")

__all__ = [
    "BY_FACT",
    "CEK_ENDPOINT_PREDICATES",
    "CEK_HELD",
    "CEK_ISSUED_AT",
    "CEK_IS_LIVE",
    "CEK_KEY_ID_SEEN",
    "CEK_KMS_PREDICATES",
    "CEK_LIVE_FOR",
    "ENCRYPTED_TO",
    "ENROLLED",
    "IKMM_AFFILIATED",
    "IKMM_KMF_KNOWN",
    "IKMM_OPENS",
    "IKMM_PROTECTED",
    "IKMM_XPK_AVAILABLE",
    "IKMM_XPK_OF",
    "INK_OF",
    "INTERKMM_PREDICATES",
    "KEMAC_FOR",
    "KEY_FITS",
    "KEY_SETS_VALID",
    "MAC_BY",
    "MPKI_OF",
    "NAF_KEY",
    "NDS_FROM",
    "PERIODS_ALLOWED",
    "PERIOD_OF",
    "PREDICATES",
    "REQUEST_SIGNED_BY",
    "RESPONSE_SIGNED_BY",
    "SAKKE_PREDICATES",
    "SIGNED_BY",
    "SIP_PREDICATES",
    "SIP_REGISTERED",
    "SIP_SERVES",
    "SIP_TOKEN_UNUSED",
    "SKMS_CLIENT_PREDICATES",
    "SKMS_KMS_PREDICATES",
    "SKMS_PREDICATES",
    "STORED_MPKI",
    "STORE_PRIVATE",
    "TICKET_FOR",
    "TICKET_PREDICATES",
    "TICKET_SEALED_BY",
    "TICKET_TERM",
    "TOKEN_SCOPES",
    "TOKEN_SUBJECT",
    "TOKEN_VALID",
    "TRK_OF",
    "TRUSTED",
    "UID",
    "USS_HAS",
    "Predicate",
    "SakkeFacts",
    "SkmsClientFacts",
    "SkmsKmsFacts",
    "TicketFacts",
    "facts_protocol",
    "missing_facts",
    "predicate",
]
