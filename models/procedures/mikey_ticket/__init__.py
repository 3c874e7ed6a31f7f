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

The package holds one concern per module: :mod:`.terms` (crypto and BSF predicates, the facts they
ask), :mod:`.requirements` (requirement texts, clause, MIKEY error numbers), :mod:`.messages`
(message specs), :mod:`.guards` (every guard, one home each), :mod:`.writes` (``VAR_WRITES``),
:mod:`.steps` (the step table) and :mod:`.procedures` (``ONE_DOMAIN``, ``TWO_DOMAINS``).  Every
name is re-exported here.
"""

from __future__ import annotations

from mckm.models.procedures.mikey_ticket.guards import (
    G_ANS_TO,
    G_BACK_AUTH,
    G_BACK_FOR,
    G_BACK_FROM,
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
    G_TR_MAC,
    G_TR_PEER,
    G_TRUSTS_ISSUER,
    G_VALID_FROM,
    G_VALID_TO,
    G_ZK_AUTH,
    G_ZK_SELF,
    G_ZK_TO,
    G_ZK_TRUST,
    MSG,
    REUSABLE,
    TICKET,
    guard,
)
from mckm.models.procedures.mikey_ticket.messages import MESSAGES
from mckm.models.procedures.mikey_ticket.procedures import ONE_DOMAIN, PROCEDURES, TWO_DOMAINS
from mckm.models.procedures.mikey_ticket.requirements import (
    AUTH_FAILURE,
    CLAUSE,
    INVALID_ID,
    INVALID_TICKET,
    INVALID_TPPAR,
    INVALID_TS,
    REQUIREMENTS,
    UNSPECIFIED,
)
from mckm.models.procedures.mikey_ticket.sends import SENDS, Sent
from mckm.models.procedures.mikey_ticket.steps import steps
from mckm.models.procedures.mikey_ticket.terms import (
    AtMost,
    KemacFor,
    MacBy,
    MpkiOf,
    NafKey,
    NdsFrom,
    StoredMpki,
    TicketFacts,
    TicketFor,
    TicketSealedBy,
    TicketTerm,
    UssHas,
)
from mckm.models.procedures.mikey_ticket.writes import VAR_WRITES

__all__ = [
    "AUTH_FAILURE",
    "CLAUSE",
    "G_ANS_TO",
    "G_BACK_AUTH",
    "G_BACK_FOR",
    "G_BACK_FROM",
    "G_FWD_IDRR",
    "G_FWD_TICKET",
    "G_FWD_TO",
    "G_ISSUED_HERE",
    "G_NOT_LOCAL",
    "G_OFFER_MPKI",
    "G_OUT_FOR",
    "G_OUT_KEMAC",
    "G_OUT_MAC",
    "G_REQ_FRESH",
    "G_REQ_KMS",
    "G_REQ_MAC",
    "G_REQ_USS",
    "G_RESP_MAC",
    "G_RESP_POLICY",
    "G_RES_FOR",
    "G_RES_FRESH",
    "G_RES_KMS",
    "G_RES_MAC",
    "G_RES_USS",
    "G_REUSE_FROM",
    "G_REUSE_MAC",
    "G_REUSE_TO",
    "G_RR_FOR",
    "G_RR_KEMAC",
    "G_RR_MAC",
    "G_TI_ADDRESSED",
    "G_TI_FRESH",
    "G_TRUSTS_ISSUER",
    "G_TR_MAC",
    "G_TR_PEER",
    "G_VALID_FROM",
    "G_VALID_TO",
    "G_ZK_AUTH",
    "G_ZK_SELF",
    "G_ZK_TO",
    "G_ZK_TRUST",
    "INVALID_ID",
    "INVALID_TICKET",
    "INVALID_TPPAR",
    "INVALID_TS",
    "MESSAGES",
    "MSG",
    "ONE_DOMAIN",
    "PROCEDURES",
    "REQUIREMENTS",
    "REUSABLE",
    "SENDS",
    "TICKET",
    "TWO_DOMAINS",
    "UNSPECIFIED",
    "VAR_WRITES",
    "AtMost",
    "KemacFor",
    "MacBy",
    "MpkiOf",
    "NafKey",
    "NdsFrom",
    "Sent",
    "StoredMpki",
    "TicketFacts",
    "TicketFor",
    "TicketSealedBy",
    "TicketTerm",
    "UssHas",
    "guard",
    "steps",
]
