"""MIKEY-TICKET (seed 002 B.2.2.2, B.2.2.3; RFC 6043) on its public end points: the UEs'
:class:`Initiator` / :class:`Responder` and the KMSs over real HTTPS (``start_loopback``: a BSF
over HTTPS, KMS services on 127.0.0.1 with Ua over TLS, TS 33.328 A.2) - one KMS
(:class:`HttpsTicketDriver`), or two KMS domains and an untrusted third with Zk over mutual TLS
(A.3) through a relay the driver holds, so each Zk hop is a delivery with its :class:`ZkLink`
and the Zk threats reach KMS_I and KMS_R (:class:`HttpsTwoKmsTicketDriver`).

Users: Alice (initiator) and Carol at KMS_A, Bob (responder) and Eve at Bob's KMS, Dave at
KMS_C, which nobody trusts.  Alice/Carol and Bob/Eve have URIs of one length, so an identity is
rewritten in place in the octets.  For a mutant the driver's :meth:`TicketDriver.using` puts the
model into ``endpoints`` (and so into the KMS services of this process) and takes it out.
"""

from __future__ import annotations

import contextlib
import queue
import ssl
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from mckm.impl.errors import MckmError
from mckm.impl.roles.ticket import endpoints
from mckm.impl.roles.ticket.effects import DEFAULT_VALIDITY
from mckm.impl.roles.ticket.endpoints import Forward, Initiator, Kms, Responder
from mckm.impl.roles.ticket.loopback import Loopback, start_loopback
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.roles.ticket.wire import ZkLink
from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.https_ticket import DomainTrust, HttpsEndpoint, TicketHttpClient
from mckm.impl.transport.ticket_http import (
    HttpRefusal,
    PeerIdentity,
    ReferencePoint,
    RequestType,
    TicketHttpRequest,
    TicketHttpResponse,
    dispatch,
)
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
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
    """``procedure``: ONE_DOMAIN or TWO_DOMAINS (each over HTTPS), or a mutant."""

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
        self._refusals: dict[str, MckmError] = {}
        self._forwards: dict[bytes, Forward] = {}

    # -- the parties (the world's)
    @abstractmethod
    def initiator(self, uri: str, as_user: str | None = None) -> Initiator:
        """The subclass's transport: one KMS, or two domains with Zk, over HTTPS."""

    @abstractmethod
    def responder(self, uri: str, as_user: str | None = None) -> Responder:
        """The subclass's transport: one KMS, or two domains with Zk, over HTTPS."""

    @abstractmethod
    def kms_deliver(self, d: Delivery) -> list[Delivery]:
        """The subclass's transport: one KMS, or two domains with Zk, over HTTPS."""

    @abstractmethod
    def kms_snapshot(self, to: str) -> Any:
        """The subclass's transport: one KMS, or two domains with Zk, over HTTPS."""

    def _spy(self, kms: Kms) -> None:
        """Record each role call's refusal (its requirement, which the wire does not carry: a
        KMS refusal is 200 OK + MIKEY Error, TS 33.328 A.2) and each Forward (for a Zk answer
        the TLS cannot carry); the calls themselves are unchanged."""
        def spied(method: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    out = method(*args, **kwargs)
                except MckmError as exc:
                    self._refusals[kms.uri] = exc
                    raise
                if isinstance(out, Forward):
                    self._forwards[out.octets] = out
                return out
            return call
        for name in ("receive_request", "receive_resolve", "receive_zk_resolve", "complete"):
            setattr(kms, name, spied(getattr(kms, name)))

    def _observed(self, exc: HttpRefusal, uri: str) -> Refused:
        """A refusal seen on the wire: its MIKEY error and status; the requirement the
        refusing role raised, if a role refused."""
        numbers = exc.mikey_errors
        role = self._refusals.get(uri)
        return Refused(Observed(numbers[0] if numbers else None, exc.status, str(exc),
                                None if role is None else Observed.of(role).requirement))

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
        for service in self.world.kms.values():
            self._spy(service.kms)
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
        self._refusals.clear()
        try:
            answer = self.clients[d.to].send(request, d.octets)
        except HttpRefusal as exc:  # a MIKEY refusal: 200 OK + Error message (TS 33.328 A.2)
            raise self._observed(exc, service.kms.uri) from exc
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


class _HeldZk:
    """A Zk request KMS_R sent (TS 33.328 A.3), held at the relay: its MIKEY octets, the
    domain KMS_R's client certificate proved (``peer``) and the domain whose certificate the
    relay showed (``to``); the relay answers it with :meth:`reply`.  No octets in the repr."""

    def __init__(self, octets: bytes, peer: str, to: str) -> None:
        self.octets, self.peer, self.to = octets, peer, to
        self.answer: TicketHttpResponse | None = None
        self.answered = threading.Event()
        self.ua: Future[bytes] | None = None  # the responder's Ua request waiting on it

    def reply(self, answer: TicketHttpResponse) -> bool:
        if self.answered.is_set():
            return False
        self.answer = answer
        self.answered.set()
        return True

    def __repr__(self) -> str:
        return f"_HeldZk({self.peer} -> {self.to}, {len(self.octets)} octets)"


class _ZkRelay:
    """The Zk wire from KMS_R to one peer KMS, in the test's hands: a mutual-TLS endpoint (the
    real :class:`HttpsEndpoint`, Annex A binding) holding a certificate of that peer's domain,
    so KMS_R's Zk client (which checks the server belongs to the KMS it forwards to) talks to
    it.  Each request is handed to ``arrive`` and answered with what the driver later gives
    its :class:`_HeldZk` (504 if nothing within :data:`WAIT` seconds)."""

    WAIT = 60.0

    def __init__(self, domain: str, identity: TlsIdentity, trust: DomainTrust,
                 arrive: Callable[[_HeldZk], None]) -> None:
        self.domain, self.arrive = domain, arrive
        self.endpoint = HttpsEndpoint(self._app, identity, trust=trust, name="zk-relay").start()

    def _app(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
             peer: PeerIdentity | None, problem: str | None) -> TicketHttpResponse:
        if problem is not None:
            return TicketHttpResponse.refusal(403, problem)
        return dispatch(self._held, method, target, headers, body,
                        reference_point=ReferencePoint.ZK, peer=peer)

    def _held(self, request: TicketHttpRequest) -> TicketHttpResponse:
        assert request.peer is not None  # the binding refuses Zk without one
        held = _HeldZk(request.body, request.peer.domain, self.domain)
        self.arrive(held)
        if not held.answered.wait(self.WAIT):
            held.reply(TicketHttpResponse.refusal(504, "the test never answered"))
        assert held.answer is not None
        return held.answer


def _tls_refuses(client: TicketHttpClient, octets: bytes) -> None:
    """The real Zk TLS refuses ``client``: the handshake fails (a certificate not verified, or
    none where one is required: the server's alert or its closing the connection), or the
    binding answers 403 for a verified certificate it does not accept; no octet reaches the
    role.  A server that cannot be reached at all is not a refusal (ConnectionRefusedError)."""
    try:
        answer = client.post(RequestType.TICKET_RESOLVE, octets)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return
    finally:
        client.close()
    assert answer.status != 200, "mutual TLS on Zk let an association through that it must " \
                                 "refuse (TS 33.328 A.3, seed 002 4.2.4)"


class HttpsTwoKmsTicketDriver(TicketDriver):
    """TWO_DOMAINS over the real transports: KMS_A, KMS_B and KMS_C as :class:`KmsService` s
    behind their Ua HTTPS endpoints, a BSF over HTTPS (Zn), and Zk over mutual TLS (TS 33.328
    A.2, A.3; seed 002 4.2.4) through a relay the driver holds, so each Zk hop is a delivery:

    - KMS_B's Zk peers point at relays (:class:`_ZkRelay`) with a certificate of the peer's
      domain; what KMS_B forwards becomes a RESOLVE_INIT_ZK delivery (its ``ZkLink``: the
      domain KMS_B's client certificate proved, authenticated, addressed to the relay's
      domain) while the responder's Ua request waits;
    - a RESOLVE_INIT_ZK is POSTed to KMS_I's real Zk endpoint with the client certificate of
      the link's peer (KMS_B's own, or KMS_C's for an untrusted source); the answer is a
      RESOLVE_RESP_ZK delivery, which the relay hands to KMS_B as the answer to its request;
    - a link mutual TLS cannot carry (an association that authenticated nobody; a request for
      another KMS; an answer from a server other than the KMS asked) is first shown refused by
      the real TLS (:func:`_tls_refuses`: no client certificate, or a server certificate of
      another domain), then given to the role behind it in-process (the service's ``Kms``
      under its lock), whose guard is what the catalogue names (defence in depth);
    - a KMS refusal is 200 OK with a MIKEY Error message (TS 33.328 A.2): its error number and
      status are what the wire says; the requirement is the one the refusing role raised (the
      KMS's own account, which the wire does not carry).

    Nobody trusts KMS_C and KMS_C trusts nobody; KMS_A and KMS_B trust each other.  Held Zk
    requests the attack never answers are released (a 502 to KMS_B) before the next run.
    """

    def __init__(self, procedure: Procedure = TWO_DOMAINS) -> None:
        super().__init__(procedure, ntp_now())
        self.world: Loopback = start_loopback(
            self.home, untrusted=[(KMS_A, KMS_C), (KMS_C, KMS_A), (KMS_B, KMS_C),
                                  (KMS_C, KMS_B)])
        self.uri = {f"kms_{u[4]}": u for u in self.world.kms}
        for service in self.world.kms.values():
            self._spy(service.kms)
        self._inbox: queue.Queue[tuple[str, Any]] | None = None
        self._held: list[_HeldZk] = []
        self._ua = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ua")
        self._zk: dict[tuple[str, str], TicketHttpClient] = {}
        every = DomainTrust.of(*(self.world.cas[u] for u in self.world.kms))
        kms_r = self.world.kms[KMS_B]
        self.relays = [_ZkRelay(uri, self.world.cas[uri].issue("zk-relay"), every, self._arrive)
                       for uri in kms_r.peers]
        for relay in self.relays:
            kms_r.set_peer(replace(kms_r.peers[relay.domain],
                                   zk=(relay.endpoint.host, relay.endpoint.port)))
        self.setup_parties()

    def initiator(self, uri: str, as_user: str | None = None) -> Initiator:
        return Initiator(uri, self.world.home[uri], self.world.contexts[as_user or uri])

    def responder(self, uri: str, as_user: str | None = None) -> Responder:
        return Responder(uri, self.world.home[uri], self.world.contexts[as_user or uri])

    # -- the relay's side (its server threads)
    def _arrive(self, held: _HeldZk) -> None:
        inbox = self._inbox
        if inbox is None:  # no Ua request in flight: nobody forwards this
            held.reply(TicketHttpResponse.refusal(502, "no run in flight"))
            return
        inbox.put(("zk", held))

    def _release(self) -> None:
        """Answer the held Zk requests no delivery answered (502: dropped in transit) and wait
        for their Ua requests to end, so no earlier run acts during the next."""
        held, self._held = self._held, []
        for h in held:
            h.reply(TicketHttpResponse.refusal(502, "dropped in transit"))
        for h in held:
            if h.ua is not None:
                with contextlib.suppress(HttpRefusal, OSError):
                    h.ua.result(timeout=_ZkRelay.WAIT)

    def start(self, data: st.DataObject) -> list[Delivery]:
        self._release()
        return super().start(data)

    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        self._release()
        return super().forge(threat, data)

    # -- deliveries
    def _clock(self, uri: str, now: int) -> None:
        self.world.kms[uri].clock = lambda: now

    def kms_deliver(self, d: Delivery) -> list[Delivery]:
        self._refusals.clear()
        if d.message in ("REQUEST_INIT", "RESOLVE_INIT"):
            return self._ua_request(d)
        if d.message == "RESOLVE_INIT_ZK":
            return self._zk_request(d)
        if d.message == "RESOLVE_RESP_ZK":
            return self._zk_answer(d)
        raise AssertionError(f"no KMS endpoint takes {d!r}")

    def _ua_post(self, uri: str, request: RequestType, octets: bytes) -> bytes:
        client = self.world.ua_client(uri)
        try:
            return client.send(request, octets)
        finally:
            client.close()

    def _ua_request(self, d: Delivery) -> list[Delivery]:
        """The UE's POST on Ua (in a thread: a resolve KMS_B forwards waits for Zk); the
        answer, or the Zk request the relay caught meanwhile."""
        uri = self.uri[d.to]
        self._clock(uri, d.now)
        request = RequestType.TICKET_REQUEST if d.message == "REQUEST_INIT" \
            else RequestType.TICKET_RESOLVE
        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._inbox = inbox
        ua = self._ua.submit(self._ua_post, uri, request, d.octets)
        ua.add_done_callback(lambda f: inbox.put(("done", f)))
        try:
            kind, item = inbox.get(timeout=_ZkRelay.WAIT)
        finally:
            self._inbox = None
        if kind == "zk":
            held: _HeldZk = item
            held.ua = ua
            self._held.append(held)
            to = next(k for k, u in self.uri.items() if u == held.to)
            return [Delivery("RESOLVE_INIT_ZK", to, held.octets, d.now,
                             {"link": ZkLink(held.peer, True, held.to), "held": held,
                              "back": d.to, "from": d.context["from"]})]
        return self._ua_answer(d.message, uri, d.context, ua, d.now)

    def _ua_answer(self, message: str, uri: str, context: Mapping[str, Any],
                   ua: Future[bytes], now: int) -> list[Delivery]:
        try:
            raw = ua.result(timeout=_ZkRelay.WAIT)
        except HttpRefusal as exc:  # a MIKEY refusal: 200 OK + Error message (TS 33.328 A.2)
            raise self._observed(exc, uri) from exc
        answer = "REQUEST_RESP" if message == "REQUEST_INIT" else "RESOLVE_RESP"
        return [Delivery(answer, str(context["from"]), raw, now)]

    def _zk_client(self, peer: str, target: str) -> TicketHttpClient:
        """KMS ``peer``'s mutual-TLS client of ``target``'s real Zk endpoint (kept alive)."""
        client = self._zk.get((peer, target))
        if client is None:
            zk = self.world.kms[target].zk
            assert zk is not None
            client = self._zk[(peer, target)] = TicketHttpClient(
                zk.host, zk.port, trust=DomainTrust.of(self.world.cas[target]),
                identity=self.world.kms[peer].identity, expect_domain=target)
        return client

    def _zk_request(self, d: Delivery) -> list[Delivery]:
        """RESOLVE_INIT_ZK at KMS_I (steps 8-10)."""
        target, link = self.uri[d.to], d.context["link"]
        service = self.world.kms[target]
        self._clock(target, d.now)
        back = self.uri[str(d.context["back"])]
        answer = ZkLink(target, True, back)  # what KMS_R's TLS says of the relay's answer
        if link.authenticated and link.addressed_to == target and link.peer in self.world.kms \
                and link.peer != target:
            try:
                raw = self._zk_client(link.peer, target).send(RequestType.TICKET_RESOLVE,
                                                              d.octets)
            except HttpRefusal as exc:
                raise self._observed(exc, target) from exc
        else:
            zk = service.zk
            assert zk is not None
            if not link.authenticated:  # an association that authenticated nobody
                _tls_refuses(TicketHttpClient(zk.host, zk.port,
                                              ca_pem=self.world.cas[target].cert_pem), d.octets)
            if link.addressed_to != target:  # KMS_R's client checks whom it reached
                _tls_refuses(TicketHttpClient(
                    zk.host, zk.port, trust=DomainTrust.of(self.world.cas[link.addressed_to]),
                    identity=self.world.kms[back].identity, expect_domain=link.addressed_to),
                    d.octets)
            try:
                with service.lock:
                    raw = service.kms.receive_zk_resolve(d.octets, link, now=d.now)
            except MckmError as exc:
                raise Refused(Observed.of(exc)) from exc
        return [Delivery("RESOLVE_RESP_ZK", str(d.context["back"]), raw, d.now,
                         {**d.context, "link": answer})]

    def _zk_answer(self, d: Delivery) -> list[Delivery]:
        """RESOLVE_RESP_ZK at KMS_R (steps 11-12): the relay answers KMS_R's held request."""
        held, link = d.context.get("held"), d.context["link"]
        assert isinstance(held, _HeldZk) and not held.answered.is_set() and held.ua, \
            f"no Zk request of KMS_R waits for {d!r}"
        uri = self.uri[d.to]
        if link == ZkLink(held.to, True, uri):
            held.reply(TicketHttpResponse.mikey(d.octets))
            self._held.remove(held)
            return self._ua_answer("RESOLVE_INIT", uri, d.context, held.ua, d.now)
        service = self.world.kms[uri]
        peer = service.peers[held.to]
        if not link.authenticated or link.peer != held.to:
            # KMS_R's Zk client for held.to accepts no server of another domain, nor one
            # that authenticates as nobody it knows (here: the BSF's certificate)
            other = self.world.bsf if not link.authenticated else self.world.kms[link.peer].zk
            assert other is not None
            _tls_refuses(TicketHttpClient(other.host, other.port,
                                          trust=DomainTrust({held.to: peer.ca_pem}),
                                          identity=service.identity, expect_domain=held.to),
                         held.octets)
        try:
            with service.lock:
                raw = service.kms.complete(self._forwards[held.octets], d.octets, link,
                                           now=d.now)
        except MckmError as exc:
            raise Refused(Observed.of(exc)) from exc
        return [Delivery("RESOLVE_RESP", str(d.context["from"]), raw, d.now)]

    def kms_snapshot(self, to: str) -> Any:
        return sorted(self.world.kms[self.uri[to]].kms.replay_cache.items())

    def close(self) -> None:
        self._release()
        for client in self._zk.values():
            client.close()
        for relay in self.relays:
            relay.endpoint.stop()
        self._ua.shutdown(wait=True)
        self.world.close()
