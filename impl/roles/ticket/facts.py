"""The real facts the MIKEY-TICKET guards ask (``mikey_ticket.TicketFacts``), for one party.

* ``naf_key(btid, naf)`` -> :class:`NafKeyRef`, a reference: key material is fetched only inside
  ``mac_by`` / ``kemac_for`` - a KMS from the BSF over Zn (``Bsf.lookup``, TS 33.220 4.5.3), a UE
  from its own bootstrapping context (Ks_NAF, TS 33.220 B.3).  NAF_Id = the KMS URI (UTF-8).
* ``mac_by(message, key)``: the V payload of a :class:`TicketView` verifies under ``key`` (a
  NafKeyRef, or a ``Secret`` MPKi) through the message layer (RFC 6043 5.1.2, 5.5).
* ``kemac_for(kemac, key)``: the KEMAC is enciphered (not NULL) and opens under ``key``'s keys.
* ``uss_has(btid, identity)``: the BSF's USS for ``btid`` lists ``identity`` (the public identity
  taken as the KMS user identity unchanged: the conversion of seed 002 step 5 is the identity).
* ``nds_from(message, peer)``: the Zk transport authenticated ``peer`` for these very octets.
* ``ticket_sealed_by(ticket, kms)``: ``kms`` is this KMS and its TPK opens the base ticket
  (RFC 6043 Appendix A); a UE or another KMS cannot tell, so False.
* ``ticket_authorises`` / ``ticket_term``: the TICKET's TP Data (``policy_data.policy_of``).
* ``mpki_of(kemac, key)``: the MPKi in a KEMAC that opens under ``key``'s keys (else None);
  ``stored_mpki(store, ticket)``: the MPKi kept with a reusable ticket (else None).

The BSF lookup needs the time: the end point runs each step inside :meth:`TicketFacts.step`,
which sets :attr:`TicketFacts.clock` and, for that step only, asks the BSF once per (B-TID,
NAF), opens each base ticket once and derives each MIKEY key once (``keys.one_step``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mckm.impl.errors import MckmError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, NafKeyAnswer
from mckm.impl.roles.ticket.adapter import KemacBlob, TicketBlob, TicketView, ZkTag
from mckm.impl.roles.ticket.base_ticket import TicketContents, TicketKeys, open_ticket
from mckm.impl.roles.ticket.keys import one_step
from mckm.models.policy.ticket_policy import ReusableTicketStore, TicketPolicy


@dataclass(frozen=True)
class NafKeyRef:
    """``NafKey(btid, naf)`` of the model: names Ks_NAF, holds none of it."""

    btid: str
    naf: str


def naf_id(kms_uri: str) -> bytes:
    """NAF_Id of a KMS for the Ks_NAF derivation (project choice: its URI, UTF-8)."""
    return kms_uri.encode("utf-8")


class TicketFacts:
    """Facts of one party: a UE (``bootstrap``) or a KMS (``bsf`` and ``tpk``)."""

    def __init__(self, uri: str, *, bootstrap: BootstrapContext | None = None,
                 bsf: Bsf | None = None, tpk: Secret[bytes] | None = None) -> None:
        if (bootstrap is None) == (bsf is None):
            raise UsageError("ticket facts are a UE's (bootstrap) or a KMS's (bsf), not both")
        self.uri = uri
        self.bootstrap = bootstrap
        self.bsf = bsf
        self.tpk = tpk
        self.clock = 0  # NTP seconds of the current step (BSF key lifetimes)
        self._answers: dict[tuple[str, str], NafKeyAnswer] | None = None
        self._opened: dict[bytes, TicketContents] | None = None

    @contextmanager
    def step(self, now: int) -> Iterator[None]:
        """One step at ``now``: BSF answers, opened tickets and derived keys are reused within
        it and forgotten when it ends (a failed lookup or check is not remembered)."""
        self.clock = now
        self._answers, self._opened = {}, {}
        try:
            with one_step():
                yield
        finally:
            self._answers = self._opened = None

    # -- key material (never in a guard's value)
    def naf_answer(self, btid: str, naf: str) -> NafKeyAnswer:
        """The BSF's Zn answer for ``btid`` at the KMS ``naf`` (TS 33.220 4.5.3), at
        :attr:`clock`; asked once per step.  KMS only."""
        if self.bsf is None:
            raise UsageError("only a KMS asks the BSF")
        if self._answers is None:
            return self.bsf.lookup(btid, naf_id(naf), now=self.clock)
        answer = self._answers.get((btid, naf))
        if answer is None:
            answer = self._answers[btid, naf] = self.bsf.lookup(btid, naf_id(naf),
                                                                now=self.clock)
        return answer

    def ks_naf(self, key: NafKeyRef) -> bytes:
        """Ks_NAF for ``key``; UsageError/PolicyError if this party cannot have it."""
        if self.bsf is not None:
            return self.naf_answer(key.btid, key.naf).ks_naf.reveal()
        assert self.bootstrap is not None
        if key.btid != self.bootstrap.b_tid:
            raise UsageError("a UE holds only the NAF keys of its own bootstrapping context")
        return self.bootstrap.ue_ks_naf(naf_id(key.naf))

    def key_bytes(self, key: Any) -> bytes:
        if isinstance(key, NafKeyRef):
            return self.ks_naf(key)
        if isinstance(key, Secret) and isinstance(key.reveal(), bytes):
            return bytes(key.reveal())
        raise UsageError(f"not a key reference: {type(key).__name__}")

    def open_ticket(self, ticket: TicketBlob) -> TicketContents:
        """Open a base ticket with this KMS's TPK (RFC 6043 A); the message layer's errors."""
        if self.tpk is None:
            raise UsageError("only a KMS with a TPK opens tickets")
        done = None if self._opened is None else self._opened.get(ticket.octets)
        if done is None:
            tpk = self.tpk.reveal()
            done = open_ticket(ticket.payload, lambda _identifier: tpk)
            if self._opened is not None:
                self._opened[ticket.octets] = done
        return done

    # -- TicketFacts
    def naf_key(self, btid: Any, naf_id: str) -> NafKeyRef:
        if not isinstance(btid, str) or not isinstance(naf_id, str):
            raise UsageError("NafKey needs a B-TID and a NAF (KMS) URI")
        return NafKeyRef(btid, naf_id)

    def mac_by(self, message: Any, key: Any) -> bool:
        if not isinstance(message, TicketView):
            return False
        try:
            message.verify(self.key_bytes(key))
        except MckmError:
            return False
        return True

    def kemac_for(self, kemac: Any, key: Any) -> bool:
        if not isinstance(kemac, KemacBlob) or not kemac.enciphered:
            return False
        try:
            opened = kemac.view.verify(self.key_bytes(key))
        except MckmError:
            return False
        return opened.kemac is not None

    def uss_has(self, btid: Any, identity: str) -> bool:
        if self.bsf is None or not isinstance(btid, str):
            return False
        try:
            answer = self.naf_answer(btid, self.uri)
        except MckmError:
            return False
        return identity in answer.uss.public_identities

    def nds_from(self, message: Any, peer: str) -> bool:
        if not isinstance(message, TicketView):
            return False
        tag = message.get("nds")
        return isinstance(tag, ZkTag) and tag.peer == peer and tag == ZkTag.of(message.raw, peer)

    def ticket_sealed_by(self, ticket: Any, kms: str) -> bool:
        if kms != self.uri or self.tpk is None or not isinstance(ticket, TicketBlob):
            return False
        try:
            self.open_ticket(ticket)
        except MckmError:
            return False
        return True

    def mpki_of(self, kemac: Any, key: Any) -> Secret[bytes] | None:
        if not isinstance(kemac, KemacBlob):
            return None
        try:
            opened = kemac.view.verify(self.key_bytes(key))
            return None if opened.kemac is None else TicketKeys.from_kemac(opened.kemac.keys).mpki
        except MckmError:
            return None

    def stored_mpki(self, store: Any, ticket: Any) -> Secret[bytes] | None:
        keys = store.keys(ticket) if isinstance(store, ReusableTicketStore) else None
        return keys.mpki if isinstance(keys, TicketKeys) else None

    def ticket_authorises(self, ticket: Any, identity: str) -> bool:
        return _policy(ticket).authorises(identity)

    def ticket_term(self, ticket: Any, attr: str) -> Any:
        return _policy(ticket).term(attr)

    def __repr__(self) -> str:
        kind = "KMS" if self.bsf is not None else "UE"
        return f"TicketFacts({kind} {self.uri!r})"


def _policy(ticket: Any) -> TicketPolicy:
    if not isinstance(ticket, TicketBlob):
        raise UsageError("a ticket term needs a TICKET")
    return ticket.policy


__all__ = ["NafKeyRef", "TicketFacts", "naf_id"]
