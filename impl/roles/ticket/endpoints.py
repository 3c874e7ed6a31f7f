"""MIKEY-TICKET end points on the engine: :class:`Initiator`, :class:`Responder`, :class:`Kms`.

Sans-IO: every method takes octets and the local time ``now`` (NTP seconds) and returns octets
(or keys); a refusal raises a ``MckmError`` - :class:`~mckm.impl.engine.StepRefused` naming the
model's step, guard, requirement and MIKEY error, ``MalformedMessage`` (error 12) for octets that
do not decode, ``PolicyError`` 11 for another message - and changes nothing.
:func:`error_reply` turns such an error into the RFC 6043 5.4 Error message to answer with.

Each exchange is one run of the model (``mikey_ticket.ONE_DOMAIN`` / ``TWO_DOMAINS``).  A KMS keeps
no per-ticket state (the model's "leaves out"): it starts a resolve in the state the model has
after issuing (``issued``), and picks the procedure by the ticket's TP Data IDRkms - itself:
``ONE_DOMAIN`` role ``kms``; another KMS: ``TWO_DOMAINS`` role ``kms_r``, which returns a
:class:`Forward` for the HTTPS adapter to send over Zk and hand back with :meth:`Kms.complete`.
The Zk transport facts (peer KMS, authenticated or not, KMS addressed) come in a
:class:`~mckm.impl.roles.ticket.wire.ZkLink` from the caller.  A KMS's replay cache (RANDRi /
RANDRr served) and a responder's reusable-ticket store persist across runs.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from mckm.impl.codec import decode
from mckm.impl.engine import Emit, RoleMachine, Send
from mckm.impl.engine.replay import ReplayCache, SharedReplay, SharedReplayCache
from mckm.impl.errors import DecodeError, MckmError, StoreError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf
from mckm.impl.roles.ticket.effects import DEFAULT_VALIDITY, TicketKeys, registry
from mckm.impl.roles.ticket.facts import TicketFacts
from mckm.impl.roles.ticket.protection import UNSPECIFIED
from mckm.impl.roles.ticket.wire import PayloadBlob, TicketView, ZkLink, build_error
from mckm.models.policy.ticket_policy import ReusableTicketStore
from mckm.models.policy.trust import TrustRelation
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS
from mckm.models.procedures.model import Procedure

_EFFECTS = registry()


def view_factory(name: str, fields: Mapping[str, Any]) -> TicketView:
    """The engine's message factory for the ticket effects: the view of the message they
    built (fields ``built``, ``answers``, ``zk``)."""
    built = fields.get("built")
    if not isinstance(built, TicketView) or built.name != name:
        raise UsageError(f"the ticket effects did not build {name}")
    return built


def _sent(actions: list[Any]) -> TicketView:
    send = next(a for a in actions if isinstance(a, Send))
    assert isinstance(send.message, TicketView)
    return send.message


def _emitted(actions: list[Any]) -> TicketKeys:
    keys = next(a.value for a in actions if isinstance(a, Emit) and a.name == "key")
    assert isinstance(keys, TicketKeys)
    return keys


class _Party:
    procedure: Procedure = ONE_DOMAIN

    def __init__(self, facts: TicketFacts, trust: TrustRelation | None = None) -> None:
        self.facts = facts
        self.trust = trust or TrustRelation()

    def _machine(self, procedure: Procedure, role: str, vars: MutableMapping[str, Any],
                 state: str | None = None) -> RoleMachine:
        return RoleMachine(procedure, role, vars=vars, facts=self.facts, effects=_EFFECTS,
                           trusted=self.trust.trusts, message_factory=view_factory, start=state)

    def _feed(self, machine: RoleMachine, view: TicketView, now: int) -> list[Any]:
        with self.facts.step(now):
            return machine.feed(view, now=now)


class _Ue(_Party):
    def __init__(self, uri: str, kms_uri: str, bootstrap: BootstrapContext) -> None:
        super().__init__(TicketFacts(uri, bootstrap=bootstrap))
        self.uri, self.kms_uri, self.btid = uri, kms_uri, bootstrap.b_tid

    def _vars(self) -> dict[str, Any]:
        return {"uri": self.uri, "kms_uri": self.kms_uri, "btid": self.btid, "ticket": None}


class Initiator(_Ue):
    """The initiating UE: ticket request (RFC 6043 4.2.1) and transfer (4.2.2)."""

    def __init__(self, uri: str, kms_uri: str, bootstrap: BootstrapContext) -> None:
        super().__init__(uri, kms_uri, bootstrap)
        self.machine: RoleMachine | None = None

    def request_ticket(self, responder: str, *, now: int, reusable: bool = False,
                       **params: Any) -> bytes:
        """Q1: a REQUEST_INIT_PSK for a ticket to ``responder`` (a new run)."""
        self.machine = self._machine(ONE_DOMAIN, "initiator",
                                     {**self._vars(), "peer": responder, "mpki": None})
        with self.facts.step(now):
            actions = self.machine.send("REQUEST_INIT", now=now,
                                        params={"reusable": int(reusable), **params})
        return _sent(actions).raw

    def receive_request_resp(self, raw: bytes, *, now: int) -> bytes:
        """Q4 then T1: check REQUEST_RESP; return the TRANSFER_INIT for the responder."""
        m = self._run()
        view = TicketView.decode(raw, answers=m.vars.get("request_init"), expect="REQUEST_RESP")
        return _sent(self._feed(m, view, now)).raw

    def receive_transfer_resp(self, raw: bytes, *, now: int) -> TicketKeys:
        """T2: check TRANSFER_RESP with MPKi; return the ticket's keys."""
        m = self._run()
        view = TicketView.decode(raw, answers=m.vars.get("transfer_init"),
                                 expect="TRANSFER_RESP")
        return _emitted(self._feed(m, view, now))

    def offer_again(self, *, now: int) -> bytes:
        """Reuse the granted ticket (J flag) in a new Ticket Transfer (RFC 6043 5.3: new CSB ID,
        timestamp and RANDRi): T1 again from ``granted``; the TRANSFER_INIT to send."""
        last = self._run()
        ticket = last.vars.get("ticket")
        if not last.done or not isinstance(ticket, PayloadBlob) or not ticket.policy.reusable:
            raise UsageError("only a completed transfer of a reusable ticket (J flag) is offered "
                             "again (RFC 6043 5.3)")
        m = self._machine(ONE_DOMAIN, "initiator", dict(last.vars), state="granted")
        with self.facts.step(now):
            actions = m.send("TRANSFER_INIT", now=now)
        self.machine = m
        return _sent(actions).raw

    def _run(self) -> RoleMachine:
        if self.machine is None:
            raise UsageError("no ticket request in progress: call request_ticket first")
        return self.machine


@dataclass(frozen=True)
class ResponderStep:
    """What a responder sends after a TRANSFER_INIT: a RESOLVE_INIT_PSK for its own KMS
    (``to_kms``), or - for a reusable ticket it resolved before - the TRANSFER_RESP for the
    initiator at once, with the keys (seed 002 B.2.2.2 step 1 -> 10)."""

    octets: bytes
    to_kms: bool
    keys: TicketKeys | None = None

    def __repr__(self) -> str:
        return f"ResponderStep({'to KMS' if self.to_kms else 'to initiator'}, " \
               f"{len(self.octets)} octets)"


class Responder(_Ue):
    """The responding UE: receives TRANSFER_INIT, resolves at its own KMS (seed B.2.2.2/3) or
    reuses a stored reusable ticket; runs TWO_DOMAINS when the ticket names another KMS (the
    step numbers differ).  Its reusable-ticket store and replay cache persist across runs."""

    def __init__(self, uri: str, kms_uri: str, bootstrap: BootstrapContext) -> None:
        super().__init__(uri, kms_uri, bootstrap)
        self.machine: RoleMachine | None = None
        self.reusable = ReusableTicketStore()
        self.replay_cache = ReplayCache()

    def receive_transfer_init(self, raw: bytes, *, now: int) -> ResponderStep:
        """Step 1 then 2-3 (a RESOLVE_INIT_PSK for the own KMS), or step 1r then 9-10."""
        view = TicketView.decode(raw, expect="TRANSFER_INIT")
        issuer = Kms.issuer_of(view)
        procedure = ONE_DOMAIN if issuer in (None, self.kms_uri) else TWO_DOMAINS
        m = self._machine(procedure, "responder",
                          {**self._vars(), "reusable": self.reusable, "offer": None,
                           "replay_cache": self.replay_cache})
        actions = self._feed(m, view, now)
        self.machine = m
        self.replay_cache = m.vars["replay_cache"]
        if m.done:
            return ResponderStep(_sent(actions).raw, False, _emitted(actions))
        return ResponderStep(_sent(actions).raw, True)

    def receive_resolve_resp(self, raw: bytes, *, now: int) -> tuple[bytes, TicketKeys]:
        """Step 8 (12r) then 9-10: check RESOLVE_RESP; return TRANSFER_RESP and the keys."""
        if self.machine is None:
            raise UsageError("no resolve in progress: call receive_transfer_init first")
        m = self.machine
        view = TicketView.decode(raw, answers=m.vars.get("resolve_init"), expect="RESOLVE_RESP")
        actions = self._feed(m, view, now)
        self.reusable = m.vars["reusable"]
        return _sent(actions).raw, _emitted(actions)


@dataclass(frozen=True)
class Forward:
    """KMS_R's step 6-7 result: send ``octets`` over Zk to the KMS ``to``, then call
    :meth:`Kms.complete` with this object and the answer."""

    to: str
    octets: bytes
    machine: RoleMachine

    def __repr__(self) -> str:
        return f"Forward(to={self.to!r}, {len(self.octets)} octets)"


class Kms(_Party):
    """One KMS in the roles KMS, KMS_I and KMS_R (RFC 6043 4.2.1, 4.2.3, 10; seed 002)."""

    def __init__(self, uri: str, *, tpk: bytes, bsf: Bsf, trust: TrustRelation | None = None,
                 validity: int = DEFAULT_VALIDITY, shared: SharedReplay | None = None) -> None:
        """``shared``: the RANDs accepted by every replica of this KMS (their database,
        :class:`~mckm.impl.store.kms_store.KmsStore`), or None for a single process."""
        super().__init__(TicketFacts(uri, bsf=bsf, tpk=Secret(bytes(tpk))), trust)
        self.uri = uri
        self.validity = validity
        self.shared = shared
        self.replay_cache: ReplayCache = ReplayCache() if shared is None else \
            SharedReplayCache.over(ReplayCache(), shared)

    def _vars(self) -> dict[str, Any]:
        return {"uri": self.uri, "replay_cache": self.replay_cache, "requester": None,
                "btid": None, "ticket": None, "issuer": None, "peer": None,
                "validity": self.validity}

    def _run(self, procedure: Procedure, role: str, view: TicketView, now: int,
             state: str | None = None) -> tuple[RoleMachine, list[Any]]:
        """Feed ``view`` to a new machine of ``role``, then commit the RAND it remembered.
        With replicas, the database decides: if another replica accepted the RAND since the
        guard 'fresh' looked, the step runs again and that guard refuses it (RFC 3830 5.4)."""
        machine = self._machine(procedure, role, self._vars(), state)
        actions = self._feed(machine, view, now)
        staged = machine.vars["replay_cache"]
        if self.shared is not None and isinstance(staged, ReplayCache) and staged.staged:
            if not self.shared.replay_claim(*staged.staged, now=now):
                self._feed(self._machine(procedure, role, self._vars(), state), view, now)
                raise StoreError("a replica accepted this RAND, but the guard let it pass")
            staged = SharedReplayCache.over(staged, self.shared)
        self.replay_cache = staged
        return machine, actions

    def receive_request(self, raw: bytes, *, now: int) -> bytes:
        """Q2-Q3: REQUEST_INIT_PSK in, REQUEST_RESP (TICKET, KEMAC) out."""
        view = TicketView.decode(raw, expect="REQUEST_INIT")
        return _sent(self._run(ONE_DOMAIN, "kms", view, now)[1]).raw

    def receive_resolve(self, raw: bytes, *, now: int) -> bytes | Forward:
        """A responder's RESOLVE_INIT_PSK (Ua): the RESOLVE_RESP if the ticket names this KMS
        (ONE_DOMAIN steps 4-7), else a :class:`Forward` to the KMS it names (TWO_DOMAINS 4-7)."""
        view = TicketView.decode(raw, expect="RESOLVE_INIT")
        issuer = self.issuer_of(view)
        if issuer == self.uri or issuer is None:
            return _sent(self._run(ONE_DOMAIN, "kms", view, now, "issued")[1]).raw
        m, actions = self._run(TWO_DOMAINS, "kms_r", view, now)
        out = _sent(actions)
        assert out.zk is not None
        return Forward(out.zk.addressed_to, out.raw, m)

    def receive_zk_resolve(self, raw: bytes, link: ZkLink, *, now: int) -> bytes:
        """KMS_I, steps 8-10: a RESOLVE_INIT over Zk in, the unprotected RESOLVE_RESP out."""
        view = TicketView.decode(raw, zk=link, expect="RESOLVE_INIT_ZK")
        return _sent(self._run(TWO_DOMAINS, "kms_i", view, now, "issued")[1]).raw

    def complete(self, forward: Forward, raw: bytes, link: ZkLink, *, now: int) -> bytes:
        """KMS_R, steps 11-12: KMS_I's answer over Zk in, the responder's RESOLVE_RESP out."""
        m = forward.machine
        view = TicketView.decode(raw, zk=link, answers=m.vars.get("zk_request"),
                                 expect="RESOLVE_RESP_ZK")
        return _sent(self._feed(m, view, now)).raw

    @staticmethod
    def issuer_of(view: TicketView) -> str | None:
        """The KMS a message's TICKET names (TP Data IDRkms): which procedure runs."""
        ticket = view.get("ticket")
        if not isinstance(ticket, PayloadBlob):
            return None  # the engine refuses the missing TICKET
        try:
            return ticket.policy.kms
        except MckmError:
            return None  # unreadable policy: ONE_DOMAIN's guards refuse it


def error_reply(raw: bytes, error: MckmError, *, now: int) -> bytes | None:
    """The RFC 6043 5.4 Error message answering ``raw`` refused with ``error`` (its MIKEY
    error, else 12 Unspecified); None if ``raw`` has no HDR to answer (not even decodable)."""
    try:
        failed = decode(bytes(raw))
    except DecodeError:
        return None
    number = getattr(error, "mikey_error", None)
    return build_error(failed, now=now, errors=[UNSPECIFIED if number is None else int(number)])


__all__ = ["Forward", "Initiator", "Kms", "Responder", "ResponderStep", "error_reply",
           "view_factory"]
