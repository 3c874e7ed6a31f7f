"""The real facts the MIKEY-TICKET guards ask, for one party (a UE or a KMS).

What each fact means is declared once, with its predicate (``models/procedures/predicates``);
here it is answered with the message layer (``wire.TicketView.verify``), the BSF over Zn
(TS 33.220 4.5.3; a UE: its own bootstrapping context, B.3) and the KMS's TPK (RFC 6043 A).
A truth-valued fact answers a :class:`~mckm.models.procedures.verdict.Verdict` with the reason
and MIKEY error when it does not hold.  Key material never leaves a fact: ``naf_key`` is a
:class:`NafKeyRef`.  The end point runs each step inside :meth:`TicketFacts.step`, which sets
``clock`` and, for that step only, keeps the BSF answers, opened tickets and derived keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mckm.impl.errors import MckmError, UpstreamError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, NafKeyAnswer
from mckm.impl.roles.ticket.base_ticket import TGK, TicketContents, TicketKeys, open_ticket
from mckm.impl.roles.ticket.keys import one_step
from mckm.impl.roles.ticket.wire import KemacBlob, PayloadBlob, TicketView, ZkTag
from mckm.models.policy.ticket_policy import ReusableTicketStore
from mckm.models.procedures.verdict import YES, Verdict


@dataclass(frozen=True)
class NafKeyRef:
    """``NafKey(btid, naf)`` of the model: names Ks_NAF, holds none of it."""

    btid: str
    naf: str


def naf_id(kms_uri: str) -> bytes:
    """NAF_Id of a KMS for the Ks_NAF derivation (project choice: its URI, UTF-8)."""
    return kms_uri.encode("utf-8")


def _verdict(check: Callable[[], Any]) -> Verdict:
    """YES if ``check`` runs, else the reason and MIKEY error of the mckm error it raised (an
    UpstreamError is no verdict: it is raised)."""
    try:
        check()
    except UpstreamError:
        raise
    except MckmError as exc:
        return Verdict.no(str(exc), exc.mikey_error)
    return YES


class _Step:
    """The context of :meth:`TicketFacts.step` (a class: entered once per message handled)."""

    __slots__ = ("_facts", "_keys", "_now")

    def __init__(self, facts: TicketFacts, now: int) -> None:
        self._facts, self._now, self._keys = facts, now, one_step()

    def __enter__(self) -> None:
        self._facts.clock = self._now
        self._keys.__enter__()

    def __exit__(self, *exc: object) -> None:
        try:
            self._keys.__exit__(*exc)
        finally:
            self._facts._answers, self._facts._opened = {}, {}


class TicketFacts:
    """Facts of one party: a UE (``bootstrap``) or a KMS (``bsf`` and ``tpk``)."""

    def __init__(self, uri: str, *, bootstrap: BootstrapContext | None = None,
                 bsf: Bsf | None = None, tpk: Secret[bytes] | None = None) -> None:
        if (bootstrap is None) == (bsf is None):
            raise UsageError("ticket facts are a UE's (bootstrap) or a KMS's (bsf), not both")
        self.uri, self.bootstrap, self.bsf, self.tpk = uri, bootstrap, bsf, tpk
        self.clock = 0  # NTP seconds of the current step (BSF key lifetimes)
        self._answers: dict[tuple[str, str], NafKeyAnswer] = {}
        self._opened: dict[bytes, TicketContents] = {}

    def step(self, now: int) -> _Step:
        """One step at ``now``: BSF answers, opened tickets and derived keys are reused within
        it and forgotten when it ends (a failed lookup or check is not remembered)."""
        return _Step(self, now)

    # -- key material (never in a guard's value)
    def naf_answer(self, btid: str, naf: str) -> NafKeyAnswer:
        """The BSF's Zn answer for ``btid`` at the KMS ``naf`` (TS 33.220 4.5.3) at ``clock``,
        asked once per step.  KMS only."""
        if self.bsf is None:
            raise UsageError("only a KMS asks the BSF")
        if (btid, naf) not in self._answers:
            self._answers[btid, naf] = self.bsf.lookup(btid, naf_id(naf), now=self.clock)
        return self._answers[btid, naf]

    def ks_naf(self, key: NafKeyRef) -> bytes:
        """Ks_NAF for ``key``; an mckm error if this party cannot have it."""
        if self.bsf is not None:
            return self.naf_answer(key.btid, key.naf).ks_naf.reveal()
        assert self.bootstrap is not None
        if key.btid != self.bootstrap.b_tid:
            raise UsageError("a UE holds only the NAF keys of its own bootstrapping context")
        return self.bootstrap.ue_ks_naf(naf_id(key.naf))

    def key_bytes(self, key: Any) -> bytes:
        if isinstance(key, NafKeyRef):
            return self.ks_naf(key)
        if isinstance(key, TicketKeys):  # a ticket's keys protect its Transfer by MPKi (5.1.2)
            return key.mpki.reveal()
        if isinstance(key, Secret) and isinstance(key.reveal(), bytes):
            return bytes(key.reveal())
        raise UsageError(f"not a key reference: {type(key).__name__}")

    def open_ticket(self, ticket: PayloadBlob) -> TicketContents:
        """Open a base ticket with this KMS's TPK (RFC 6043 A), once per step."""
        if self.tpk is None:
            raise UsageError("only a KMS with a TPK opens tickets")
        if ticket.octets not in self._opened:
            tpk = self.tpk.reveal()
            self._opened[ticket.octets] = open_ticket(ticket.payload, lambda _id: tpk,
                                                      octets=ticket.octets)
        return self._opened[ticket.octets]

    # -- TicketFacts
    def naf_key(self, btid: Any, naf_id: str) -> NafKeyRef:
        if not isinstance(btid, str) or not isinstance(naf_id, str):
            raise UsageError("NafKey needs a B-TID and a NAF (KMS) URI")
        return NafKeyRef(btid, naf_id)

    def mac_by(self, message: Any, key: Any) -> Verdict:
        if not isinstance(message, TicketView):
            return Verdict.no("not a MIKEY-TICKET message")
        return _verdict(lambda: message.verify(self.key_bytes(key)))

    def kemac_for(self, kemac: Any, key: Any) -> Verdict:
        if not isinstance(kemac, KemacBlob) or not kemac.enciphered:
            return Verdict.no("the KEMAC is not enciphered")
        return _verdict(lambda: kemac.view.verify(self.key_bytes(key)))

    def mpki_of(self, kemac: Any, key: Any) -> Secret[bytes] | None:
        if not self.kemac_for(kemac, key):
            return None
        keys = kemac.view.verify(self.key_bytes(key))
        return None if keys is None else keys.mpki

    def zk_keys(self, message: Any) -> Verdict:
        if not isinstance(message, TicketView):
            return Verdict.no("not a MIKEY-TICKET message")
        if message.get("kemac") is None:
            return Verdict.no("the answer carries no KEMAC")
        return _verdict(lambda: message.verify(None))

    def uss_has(self, btid: Any, identity: str) -> Verdict:
        if self.bsf is None or not isinstance(btid, str):
            return Verdict.no("only a KMS asks the BSF for a USS")
        asked = _verdict(lambda: self.naf_answer(btid, self.uri))  # once per step (cached)
        if not asked:
            return asked
        listed = identity in self.naf_answer(btid, self.uri).uss.public_identities
        return YES if listed else Verdict.no(f"the USS of {btid} does not list {identity}")

    def nds_from(self, message: Any, peer: str) -> Verdict:
        tag = message.get("nds") if isinstance(message, TicketView) else None
        if isinstance(tag, ZkTag) and tag.peer == peer and tag == ZkTag.of(message.raw, peer):
            return YES
        return Verdict.no(f"no NDS/IP association authenticated {peer} for these octets")

    def ticket_sealed_by(self, ticket: Any, kms: str) -> Verdict:
        if kms != self.uri or self.tpk is None or not isinstance(ticket, PayloadBlob):
            return Verdict.no(f"only {kms} can open its tickets")

        def check() -> None:
            tgks = [k for k in self.open_ticket(ticket).session_keys
                    if k.fields["key_type"] == TGK]
            if len(tgks) != 1:
                raise UsageError(f"the Ticket Data carries {len(tgks)} TGKs, not one")
        return _verdict(check)

    def stored_mpki(self, store: Any, ticket: Any) -> Secret[bytes] | None:
        keys = store.keys(ticket) if isinstance(store, ReusableTicketStore) else None
        return keys.mpki if isinstance(keys, TicketKeys) else None

    def ticket_authorises(self, ticket: Any, identity: str) -> bool:
        return _blob(ticket).policy.authorises(identity)

    def ticket_term(self, ticket: Any, attr: str) -> Any:
        return _blob(ticket).policy.term(attr)

    def __repr__(self) -> str:
        return f"TicketFacts({'KMS' if self.bsf is not None else 'UE'} {self.uri!r})"


def _blob(ticket: Any) -> PayloadBlob:
    if not isinstance(ticket, PayloadBlob):
        raise UsageError("a ticket term needs a TICKET or TP payload")
    return ticket


__all__ = ["NafKeyRef", "TicketFacts", "naf_id"]
