"""MIKEY-TICKET ticket request, transfer and resolve through one KMS or two KMS domains.

Models seed 002 (pCR to TS 33.328 v1.1.0: clause 6.2.3.8, Annex B.2.2.2 "one KMS domain" and
B.2.2.3 "two KMS domains") on its base, RFC 6043 4.2.1 (Ticket Request), 4.2.2 (Ticket Transfer),
4.2.3 (Ticket Resolve), 5.4 (errors; Table 6.14 adds 14 Invalid TICKET and 15 Invalid TPpar) and
10 (KMS to KMS).  Requirement ids are those of ``spec/mikey-ticket.md``.

Two procedures share every step definition (one home each): :data:`ONE_DOMAIN` (roles
``initiator``, ``kms``, ``responder``) and :data:`TWO_DOMAINS` (``initiator``, ``kms_i``,
``responder``, ``kms_r``).  A KMS runs the two-domain procedure for a RESOLVE_INIT whose ticket
names another KMS in its policy (TP Data IDRkms), the one-domain procedure otherwise; the two
procedures have different roles, so this choice is the role adapter's dispatch.

The PSK of the Ua exchanges is the GBA NAF key ``NafKey(B-TID, NAF_Id)`` (TS 33.220; the KMS is
the NAF); RFC 6043 carries the B-TID in IDRpsk (the seed's "IDi payload" does not exist in
MIKEY-TICKET).  Zk (KMS to KMS) is protected by NDS/IP, not by MIKEY: its messages are
unprotected MIKEY (V with the NULL MAC) and carry, as transport facts, the NDS/IP-authenticated
peers ``zk_from`` (authenticated sender) and ``zk_to``, and the IPsec integrity tag ``nds``
that ``NdsFrom`` checks.

Crypto and BSF facts are predicates in the Dolev-Yao style, defined here as expression nodes with
the same three readings as :mod:`mckm.models.procedures.expr` (python via the role's facts, z3 as
uninterpreted functions, text).  :data:`VAR_WRITES` states what each effect stores, as
expressions over the received message: the symbolic world implements those effects from it and
the proofs compose steps with it.

The reusable-ticket short cut of seed step 1 (a ticket with the J flag that the responder
resolved before goes straight to step 10) is a branch: step ``1r`` shares step 1's table cell
and is taken when the ticket is in the responder's store ``reusable``, which only step 8 / 12r
fills (``VAR_WRITES``).  The responder verifies the TRANSFER_INIT's V with MPKi before it uses
the keys: after a resolve, with the MPKi of the RESOLVE_RESP (guard ``offer-mpki-mac``, RFC 6043
4.2.3.6); on reuse, with the MPKi stored with the ticket (``stored-mpki-mac``, 5.3).

Leaves out: the PK variants (REQUEST_INIT_PK / RESOLVE_INIT_PK: TS 33.328 and seed 002 use only
the GBA pre-shared NAF key on Ua), key forking (I flag: MPKr', IDRr/RANDRkms modifier), CSB
updating, and building the MIKEY Error message itself (a refusal carries its number).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import z3

from mckm.models.grammar.namespaces import ERROR_NO
from mckm.models.grammar.wire import (
    NTP_SECONDS,
    URI_TEXT,
    UTF8_TEXT,
    Integrity,
    Layout,
    Wire,
    bound,
    transport,
    wire,
)
from mckm.models.policy.ticket_policy import TERM_TYPES
from mckm.models.procedures.expr import (
    Env,
    Eq,
    Expr,
    Field,
    In,
    Inserted,
    Msg,
    Not,
    NotIn,
    Now,
    Self,
    Trusted,
    Z3Reading,
)
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step

CLAUSE = "TS 33.328 B.2.2.2, B.2.2.3, 6.2.3.8 (seed 002); RFC 6043 4.2, 5.4, 10"

# MIKEY error numbers: RFC 3830 6.12 and RFC 6043 6.9 Table 6.14 (models/grammar namespaces).
AUTH_FAILURE, INVALID_TS, INVALID_ID, UNSPECIFIED = (
    ERROR_NO.AUTH_FAILURE, ERROR_NO.INVALID_TS, ERROR_NO.INVALID_ID, ERROR_NO.UNSPECIFIED_ERROR)
INVALID_TICKET, INVALID_TPPAR = ERROR_NO.INVALID_TICKET, ERROR_NO.INVALID_TPPAR


# --------------------------------------------------------------------------- ticket-specific terms


class TicketFacts(Protocol):
    """What the ticket guards ask of a role's facts (real: codec, KDFs, BSF over Zn, NDS/IP;
    tests: the symbolic world of ``tests/properties/ticket_world.py``)."""

    def naf_key(self, btid: Any, naf_id: str) -> Any: ...

    def mac_by(self, message: Any, key: Any) -> bool: ...

    def kemac_for(self, kemac: Any, key: Any) -> bool: ...

    def uss_has(self, btid: Any, identity: str) -> bool: ...

    def nds_from(self, message: Any, peer: str) -> bool: ...

    def ticket_sealed_by(self, ticket: Any, kms: str) -> bool: ...

    def ticket_authorises(self, ticket: Any, identity: str) -> bool: ...

    def ticket_term(self, ticket: Any, attr: str) -> Any: ...

    def mpki_of(self, kemac: Any, key: Any) -> Any: ...

    def stored_mpki(self, store: Any, ticket: Any) -> Any: ...


def _facts(env: Env) -> TicketFacts:
    return cast(TicketFacts, env.facts)


def _fn(name: str, *sorts: Any) -> Any:
    """An uninterpreted z3 function (same name and sorts = the same symbol everywhere)."""
    return z3.Function(name, *sorts)


@dataclass(frozen=True)
class NafKey(Expr):
    """The GBA NAF key Ks_NAF of bootstrap ``btid`` for the NAF (KMS) ``naf`` (TS 33.220 4.5.2):
    the MIKEY PSK of the Ua exchanges; a key reference, never key material."""

    btid: Expr
    naf: Expr

    def to_python(self, env: Env) -> Any:
        return _facts(env).naf_key(self.btid.to_python(env), self.naf.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("NafKey", z.Blob, z.Ident, z.Blob)(self.btid.to_z3(z), self.naf.to_z3(z))

    def to_text(self) -> str:
        return f"NafKey({self.btid.to_text()}, {self.naf.to_text()})"


@dataclass(frozen=True)
class MacBy(Expr):
    """``message``'s V payload verifies with the auth_key derived from ``key`` (RFC 6043 5.1.2,
    5.5: the MAC covers the message, the identities, and for a response the request)."""

    message: Expr
    key: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).mac_by(self.message.to_python(env), self.key.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("MacBy", z.Msg, z.Blob, z3.BoolSort())(self.message.to_z3(z), self.key.to_z3(z))

    def to_text(self) -> str:
        return f"MacBy({self.message.to_text()}, {self.key.to_text()})"


@dataclass(frozen=True)
class KemacFor(Expr):
    """The KEMAC is enciphered with the encr_key derived from ``key`` (RFC 6043 4.2.3.5)."""

    kemac: Expr
    key: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).kemac_for(self.kemac.to_python(env), self.key.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("KemacFor", z.Blob, z.Blob, z3.BoolSort())(self.kemac.to_z3(z),
                                                             self.key.to_z3(z))

    def to_text(self) -> str:
        return f"KemacFor({self.kemac.to_text()}, {self.key.to_text()})"


@dataclass(frozen=True)
class UssHas(Expr):
    """The USS the BSF returns for ``btid`` (Zn) lists a public user identity that, converted to
    a KMS user identity, equals ``identity`` (seed 002 B.2.2.2 step 5)."""

    btid: Expr
    identity: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).uss_has(self.btid.to_python(env), self.identity.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("UssHas", z.Blob, z.Ident, z3.BoolSort())(self.btid.to_z3(z),
                                                            self.identity.to_z3(z))

    def to_text(self) -> str:
        return f"USS({self.btid.to_text()}) has {self.identity.to_text()}"


@dataclass(frozen=True)
class NdsFrom(Expr):
    """``message`` arrived over Zk in an NDS/IP security association whose authenticated peer is
    ``peer`` (TS 33.210; seed 002 4.2.4, B.2.2.3 steps 8 and 11)."""

    message: Expr
    peer: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).nds_from(self.message.to_python(env), self.peer.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("NdsFrom", z.Msg, z.Ident, z3.BoolSort())(self.message.to_z3(z),
                                                            self.peer.to_z3(z))

    def to_text(self) -> str:
        return f"NdsFrom({self.message.to_text()}, {self.peer.to_text()})"


@dataclass(frozen=True)
class TicketSealedBy(Expr):
    """The Ticket Data verifies with the ticket protection key of KMS ``kms``: it issued the
    ticket and can resolve it (RFC 6043 Appendix A: base ticket V under the TPK)."""

    ticket: Expr
    kms: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).ticket_sealed_by(self.ticket.to_python(env),
                                                 self.kms.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("TicketSealedBy", z.Blob, z.Ident, z3.BoolSort())(self.ticket.to_z3(z),
                                                                    self.kms.to_z3(z))

    def to_text(self) -> str:
        return f"SealedBy({self.ticket.to_text()}, {self.kms.to_text()})"


@dataclass(frozen=True)
class TicketFor(Expr):
    """``identity`` is one of the ticket policy's authorised responders (TP Data ``(IDRr)``)."""

    ticket: Expr
    identity: Expr

    def to_python(self, env: Env) -> bool:
        return bool(_facts(env).ticket_authorises(self.ticket.to_python(env),
                                                  self.identity.to_python(env)))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("TicketFor", z.Blob, z.Ident, z3.BoolSort())(self.ticket.to_z3(z),
                                                               self.identity.to_z3(z))

    def to_text(self) -> str:
        return f"{self.identity.to_text()} in IDRr({self.ticket.to_text()})"


@dataclass(frozen=True)
class TicketTerm(Expr):
    """An attribute of the ticket's granted policy (``ticket_policy.TERM_TYPES``)."""

    ticket: Expr
    attr: str

    def to_python(self, env: Env) -> Any:
        return _facts(env).ticket_term(self.ticket.to_python(env), self.attr)

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn(f"TP.{self.attr}", z.Blob, z.sort(TERM_TYPES[self.attr]))(self.ticket.to_z3(z))

    def to_text(self) -> str:
        return f"TP({self.ticket.to_text()}).{self.attr}"


@dataclass(frozen=True)
class MpkiOf(Expr):
    """MPKi carried in ``kemac``, opened with the keys derived from ``key`` (RFC 6043 4.2.3.5):
    the key of the Ticket Transfer exchange; a key reference, never key material."""

    kemac: Expr
    key: Expr

    def to_python(self, env: Env) -> Any:
        return _facts(env).mpki_of(self.kemac.to_python(env), self.key.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("MpkiOf", z.Blob, z.Blob, z.Blob)(self.kemac.to_z3(z), self.key.to_z3(z))

    def to_text(self) -> str:
        return f"MPKi({self.kemac.to_text()}, {self.key.to_text()})"


@dataclass(frozen=True)
class StoredMpki(Expr):
    """MPKi kept with ``ticket`` in the reusable-ticket store ``store`` (RFC 6043 5.3)."""

    store: Expr
    ticket: Expr

    def to_python(self, env: Env) -> Any:
        return _facts(env).stored_mpki(self.store.to_python(env), self.ticket.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return _fn("StoredMpki", z.sort("set[blob]"), z.Blob, z.Blob)(self.store.to_z3(z),
                                                                      self.ticket.to_z3(z))

    def to_text(self) -> str:
        return f"MPKi stored with {self.ticket.to_text()} in {self.store.to_text()}"


@dataclass(frozen=True)
class AtMost(Expr):
    """``left <= right`` (times)."""

    left: Expr
    right: Expr

    def to_python(self, env: Env) -> bool:
        return bool(self.left.to_python(env) <= self.right.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return self.left.to_z3(z) <= self.right.to_z3(z)

    def to_text(self) -> str:
        return f"{self.left.to_text()} <= {self.right.to_text()}"


# --------------------------------------------------------------------------- requirements

REQUIREMENTS = {
    "REQ-TKT-01": "The initiator requests a ticket from its KMS with REQUEST_INIT_PSK protected "
                  "with its GBA NAF key, the B-TID in IDRpsk, and receives REQUEST_RESP "
                  "(RFC 6043 4.2.1).",
    "REQ-TKT-02": "The KMS accepts a REQUEST_INIT only with a valid MAC under the NAF key of the "
                  "B-TID in IDRpsk and IDRi in that B-TID's USS; the initiator accepts "
                  "REQUEST_RESP only under the MAC of its own KMS (RFC 6043 4.2.1.4, 4.2.1.6).",
    "REQ-TKT-03": "The initiator checks the granted Ticket Policy before using the ticket "
                  "(RFC 6043 4.2.1.6).",
    "REQ-TKT-04": "The initiator sends TRANSFER_INIT with the TICKET to the responder and accepts "
                  "a TRANSFER_RESP only under the MAC of keys from MPKi (RFC 6043 4.2.2).",
    "REQ-TKT-05": "The responder checks TRANSFER_INIT against its receive policy (IDRr is its own "
                  "identity) before resolving (seed B.2.2.2 step 1; RFC 6043 4.2.2.2).",
    "REQ-TKT-06": "The responder sends RESOLVE_INIT_PSK to its own KMS: IDRr its identity, the "
                  "B-TID in IDRpsk, the TICKET as received, MAC under its NAF key for that KMS "
                  "(seed B.2.2.2 steps 2-3; RFC 6043 4.2.3.2).",
    "REQ-TKT-07": "The KMS verifies the RESOLVE_INIT MAC with the NAF key it obtains from the BSF "
                  "for the B-TID; failure: Auth failure (seed B.2.2.2 step 4).",
    "REQ-TKT-08": "The KMS accepts IDRr only if the B-TID's USS holds it (after conversion to a "
                  "KMS user identity); else Invalid ID (seed B.2.2.2 step 5).",
    "REQ-TKT-09": "The KMS resolves or forwards only for a responder the ticket policy authorises "
                  "(IDRr among its IDRr); else Invalid ID (RFC 6043 4.2.3).",
    "REQ-TKT-10": "The KMS refuses a ticket outside its validity period (TRs..TRe) with Invalid "
                  "TPpar (seed B.2.2.2 step 6, B.2.2.3 step 9).",
    "REQ-TKT-11": "A KMS refuses a REQUEST_INIT whose RANDRi, or a RESOLVE_INIT whose RANDRr, it "
                  "already served (replay): Invalid TS (RFC 3830 5.4).",
    "REQ-TKT-12": "A KMS resolves locally only a ticket it issued (its TPK verifies the Ticket "
                  "Data); else Invalid TICKET (RFC 6043 A; Table 6.14).",
    "REQ-TKT-13": "The KMS returns RESOLVE_RESP with the KEMAC enciphered and the message MACed "
                  "under the responder's NAF key (seed B.2.2.2 step 7, B.2.2.3 step 12).",
    "REQ-TKT-14": "The responder accepts RESOLVE_RESP only under the MAC of its own KMS (NAF key "
                  "of its B-TID for that KMS) and addressed to it (seed B.2.2.2 step 8).",
    "REQ-TKT-15": "The responder answers with TRANSFER_RESP and derives the session keys "
                  "(seed B.2.2.2 steps 9-10).",
    "REQ-TKT-16": "KMS_R forwards a ticket it cannot resolve only to the KMS the ticket names "
                  "(TP IDRkms) and only if it trusts that KMS; else Invalid TICKET "
                  "(seed 6.2.3.8, B.2.2.3 step 6; RFC 6043 10).",
    "REQ-TKT-17": "The forwarded RESOLVE_INIT reuses IDRr and TICKET and is sent over Zk without "
                  "MIKEY integrity protection (seed B.2.2.3 steps 6-7).",
    "REQ-TKT-18": "KMS_I accepts a Zk RESOLVE_INIT only over an authenticated NDS/IP association "
                  "(Auth failure) from a KMS it trusts (Invalid ID) (seed B.2.2.3 step 8).",
    "REQ-TKT-19": "KMS_I answers the KMS that asked, unprotected over Zk (seed B.2.2.3 step 10).",
    "REQ-TKT-20": "KMS_R accepts the Zk RESOLVE_RESP only over an authenticated association from "
                  "the KMS it asked, answering the request it forwarded (seed B.2.2.3 step 11).",
    "REQ-TKT-21": "A message the procedure does not expect in the current state is refused.",
    "REQ-TKT-22": "The responder accepts the keys only if the TRANSFER_INIT verifies with the "
                  "MPKi they come with - from the RESOLVE_RESP, or stored with a reused ticket; "
                  "else Auth failure (RFC 6043 4.2.3.6, 5.3).",
    "REQ-TKT-23": "A responder that resolved a reusable ticket (J flag) keeps it with its keys "
                  "and answers a later TRANSFER_INIT with that ticket without a new resolve, "
                  "while the ticket is valid (seed B.2.2.2 steps 1 and 8; RFC 6043 5.3).",
    "REQ-TKT-24": "The responder refuses a TRANSFER_INIT whose RANDRi it already accepted "
                  "(replay): Invalid TS (RFC 3830 5.4; RFC 6043 5.3: a reuse has a new RANDRi).",
}


# --------------------------------------------------------------------------- messages

_URI = {"id_type": "URI"}
_T = wire("time", "T", conv=NTP_SECONDS)
_V = wire("blob", "V.ver_data")
_TICKET = wire("blob", "TICKET", conv=bound("TICKET", "RFC 6043 6.10; granted policy, Ticket Data"))
_KEMAC = wire("blob", "KEMAC", conv=bound("KEMAC", "RFC 3830 6.2; RFC 6043 4.2.1.5, 4.2.3.5"))
_TP = wire("blob", "TP", conv=bound("payload octets", "RFC 6043 6.10"))
_IDRPSK = wire("blob", "IDR[id_role=IDRpsk].id_data", conv=UTF8_TEXT,
               fixed={"id_type": "byte string"})  # the B-TID (TS 33.220)


def _id(role: str) -> Wire:
    return wire("ident", f"IDR[id_role={role}].id_data", conv=URI_TEXT, fixed=_URI)


def _rand(role: str) -> Wire:
    return wire("blob", f"RANDR[rand_role={role}].rand")


_ZK = {"zk_from": transport("ident", "zk_from"),  # the NDS/IP-authenticated sending KMS
       "zk_to": transport("ident", "zk_to"),  # the KMS addressed (Request-URI host)
       "nds": transport("blob", "nds")}  # NDS/IP (ESP) integrity of these octets
#: RFC 6043 4.2.1.5, 4.2.3.5: a response copies version, PRF func, CSB ID, #CS and the map
_COPIES = ("version", "prf_func", "csb_id", "n_cs", "cs_id_map_type", "cs_id_map_info")
_INIT_HDR = {"v": 1}  # RFC 6043 4.2.1.1, 4.2.3.1: a response is expected

_REQUEST_INIT = Layout("REQUEST_INIT_PSK", ("T", "RANDR", "IDR[id_role=IDRi]",
                                            "IDR[id_role=IDRkms]", "TP", "IDR[id_role=IDRpsk]",
                                            "V"),
                       integrity=Integrity("V", append_ids=("IDRi", "IDRkms")), hdr=_INIT_HDR)
_RESOLVE_INIT = Layout("RESOLVE_INIT_PSK", ("T", "RANDR", "IDR[id_role=IDRr]",
                                            "IDR[id_role=IDRkms]", "TICKET",
                                            "IDR[id_role=IDRpsk]", "V"),
                       integrity=Integrity("V", append_ids=("IDRr", "IDRkms")), hdr=_INIT_HDR)
_RESOLVE_RESP = Layout("RESOLVE_RESP", ("T", "IDR[id_role=IDRkms]", "KEMAC", "IDR[id_role=IDRr]",
                                        "RANDR", "V"),
                       copies=_COPIES, integrity=Integrity("V", append_request=True))

MESSAGES = (
    MessageSpec.on_wire("REQUEST_INIT", "RFC 6043 4.2.1.1-2", _REQUEST_INIT, {
        "t": _T, "randri": _rand("RANDRi"), "idri": _id("IDRi"), "idrkms": _id("IDRkms"),
        "tp": _TP, "idrpsk": _IDRPSK, "v": _V}),
    MessageSpec.on_wire("REQUEST_RESP", "RFC 6043 4.2.1.5", Layout(
        "REQUEST_RESP", ("T", "IDR", "TICKET", "KEMAC", "V"), copies=_COPIES,
        integrity=Integrity("V", append_request=True)), {
        "t": _T, "idrkms": _id("IDRkms"), "ticket": _TICKET, "kemac": _KEMAC, "v": _V}),
    MessageSpec.on_wire("TRANSFER_INIT", "RFC 6043 4.2.2.1", Layout(
        "TRANSFER_INIT", ("T", "RANDR", "IDR[id_role=IDRi]", "IDR[id_role=IDRr]", "SP", "TICKET",
                          "KEMAC", "V"),
        integrity=Integrity("V", append_ids=("IDRi", "IDRr"), skip_initiator_data=True)), {
        "t": _T, "randri": _rand("RANDRi"), "idri": _id("IDRi"), "idrr": _id("IDRr"),
        "ticket": _TICKET, "v": _V}),
    MessageSpec.on_wire("RESOLVE_INIT", "RFC 6043 4.2.3.1-2", _RESOLVE_INIT, {
        "t": _T, "randrr": _rand("RANDRr"), "idrr": _id("IDRr"), "idrkms": _id("IDRkms"),
        "ticket": _TICKET, "idrpsk": _IDRPSK, "v": _V}),
    # RFC 6043 10; seed B.2.2.3 steps 6-8: the same message on Zk, V with the NULL MAC
    MessageSpec.on_wire("RESOLVE_INIT_ZK", "RFC 6043 10; seed B.2.2.3 steps 6-8", _RESOLVE_INIT, {
        "t": _T, "randrr": _rand("RANDRr"), "idrr": _id("IDRr"), "idrkms": _id("IDRkms"),
        "ticket": _TICKET, **_ZK}),
    # seed B.2.2.3 steps 10-11: KEMAC with NULL encryption, V with the NULL MAC
    MessageSpec.on_wire("RESOLVE_RESP_ZK", "RFC 6043 10; seed B.2.2.3 steps 10-11",
                        _RESOLVE_RESP, {
                            "t": _T, "idrkms": _id("IDRkms"), "kemac": _KEMAC,
                            "idrr": _id("IDRr"), **_ZK}),
    MessageSpec.on_wire("RESOLVE_RESP", "RFC 6043 4.2.3.5", _RESOLVE_RESP, {
        "t": _T, "idrkms": _id("IDRkms"), "kemac": _KEMAC, "idrr": _id("IDRr"), "v": _V}),
    MessageSpec.on_wire("TRANSFER_RESP", "RFC 6043 4.2.2.3", Layout(
        "TRANSFER_RESP", ("T", "RANDR[rand_role=RANDRr]", "IDR", "RANDR[rand_role=RANDRkms]",
                          "SP", "KEMAC", "V"),
        copies=("version", "prf_func", "csb_id"), integrity=Integrity("V", append_request=True)),
        {"t": _T, "idrr": _id("IDRr"), "v": _V}),
)

# --------------------------------------------------------------------------- guards (one home each)

TICKET = Field("ticket")
MSG = Msg()


def _g(name: str, expr: Expr, req: str, reason: str, err: int | None,
       *detects: str) -> Guard:
    return Guard(name, expr, req, reason, err, tuple(detects))


# KMS receiving REQUEST_INIT (RFC 6043 4.2.1.4)
G_REQ_MAC = _g("nafkey-mac", MacBy(MSG, NafKey(Field("idrpsk"), Self("uri"))), "REQ-TKT-02",
               "the V payload does not verify under the NAF key of IDRpsk", AUTH_FAILURE,
               "tampered")
G_REQ_USS = _g("uss-match", UssHas(Field("idrpsk"), Field("idri")), "REQ-TKT-02",
               "IDRi is not in the USS of the B-TID", INVALID_ID, "wrong-user")
G_REQ_KMS = _g("addressed-kms", Eq(Field("idrkms"), Self("uri")), "REQ-TKT-02",
               "IDRkms is not this KMS", INVALID_ID, "misaddressed")
G_REQ_FRESH = _g("fresh", NotIn(Field("randri"), Self("replay_cache")), "REQ-TKT-11",
                 "RANDRi already served (replay)", INVALID_TS, "replay")
# initiator receiving REQUEST_RESP (4.2.1.6)
G_RESP_MAC = _g("own-kms-mac", MacBy(MSG, NafKey(Self("btid"), Self("kms_uri"))), "REQ-TKT-02",
                "REQUEST_RESP is not MACed under the NAF key of the initiator's KMS",
                AUTH_FAILURE, "tampered")
G_RESP_POLICY = _g("granted-policy", TicketFor(TICKET, Self("peer")), "REQ-TKT-03",
                   "the granted policy does not authorise the intended responder", INVALID_TPPAR,
                   "wrong-policy")
# responder receiving TRANSFER_INIT (4.2.2.2; seed step 1)
G_TI_ADDRESSED = _g("addressed", Eq(Field("idrr"), Self("uri")), "REQ-TKT-05",
                    "IDRr is not this responder", INVALID_ID, "misaddressed")
G_TI_FRESH = _g("fresh", NotIn(Field("randri"), Self("replay_cache")), "REQ-TKT-24",
                "RANDRi already accepted (replay)", INVALID_TS, "replay")
# a KMS receiving a RESOLVE_INIT from a UE (seed steps 4-6)
G_RES_MAC = _g("nafkey-mac", MacBy(MSG, NafKey(Field("idrpsk"), Self("uri"))), "REQ-TKT-07",
               "the V payload does not verify under the NAF key of IDRpsk", AUTH_FAILURE,
               "tampered")
G_RES_KMS = _g("addressed-kms", Eq(Field("idrkms"), Self("uri")), "REQ-TKT-07",
               "IDRkms is not this KMS", INVALID_ID, "misaddressed")
G_RES_FRESH = _g("fresh", NotIn(Field("randrr"), Self("replay_cache")), "REQ-TKT-11",
                 "RANDRr already served (replay)", INVALID_TS, "replay")
G_RES_USS = _g("uss-match", UssHas(Field("idrpsk"), Field("idrr")), "REQ-TKT-08",
               "IDRr is not in the USS of the B-TID", INVALID_ID, "wrong-responder")
G_RES_FOR = _g("intended-responder", TicketFor(TICKET, Field("idrr")), "REQ-TKT-09",
               "the ticket does not authorise IDRr", INVALID_ID, "wrong-responder")
G_VALID_FROM = _g("ticket-started", AtMost(TicketTerm(TICKET, "trs"), Now()), "REQ-TKT-10",
                  "the ticket's validity has not started", INVALID_TPPAR, "expired")
G_VALID_TO = _g("ticket-not-expired", AtMost(Now(), TicketTerm(TICKET, "tre")), "REQ-TKT-10",
                "the ticket has expired", INVALID_TPPAR, "expired")
G_ISSUED_HERE = _g("issued-here", TicketSealedBy(TICKET, Self("uri")), "REQ-TKT-12",
                   "the Ticket Data does not verify under this KMS's TPK", INVALID_TICKET,
                   "tampered-ticket")
G_NOT_LOCAL = _g("issued-elsewhere", Not(Eq(TicketTerm(TICKET, "kms"), Self("uri"))),
                 "REQ-TKT-16", "the ticket names this KMS: resolve it locally", INVALID_TICKET)
G_TRUSTS_ISSUER = _g("trusts-issuer", Trusted(Self("uri"), TicketTerm(TICKET, "kms")),
                     "REQ-TKT-16", "no trust relation with the KMS that issued the ticket",
                     INVALID_TICKET, "untrusted-kms")
# KMS sending RESOLVE_RESP to the responder (step 7 / 12)
G_OUT_FOR = _g("answers-requester", Eq(Field("idrr"), Self("requester")), "REQ-TKT-13",
               "RESOLVE_RESP must name the authenticated requester", None)
G_OUT_MAC = _g("protected", MacBy(MSG, NafKey(Self("btid"), Self("uri"))), "REQ-TKT-13",
               "RESOLVE_RESP must be MACed under the requester's NAF key", None)
G_OUT_KEMAC = _g("kemac-enciphered", KemacFor(Field("kemac"), NafKey(Self("btid"), Self("uri"))),
                 "REQ-TKT-13", "the KEMAC must be enciphered under the requester's NAF key", None)
# responder receiving RESOLVE_RESP (step 8)
G_RR_MAC = _g("own-kms-protected", MacBy(MSG, NafKey(Self("btid"), Self("kms_uri"))),
              "REQ-TKT-14", "RESOLVE_RESP is not MACed under the NAF key for the responder's KMS",
              AUTH_FAILURE, "tampered")
G_RR_KEMAC = _g("kemac-readable", KemacFor(Field("kemac"), NafKey(Self("btid"), Self("kms_uri"))),
                "REQ-TKT-14", "the KEMAC is not enciphered under the responder's NAF key",
                AUTH_FAILURE, "tampered")
G_RR_FOR = _g("for-me", Eq(Field("idrr"), Self("uri")), "REQ-TKT-14",
              "RESOLVE_RESP names another responder", INVALID_ID, "misaddressed")
G_OFFER_MPKI = _g("offer-mpki-mac", MacBy(Self("offer"), MpkiOf(Field("kemac"),
                                                                 NafKey(Self("btid"),
                                                                        Self("kms_uri")))),
                  "REQ-TKT-22", "the TRANSFER_INIT does not verify with the MPKi of the "
                  "RESOLVE_RESP", AUTH_FAILURE, "tampered")
# responder reusing a stored ticket (seed step 1 -> 10; RFC 6043 5.3)
REUSABLE = Self("reusable")
G_REUSE_MAC = _g("stored-mpki-mac", MacBy(MSG, StoredMpki(REUSABLE, TICKET)), "REQ-TKT-22",
                 "the TRANSFER_INIT does not verify with the MPKi stored with the ticket",
                 AUTH_FAILURE, "tampered")
G_REUSE_FROM = _g("ticket-started", AtMost(TicketTerm(TICKET, "trs"), Now()), "REQ-TKT-23",
                  "the reused ticket's validity has not started", INVALID_TPPAR, "expired")
G_REUSE_TO = _g("ticket-not-expired", AtMost(Now(), TicketTerm(TICKET, "tre")), "REQ-TKT-23",
                "the reused ticket has expired", INVALID_TPPAR, "expired")
# initiator receiving TRANSFER_RESP (4.2.2.4)
G_TR_MAC = _g("mpki-mac", MacBy(MSG, Self("mpki")), "REQ-TKT-04",
              "TRANSFER_RESP does not verify with keys from MPKi", AUTH_FAILURE, "tampered")
G_TR_PEER = _g("from-peer", Eq(Field("idrr"), Self("peer")), "REQ-TKT-04",
               "TRANSFER_RESP names another responder", INVALID_ID, "misaddressed")
# KMS_R forwarding over Zk (B.2.2.3 steps 6-7)
G_ZK_SELF = _g("zk-from-self", Eq(Field("zk_from"), Self("uri")), "REQ-TKT-17",
               "a KMS sends over Zk in its own name", None)
G_FWD_TO = _g("forward-to-issuer", Eq(Field("zk_to"), Self("issuer")), "REQ-TKT-16",
              "KMS_R may forward only to the KMS that issued the ticket", None)
G_FWD_TICKET = _g("reuse-ticket", Eq(TICKET, Self("ticket")), "REQ-TKT-17",
                  "the forwarded RESOLVE_INIT must reuse the TICKET", None)
G_FWD_IDRR = _g("reuse-idrr", Eq(Field("idrr"), Self("requester")), "REQ-TKT-17",
                "the forwarded RESOLVE_INIT must reuse the matched IDRr", None)
# KMS_I receiving over Zk (steps 8-9)
G_ZK_AUTH = _g("zk-authenticated", NdsFrom(MSG, Field("zk_from")), "REQ-TKT-18",
               "the Zk message is not in an NDS/IP association authenticated as zk_from",
               AUTH_FAILURE, "tampered", "unauthenticated-zk")
G_ZK_TRUST = _g("trusted-source", Trusted(Self("uri"), Field("zk_from")), "REQ-TKT-18",
                "no trust relation with the requesting KMS", INVALID_ID, "untrusted-kms")
G_ZK_TO = _g("addressed-kms", Eq(Field("zk_to"), Self("uri")), "REQ-TKT-18",
             "the Zk message is for another KMS", INVALID_ID, "misaddressed")
# KMS_I answering (step 10)
G_ANS_TO = _g("answer-to-source", Eq(Field("zk_to"), Self("peer")), "REQ-TKT-19",
              "KMS_I answers only the KMS that asked", None)
# KMS_R receiving the Zk answer (step 11)
G_BACK_AUTH = _g("zk-authenticated", NdsFrom(MSG, Field("zk_from")), "REQ-TKT-20",
                 "the Zk message is not in an NDS/IP association authenticated as zk_from",
                 AUTH_FAILURE, "tampered", "unauthenticated-zk")
G_BACK_FROM = _g("from-asked-kms", Eq(Field("zk_from"), Self("issuer")), "REQ-TKT-20",
                 "the answer is not from the KMS that was asked", INVALID_ID, "untrusted-kms")
G_BACK_FOR = _g("answers-forwarded", Eq(Field("idrr"), Self("requester")), "REQ-TKT-20",
                "the answer is for another responder", INVALID_ID, "misaddressed")

#: effect name -> role variable -> value stored, as an expression over the received message
#: (the symbolic world implements these effects from this table; the proofs compose with it)
VAR_WRITES: Mapping[str, Mapping[str, Expr]] = {
    "ticket.kms.remember_request": {"requester": Field("idrr"), "btid": Field("idrpsk"),
                                    "ticket": TICKET, "issuer": TicketTerm(TICKET, "kms")},
    "ticket.kms.remember_zk_request": {"requester": Field("idrr"), "peer": Field("zk_from"),
                                       "ticket": TICKET},
    "ticket.responder.remember_ticket": {"ticket": TICKET, "offer": MSG},
    "ticket.responder.store_reusable": {"reusable": Inserted(REUSABLE, Self("ticket"),
                                                             TicketTerm(Self("ticket"),
                                                                        "reusable"))},
    "ticket.initiator.store_ticket": {"ticket": TICKET},
}

_KMS_VARS = {"uri": "ident", "replay_cache": "set[blob]", "requester": "ident", "btid": "blob",
             "ticket": "blob", "issuer": "ident", "peer": "ident"}
_UE_VARS = {"uri": "ident", "kms_uri": "ident", "btid": "blob", "ticket": "blob"}


def _steps(kms_i: str, kms_r: str) -> tuple[Step, ...]:
    """Every step; ``kms_i == kms_r`` gives the one-domain procedure."""
    two = kms_i != kms_r
    request = (
        Step("Q1", "initiator", "send", "REQUEST_INIT", kms_i, "idle", "requesting", "REQ-TKT-01",
             "Build REQUEST_INIT_PSK: IDRi own identity, IDRkms its KMS, desired TP, B-TID in "
             "IDRpsk, V under the NAF key (RFC 6043 4.2.1.2).",
             guards=(_g("own-identity", Eq(Field("idri"), Self("uri")), "REQ-TKT-01",
                        "IDRi must be the initiator's identity", None),
                     _g("own-btid", Eq(Field("idrpsk"), Self("btid")), "REQ-TKT-01",
                        "IDRpsk must be the initiator's B-TID", None)),
             effects=("ticket.initiator.build_request",)),
        Step("Q2", kms_i, "receive", "REQUEST_INIT", "initiator", "ready", "granting",
             "REQ-TKT-01", "Fetch NAF key and USS from the BSF by B-TID; verify the MAC, IDRi "
             "against the USS, IDRkms and freshness (RFC 6043 4.2.1.4).",
             guards=(G_REQ_MAC, G_REQ_KMS, G_REQ_FRESH, G_REQ_USS),
             effects=("ticket.kms.remember_rand", "ticket.kms.issue_ticket")),
        Step("Q3", kms_i, "send", "REQUEST_RESP", "initiator", "granting", "issued",
             "REQ-TKT-01", "Return the TICKET (granted policy, Ticket Data sealed with the TPK) "
             "and the KEMAC enciphered under the NAF key (RFC 6043 4.2.1.5).",
             effects=("ticket.kms.build_request_resp",), auto=True),
        Step("Q4", "initiator", "receive", "REQUEST_RESP", kms_i, "requesting", "granted",
             "REQ-TKT-01", "Verify the MAC of its KMS and check the granted policy "
             "(RFC 6043 4.2.1.6).", guards=(G_RESP_MAC, G_RESP_POLICY),
             implements=("REQ-TKT-03",),
             effects=("ticket.initiator.store_ticket",)),
        Step("T1", "initiator", "send", "TRANSFER_INIT", "responder", "granted", "offered",
             "REQ-TKT-04", "Send TRANSFER_INIT with the TICKET, MAC from MPKi (RFC 6043 4.2.2.1).",
             guards=(_g("to-peer", Eq(Field("idrr"), Self("peer")), "REQ-TKT-04",
                        "IDRr must be the intended responder", None),),
             effects=("ticket.initiator.build_transfer_init",), auto=True),
    )
    resolve_in = (
        Step("1r", "responder", "receive", "TRANSFER_INIT", "initiator", "idle", "resolved",
             "REQ-TKT-23", "A ticket this responder resolved and kept as reusable: no new "
             "resolve; check the validity and the V with the stored MPKi, then answer "
             "(seed B.2.2.2 step 1 -> step 10; RFC 6043 5.3).",
             when=In(TICKET, REUSABLE),
             guards=(G_TI_ADDRESSED, G_TI_FRESH, G_REUSE_FROM, G_REUSE_TO, G_REUSE_MAC),
             implements=("REQ-TKT-22",),
             effects=("ticket.responder.remember_rand", "ticket.responder.remember_ticket",
                      "ticket.responder.reuse_keys")),
        Step("1", "responder", "receive", "TRANSFER_INIT", "initiator", "idle", "resolving",
             "REQ-TKT-05", "Check TRANSFER_INIT against the receive policy; its V cannot be "
             "checked before the ticket is resolved (seed B.2.2.2 step 1).",
             guards=(G_TI_ADDRESSED, G_TI_FRESH), implements=("REQ-TKT-24",),
             effects=("ticket.responder.remember_rand", "ticket.responder.remember_ticket")),
        Step("2-3", "responder", "send", "RESOLVE_INIT", kms_r, "resolving", "waiting",
             "REQ-TKT-06", "Build RESOLVE_INIT_PSK: B-TID in IDRpsk (the seed's 'IDi'), IDRr "
             "own identity, TICKET as received, V under the NAF key; send over Ua (steps 2-3).",
             guards=(_g("own-identity", Eq(Field("idrr"), Self("uri")), "REQ-TKT-06",
                        "IDRr must be the responder's identity", None),
                     _g("own-btid", Eq(Field("idrpsk"), Self("btid")), "REQ-TKT-06",
                        "IDRpsk must be the responder's B-TID", None),
                     _g("ticket-as-received", Eq(TICKET, Self("ticket")), "REQ-TKT-06",
                        "the TICKET must be the one received", None)),
             effects=("ticket.responder.build_resolve_init",), auto=True),
    )
    kms_checks = (G_RES_MAC, G_RES_KMS, G_RES_FRESH, G_RES_USS, G_RES_FOR, G_VALID_FROM,
                  G_VALID_TO)
    answer_guards = (G_OUT_FOR, G_OUT_MAC, G_OUT_KEMAC)
    if not two:
        kms_steps: tuple[Step, ...] = (
            Step("4-6", kms_r, "receive", "RESOLVE_INIT", "responder", "issued", "resolving",
                 "REQ-TKT-07", "Get NAF key and USS by B-TID from the BSF, verify the MAC, match "
                 "IDRr in the USS and the ticket's responders, check the policy and that this "
                 "KMS issued the ticket (steps 4-6).",
                 guards=(*kms_checks, G_ISSUED_HERE),
                 implements=("REQ-TKT-08", "REQ-TKT-09", "REQ-TKT-10", "REQ-TKT-11",
                             "REQ-TKT-12"),
                 effects=("ticket.kms.remember_rand", "ticket.kms.remember_request",
                          "ticket.kms.open_ticket")),
            Step("7", kms_r, "send", "RESOLVE_RESP", "responder", "resolving", "resolved",
                 "REQ-TKT-13", "Return RESOLVE_RESP: KEMAC enciphered, V under the NAF key "
                 "(step 7).", guards=answer_guards,
                 effects=("ticket.kms.build_resolve_resp",), auto=True),
        )
        rr_number, tr_number = "8", "9-10"
    else:
        kms_steps = (
            Step("4-5", kms_r, "receive", "RESOLVE_INIT", "responder", "ready", "authenticated",
                 "REQ-TKT-07", "As steps 4-5 of B.2.2.2 at KMS_R; the ticket names another KMS, "
                 "which KMS_R trusts (6.2.3.8).",
                 guards=(*kms_checks, G_NOT_LOCAL, G_TRUSTS_ISSUER),
                 implements=("REQ-TKT-08", "REQ-TKT-09", "REQ-TKT-10", "REQ-TKT-11"),
                 effects=("ticket.kms.remember_rand", "ticket.kms.remember_request")),
            Step("6-7", kms_r, "send", "RESOLVE_INIT_ZK", kms_i, "authenticated", "forwarded",
                 "REQ-TKT-16", "Build a new, unprotected RESOLVE_INIT reusing IDRr and TICKET; "
                 "send it to KMS_I over Zk (steps 6-7).",
                 guards=(G_ZK_SELF, G_FWD_TO, G_FWD_TICKET, G_FWD_IDRR), implements=("REQ-TKT-17",),
                 effects=("ticket.kms.build_zk_request",), auto=True),
            Step("8-9", kms_i, "receive", "RESOLVE_INIT_ZK", kms_r, "issued", "resolving",
                 "REQ-TKT-18", "Verify the NDS/IP source and trust in it, the Ticket Data, the "
                 "authorised responder and the policy (steps 8-9).",
                 guards=(G_ZK_AUTH, G_ZK_TRUST, G_ZK_TO, G_ISSUED_HERE, G_RES_FOR, G_VALID_FROM,
                         G_VALID_TO, G_RES_FRESH),
                 implements=("REQ-TKT-09", "REQ-TKT-10", "REQ-TKT-11", "REQ-TKT-12"),
                 effects=("ticket.kms.remember_rand", "ticket.kms.remember_zk_request",
                          "ticket.kms.open_ticket")),
            Step("10", kms_i, "send", "RESOLVE_RESP_ZK", kms_r, "resolving", "resolved",
                 "REQ-TKT-19", "Answer the asking KMS: RESOLVE_RESP with the KEMAC not "
                 "enciphered and no integrity protection (step 10).",
                 guards=(G_ZK_SELF, G_ANS_TO, G_OUT_FOR), effects=("ticket.kms.build_zk_resp",),
                 auto=True),
            Step("11", kms_r, "receive", "RESOLVE_RESP_ZK", kms_i, "forwarded", "relaying",
                 "REQ-TKT-20", "Check the NDS/IP source is the KMS asked and the answer is for "
                 "the forwarded request (step 11).",
                 guards=(G_BACK_AUTH, G_BACK_FROM, G_BACK_FOR),
                 effects=("ticket.kms.take_zk_keys",)),
            Step("12", kms_r, "send", "RESOLVE_RESP", "responder", "relaying", "resolved",
                 "REQ-TKT-13", "Re-encode KMS_I's payloads in a new RESOLVE_RESP: encipher the "
                 "KEMAC, MAC under the responder's NAF key (step 12).", guards=answer_guards,
                 effects=("ticket.kms.build_resolve_resp",), auto=True),
        )
        rr_number, tr_number = "12r", "13-14"
    resolve_out = (
        Step(rr_number, "responder", "receive", "RESOLVE_RESP", kms_r, "waiting", "resolved",
             "REQ-TKT-14", "Check RESOLVE_RESP (the seed's 'REQUEST_RESP'): MAC of its own KMS, "
             "KEMAC readable, addressed to it; keep a reusable ticket (step 8).",
             guards=(G_RR_MAC, G_RR_KEMAC, G_RR_FOR, G_OFFER_MPKI), implements=("REQ-TKT-22",),
             effects=("ticket.responder.open_kemac", "ticket.responder.store_reusable")),
        Step(tr_number, "responder", "send", "TRANSFER_RESP", "initiator", "resolved",
             "answered", "REQ-TKT-15", "Send TRANSFER_RESP (MAC from MPKi) and derive the session "
             "keys (steps 9-10).",
             guards=(_g("own-identity", Eq(Field("idrr"), Self("uri")), "REQ-TKT-15",
                        "IDRr must be the responder's identity", None),),
             effects=("ticket.responder.build_transfer_resp",), auto=True),
        Step("T2", "initiator", "receive", "TRANSFER_RESP", "responder", "offered", "done",
             "REQ-TKT-04", "Verify TRANSFER_RESP with keys from MPKi (RFC 6043 4.2.2.4).",
             guards=(G_TR_MAC, G_TR_PEER), effects=("ticket.initiator.accept",)),
    )
    return (*request, *resolve_in, *kms_steps, *resolve_out)


_INITIATOR = Role("initiator", "idle", ("done",), {**_UE_VARS, "peer": "ident", "mpki": "blob"})
_RESPONDER = Role("responder", "idle", ("answered",),
                  {**_UE_VARS, "reusable": "set[blob]", "offer": "msg",
                   "replay_cache": "set[blob]"})
_LEAVES_OUT = (
    "PK variants (TS 33.328 and seed 002 use only the GBA NAF key), key forking (I flag), CSB "
    "updating (RFC 6043 5.2)",
    "building and sending the MIKEY Error message (the refusal carries its number)",
    "one run of each KMS role covers the exchanges of one ticket; a KMS keeps no per-ticket state",
)
_POLICY: dict[str, Any] = {}

ONE_DOMAIN = Procedure(
    name="mikey-ticket-one-kms",
    title="MIKEY-TICKET request, transfer and resolve through one KMS",
    clause=CLAUSE,
    roles=(_INITIATOR, Role("kms", "ready", ("resolved",), _KMS_VARS), _RESPONDER),
    messages=tuple(m for m in MESSAGES if not m.name.endswith("_ZK")),
    steps=_steps("kms", "kms"),
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-TKT-21", UNSPECIFIED),
    policy=_POLICY,
    outcome="initiator, KMS and responder hold the same ticket keys (MPKi, TGK)",
    leaves_out=_LEAVES_OUT,
)

TWO_DOMAINS = Procedure(
    name="mikey-ticket-two-kms",
    title="MIKEY-TICKET resolve across two KMS domains (hop-by-hop trust over Zk)",
    clause=CLAUSE,
    roles=(_INITIATOR, Role("kms_i", "ready", ("resolved",), _KMS_VARS), _RESPONDER,
           Role("kms_r", "ready", ("resolved",), _KMS_VARS)),
    messages=MESSAGES,
    steps=_steps("kms_i", "kms_r"),
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-TKT-21", UNSPECIFIED),
    policy=_POLICY,
    outcome="initiator, KMS_I, KMS_R and responder hold the same ticket keys (MPKi, TGK)",
    leaves_out=_LEAVES_OUT,
)

PROCEDURES = (ONE_DOMAIN, TWO_DOMAINS)
