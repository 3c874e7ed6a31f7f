"""SEAL common key distribution: one MIKEY-SAKKE I_MESSAGE from initiator to receiver.

Models seed 004 (pCR to TS 33.434, clause 6.Y.2 "Common Key Distribution Method", figures
6.Y.2-1 and 6.Y.2-2) on its base specifications: RFC 6509 (I_MESSAGE), RFC 3830 5.4/6.6 (T
payload and replay handling), TS 33.180 F.2.1 (UID from URI and key period), and the key-id
layout of :mod:`mckm.models.policy.key_id`.  Requirement ids are those of
``spec/seal-key-distribution.md``.

Leaves out: the SAKKE-to-self extension, the optional CERT/SP payloads, key-period searching
across period boundaries (the receiver holds keys for one period), and the MIKEY error message
itself (a refusal carries the error number; sending it is the role adapter's business).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from mckm.models.grammar.namespaces import ERROR_NO, PRF_FUNC, S_TYPE
from mckm.models.grammar.wire import (
    NTP_SECONDS,
    UINT,
    URI_TEXT,
    Converter,
    Integrity,
    Layout,
    bound,
    wire,
)
from mckm.models.policy.key_id import SK_ID
from mckm.models.policy.key_purposes import PURPOSES
from mckm.models.procedures.expr import (
    And,
    EncryptedTo,
    Eq,
    Expr,
    Field,
    In,
    Inserted,
    KeyFits,
    Msg,
    Not,
    NotIn,
    Now,
    PeriodOf,
    Policy,
    Purpose,
    Self,
    SignedBy,
    Uid,
    Within,
)
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step

CLAUSE = "TS 33.434 6.Y.2 (seed 004); RFC 6509; TS 33.180 F.2.1"

# MIKEY error numbers (RFC 3830 6.12), read from the grammar's Error no namespace.
AUTH_FAILURE, INVALID_TS, INVALID_ID, UNSPECIFIED = (
    ERROR_NO.value_of(name)
    for name in ("Auth failure", "Invalid TS", "Invalid ID", "Unspecified error")
)

REQUIREMENTS = {
    "REQ-SEAL-KD-01": "The key K is distributed from the initiating to the receiving entity in a "
                      "MIKEY-SAKKE I_MESSAGE (RFC 6509).",
    "REQ-SEAL-KD-02": "On creating K the initiator generates a 32-bit SK-ID: the 4 most "
                      "significant bits are the purpose of the key, the other 28 bits are random.",
    "REQ-SEAL-KD-03": "The SK-ID is carried in the CSB-ID field of the I_MESSAGE header.",
    "REQ-SEAL-KD-04": "K is encrypted to the UID of the receiving entity (its URI and the current "
                      "key period); the receiver's URI is in IDRr.",
    "REQ-SEAL-KD-05": "The I_MESSAGE is signed with the key of the initiator's UID (its URI and "
                      "the current key period); the initiator's URI is in IDRi.",
    "REQ-SEAL-KD-06": "The receiver processes only an I_MESSAGE whose IDRr is its own URI.",
    "REQ-SEAL-KD-07": "The receiver processes only an I_MESSAGE from an acceptable SKM-S "
                      "(IDRkmsi among the KMSs it trusts).",
    "REQ-SEAL-KD-08": "The key period of the T payload is the receiver's current key period.",
    "REQ-SEAL-KD-09": "The I_MESSAGE is fresh: T within the replay window of the receiver's clock "
                      "and its RAND not already accepted in that window (RFC 3830 5.4).",
    "REQ-SEAL-KD-10": "The receiver converts IDRi to a UID and accepts only a valid signature by "
                      "that UID.",
    "REQ-SEAL-KD-11": "The receiver decrypts K with the key of its own UID; K not encrypted to it "
                      "is refused.",
    "REQ-SEAL-KD-12": "The receiver extracts the SK-ID and accepts only a purpose it is "
                      "configured for.",
    "REQ-SEAL-KD-13": "A message the procedure does not expect in the current state is refused.",
    "REQ-SEAL-KD-14": "A group key (GMK purpose) is accepted only from an SGM-S that the SKM-S "
                      "authorised for the receiver's groups (seed 004 6.Y.1).",
    "REQ-SEAL-KD-15": "The receiver stores K by its SK-ID (a GMK by its GMK-ID) and refuses an "
                      "I_MESSAGE whose id it already holds with another key or purpose: an id "
                      "names one key (seed 004 6.Y.2; TS 33.180 5.2.3).",
}

#: RFC 6509 4.3: the ECCSI signature (r || s || PVT) of SIGN with S type ECCSI, 129 octets for
#: P-256 (RFC 6507 3.3), which the builder reserves before it signs.
ECCSI_SIGNATURE = Converter(
    "ECCSI signature", "RFC 6509 4.3",
    lambda f: bytes(f["signature"]) if f.get("s_type") == S_TYPE.value_of("ECCSI") else None,
    lambda sig: {"s_type": S_TYPE.value_of("ECCSI"), "signature": bytes(sig)})
ECCSI_SIGNATURE_OCTETS = 129


class SakkePayload(NamedTuple):
    """The ``sakke`` field: SAKKE parameter set, ID scheme and the encapsulated data R || H
    (RFC 6509 4.2; public, but shown by length only)."""

    params: int
    id_scheme: int
    data: bytes

    def __repr__(self) -> str:
        return f"SakkePayload(params={self.params}, id_scheme={self.id_scheme}, " \
               f"{len(self.data)} B)"


SAKKE_PAYLOAD = Converter(
    "SAKKE payload", "RFC 6509 4.2",
    lambda f: SakkePayload(int(f["sakke_params"]), int(f["id_scheme"]), bytes(f["sakke_data"])),
    lambda p: {"sakke_params": p.params, "id_scheme": p.id_scheme, "sakke_data": p.data})
_URI = {"id_type": "URI"}

I_MESSAGE = MessageSpec.on_wire(
    "I_MESSAGE", "RFC 6509 2.1, 4; TS 33.180 E.1",
    # TS 36.579-1 sets PRF func '0000001'B (PRF-HMAC-SHA-256) in MC I_MESSAGEs
    Layout("SAKKE", order=("T", "RAND", "IDR", "CERT", "SP", "SAKKE", "GENERAL_EXT", "SIGN"),
           integrity=Integrity("SIGN"), hdr={"prf_func": PRF_FUNC.value_of("PRF-HMAC-SHA-256")}),
    {
        "csb_id": wire("key_id", "HDR.csb_id", conv=UINT),
        "t": wire("time", "T", conv=NTP_SECONDS),
        "rand": wire("blob", "RAND.rand"),
        # TS 33.180 E.7 (identity hiding) sends the UIDs in IDR roles 8/9 (IDRuidi/IDRuidr);
        # RFC 6509 4.4 (and the seed) the URIs
        "idri": wire("ident", "IDR[id_role=IDRi].id_data",
                     "IDR[id_role=IDRuidi].id_data",
                     conv=bound("initiator URI or UID", "RFC 6509 4.4; TS 33.180 F.2.1"),
                     fixed=_URI),
        "idrr": wire("ident", "IDR[id_role=IDRr].id_data",
                     "IDR[id_role=IDRuidr].id_data",
                     conv=bound("responder URI or UID", "RFC 6509 4.4; TS 33.180 F.2.1"),
                     fixed=_URI),
        "idrkmsi": wire("ident", "IDR[id_role=IDRkmsi].id_data", conv=URI_TEXT, fixed=_URI),
        "idrkmsr": wire("ident", "IDR[id_role=IDRkmsr].id_data", conv=URI_TEXT, fixed=_URI),
        "sakke": wire("blob", "SAKKE", conv=SAKKE_PAYLOAD),
        "sign": wire("blob", "SIGN", conv=ECCSI_SIGNATURE),
    },
    optional=("idrkmsr",),
)

T = Field("t")
KEY_PERIOD_OF_T = PeriodOf(T)
#: who signs (REQ-SEAL-KD-05, -10) and who K is encrypted to (REQ-SEAL-KD-04, -11): the step 1
#: effects sign and encapsulate with these, the step 2 guards check them
INITIATOR_UID = Uid(Field("idri"), KEY_PERIOD_OF_T)
RECEIVER_UID = Uid(Field("idrr"), KEY_PERIOD_OF_T)

#: what step 1 writes into each I_MESSAGE field (figure 6.Y.2-1), evaluated in order over the
#: initiator's variables (``peer``: the receiver's URI, ``peer_kms``: its SKM-S) and the fields
#: before it; ``seal.new_key`` writes CSB-ID and RAND, ``seal.encapsulate_key`` the SAKKE
#: payload and ``seal.sign`` the SIGN (RFC 6509 2.1)
SEND_WRITES: Mapping[str, Expr] = {
    "t": Now(), "idri": Self("uri"), "idrr": Self("peer"), "idrkmsi": Self("kms_uri"),
    "idrkmsr": Self("peer_kms"),
}

#: what step 2's effects store, as expressions over the accepted message: RAND joins the replay
#: cache (``seal.remember_rand``; the runtime's ReplayCache also drops an entry once its T has
#: left the replay window, after which guard ``timely`` refuses the message anyway) and K,
#: named by the SAKKE payload that carries it, joins the key store (``seal.store_key``).  The
#: attacker proofs (:mod:`mckm.proofs.attacker_seal`) carry a receiver's state across runs with it.
VAR_WRITES: Mapping[str, Mapping[str, Expr]] = {
    "seal.remember_rand": {"replay_cache": Inserted(Self("replay_cache"), Field("rand"))},
    "seal.store_key": {"key_store": Inserted(Self("key_store"), Field("sakke"))},
}

RECEIVER_GUARDS = (
    Guard("addressed", Eq(Field("idrr"), Self("uri")), "REQ-SEAL-KD-06",
          "IDRr is not this receiver's URI", INVALID_ID, ("misaddressed",)),
    Guard("acceptable-kms", In(Field("idrkmsi"), Self("trusted_kms")), "REQ-SEAL-KD-07",
          "IDRkmsi is not an acceptable SKM-S", INVALID_ID, ("untrusted-kms",)),
    Guard("current-period", Eq(KEY_PERIOD_OF_T, Self("period")), "REQ-SEAL-KD-08",
          "T is not in the receiver's current key period", INVALID_TS, ("wrong-period",)),
    Guard("timely", Within(T, Now(), Policy("replay_window")), "REQ-SEAL-KD-09",
          "T is outside the replay window", INVALID_TS, ("stale",)),
    Guard("not-replayed", NotIn(Field("rand"), Self("replay_cache")), "REQ-SEAL-KD-09",
          "this I_MESSAGE was already accepted (replay)", INVALID_TS, ("replay",)),
    Guard("signed-by-initiator", SignedBy(Msg(), INITIATOR_UID),
          "REQ-SEAL-KD-10", "the signature is not valid for UID(IDRi, period(T))",
          AUTH_FAILURE, ("tampered",)),
    Guard("encrypted-to-receiver", EncryptedTo(Field("sakke"), RECEIVER_UID),
          "REQ-SEAL-KD-11", "the SAKKE payload is not encrypted to UID(IDRr, period(T))",
          AUTH_FAILURE, ("tampered",)),
    Guard("known-purpose", In(Purpose(Field("csb_id")), Self("accepted_purposes")),
          "REQ-SEAL-KD-12", "the SK-ID purpose is not one this receiver accepts",
          UNSPECIFIED, ("wrong-purpose",)),
    Guard("group-key-from-sgms",
          Not(And(Eq(Purpose(Field("csb_id")), Policy("group_key_purpose")),
                  Not(In(Field("idri"), Self("group_servers"))))),
          "REQ-SEAL-KD-14", "a group key (GMK) from a sender that is not an authorised SGM-S",
          AUTH_FAILURE, ("unauthorised-group-key",)),
    Guard("key-fits", KeyFits(Self("key_store"), Msg(), RECEIVER_UID, Purpose(Field("csb_id"))),
          "REQ-SEAL-KD-15", "another key is already held under this key id", UNSPECIFIED,
          ("key-id-collision",)),
)

SENDER_GUARDS = (
    Guard("registered-purpose", In(Purpose(Field("csb_id")), Self("purposes")), "REQ-SEAL-KD-02",
          "the SK-ID purpose is not a registered purpose", None),
    Guard("initiator-identity", Eq(Field("idri"), Self("uri")), "REQ-SEAL-KD-05",
          "IDRi must be the initiator's own URI", None,
          equivalent="implied by the write idri = self.uri of SEND_WRITES (seal.fill_header): "
                     "the guard checks what the step itself writes"),
)

PROCEDURE = Procedure(
    name="seal-key-distribution",
    title="SEAL common key distribution (MIKEY-SAKKE I_MESSAGE)",
    clause=CLAUSE,
    roles=(
        Role("initiator", initial="idle", final=("sent",),
             vars={"uri": "ident", "kms_uri": "ident", "purposes": "set[int]",
                   "peer": "ident", "peer_kms": "ident"}),
        Role("receiver", initial="waiting", final=("keyed",),
             vars={"uri": "ident", "period": "int", "trusted_kms": "set[ident]",
                   "replay_cache": "set[blob]", "accepted_purposes": "set[int]",
                   "group_servers": "set[ident]", "key_store": "set[blob]"}),
    ),
    messages=(I_MESSAGE,),
    steps=(
        Step("1", "initiator", "send", "I_MESSAGE", peer="receiver", source="idle", target="sent",
             requirement="REQ-SEAL-KD-01",
             text="Generate K and its SK-ID (purpose, 28 random bits) in CSB-ID; put the own URI "
                  "in IDRi and the receiver's in IDRr; encrypt K to UID(IDRr, period(T)) and sign "
                  "with UID(IDRi, period(T)) (figure 6.Y.2-1).",
             guards=SENDER_GUARDS, implements=("REQ-SEAL-KD-03", "REQ-SEAL-KD-04"),
             effects=("seal.new_key", "seal.fill_header", "seal.encapsulate_key", "seal.sign",
                      "seal.remember_sent_key")),
        Step("2", "receiver", "receive", "I_MESSAGE", peer="initiator", source="waiting",
             target="keyed", requirement="REQ-SEAL-KD-01",
             text="Check addressing, SKM-S, key period and freshness; convert IDRi to a UID and "
                  "verify the signature; decrypt K with the own UID key; extract the SK-ID "
                  "(figure 6.Y.2-2).",
             guards=RECEIVER_GUARDS,
             effects=("seal.remember_rand", "seal.store_key")),
    ),
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-SEAL-KD-13", UNSPECIFIED),
    policy={"replay_window": 300, "key_id_layout": SK_ID,
            "group_key_purpose": PURPOSES.by_name("GMK").value},
    outcome="initiator and receiver hold the same K under the same SK-ID",
    leaves_out=(
        "SAKKE-to-self (TS 33.180 E.5), CERT and SP payloads",
        "receiving across a key-period boundary (one current period per receiver)",
        "building and sending the MIKEY Error message (the refusal carries its number)",
    ),
)
