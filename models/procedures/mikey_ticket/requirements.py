"""MIKEY-TICKET requirement texts (ids of ``spec/mikey-ticket.md``), the clause cited and the MIKEY
error numbers its guards refuse with (RFC 3830 6.12; RFC 6043 6.9 Table 6.14)."""

from __future__ import annotations

from mckm.models.grammar.namespaces import ERROR_NO

CLAUSE = "TS 33.328 B.2.2.2, B.2.2.3, 6.2.3.8 (seed 002); RFC 6043 4.2, 5.4, 10"

# MIKEY error numbers: RFC 3830 6.12 and RFC 6043 6.9 Table 6.14 (models/grammar namespaces).
AUTH_FAILURE, INVALID_TS, INVALID_ID, UNSPECIFIED = (
    ERROR_NO.AUTH_FAILURE, ERROR_NO.INVALID_TS, ERROR_NO.INVALID_ID, ERROR_NO.UNSPECIFIED_ERROR)
INVALID_TICKET, INVALID_TPPAR = ERROR_NO.INVALID_TICKET, ERROR_NO.INVALID_TPPAR


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
    "REQ-TKT-25": "The KMS grants a ticket only for a desired Ticket Policy it can read whose TP "
                  "Data names it (IDRkms); else Invalid TPpar (RFC 6043 4.2.1.4, 6.10).",
    "REQ-TKT-26": "The responder rejects a TRANSFER_INIT whose ticket has expired (TRe passed) "
                  "without contacting the KMS: Invalid TPpar (RFC 6043 4.2.2.2: an unacceptable "
                  "Ticket Policy is rejected early; 6.10).  TRs is the KMS's to check when it "
                  "resolves: a responder whose clock lags the issuing KMS's would refuse a "
                  "fresh ticket.",
    "REQ-TKT-27": "The responder accepts a TRANSFER_INIT only if its IDRi is the initiator the "
                  "Ticket Policy names (TP Data IDRi); the resolve assures the Ticket Policy's "
                  "integrity, not IDRi's: else Invalid ID (RFC 6043 4.2.2.1, 4.2.3, 6.10).",
}

