"""The MIKEY-TICKET step table, shared by the one-domain and two-domain procedures (seed 002
B.2.2.2 steps 1-10, B.2.2.3 steps 1-14; RFC 6043 4.2.1 and 4.2.2 for the request and transfer,
numbered Q1-Q4, T1-T2)."""

from __future__ import annotations

from mckm.models.procedures.expr import Eq, Field, In, Self
from mckm.models.procedures.mikey_ticket.guards import (
    G_ANS_TO,
    G_BACK_AUTH,
    G_BACK_FOR,
    G_BACK_FROM,
    G_BACK_KEYS,
    G_FWD_IDRR,
    G_FWD_TICKET,
    G_FWD_TO,
    G_ISSUED_HERE,
    G_NOT_LOCAL,
    G_OFFER_MPKI,
    G_OUT_FOR,
    G_OUT_KEMAC,
    G_OUT_MAC,
    G_REQ_FRESH,
    G_REQ_KMS,
    G_REQ_MAC,
    G_REQ_POLICY,
    G_REQ_USS,
    G_RES_FOR,
    G_RES_FRESH,
    G_RES_KMS,
    G_RES_MAC,
    G_RES_USS,
    G_RESP_MAC,
    G_RESP_POLICY,
    G_REUSE_FROM,
    G_REUSE_MAC,
    G_REUSE_TO,
    G_RR_FOR,
    G_RR_KEMAC,
    G_RR_MAC,
    G_TI_ADDRESSED,
    G_TI_FRESH,
    G_TI_INITIATOR,
    G_TI_TO,
    G_TR_MAC,
    G_TR_PEER,
    G_TRUSTS_ISSUER,
    G_VALID_FROM,
    G_VALID_TO,
    G_ZK_AUTH,
    G_ZK_SELF,
    G_ZK_TO,
    G_ZK_TRUST,
    REUSABLE,
    TICKET,
    guard,
)
from mckm.models.procedures.model import Step

KMS_VARS = {"uri": "ident", "replay_cache": "set[blob]", "requester": "ident", "btid": "blob",
             "ticket": "blob", "issuer": "ident", "peer": "ident"}
UE_VARS = {"uri": "ident", "kms_uri": "ident", "btid": "blob", "ticket": "blob"}


def steps(kms_i: str, kms_r: str) -> tuple[Step, ...]:
    """Every step; ``kms_i == kms_r`` gives the one-domain procedure."""
    two = kms_i != kms_r
    request = (
        Step("Q1", "initiator", "send", "REQUEST_INIT", kms_i, "idle", "requesting", "REQ-TKT-01",
             "Build REQUEST_INIT_PSK: IDRi own identity, IDRkms its KMS, desired TP, B-TID in "
             "IDRpsk, V under the NAF key (RFC 6043 4.2.1.2).",
             guards=(guard("own-identity", Eq(Field("idri"), Self("uri")), "REQ-TKT-01",
                           "IDRi must be the initiator's identity", None),
                     guard("own-btid", Eq(Field("idrpsk"), Self("btid")), "REQ-TKT-01",
                           "IDRpsk must be the initiator's B-TID", None)),
             effects=("ticket.initiator.build_request",)),
        Step("Q2", kms_i, "receive", "REQUEST_INIT", "initiator", "ready", "granting",
             "REQ-TKT-01", "Fetch NAF key and USS from the BSF by B-TID; verify the MAC, IDRi "
             "against the USS, IDRkms and freshness (RFC 6043 4.2.1.4).",
             guards=(G_REQ_MAC, G_REQ_KMS, G_REQ_FRESH, G_REQ_USS, G_REQ_POLICY),
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
             guards=(guard("to-peer", Eq(Field("idrr"), Self("peer")), "REQ-TKT-04",
                           "IDRr must be the intended responder", None),),
             effects=("ticket.initiator.build_transfer_init",), auto=True),
    )
    resolve_in = (
        Step("1r", "responder", "receive", "TRANSFER_INIT", "initiator", "idle", "resolved",
             "REQ-TKT-23", "A ticket this responder resolved and kept as reusable: no new "
             "resolve; check the validity and the V with the stored MPKi, then answer "
             "(seed B.2.2.2 step 1 -> step 10; RFC 6043 5.3).",
             when=In(TICKET, REUSABLE),
             guards=(G_TI_ADDRESSED, G_TI_FRESH, G_REUSE_FROM, G_REUSE_TO, G_REUSE_MAC,
                     G_TI_INITIATOR),
             implements=("REQ-TKT-22",),
             effects=("ticket.responder.remember_rand", "ticket.responder.remember_ticket",
                      "ticket.responder.reuse_keys")),
        Step("1", "responder", "receive", "TRANSFER_INIT", "initiator", "idle", "resolving",
             "REQ-TKT-05", "Check TRANSFER_INIT against the receive policy and the Ticket "
             "Policy (initiator, not expired); its V cannot be checked before the ticket is "
             "resolved (seed B.2.2.2 step 1; RFC 6043 4.2.2.2).",
             guards=(G_TI_ADDRESSED, G_TI_INITIATOR, G_TI_FRESH, G_TI_TO),
             implements=("REQ-TKT-24", "REQ-TKT-26", "REQ-TKT-27"),
             effects=("ticket.responder.remember_rand", "ticket.responder.remember_ticket")),
        Step("2-3", "responder", "send", "RESOLVE_INIT", kms_r, "resolving", "waiting",
             "REQ-TKT-06", "Build RESOLVE_INIT_PSK: B-TID in IDRpsk (the seed's 'IDi'), IDRr "
             "own identity, TICKET as received, V under the NAF key; send over Ua (steps 2-3).",
             guards=(guard("own-identity", Eq(Field("idrr"), Self("uri")), "REQ-TKT-06",
                           "IDRr must be the responder's identity", None),
                     guard("own-btid", Eq(Field("idrpsk"), Self("btid")), "REQ-TKT-06",
                           "IDRpsk must be the responder's B-TID", None),
                     guard("ticket-as-received", Eq(TICKET, Self("ticket")), "REQ-TKT-06",
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
                 guards=(G_BACK_AUTH, G_BACK_FROM, G_BACK_FOR, G_BACK_KEYS),
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
             guards=(guard("own-identity", Eq(Field("idrr"), Self("uri")), "REQ-TKT-15",
                           "IDRr must be the responder's identity", None),),
             effects=("ticket.responder.build_transfer_resp",), auto=True),
        Step("T2", "initiator", "receive", "TRANSFER_RESP", "responder", "offered", "done",
             "REQ-TKT-04", "Verify TRANSFER_RESP with keys from MPKi (RFC 6043 4.2.2.4).",
             guards=(G_TR_MAC, G_TR_PEER), effects=("ticket.initiator.accept",)),
    )
    return (*request, *resolve_in, *kms_steps, *resolve_out)

