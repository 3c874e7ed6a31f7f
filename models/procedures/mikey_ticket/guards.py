"""MIKEY-TICKET guards, one home each: the checks of every step with requirement id, refusal reason
and MIKEY error (RFC 6043 4.2.1.4-6, 4.2.2, 4.2.3, 5.3; seed 002 B.2.2.2, B.2.2.3)."""

from __future__ import annotations

from mckm.models.procedures.expr import Eq, Expr, Field, Msg, Not, NotIn, Now, Self, Trusted
from mckm.models.procedures.mikey_ticket.requirements import (
    AUTH_FAILURE,
    INVALID_ID,
    INVALID_TICKET,
    INVALID_TPPAR,
    INVALID_TS,
    UNSPECIFIED,
)
from mckm.models.procedures.mikey_ticket.terms import (
    AtMost,
    KemacFor,
    MacBy,
    MpkiOf,
    NafKey,
    NdsFrom,
    StoredMpki,
    TicketFor,
    TicketSealedBy,
    TicketTerm,
    UssHas,
    ZkKeys,
)
from mckm.models.procedures.model import Guard

TICKET = Field("ticket")
MSG = Msg()


def guard(name: str, expr: Expr, req: str, reason: str, err: int | None,
       *detects: str) -> Guard:
    return Guard(name, expr, req, reason, err, tuple(detects))


# KMS receiving REQUEST_INIT (RFC 6043 4.2.1.4)
G_REQ_MAC = guard("nafkey-mac", MacBy(MSG, NafKey(Field("idrpsk"), Self("uri"))), "REQ-TKT-02",
                  "the V payload does not verify under the NAF key of IDRpsk", AUTH_FAILURE,
                  "tampered")
G_REQ_USS = guard("uss-match", UssHas(Field("idrpsk"), Field("idri")), "REQ-TKT-02",
                  "IDRi is not in the USS of the B-TID", INVALID_ID, "wrong-user")
G_REQ_KMS = guard("addressed-kms", Eq(Field("idrkms"), Self("uri")), "REQ-TKT-02",
                  "IDRkms is not this KMS", INVALID_ID, "misaddressed")
G_REQ_POLICY = guard("desired-policy", Eq(TicketTerm(Field("tp"), "kms"), Self("uri")),
                     "REQ-TKT-25", "the desired Ticket Policy does not name this KMS",
                     INVALID_TPPAR, "wrong-policy")
G_REQ_FRESH = guard("fresh", NotIn(Field("randri"), Self("replay_cache")), "REQ-TKT-11",
                    "RANDRi already served (replay)", INVALID_TS, "replay")
# initiator receiving REQUEST_RESP (4.2.1.6)
G_RESP_MAC = guard("own-kms-mac", MacBy(MSG, NafKey(Self("btid"), Self("kms_uri"))), "REQ-TKT-02",
                   "REQUEST_RESP is not MACed under the NAF key of the initiator's KMS",
                   AUTH_FAILURE, "tampered")
G_RESP_POLICY = guard("granted-policy", TicketFor(TICKET, Self("peer")), "REQ-TKT-03",
                      "the granted policy does not authorise the intended responder", INVALID_TPPAR,
                      "wrong-policy")
# responder receiving TRANSFER_INIT (4.2.2.2; seed step 1)
G_TI_ADDRESSED = guard("addressed", Eq(Field("idrr"), Self("uri")), "REQ-TKT-05",
                       "IDRr is not this responder", INVALID_ID, "misaddressed")
G_TI_FRESH = guard("fresh", NotIn(Field("randri"), Self("replay_cache")), "REQ-TKT-24",
                   "RANDRi already accepted (replay)", INVALID_TS, "replay")
G_TI_INITIATOR = guard("ticket-initiator", Eq(Field("idri"), TicketTerm(TICKET, "initiator")),
                       "REQ-TKT-27", "IDRi is not the initiator the Ticket Policy names",
                       INVALID_ID, "impersonation")
G_TI_TO = guard("ticket-not-expired", AtMost(Now(), TicketTerm(TICKET, "tre")), "REQ-TKT-26",
                "the ticket has expired", INVALID_TPPAR, "expired")
# a KMS receiving a RESOLVE_INIT from a UE (seed steps 4-6)
G_RES_MAC = guard("nafkey-mac", MacBy(MSG, NafKey(Field("idrpsk"), Self("uri"))), "REQ-TKT-07",
                  "the V payload does not verify under the NAF key of IDRpsk", AUTH_FAILURE,
                  "tampered")
G_RES_KMS = guard("addressed-kms", Eq(Field("idrkms"), Self("uri")), "REQ-TKT-07",
                  "IDRkms is not this KMS", INVALID_ID, "misaddressed")
G_RES_FRESH = guard("fresh", NotIn(Field("randrr"), Self("replay_cache")), "REQ-TKT-11",
                    "RANDRr already served (replay)", INVALID_TS, "replay")
G_RES_USS = guard("uss-match", UssHas(Field("idrpsk"), Field("idrr")), "REQ-TKT-08",
                  "IDRr is not in the USS of the B-TID", INVALID_ID, "wrong-responder")
G_RES_FOR = guard("intended-responder", TicketFor(TICKET, Field("idrr")), "REQ-TKT-09",
                  "the ticket does not authorise IDRr", INVALID_ID, "wrong-responder")
G_VALID_FROM = guard("ticket-started", AtMost(TicketTerm(TICKET, "trs"), Now()), "REQ-TKT-10",
                     "the ticket's validity has not started", INVALID_TPPAR, "expired")
G_VALID_TO = guard("ticket-not-expired", AtMost(Now(), TicketTerm(TICKET, "tre")), "REQ-TKT-10",
                   "the ticket has expired", INVALID_TPPAR, "expired")
G_ISSUED_HERE = guard("issued-here", TicketSealedBy(TICKET, Self("uri")), "REQ-TKT-12",
                      "the Ticket Data does not verify under this KMS's TPK", INVALID_TICKET,
                      "tampered-ticket")
G_NOT_LOCAL = guard("issued-elsewhere", Not(Eq(TicketTerm(TICKET, "kms"), Self("uri"))),
                    "REQ-TKT-16", "the ticket names this KMS: resolve it locally", INVALID_TICKET)
G_TRUSTS_ISSUER = guard("trusts-issuer", Trusted(Self("uri"), TicketTerm(TICKET, "kms")),
                        "REQ-TKT-16", "no trust relation with the KMS that issued the ticket",
                        INVALID_TICKET, "untrusted-kms")
# KMS sending RESOLVE_RESP to the responder (step 7 / 12)
G_OUT_FOR = guard("answers-requester", Eq(Field("idrr"), Self("requester")), "REQ-TKT-13",
                  "RESOLVE_RESP must name the authenticated requester", None)
G_OUT_MAC = guard("protected", MacBy(MSG, NafKey(Self("btid"), Self("uri"))), "REQ-TKT-13",
                  "RESOLVE_RESP must be MACed under the requester's NAF key", None)
G_OUT_KEMAC = guard("kemac-enciphered",
                    KemacFor(Field("kemac"), NafKey(Self("btid"), Self("uri"))), "REQ-TKT-13",
                    "the KEMAC must be enciphered under the requester's NAF key", None)
# responder receiving RESOLVE_RESP (step 8)
G_RR_MAC = guard("own-kms-protected", MacBy(MSG, NafKey(Self("btid"), Self("kms_uri"))),
                 "REQ-TKT-14",
                 "RESOLVE_RESP is not MACed under the NAF key for the responder's KMS",
                 AUTH_FAILURE, "tampered")
G_RR_KEMAC = guard("kemac-readable",
                   KemacFor(Field("kemac"), NafKey(Self("btid"), Self("kms_uri"))), "REQ-TKT-14",
                   "the KEMAC is not enciphered under the responder's NAF key",
                   AUTH_FAILURE, "tampered")
G_RR_FOR = guard("for-me", Eq(Field("idrr"), Self("uri")), "REQ-TKT-14",
                 "RESOLVE_RESP names another responder", INVALID_ID, "misaddressed")
G_OFFER_MPKI = guard("offer-mpki-mac", MacBy(Self("offer"), MpkiOf(Field("kemac"),
                                                                    NafKey(Self("btid"),
                                                                           Self("kms_uri")))),
                     "REQ-TKT-22", "the TRANSFER_INIT does not verify with the MPKi of the "
                     "RESOLVE_RESP", AUTH_FAILURE, "tampered")
# responder reusing a stored ticket (seed step 1 -> 10; RFC 6043 5.3)
REUSABLE = Self("reusable")
G_REUSE_MAC = guard("stored-mpki-mac", MacBy(MSG, StoredMpki(REUSABLE, TICKET)), "REQ-TKT-22",
                    "the TRANSFER_INIT does not verify with the MPKi stored with the ticket",
                    AUTH_FAILURE, "tampered")
G_REUSE_FROM = guard("ticket-started", AtMost(TicketTerm(TICKET, "trs"), Now()), "REQ-TKT-23",
                     "the reused ticket's validity has not started", INVALID_TPPAR, "expired")
G_REUSE_TO = guard("ticket-not-expired", AtMost(Now(), TicketTerm(TICKET, "tre")), "REQ-TKT-23",
                   "the reused ticket has expired", INVALID_TPPAR, "expired")
# initiator receiving TRANSFER_RESP (4.2.2.4)
G_TR_MAC = guard("mpki-mac", MacBy(MSG, Self("mpki")), "REQ-TKT-04",
                 "TRANSFER_RESP does not verify with keys from MPKi", AUTH_FAILURE, "tampered")
G_TR_PEER = guard("from-peer", Eq(Field("idrr"), Self("peer")), "REQ-TKT-04",
                  "TRANSFER_RESP names another responder", INVALID_ID, "misaddressed")
# KMS_R forwarding over Zk (B.2.2.3 steps 6-7)
G_ZK_SELF = guard("zk-from-self", Eq(Field("zk_from"), Self("uri")), "REQ-TKT-17",
                  "a KMS sends over Zk in its own name", None)
G_FWD_TO = guard("forward-to-issuer", Eq(Field("zk_to"), Self("issuer")), "REQ-TKT-16",
                 "KMS_R may forward only to the KMS that issued the ticket", None)
G_FWD_TICKET = guard("reuse-ticket", Eq(TICKET, Self("ticket")), "REQ-TKT-17",
                     "the forwarded RESOLVE_INIT must reuse the TICKET", None)
G_FWD_IDRR = guard("reuse-idrr", Eq(Field("idrr"), Self("requester")), "REQ-TKT-17",
                   "the forwarded RESOLVE_INIT must reuse the matched IDRr", None)
# KMS_I receiving over Zk (steps 8-9)
G_ZK_AUTH = guard("zk-authenticated", NdsFrom(MSG, Field("zk_from")), "REQ-TKT-18",
                  "the Zk message is not in an NDS/IP association authenticated as zk_from",
                  AUTH_FAILURE, "tampered", "unauthenticated-zk")
G_ZK_TRUST = guard("trusted-source", Trusted(Self("uri"), Field("zk_from")), "REQ-TKT-18",
                   "no trust relation with the requesting KMS", INVALID_ID, "untrusted-kms")
G_ZK_TO = guard("addressed-kms", Eq(Field("zk_to"), Self("uri")), "REQ-TKT-18",
                "the Zk message is for another KMS", INVALID_ID, "misaddressed")
# KMS_I answering (step 10)
G_ANS_TO = guard("answer-to-source", Eq(Field("zk_to"), Self("peer")), "REQ-TKT-19",
                 "KMS_I answers only the KMS that asked", None)
# KMS_R receiving the Zk answer (step 11)
G_BACK_AUTH = guard("zk-authenticated", NdsFrom(MSG, Field("zk_from")), "REQ-TKT-20",
                    "the Zk message is not in an NDS/IP association authenticated as zk_from",
                    AUTH_FAILURE, "tampered", "unauthenticated-zk")
G_BACK_FROM = guard("from-asked-kms", Eq(Field("zk_from"), Self("issuer")), "REQ-TKT-20",
                    "the answer is not from the KMS that was asked", INVALID_ID, "untrusted-kms")
G_BACK_FOR = guard("answers-forwarded", Eq(Field("idrr"), Self("requester")), "REQ-TKT-20",
                   "the answer is for another responder", INVALID_ID, "misaddressed")
G_BACK_KEYS = guard("zk-keys-clear", ZkKeys(MSG), "REQ-TKT-20",
                    "the answer does not carry the ticket's keys in a clear KEMAC under the NULL "
                    "MAC, answering the forwarded request", UNSPECIFIED, "tampered")

