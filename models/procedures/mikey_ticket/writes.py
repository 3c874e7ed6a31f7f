"""What each MIKEY-TICKET effect stores, as expressions over the received message: the symbolic
world implements those effects from it and the proofs compose steps with it."""

from __future__ import annotations

from collections.abc import Mapping

from mckm.models.procedures.expr import Expr, Field, Inserted, Self
from mckm.models.procedures.mikey_ticket.guards import MSG, REUSABLE, TICKET
from mckm.models.procedures.mikey_ticket.terms import TicketTerm

#: effect name -> role variable -> value stored, as an expression over the received message
#: (the symbolic world implements these effects from this table; the proofs compose with it)
VAR_WRITES: Mapping[str, Mapping[str, Expr]] = {
    "ticket.kms.remember_request": {"requester": Field("idrr"), "btid": Field("idrpsk"),
                                    "ticket": TICKET, "issuer": TicketTerm(TICKET, "kms")},
    "ticket.kms.remember_zk_request": {"requester": Field("idrr"), "peer": Field("zk_from"),
                                       "ticket": TICKET},
    "ticket.responder.remember_ticket": {"ticket": TICKET, "offer": MSG},
    "ticket.responder.store_reusable": {"reusable": Inserted(
        REUSABLE, Self("ticket"), TicketTerm(Self("ticket"), "reusable"), Self("keys"))},
    "ticket.initiator.store_ticket": {"ticket": TICKET},
}
