"""MIKEY-TICKET (seed 002 B.2.2.2, B.2.2.3; RFC 6043) on its public end points: the UEs'
:class:`Initiator` / :class:`Responder` and the KMSs - over real HTTPS (``start_loopback``: a BSF
and KMS services on 127.0.0.1, Ua with TLS) for one KMS, and as the sans-IO :class:`Kms` with
the Zk hops visible (each a delivery with its :class:`ZkLink`) for two KMS domains, so the Zk
threats reach KMS_I and KMS_R with the link facts an attacker can change.

Users: Alice (initiator) and Carol at KMS_A, Bob (responder) and Eve at Bob's KMS, Dave at
KMS_C, which nobody trusts.  Alice/Carol and Bob/Eve have URIs of one length, so an identity is
rewritten in place in the octets.  For a mutant the driver's :meth:`TicketDriver.using` puts the
model into ``endpoints`` (and so into the KMS services of this process) and takes it out.
"""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from mckm.impl.errors import MckmError
from mckm.impl.roles.bsf import Bsf
from mckm.impl.roles.ticket import endpoints
from mckm.impl.roles.ticket.effects import DEFAULT_VALIDITY
from mckm.impl.roles.ticket.endpoints import Forward, Initiator, Kms, Responder
from mckm.impl.roles.ticket.loopback import Loopback, start_loopback
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.roles.ticket.wire import ZkLink
from mckm.impl.transport.ticket_http import HttpRefusal, RequestType
from mckm.models.policy.trust import TrustRelation
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.e2e.ticket_fixtures import _octets, context
from tests.endpoints import mikey_spans
from tests.endpoints.generator import (
    Attack,
    Delivery,
    Driver,
    Observed,
    Refused,
    Run,
    flip,
    play,
)

KMS_A, KMS_B, KMS_C = "kms.a.example", "kms.b.example", "kms.c.example"
ALICE, CAROL = "sip:alice@a.example", "sip:carol@a.example"
BOB, EVE = "sip:bob@b.example", "sip:eve@b.example"
DAVE = "sip:dave@c.example"


def _rewrite_first(raw: bytes, old: str, new: str) -> bytes:
    """``old`` replaced by ``new`` (same length) at its first place: in TRANSFER_INIT the IDR
    payloads come before the TICKET (RFC 6043 4.2.2.1), whose policy names them again."""
    assert len(old) == len(new) and old.encode() in raw
    return raw.replace(old.encode(), new.encode(), 1)


class TicketDriver(Driver):
    """``procedure``: ONE_DOMAIN (HTTPS loopback) or TWO_DOMAINS (sans-IO KMSs), or a mutant."""

    def __init__(self, procedure: Procedure, now: int) -> None:
        self.procedure = procedure
        self.two = procedure.name == TWO_DOMAINS.name
        self.now = now
        self.runs = 0
        self.home = {ALICE: KMS_A, CAROL: KMS_A, BOB: KMS_B if self.two else KMS_A,
                     EVE: KMS_B if self.two else KMS_A, DAVE: KMS_C}
        self.kms_of_ue = {"alice": "kms_a", "bob": "kms_b" if self.two else "kms_a",
                          "dave": "kms_c"}
        self.keys: dict[str, Any] = {}

    # -- the parties (the world's)
    @abstractmethod
    def initiator(self, uri: str, as_user: str | None = None) -> Initiator:
        """The subclass's transport: HTTPS loopback or the sans-IO KMSs."""

    @abstractmethod
    def responder(self, uri: str, as_user: str | None = None) -> Responder:
        """The subclass's transport: HTTPS loopback or the sans-IO KMSs."""

    @abstractmethod
    def kms_deliver(self, d: Delivery) -> list[Delivery]:
        """The subclass's transport: HTTPS loopback or the sans-IO KMSs."""

    @abstractmethod
    def kms_snapshot(self, to: str) -> Any:
        """The subclass's transport: HTTPS loopback or the sans-IO KMSs."""

    def setup_parties(self) -> None:
        self.ues: dict[str, Any] = {
            "alice": self.initiator(ALICE), "dave": self.initiator(DAVE),
            "carol-as-alice": self.initiator(ALICE, CAROL),
            "bob": self.responder(BOB), "eve": self.responder(EVE),
            "eve-as-bob": self.responder(BOB, EVE),
        }

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """The endpoints run :attr:`procedure` (a mutant) inside the block."""
        name = "TWO_DOMAINS" if self.two else "ONE_DOMAIN"
        old = getattr(endpoints, name)
        setattr(endpoints, name, self.procedure)
        try:
            yield
        finally:
            setattr(endpoints, name, old)

    @classmethod
    def runs_steps(cls, procedure: Procedure) -> frozenset[str] | None:
        """Under TWO_DOMAINS the runtime runs the responder, KMS_R and KMS_I's Zk step; the
        request exchange and the initiator run on ONE_DOMAIN (``endpoints``)."""
        if procedure.name != TWO_DOMAINS.name:
            return None
        return frozenset(s.number for s in procedure.steps
                         if s.role in ("responder", "kms_r") or s.message == "RESOLVE_INIT_ZK")

    # -- legal runs
    def start(self, data: st.DataObject) -> list[Delivery]:
        reusable = data.draw(st.booleans(), label="reusable (J flag)")
        self.runs += 1
        return [self._request("alice", BOB, self.now + self.runs, reusable)]

    def _request(self, who: str, responder: str, now: int, reusable: bool = False) -> Delivery:
        raw = self.ues[who].request_ticket(responder, now=now, reusable=reusable)
        kms = self.kms_of_ue["alice" if who == "carol-as-alice" else who]
        return Delivery("REQUEST_INIT", kms, raw, now, {"from": who})

    def deliver(self, d: Delivery) -> list[Delivery]:
        if d.to.startswith("kms"):
            return self.kms_deliver(d)
        ue = self.ues[d.to]
        try:
            if d.message == "REQUEST_RESP":
                raw = ue.receive_request_resp(d.octets, now=d.now)
                return [Delivery("TRANSFER_INIT", "bob", raw, d.now, {"from": d.to})]
            if d.message == "TRANSFER_INIT":
                step = ue.receive_transfer_init(d.octets, now=d.now)
                if not step.to_kms:
                    self.keys[d.to] = step.keys
                    return [Delivery("TRANSFER_RESP", d.context.get("from", "alice"),
                                     step.octets, d.now)]
                kms = "kms_b" if self.two else "kms_a"
                return [Delivery("RESOLVE_INIT", kms, step.octets, d.now, {"from": d.to})]
            if d.message == "RESOLVE_RESP":
                raw, keys = ue.receive_resolve_resp(d.octets, now=d.now)
                self.keys[d.to] = keys
                return [Delivery("TRANSFER_RESP", "alice", raw, d.now)]
            if d.message == "TRANSFER_RESP":
                self.keys[d.to] = ue.receive_transfer_resp(d.octets, now=d.now)
                return []
        except MckmError as exc:
            raise Refused(Observed.of(exc)) from exc
        raise AssertionError(f"no endpoint takes {d!r}")

    def finish(self, run: Run) -> None:
        alice, bob = self.keys.pop("alice"), self.keys.pop("bob")
        assert (alice.mpki.reveal(), alice.tgk.reveal()) == (bob.mpki.reveal(),
                                                             bob.tgk.reveal())

    def snapshot(self, to: str) -> Any:
        if to.startswith("kms"):
            return self.kms_snapshot(to)
        ue = self.ues[to]
        state = None if ue.machine is None else (ue.machine.state, id(ue.machine))
        if isinstance(ue, Responder):
            return (state, sorted(ue.replay_cache.items()), sorted(map(repr, ue.reusable.entries)))
        return state

    # -- threats
    def span(self, d: Delivery, target: str) -> tuple[int, int] | None:
        return mikey_spans.span(d.octets, target)

    def delay(self, threat: Threat) -> int | None:
        return {"expired": DEFAULT_VALIDITY + 1, "not-yet-valid": -60}.get(threat.kind)

    def _until(self, pending: list[Delivery], message: str) -> Delivery:
        """Deliver ``pending`` on, until ``message`` is the next delivery (returned)."""
        while pending:
            d = pending.pop(0)
            if d.message == message:
                return d
            pending[:0] = self.deliver(d)
        raise AssertionError(f"no {message} came")

    def _reuse(self, threat: Threat, data: st.DataObject, now: int) -> Attack:
        """Threats against a reusable ticket Bob holds (seed B.2.2.2 step 1 -> 10; RFC 6043
        5.3): a transfer with the J flag completes, Alice offers the ticket again."""
        run = play(self, data, first=[self._request("alice", BOB, now, reusable=True)])
        self.finish(run)
        at = now + (self.delay(threat) or 0)
        alice = self.ues["alice"]
        if threat.kind == "wrong-identity":  # a compromised Alice, who holds MPKi, offers her
            alice.machine.vars["uri"] = CAROL  # ticket as Carol's (IDRi), correctly MACed
        d = Delivery("TRANSFER_INIT", "bob", alice.offer_again(now=at), at, {"from": "alice"})
        if threat.kind == "tamper":
            where = mikey_spans.span(d.octets, threat.target.split()[-1])
            bit = data.draw(st.integers(where[0], where[1] - 1), label="bit flipped")
            return Attack(Delivery(d.message, d.to, flip(d.octets, bit), d.now))
        if threat.kind == "replay":
            self.finish(play(self, data, first=[d]))
            return Attack(d)
        if threat.kind == "misaddressed":
            return Attack(Delivery(d.message, d.to, _rewrite_first(d.octets, BOB, EVE), at))
        return Attack(d)  # expired, not yet valid: delivered at ``at``

    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind, message = threat.kind, threat.message
        now = self.now + self.runs + 1
        self.runs += 1
        if message == "REQUEST_INIT" and kind == "wrong-identity":  # Carol's B-TID, Alice's name
            return Attack(self._request("carol-as-alice", BOB, now))
        if message == "REQUEST_INIT" and kind == "misaddressed":
            d = self._request("alice", BOB, now)
            return Attack(Delivery(d.message, "kms_b" if self.two else "kms_other", d.octets,
                                   d.now))
        if message == "TRANSFER_INIT" and threat.target.startswith("reused"):
            return self._reuse(threat, data, now)
        if message == "TRANSFER_INIT" and kind in ("misaddressed", "wrong-identity"):
            held = play(self, data, stop_before="TRANSFER_INIT").held
            assert held is not None
            if kind == "misaddressed":  # Bob's TRANSFER_INIT at Eve
                return Attack(Delivery(held.message, "eve", held.octets, held.now))
            raw = _rewrite_first(held.octets, ALICE, CAROL)  # IDRi: not the ticket's initiator
            return Attack(Delivery(held.message, held.to, raw, held.now))
        if message == "TRANSFER_INIT" and kind == "tamper":  # resolved, then refused
            held = play(self, data, stop_before="TRANSFER_INIT").held
            assert held is not None
            where = mikey_spans.span(held.octets, threat.target)
            bit = data.draw(st.integers(where[0], where[1] - 1), label="bit flipped")
            tampered = Delivery(held.message, held.to, flip(held.octets, bit), held.now)
            if threat.target == "RANDRi":  # V checked with the resolved MPKi (REQ-TKT-22)
                return Attack(self._until([tampered], "RESOLVE_RESP"))
            # the Ticket Data: the honest responder resolves it; the issuing KMS refuses
            first = self.deliver(tampered)
            return Attack(self._until(first, "RESOLVE_INIT_ZK") if self.two else first[0])
        if message == "RESOLVE_INIT" and kind in ("wrong-identity", "unauthorised"):
            held = play(self, data, stop_before="TRANSFER_INIT").held
            assert held is not None
            if kind == "wrong-identity":  # Eve's B-TID and NAF key, Bob's name
                out = self.deliver(Delivery(held.message, "eve-as-bob", held.octets, held.now))
            else:  # Eve resolves Bob's ticket in her own name (the TI's IDRr rewritten)
                out = self.deliver(Delivery(held.message, "eve",
                                            _rewrite_first(held.octets, BOB, EVE), held.now))
            (resolve,) = out
            return Attack(resolve)
        if message == "RESOLVE_INIT" and kind == "untrusted-peer":  # a ticket from KMS_C
            first = [self._request("dave", BOB, now)]
            return Attack(self._until(first, "RESOLVE_INIT"))
        if message in ("RESOLVE_INIT_ZK", "RESOLVE_RESP_ZK") and kind in (
                "untrusted-peer", "forged-signature", "misaddressed", "unauthorised"):
            held = play(self, data, stop_before=message).held
            assert held is not None
            if kind in ("unauthorised", "misaddressed") and threat.target == "IDRr":
                # no MIKEY integrity on Zk (REQ-TKT-17, -19): what a dishonest peer KMS sends
                raw = _rewrite_first(held.octets, BOB, EVE)
                return Attack(Delivery(held.message, held.to, raw, held.now, held.context))
            link = held.context["link"]
            if kind == "untrusted-peer":
                link = ZkLink(KMS_C, True, link.addressed_to)
            elif kind == "forged-signature":
                link = ZkLink(link.peer, False, link.addressed_to)
            else:  # misaddressed: the association says it is for KMS_C
                link = ZkLink(link.peer, True, KMS_C)
            return Attack(Delivery(held.message, held.to, held.octets, held.now,
                                   {**held.context, "link": link}))
        return None


class HttpsTicketDriver(TicketDriver):
    """ONE_DOMAIN: the KMS behind its real Ua HTTPS endpoint, its clock the delivery's."""

    def __init__(self, procedure: Procedure = ONE_DOMAIN) -> None:
        super().__init__(procedure, ntp_now())
        self.world: Loopback = start_loopback({ALICE: KMS_A, CAROL: KMS_A, BOB: KMS_A,
                                               EVE: KMS_A, DAVE: KMS_C})
        self.clients = {"kms_a": self.world.ua_client(KMS_A),
                        "kms_other": self.world.ua_client(KMS_C)}
        self.setup_parties()

    def initiator(self, uri: str, as_user: str | None = None) -> Initiator:
        return Initiator(uri, self.world.home[uri], self.world.contexts[as_user or uri])

    def responder(self, uri: str, as_user: str | None = None) -> Responder:
        return Responder(uri, self.world.home[uri], self.world.contexts[as_user or uri])

    def kms_deliver(self, d: Delivery) -> list[Delivery]:
        service = self.world.kms[KMS_A if d.to == "kms_a" else KMS_C]
        service.clock = lambda: d.now
        request = RequestType.TICKET_REQUEST if d.message == "REQUEST_INIT" \
            else RequestType.TICKET_RESOLVE
        try:
            answer = self.clients[d.to].send(request, d.octets)
        except HttpRefusal as exc:  # a MIKEY refusal: 200 OK + Error message (TS 33.328 A.2)
            numbers = exc.mikey_errors
            raise Refused(Observed(numbers[0] if numbers else None, exc.status,
                                   str(exc))) from exc
        if d.message == "REQUEST_INIT":
            return [Delivery("REQUEST_RESP", str(d.context["from"]), answer, d.now)]
        return [Delivery("RESOLVE_RESP", str(d.context["from"]), answer, d.now)]

    def kms_snapshot(self, to: str) -> Any:
        kms = self.world.kms[KMS_A if to == "kms_a" else KMS_C].kms
        return sorted(kms.replay_cache.items())

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
        self.world.close()


class MemoryTicketDriver(TicketDriver):
    """TWO_DOMAINS: the sans-IO KMSs, the Zk hops as deliveries with their ZkLink."""

    def __init__(self, procedure: Procedure = TWO_DOMAINS) -> None:
        super().__init__(procedure, 3_900_000_000)
        bsf = Bsf()
        for uri in self.home:
            bsf.provision(context(uri))
        trust = TrustRelation.of([(KMS_A, KMS_B)], mutual=True)
        self.kms = {f"kms_{u[4]}": Kms(u, tpk=_octets("TPK " + u), bsf=bsf, trust=trust)
                    for u in (KMS_A, KMS_B, KMS_C)}
        self.setup_parties()

    def initiator(self, uri: str, as_user: str | None = None) -> Initiator:
        return Initiator(uri, self.home[uri], context(as_user or uri))

    def responder(self, uri: str, as_user: str | None = None) -> Responder:
        return Responder(uri, self.home[uri], context(as_user or uri))

    def kms_deliver(self, d: Delivery) -> list[Delivery]:
        kms = self.kms[d.to]
        try:
            if d.message == "REQUEST_INIT":
                raw = kms.receive_request(d.octets, now=d.now)
                return [Delivery("REQUEST_RESP", str(d.context["from"]), raw, d.now)]
            if d.message == "RESOLVE_INIT":
                out = kms.receive_resolve(d.octets, now=d.now)
                if isinstance(out, Forward):
                    to = next(k for k, v in self.kms.items() if v.uri == out.to)
                    return [Delivery("RESOLVE_INIT_ZK", to, out.octets, d.now,
                                     {"link": ZkLink(kms.uri, True, out.to), "forward": out,
                                      "back": d.to, "from": d.context["from"]})]
                return [Delivery("RESOLVE_RESP", str(d.context["from"]), out, d.now)]
            if d.message == "RESOLVE_INIT_ZK":
                raw = kms.receive_zk_resolve(d.octets, d.context["link"], now=d.now)
                back = d.context["back"]
                return [Delivery("RESOLVE_RESP_ZK", back, raw, d.now,
                                 {**d.context, "link": ZkLink(kms.uri, True, self.kms[back].uri)})]
            if d.message == "RESOLVE_RESP_ZK":
                raw = kms.complete(d.context["forward"], d.octets, d.context["link"], now=d.now)
                return [Delivery("RESOLVE_RESP", str(d.context["from"]), raw, d.now)]
        except MckmError as exc:
            raise Refused(Observed.of(exc)) from exc
        raise AssertionError(f"no KMS endpoint takes {d!r}")

    def kms_snapshot(self, to: str) -> Any:
        return sorted(self.kms[to].replay_cache.items())
