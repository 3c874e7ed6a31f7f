"""The SIP endpoints' side of the CEK (seed 001 7.x.2, 7.x.3): the MCPTT server taking the
KMS's pushes (role ``server`` of ``cek-management``) and the MCPTT client asking for, holding,
updating and retiring its CEK (role ``client``), both run by the engine.

What an endpoint holds is a :class:`CekKeyring`: the live CEKs by Key ID (each a Secret, for
:func:`mckm.impl.smime.cms.unprotect`'s key lookup) and every Key ID it has ever held, so that
a retired Key ID is never taken again (guard ``key-id-never-held``).  The keyring is in memory:
the MCPTT server of the tests and the demo is "a small endpoint that stores what it receives".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.engine.machine import EffectContext, EffectRegistry, RoleMachine, Send
from mckm.impl.engine.messages import DictMessage
from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.cek import wire
from mckm.models.procedures import cek as model


@dataclass
class CekKeyring:
    """Live CEKs by Key ID with their (user, session), and every Key ID held before."""

    _live: dict[str, tuple[str, str, Secret[bytes]]] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:
        return f"CekKeyring({len(self._live)} live, {len(self._seen)} seen)"

    def hold(self, key_id: str, user: str, session: str, cek: Secret[bytes]) -> None:
        with self._lock:
            for old, (u, s, _) in list(self._live.items()):
                if (u, s) == (user, session):  # a new CEK replaces the session's old one
                    del self._live[old]
            self._live[key_id] = (user, session, cek)
            self._seen.add(key_id)

    def drop(self, key_id: str) -> None:
        with self._lock:
            self._live.pop(key_id, None)

    def seen(self, key_id: str) -> bool:
        with self._lock:
            return key_id in self._seen

    def held(self, key_id: str, user: str, session: str) -> bool:
        with self._lock:
            entry = self._live.get(key_id)
        return entry is not None and entry[:2] == (user, session)

    def key_ids(self) -> dict[str, tuple[str, str]]:
        """Live Key ID -> (user, session) (Key IDs are not secret)."""
        with self._lock:
            return {k: (u, s) for k, (u, s, _) in self._live.items()}

    def lookup(self, key_id: bytes) -> bytes | None:
        """The CEK under a CMS ``kekid`` (a key lookup for ``impl.smime``)."""
        with self._lock:
            entry = self._live.get(key_id.hex())
        return None if entry is None else entry[2].reveal()

    def cek(self, key_id: str) -> Secret[bytes] | None:
        with self._lock:
            entry = self._live.get(key_id)
        return None if entry is None else entry[2]


@dataclass
class EndpointFacts:
    """The facts an endpoint's push guards read (``CEK_ENDPOINT_PREDICATES``)."""

    keyring: CekKeyring

    def cek_key_id_seen(self, key_id: Any) -> bool:
        return self.keyring.seen(str(key_id))

    def cek_held(self, key_id: Any, user: Any, session: Any) -> bool:
        return self.keyring.held(str(key_id), str(user), str(session))


def _keyring(ctx: EffectContext) -> CekKeyring:
    facts = ctx.facts
    if not isinstance(facts, EndpointFacts):
        raise UsageError("the endpoint effects need EndpointFacts")
    return facts.keyring


def _hold(ctx: EffectContext) -> None:
    assert ctx.message is not None
    m = ctx.message
    cek = m.get("cek")
    if not isinstance(cek, Secret):
        raise UsageError("a CEK to hold is a Secret")
    _keyring(ctx).hold(str(m.get("key_id")), str(m.get("user")), str(m.get("session")), cek)
    ctx.set_var("key_id", m.get("key_id"))


def _drop(ctx: EffectContext) -> None:
    assert ctx.message is not None
    _keyring(ctx).drop(str(ctx.message.get("key_id")))


def _request(ctx: EffectContext) -> None:
    """The client's request fields: its user and session, and what the caller passes."""
    ctx.set_field("user", ctx.var("user"))
    ctx.set_field("session", ctx.var("session"))
    ctx.set_field("token", ctx.params.get("token", ""))
    for name in ("key_id", "want", "notify"):
        if name in ctx.params:
            ctx.set_field(name, ctx.params[name])
    if "key_id" not in ctx.params and ctx.step.message != "CEK_REQUEST":
        ctx.set_field("key_id", ctx.var("key_id"))
    if ctx.step.message == "CEK_REQUEST":
        ctx.set_field("notify", ctx.params.get("notify", ""))


ENDPOINT_EFFECTS = EffectRegistry({
    "endpoint.hold": _hold, "endpoint.drop": _drop,
    "client.request": _request, "client.hold": _hold, "client.drop": _drop,
})


def server_machine(keyring: CekKeyring, kms_identity: str) -> RoleMachine:
    """A fresh ``server`` machine for one push."""
    return RoleMachine(model.PROCEDURE, "server", vars={"kms_identity": kms_identity},
                       facts=EndpointFacts(keyring), effects=ENDPOINT_EFFECTS)


class CekClientRole:
    """The MCPTT client's side for one (user, SIP session): its variables and keyring, a fresh
    ``client`` machine for each exchange (started where the last one ended: ``idle`` before a
    CEK is held, ``done`` after; a refused exchange leaves both as they were), and the calls
    that move its messages (``post``: resource, token, body -> status, body; the HTTPS
    transport, :class:`~mckm.impl.roles.cek.https.CekClient`)."""

    def __init__(self, user: str, session: str, kms_identity: str,
                 post: Callable[[str, str, bytes], tuple[int, bytes]],
                 clock: Callable[[], float]) -> None:
        self.keyring = CekKeyring()
        self.post, self.clock = post, clock
        self.vars: dict[str, Any] = {"user": user, "session": session,
                                     "kms_identity": kms_identity, "key_id": ""}
        self.state = model.PROCEDURE.role("client").initial
        self._lock = threading.Lock()

    @property
    def key_id(self) -> str:
        return str(self.vars.get("key_id", ""))

    def _machine(self) -> RoleMachine:
        return RoleMachine(model.PROCEDURE, "client", vars=self.vars,
                           facts=EndpointFacts(self.keyring), effects=ENDPOINT_EFFECTS,
                           start=self.state)

    def _exchange(self, request: str, answer: str, resource: str, **params: str
                  ) -> tuple[int, bytes]:
        with self._lock:
            now = int(self.clock())
            machine = self._machine()
            (send,) = [a for a in machine.send(request, now=now, params=params)
                       if isinstance(a, Send)]
            status, body = self.post(resource, params.get("token", ""),
                                     wire.write_object(request, send.message))
            if status == 200:  # the answer is checked by the model before it is held
                machine.feed(wire.answer_message(answer, body), now=now)
                self.state = machine.state
            return status, body

    def issue(self, token: str, notify: str = "") -> tuple[int, bytes]:
        """POST issue (step 1); on 200 the CEK is held (step 6)."""
        return self._exchange("CEK_REQUEST", "CEK_RESPONSE", "issue", token=token,
                              notify=notify)

    def update(self, token: str, want: str = model.WANT_RESYNC) -> tuple[int, bytes]:
        """POST update (step 10) naming the Key ID held."""
        return self._exchange("UPDATE_REQUEST", "CEK_RESPONSE", "update", token=token,
                              want=want)

    def retire(self, token: str) -> tuple[int, bytes]:
        """POST retire (step 14); on 200 the CEK is dropped (step 19)."""
        return self._exchange("RETIRE_REQUEST", "RETIRED", "retire", token=token)

    def notified(self, message: DictMessage) -> None:
        """A KMS push to this client (step 13): checked by the model, then held."""
        with self._lock:
            machine = self._machine()
            machine.feed(message, now=int(self.clock()))
            self.state = machine.state
