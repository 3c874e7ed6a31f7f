"""The InterKMM roles on SIP MESSAGE: an :class:`EndPoint` (a UE or the IWF) and the
:class:`McxServer` that relays, each a :class:`~mckm.impl.engine.RoleMachine` per message on
``mckm.models.procedures.interkmm``, over :class:`~mckm.impl.transport.sip_message.SipEndpoint`;
the server's sans-IO core is :class:`Relay`.

These adapters move octets: a MESSAGE body becomes a :class:`HopMessage` fed to the machine, a
refusal (:class:`~mckm.impl.engine.StepRefused`) is answered with the SIP status and reason its
guard names (``interkmm.sip_answer``), an accepted message with the model's ``ACCEPTED`` 2xx.
The server answers 202 once the next hop answered 2xx, passes a next hop's refusal back, and
answers 408 when the next hop never answered (Timer F).  The server has two SIP end points, one
towards the UEs (CSK hop) and one towards the IWF (SPK hop), so the hop is known by where a
MESSAGE arrived; both are served by one SIP loop, on which the relay runs (its handler awaits the
next hop's answer there instead of holding a thread).  Each role keeps one replay cache; a
message is processed (guards, effects and the cache's commit) under the role's lock, then sent
on outside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mckm.impl.engine import DictMessage, Emit, RoleMachine, Send, StepRefused
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.errors import UsageError
from mckm.impl.roles.interkmm.effects import EFFECTS, Delivered
from mckm.impl.roles.interkmm.facts import Directory, HopFacts
from mckm.impl.roles.interkmm.view import HopMessage
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import (
    SipEndpoint,
    SipLoop,
    SipNode,
    SipTimeout,
    message_request,
)
from mckm.impl.xmlprotect.keys import Keyring
from mckm.models.procedures import interkmm as model

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01 (RFC 5905 6)
HOP_MESSAGE = {"ue": "INTERKMM_CSK", "iwf": "INTERKMM_SPK"}


def ntp_now() -> int:
    return int(time.time()) + NTP_UNIX_OFFSET


@dataclass(frozen=True)
class Outcome:
    """What an originator's MESSAGE got: the final status and reason, and the octets sent."""

    status: int
    reason: str
    request: SipMessage


def _answer_refusal(exc: StepRefused) -> tuple[int, str]:
    return model.sip_answer(exc.guard)


class _Role:
    """A role's shared state: its variables (the replay cache among them) and its lock."""

    def __init__(self, procedure_role: str, variables: Mapping[str, Any], window: int) -> None:
        self.role = procedure_role
        self.vars = dict(variables)
        self.vars["replay_cache"] = ReplayCache()
        self.lock = threading.Lock()
        self.window = window

    def feed(self, procedure: Any, message: HopMessage, facts: HopFacts, now: int
             ) -> list[Any]:
        """Run one received message through a fresh machine; commit the role's variables only
        when it is accepted."""
        with self.lock:
            run = dict(self.vars)
            machine = RoleMachine(procedure, self.role, vars=run, facts=facts, effects=EFFECTS,
                                  message_factory=DictMessage)
            actions = machine.feed(message, now=now)
            self.vars["replay_cache"] = run["replay_cache"]
            return actions


class EndPoint(SipNode):
    """A UE (``role="ue"``, ``own_id`` its MCPTT ID, ``xpk_id`` its CSK-ID) or the IWF
    (``role="iwf"``, its KMF ID and SPK-ID), with the MCX server's SIP address."""

    def __init__(self, role: str, own_id: str, xpk_id: int, keys: Keyring, *,
                 server: tuple[str, int], directory: Directory | None = None,
                 t1: float = 0.5) -> None:
        if role not in HOP_MESSAGE:
            raise UsageError(f"role {role!r}: ue or iwf")
        self.role, self.own_id, self.keys, self.server = role, own_id, keys, server
        own_var = "mcptt_id" if role == "ue" else "kmf_id"
        self.state = _Role(role, {own_var: own_id, "xpk_id": xpk_id},
                           int(model.POLICY["replay_window"]))
        self.facts = HopFacts(keys, directory or Directory())
        self.delivered: list[Delivered] = []
        self.sip = SipEndpoint(self._on_message, t1=t1, inline=True)

    def send_kmm(self, kmm: bytes, *, peer: str, kmm_type: str = "application/octet-stream",
                 transport: str = "UDP", now: int | None = None) -> Outcome:
        """Originate an InterKMM for ``peer`` (a UE: the IWF's KMF ID; the IWF: the user's
        MCPTT ID) and send it to the MCX server (step 1)."""
        message = self.originate(kmm, peer=peer, kmm_type=kmm_type, now=now)
        return _relay(self.sip, message, self.server, transport)

    def originate(self, kmm: bytes, *, peer: str, kmm_type: str = "application/octet-stream",
                  now: int | None = None) -> Any:
        """Step 1 without sending: the message :meth:`send_kmm` sends (the model's fields, and
        ``content_type`` and ``body``, the MESSAGE's octets)."""
        procedure = model.UE_TO_IWF if self.role == "ue" else model.IWF_TO_UE
        machine = RoleMachine(procedure, self.role, vars=dict(self.state.vars), facts=self.facts,
                              effects=EFFECTS, message_factory=DictMessage)
        (send,) = [a for a in machine.send(HOP_MESSAGE[self.role], now=now or ntp_now(),
                                           params={"kmm": kmm, "kmm_type": kmm_type,
                                                   "peer": peer}) if isinstance(a, Send)]
        return send.message

    def _on_message(self, request: SipMessage, transport: str) -> tuple[int, str]:
        procedure = model.IWF_TO_UE if self.role == "ue" else model.UE_TO_IWF
        message = HopMessage(HOP_MESSAGE[self.role], request.header("Content-Type") or "",
                             request.body, self.keys)
        try:
            actions = self.state.feed(procedure, message, self.facts, ntp_now())
        except StepRefused as exc:
            return _answer_refusal(exc)
        self.delivered += [a.value for a in actions if isinstance(a, Emit) and a.name == "kmm"]
        return model.ACCEPTED[self.role]


def _sip_uri(address: tuple[str, int]) -> str:
    return f"sip:{address[0]}:{address[1]}"


def _onward(sip: SipEndpoint, message: Any, to: tuple[str, int], transport: str) -> SipMessage:
    """``message`` in a MESSAGE to ``to``.  The SIP addressing names the end points' SIP
    addresses only: the KMF ID and the MCPTT ID are protected parameters of the body (seed 000
    7.8.x.3), never in a header."""
    to_uri = _sip_uri(to)
    return message_request(uri=to_uri, from_uri=_sip_uri(sip.address), to_uri=to_uri,
                           local=(sip.address[0], sip.address[1]), transport=transport,
                           content_type=message.get("content_type"), body=message.get("body"))


def _outcome(response: SipMessage, request: SipMessage) -> Outcome:
    parts = response.start.split(" ", 2)
    return Outcome(int(parts[1]), parts[2] if len(parts) > 2 else "", request)


def _unanswered(exc: SipTimeout | OSError, request: SipMessage) -> Outcome:
    """408 when the next hop never answered (Timer F), 503 when it cannot be reached (no route,
    connection refused)."""
    if isinstance(exc, SipTimeout):
        return Outcome(408, "Request Timeout", request)
    return Outcome(503, f"Service Unavailable ({type(exc).__name__})", request)


def _relay(sip: SipEndpoint, message: Any, to: tuple[str, int], transport: str) -> Outcome:
    """Send ``message`` to ``to`` (:func:`_onward`) and wait for the final answer."""
    request = _onward(sip, message, to, transport)
    try:
        return _outcome(sip.send(request, to, transport=transport), request)
    except (SipTimeout, OSError) as exc:
        return _unanswered(exc, request)


async def _relay_on_loop(sip: SipEndpoint, message: Any, to: tuple[str, int], transport: str
                         ) -> Outcome:
    """:func:`_relay` on the SIP loop (the MCX server's handlers run there)."""
    request = _onward(sip, message, to, transport)
    try:
        return _outcome(await sip.exchange(request, to, transport=transport), request)
    except (SipTimeout, OSError) as exc:
        return _unanswered(exc, request)


class Relay:
    """The MCX server's relay without sockets: the model's ``mcx_server`` role over both hops,
    with one replay cache.  ``csks`` holds the UEs' CSKs, ``spks`` the IWFs' SPKs."""

    def __init__(self, *, csks: Keyring, spks: Keyring, directory: Directory) -> None:
        self.state = _Role("mcx_server", {}, int(model.POLICY["replay_window"]))
        self.from_ue = HopFacts(csks, directory, out_keys=spks)
        self.from_iwf = HopFacts(spks, directory, out_keys=csks)

    def process(self, side: str, content_type: str, body: bytes, *, now: int) -> Any:
        """The message to send on (fields ``kmf_id``, ``mcptt_id``, ``content_type``, ``body``
        ...) for an InterKMM received on ``side`` (``"ue"``: CSK hop, ``"iwf"``: SPK hop);
        :class:`~mckm.impl.engine.StepRefused` when a guard refuses it."""
        procedure = model.UE_TO_IWF if side == "ue" else model.IWF_TO_UE
        facts = self.from_ue if side == "ue" else self.from_iwf
        message = HopMessage(HOP_MESSAGE[side], content_type, body, facts.keys)
        actions = self.state.feed(procedure, message, facts, now)
        (send,) = [a for a in actions if isinstance(a, Send)]
        return send.message


class McxServer:
    """The MCX server relaying InterKMMs between UEs (``ue_side``, CSK hop) and the IWF
    (``iwf_side``, SPK hop).  ``csks`` holds the UEs' CSKs, ``spks`` the IWFs' SPKs; the
    directory maps each MCPTT ID to its CSK-ID and each KMF ID to its SPK-ID; ``ues`` and
    ``iwfs`` are the SIP addresses of the peers."""

    def __init__(self, *, csks: Keyring, spks: Keyring, directory: Directory,
                 ues: Mapping[str, tuple[str, int]], iwfs: Mapping[str, tuple[str, int]],
                 transport: str = "UDP", t1: float = 0.5) -> None:
        self.directory = directory
        self.ues, self.iwfs = dict(ues), dict(iwfs)
        self.transport = transport
        self.relay = Relay(csks=csks, spks=spks, directory=directory)
        self.loop = SipLoop("mcx-server")
        self.ue_side = SipEndpoint(lambda r, t: self._on_message(r, "ue"), t1=t1,
                                   loop=self.loop, inline=True)
        self.iwf_side = SipEndpoint(lambda r, t: self._on_message(r, "iwf"), t1=t1,
                                    loop=self.loop, inline=True)

    def start(self) -> McxServer:
        """Serve both sides on one :class:`~mckm.impl.transport.sip_message.SipLoop`: a
        MESSAGE is received, relayed and answered without passing between threads."""
        self.ue_side.start()
        self.iwf_side.start()
        return self

    def close(self) -> None:
        self.ue_side.close()
        self.iwf_side.close()
        self.loop.close()

    async def _on_message(self, request: SipMessage, side: str) -> tuple[int, str]:
        try:
            onward = self.relay.process(side, request.header("Content-Type") or "",
                                        request.body, now=ntp_now())
        except StepRefused as exc:
            return _answer_refusal(exc)
        if side == "ue":
            peer = self.iwfs.get(onward.get("kmf_id"))
            sip = self.iwf_side
        else:
            peer = self.ues.get(onward.get("mcptt_id"))
            sip = self.ue_side
        if peer is None:  # known to the directory, but no SIP address configured
            return 480, "Temporarily Unavailable"
        outcome = await _relay_on_loop(sip, onward, peer, self.transport)
        if 200 <= outcome.status < 300:
            return model.ACCEPTED["mcx_server"]
        return outcome.status, outcome.reason
