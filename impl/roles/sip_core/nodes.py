"""The UE, the SIP core and the MCPTT server of ``sip-registration`` on SIP sockets: each a
:class:`~mckm.impl.engine.RoleMachine` per request over a
:class:`~mckm.impl.transport.sip_message.SipEndpoint` (UDP and TCP on one port).

These adapters move octets.  A request becomes the model's message (:mod:`.view`) fed to a
fresh machine on a copy of the role's variables, committed only when the run succeeds (under the
role's lock, so two requests never interleave their updates).  A refusal
(:class:`~mckm.impl.engine.StepRefused`) is answered with the status and reason phrase its
guard names (``sip_registration.sip_answer``) and a Warning (RFC 3261 20.43, code 399) with the
refusal's text, which names the guard, the requirement and the reason; a 489 carries
Allow-Events (RFC 6665 8.2.2), a 423 Min-Expires (RFC 3261 10.3 step 7).  The SIP core
answers a REGISTER once the MCPTT server answered the third-party REGISTER (or Timer F fired),
and relays the server's answer to a PUBLISH it forwarded: a proxy (RFC 3261 16), its Via on top
of the UE's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mckm.impl.engine import DictMessage, RoleMachine, Send, StepRefused
from mckm.impl.errors import MckmError
from mckm.impl.roles.kms.access_token import TokenVerifier
from mckm.impl.roles.sip_core import view
from mckm.impl.roles.sip_core.body import Profile
from mckm.impl.roles.sip_core.effects import EFFECTS
from mckm.impl.roles.sip_core.facts import Binding, CoreFacts, ServerFacts
from mckm.impl.transport import sip_message
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import (
    SipEndpoint,
    SipNode,
    SipTimeout,
    new_branch,
    response_to,
)
from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.model import Procedure

log = logging.getLogger(__name__)
METHODS = ("REGISTER", "PUBLISH")
#: headers a proxy never copies from a downstream response (response_to writes them)
_OWN = {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq", "content-length", "l"}


def unix_now() -> int:
    return int(time.time())


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"')[:500] + '"'


def refusal(request: SipMessage, exc: StepRefused, host: str) -> SipMessage:
    """The answer to a refused request (module docstring)."""
    code, reason = model.sip_answer(exc.guard)
    text = f"{exc.reason.replace(f' ({exc.clause})', '')} [{exc.requirement}]"
    extra = [("Warning", f"399 {host} {_quoted(text)}")]
    if code == 489:
        extra.append(("Allow-Events", model.EVENT))
    if code == 423:  # RFC 3261 10.3 step 7, 20.23
        extra.append(("Min-Expires", str(model.MIN_EXPIRES)))
    return response_to(request, code, reason, extra=tuple(extra))


class _Role:
    """A role's variables and lock; one fresh machine per request (module docstring).
    ``procedure`` is the model (a mutant of it in the tests that show a guard is what
    refuses)."""

    def __init__(self, role: str, variables: Mapping[str, Any],
                 procedure: Procedure = model.PROCEDURE) -> None:
        self.role, self.procedure = role, procedure
        self.vars: dict[str, Any] = dict(variables)
        self.lock = threading.Lock()

    def feed(self, message: DictMessage, facts: object, now: int) -> list[Any]:
        with self.lock:
            run = dict(self.vars)
            machine = RoleMachine(self.procedure, self.role, vars=run, facts=facts,
                                  effects=EFFECTS, message_factory=DictMessage)
            actions = machine.feed(message, now=now)
            self.vars = run
            return actions


def _sends(actions: list[Any]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


def _uri(address: tuple[str, int], user: str) -> str:
    return f"sip:{user}@{address[0]}:{address[1]}"


# --------------------------------------------------------------------------- MCPTT server


class McpttSipServer(SipNode):
    """The MCPTT server's SIP side: third-party REGISTERs and service authorisation PUBLISHes
    from its SIP core (``core_uri``; its address is given by :meth:`trust_core`), access
    tokens checked by ``verifier`` (audience: this server)."""

    def __init__(self, verifier: TokenVerifier, *, core_uri: str,
                 clock: Callable[[], float] = time.time, host: str = "127.0.0.1",
                 port: int = 0, t1: float = 0.5,
                 procedure: Procedure = model.PROCEDURE) -> None:
        self.verifier, self.clock = verifier, clock
        self.state = _Role("mcptt_server", {
            "core_uri": core_uri, "core_address": "", "registrations": {},
            "scope": model.SERVICE_SCOPE, "tokens_used": {}, "bindings": {}}, procedure)
        self.sip = SipEndpoint(self._on_request, host=host, port=port, t1=t1, methods=METHODS)

    @property
    def uri(self) -> str:
        return _uri(self.address, "mcptt-server")

    def trust_core(self, address: tuple[str, int], uri: str) -> None:
        """The SIP core: its address (its Via sent-by), the only path requests are taken from,
        and its URI (the From of its third-party REGISTERs)."""
        with self.state.lock:
            self.state.vars["core_address"] = f"{address[0]}:{address[1]}"
            self.state.vars["core_uri"] = uri

    def bindings(self) -> dict[str, Binding]:
        """MCPTT ID -> what it is bound to (a copy)."""
        with self.state.lock:
            return dict(self.state.vars["bindings"])

    def registered(self) -> frozenset[str]:
        with self.state.lock:
            return frozenset(self.state.vars["registrations"])

    def _on_request(self, request: SipMessage, transport: str) -> SipMessage:
        method = request.start.split(" ", 1)[0]
        facts: object
        if method == "REGISTER":
            message = view.third_party_register(request)
            facts = ServerFacts(self.verifier, self.clock)
        else:
            message, why = view.publish_asserted(request)
            facts = ServerFacts(self.verifier, self.clock, why)
        try:
            actions = self.state.feed(message, facts, int(self.clock()))
        except StepRefused as exc:
            return refusal(request, exc, self.address[0])
        sends = _sends(actions)
        if not sends:  # the third-party REGISTER: recorded
            return response_to(request, *model.OK, extra=(("Contact", f"<{self.uri}>"),))
        answer = sends[0].message
        return response_to(request, *model.OK, extra=(
            ("SIP-ETag", str(answer.get("etag"))), ("Expires", str(answer.get("expires"))),
            ("Content-Type", str(answer.get("content_type")))), body=answer.get("body"))


# --------------------------------------------------------------------------- SIP core


class SipCore(SipNode):
    """The SIP core: registrar of ``subscribers`` (IMPUs) and proxy towards its one MCPTT
    server (``server``: its SIP address)."""

    def __init__(self, subscribers: frozenset[str] | set[str], *, server: tuple[str, int],
                 host: str = "127.0.0.1", port: int = 0, t1: float = 0.5,
                 transport: str = "UDP", procedure: Procedure = model.PROCEDURE) -> None:
        self.server, self.transport = server, transport
        self.facts = CoreFacts(frozenset(subscribers))
        self.sip = SipEndpoint(self._on_request, host=host, port=port, t1=t1, methods=METHODS)
        self.state = _Role("sip_core", {"core_uri": self.uri, "registrations": {},
                                        "core_address": self.sent_by}, procedure)

    @property
    def sent_by(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"

    @property
    def uri(self) -> str:
        return _uri(self.address, "scscf")

    def _server_uri(self) -> str:
        return _uri(self.server, "mcptt-server")

    def _on_request(self, request: SipMessage, transport: str) -> SipMessage:
        method = request.start.split(" ", 1)[0]
        if method == "REGISTER":
            message = view.register(request)
        else:
            message, _ = view.publish(request)
        try:
            actions = self.state.feed(message, self.facts, unix_now())
        except StepRefused as exc:
            return refusal(request, exc, self.address[0])
        if method == "REGISTER":
            return self._registered(request, _sends(actions))
        (forward,) = _sends(actions)
        return self._forward(request, forward.message)

    def _registered(self, request: SipMessage, sends: list[Send]) -> SipMessage:
        third, answer = sends
        fields = third.message
        three = sip_message.request("REGISTER", self._server_uri(), from_uri=fields.get("core"),
                             to_uri=fields.get("impu"), local=self.address,
                             transport=self.transport, headers=(
                                 ("Contact", f"<{fields.get('core')}>"),
                                 ("Expires", str(fields.get("expires")))))
        try:
            outcome = self.sip.send(three, self.server, transport=self.transport)
            if outcome.status != 200:
                log.info("third-party REGISTER answered %s", outcome.start)
        except (SipTimeout, OSError) as exc:  # the UE's registration stands (REQ-SIPREG-02)
            log.info("third-party REGISTER not answered: %s", exc)
        ok = answer.message
        return response_to(request, *model.OK, extra=(
            ("Contact", f"<{ok.get('contact')}>;expires={ok.get('expires')}"),
            ("Expires", str(ok.get("expires")))))

    def _forward(self, request: SipMessage, fields: Any) -> SipMessage:
        """The PUBLISH on to the MCPTT server (RFC 3261 16.6): the core's Via on top, the
        asserted identity and contact, the UE's own P-Asserted-Identity dropped."""
        own = f"SIP/2.0/{self.transport} {self.sent_by};branch={new_branch()}"
        headers: list[tuple[str, str]] = [("Via", own)]
        for name, value in request.headers:
            low = name.lower()
            if low in ("p-asserted-identity", "contact", "content-length", "l", "route"):
                continue
            if low == "max-forwards":
                value = str(max(0, int(value) - 1)) if value.isdigit() else "69"
            headers.append((name, value))
        headers += [("P-Asserted-Identity", f"<{fields.get('impu')}>"),
                    ("Contact", f"<{fields.get('contact')}>")]
        start = f"PUBLISH {self._server_uri()} SIP/2.0"
        onward = SipMessage(start, tuple(headers), request.body)
        try:
            answer = self.sip.send(onward, self.server, transport=self.transport)
        except SipTimeout:
            return response_to(request, 408, "Request Timeout")
        except OSError as exc:
            return response_to(request, 503, f"Service Unavailable ({type(exc).__name__})")
        parts = answer.start.split(" ", 2)
        extra = tuple((k, v) for k, v in answer.headers if k.lower() not in _OWN)
        return response_to(request, int(parts[1]), parts[2] if len(parts) > 2 else "",
                           extra=extra, body=answer.body)


# --------------------------------------------------------------------------- UE


@dataclass(frozen=True)
class Outcome:
    """A UE request's final answer: status, reason, the response, and what the UE made of it
    (its refusal of the answer, if any)."""

    status: int
    reason: str
    response: SipMessage | None
    refused: MckmError | None = None


class SipUe(SipNode):
    """A UE registering ``impu`` with the SIP core at ``core`` and publishing its access token,
    run by the engine (role ``ue``)."""

    def __init__(self, impu: str, mcptt_id: str, *, core: tuple[str, int],
                 host: str = "127.0.0.1", t1: float = 0.5, transport: str = "UDP") -> None:
        self.core, self.transport = core, transport
        self.sip = SipEndpoint(None, host=host, t1=t1, methods=())
        self.vars: dict[str, Any] = {"impu": impu, "mcptt_id": mcptt_id}
        self.machine = RoleMachine(model.PROCEDURE, "ue", vars=self.vars, facts=object(),
                                   effects=EFFECTS, message_factory=DictMessage)

    @property
    def contact(self) -> str:
        return _uri(self.sip.address, "ue")

    @property
    def profile(self) -> Profile | None:
        found = self.vars.get("profile")
        return found if isinstance(found, Profile) else None

    def register(self, expires: int = 3600) -> Outcome:
        before = self.machine.state
        (send,) = _sends(self.machine.send("REGISTER", now=unix_now(), params={
            "contact": self.contact, "expires": expires}))
        m = send.message
        request = sip_message.request("REGISTER", f"sip:{self.core[0]}:{self.core[1]}",
                               from_uri=m.get("impu"), to_uri=m.get("impu"),
                               local=self.sip.address, transport=self.transport, headers=(
                                   ("Contact", f"<{m.get('contact')}>"),
                                   ("Expires", str(m.get("expires")))))
        return self._exchange(request, view.register_ok, before)

    def publish(self, token: str) -> Outcome:
        before = self.machine.state
        (send,) = _sends(self.machine.send("PUBLISH", now=unix_now(),
                                           params={"token": token}))
        m = send.message
        request = sip_message.request("PUBLISH", "sip:mcptt-server@" + self.core[0], from_uri=m.get(
            "impu"), to_uri=m.get("impu"), local=self.sip.address, transport=self.transport,
            headers=(("Event", m.get("event")), ("Expires", "3600"),
                     ("Content-Type", m.get("content_type"))), body=m.get("body"))
        return self._exchange(request, view.publish_ok, before)

    def _exchange(self, request: SipMessage, read: Callable[[SipMessage], DictMessage],
                  before: str) -> Outcome:
        """Send ``request``; a 200 is fed to the machine, anything else puts the UE back in
        the state it sent from (``before``), so that it may try again."""
        try:
            response = self.sip.send(request, self.core, transport=self.transport)
        except SipTimeout:
            self.machine.state = before
            return Outcome(408, "Request Timeout", None)
        parts = response.start.split(" ", 2)
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
        if status != 200:
            self.machine.state = before
            return Outcome(status, reason, response)
        try:
            self.machine.feed(read(response), now=unix_now())
        except StepRefused as exc:
            self.machine.state = before
            return Outcome(status, reason, response, exc)
        return Outcome(status, reason, response)


__all__ = ["McpttSipServer", "Outcome", "SipCore", "SipUe", "refusal"]

