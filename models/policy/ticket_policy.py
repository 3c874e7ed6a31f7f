"""The parts of a MIKEY-TICKET Ticket Policy that the procedures decide on (RFC 6043 6.10).

A granted policy names the KMS that issued the ticket (TP Data ``[IDRkms]``), the initiator
(``[IDRi]``), the validity period (``[TRs]``, ``[TRe]``: an absent bound is unbounded at that end),
the authorised responders (``(IDRr)``, at least one) and the flags; of these the resolve
procedures read the J flag (the ticket MAY be reused, RFC 6043 5.3).  The wire layout lives in
``mckm.models.grammar.rfc6043`` (``TP``/``TICKET``); this module holds only the meaning, and the
reusable-ticket store of TS 33.328 B.2.2.2 steps 1 and 8 (seed 002).

Guards read a policy through ``TicketTerm(ticket, attr)`` of
:mod:`mckm.models.procedures.mikey_ticket`, whose attribute names are :data:`TERM_TYPES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: attribute of a granted policy a guard may read -> its model type
TERM_TYPES: Mapping[str, str] = {"kms": "ident", "initiator": "ident", "trs": "time",
                                 "tre": "time", "reusable": "int"}

#: NTP seconds standing for an absent TRs / TRe (RFC 6043 6.10: unbounded at that end)
UNBOUNDED_START = 0
UNBOUNDED_END = 2**64 - 1


@dataclass(frozen=True)
class TicketPolicy:
    """A granted Ticket Policy, as far as the procedures read it (RFC 6043 6.10)."""

    kms: str
    initiator: str
    responders: frozenset[str]
    trs: int = UNBOUNDED_START
    tre: int = UNBOUNDED_END
    reusable: int = 0  # the J flag

    def term(self, attr: str) -> Any:
        if attr not in TERM_TYPES:
            raise KeyError(f"ticket policy has no attribute {attr!r}")
        return getattr(self, attr)

    def authorises(self, identity: str) -> bool:
        """``identity`` is one of the policy's IDRr (an authorised responder)."""
        return identity in self.responders

    def valid_at(self, now: int) -> bool:
        return self.trs <= now <= self.tre


@dataclass
class ReusableTicketStore:
    """The responder's local store of reusable tickets (seed 002 B.2.2.2 steps 1 and 8).

    Only a ticket whose policy has the J flag is stored, together with the keys its resolve
    returned and the modifier used (RFC 6043 5.3: the same IDRr and RANDRkms SHALL be reused); a
    lookup returns nothing once the ticket's validity has ended."""

    entries: dict[Any, tuple[TicketPolicy, Any]] = field(default_factory=dict)

    def store(self, ticket: Any, policy: TicketPolicy, keys: Any) -> bool:
        if not policy.reusable:
            return False
        self.entries[ticket] = (policy, keys)
        return True

    def __contains__(self, ticket: object) -> bool:
        return ticket in self.entries

    def keys(self, ticket: Any) -> Any | None:
        """The keys stored with ``ticket`` (whatever its validity), or None."""
        entry = self.entries.get(ticket)
        return None if entry is None else entry[1]

    def with_entry(self, ticket: Any, keys: Any, policy: TicketPolicy | None = None
                   ) -> ReusableTicketStore:
        """A copy with ``ticket`` stored with ``keys`` if its ``policy`` (default: the ticket's
        ``policy``) is reusable: the model's write ``Inserted(reusable, ticket, J, keys)``."""
        copy = ReusableTicketStore(dict(self.entries))
        copy.store(ticket, policy if policy is not None else ticket.policy, keys)
        return copy

    def lookup(self, ticket: Any, now: int) -> Any | None:
        entry = self.entries.get(ticket)
        if entry is None or not entry[0].valid_at(now):
            return None
        return entry[1]
