"""The KMS's CEK service (seed 001 7.x.1-7.x.3): the ``kms`` role of the model
``cek-management`` run by the engine for every HTTP-1 request, with its state in the KMS store.

One request is one run of a fresh :class:`~mckm.impl.engine.machine.RoleMachine`: the request
is decoded (:mod:`mckm.impl.roles.cek.wire`), the engine checks the step's guards against the
facts of :class:`CekKmsFacts` (the KMS access token through the IdM's JWKS, the live CEKs of the
store), runs the effects below (which compute and store, never refuse) and returns the pushes
and the answer the model sends.  This module then makes the pushes (a
:class:`~mckm.impl.roles.cek.https.Pusher`: HTTPS with the KMS's client certificate) and answers.

A push the MCPTT server does not take (its refusal, or no connection) is a transport failure,
not a protocol decision: the CEK just issued is retired (it reached no SIP endpoint that could
use it; a retired Key ID is never live again) and the client gets 502 naming the server's
answer.  Two requests racing to issue a CEK for one (user, session) both pass the guard
``no-live-cek``; the store's unique index lets one in and the other is answered 409 as that
guard would.  A store that fails (a lock held too long, a lost database server) is 503: the
write was one transaction, so nothing of the request is stored.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mckm.impl.engine.machine import EffectContext, EffectRegistry, RoleMachine, Send
from mckm.impl.engine.messages import DictMessage
from mckm.impl.engine.refusal import StepRefused
from mckm.impl.errors import DecodeError, MckmError, StoreError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.cek import wire
from mckm.impl.roles.kms.access_token import AccessToken, TokenFacts, TokenVerifier
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.store.kms_store import CekRecord, DuplicateError, KmsStore
from mckm.models.procedures import cek as model
from mckm.models.procedures.verdict import YES, Verdict

#: the path prefix of the CEK resources on HTTP-1 (project choice; REQ-CEK-10)
BASE_PATH = "/cek/v1"
#: the ``peer`` of a push as the KMS builds it (the receiver reads the verified TLS identity)
SENDER = "urn:mckm:this-kms"
#: the issue time a Key ID the store does not hold is given (no ``resync`` branch matches it)
NEVER = -(2**62)


@dataclass(frozen=True)
class CekReply:
    """What the service answers: status, body (JSON or a reason), content type."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class Pushes(Protocol):
    """Where the KMS's pushes go (:class:`~mckm.impl.roles.cek.https.Pusher`)."""

    def push(self, url: str, resource: str, body: bytes) -> tuple[int, bytes]: ...


@dataclass
class CekKmsFacts(TokenFacts):
    """The facts the ``kms`` guards read for one request (``CEK_KMS_PREDICATES``)."""

    store: KmsStore
    verifier: TokenVerifier
    clock: Callable[[], float]
    _claims: dict[str, AccessToken] = field(default_factory=dict)
    _refused: dict[str, str] = field(default_factory=dict)
    token_required = "a KMS access token is required (Authorization: Bearer ...)"

    def token_time(self) -> float:
        return self.clock()

    def cek_live_for(self, user: Any, session: Any) -> bool:
        return self.store.cek_live(str(user), str(session)) is not None

    def cek_is_live(self, key_id: Any, user: Any, session: Any) -> Verdict:
        record = self.store.cek_record(str(key_id))
        if record is None:
            return Verdict.no("no CEK was issued under this Key ID")
        if record.user != user or record.session != session:
            return Verdict.no("the Key ID names another user's or session's CEK")
        if record.retired:
            return Verdict.no("the Key ID is retired")
        return YES

    def cek_issued_at(self, key_id: Any) -> int:
        record = self.store.cek_record(str(key_id))
        return NEVER if record is None else record.issued


def _facts(ctx: EffectContext) -> CekKmsFacts:
    if not isinstance(ctx.facts, CekKmsFacts):
        raise UsageError("the cek effects need CekKmsFacts")
    return ctx.facts


def _fresh(user: str, session: str, issued: int, notify: str) -> CekRecord:
    """A new 256-bit CEK under a fresh random 16-octet Key ID (REQ-CEK-12)."""
    return CekRecord(os.urandom(wire.KEY_ID_OCTETS).hex(), user, session, issued, notify,
                     Secret(os.urandom(wire.CEK_OCTETS)))


def _identify(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.set_var("user", ctx.message.get("user"))
    ctx.set_var("session", ctx.message.get("session"))
    ctx.set_var("key_id", ctx.message.get("key_id") or "")


def _issue(ctx: EffectContext) -> None:
    """Create and store the CEK in one transaction (REQ-CEK-12, REQ-CEK-13)."""
    assert ctx.message is not None
    record = _fresh(ctx.var("user"), ctx.var("session"), ctx.now,
                    str(ctx.message.get("notify") or ""))
    _facts(ctx).store.cek_issue(record)
    ctx.set_var("key_id", record.key_id)
    ctx.emit("issued", record.key_id)


def _rekey(ctx: EffectContext) -> None:
    """Retire the live CEK and store a new one, in one transaction (REQ-CEK-15, -16)."""
    if ctx.message is None:  # KMS-started: the operator names (user, session)
        ctx.set_var("user", ctx.params["user"])
        ctx.set_var("session", ctx.params["session"])
    store = _facts(ctx).store
    live = store.cek_live(ctx.var("user"), ctx.var("session"))
    if live is None:
        raise UsageError("no live CEK for this user and session to update")
    record = _fresh(live.user, live.session, ctx.now, live.notify)
    store.cek_issue(record, retire=live.key_id)
    ctx.set_var("key_id", record.key_id)
    ctx.emit("issued", record.key_id)


def _resend(ctx: EffectContext) -> None:
    """The same CEK: nothing changes (REQ-CEK-15, resync)."""


def _retire(ctx: EffectContext) -> None:
    """Erase the CEK and keep its Key ID (REQ-CEK-17)."""
    _facts(ctx).store.cek_retire(ctx.var("key_id"))
    ctx.emit("retired", ctx.var("key_id"))


def _record(ctx: EffectContext) -> CekRecord:
    record = _facts(ctx).store.cek_record(ctx.var("key_id"))
    if record is None:
        raise UsageError("the CEK to send is not in the store")
    return record


def _push(ctx: EffectContext) -> None:
    """The fields of a push (CEK_PUSH, CEK_NOTIFY, RETIRE_PUSH) from the stored CEK."""
    record = _record(ctx)
    ctx.set_field("user", record.user)
    ctx.set_field("session", record.session)
    ctx.set_field("key_id", record.key_id)
    ctx.set_field("peer", SENDER)
    ctx.set_field("cek", record.cek)
    ctx.set_field("notify", record.notify)


def _answer(ctx: EffectContext) -> None:
    """The fields of the answer to the client (CEK_RESPONSE, RETIRED)."""
    record = _record(ctx)
    ctx.set_field("user", record.user)
    ctx.set_field("session", record.session)
    ctx.set_field("key_id", record.key_id)
    ctx.set_field("cek", record.cek)
    ctx.set_field("retired", "true" if record.retired else "")


KMS_EFFECTS = EffectRegistry({
    "cek.identify": _identify,
    "cek.issue": _issue,
    "cek.rekey": _rekey,
    "cek.resend": _resend,
    "cek.retire": _retire,
    "cek.push": _push,
    "cek.answer": _answer,
})

#: the push resource of each message at a SIP endpoint
PUSH_TO = {v: k for k, v in model.PUSH_RESOURCES.items()}
_REFUSED_PUSH = "the MCPTT server did not take the CEK"


def _text(status: int, reason: str, headers: tuple[tuple[str, str], ...] = ()) -> CekReply:
    return CekReply(status, (reason + "\n").encode(), headers=headers)


@dataclass
class CekService:
    """Answers CEK requests (HTTP-1) and pushes to the MCPTT server at ``server_url``; the
    KMS's TLS client identity is the pusher's.  ``procedure`` is a mutant only in tests."""

    store: KmsStore
    verifier: TokenVerifier
    pusher: Pushes
    server_url: str
    scope: str = KMS_SCOPE
    clock: Callable[[], float] = time.time
    procedure: Any = model.PROCEDURE

    def machine(self) -> RoleMachine:
        """A fresh ``kms`` machine for one request."""
        return RoleMachine(
            self.procedure, "kms",
            vars={"scope": self.scope, "wants": frozenset({model.WANT_RESYNC, model.WANT_NEW}),
                  "user": "", "session": "", "key_id": ""},
            facts=CekKmsFacts(self.store, self.verifier, self.clock), effects=KMS_EFFECTS)

    def handle(self, method: str, path: str, headers: dict[str, str] | Any,
               body: bytes) -> CekReply:
        """The reply to one HTTP request (the model's answer, or its refusal as a status)."""
        resource = path[len(BASE_PATH) + 1:] if path.startswith(BASE_PATH + "/") else ""
        name = model.RESOURCES.get(resource) if method == "POST" else None
        try:
            if name is None:
                message = DictMessage("not served: unknown resource", {})
            else:
                message = wire.request_message(name, _bearer(headers), body)
            actions = self.machine().feed(message, now=int(self.clock()))
        except StepRefused as exc:
            return _refusal(exc)
        except DecodeError as exc:
            return _text(400, str(exc))
        except DuplicateError as exc:  # another replica stored first: nothing stored here
            if "key_id" in exc.constraint:  # the Key ID was issued before (REQ-CEK-12)
                return _text(409, "REQ-CEK-12: a Key ID is issued once; this one was issued "
                                  "before, nothing stored")
            guard = model.G_NONE_LIVE  # a concurrent issue for the same (user, session) won
            return _text(guard.http_status or 409, f"{guard.requirement}: {guard.reason}")
        except StoreError as exc:  # the database failed: nothing was stored (one transaction)
            return _text(503, f"REQ-CEK-13: the KMS store failed, nothing stored ({exc})")
        return self._deliver([a for a in actions if isinstance(a, Send)])

    def rekey(self, user: str, session: str) -> str:
        """A KMS-started update (REQ-CEK-16): a new CEK and Key ID pushed to the MCPTT server
        and to the client's notification endpoint; returns the new Key ID."""
        machine = self.machine()
        actions = machine.send("CEK_PUSH", now=int(self.clock()),
                               params={"user": user, "session": session})
        sends = [a for a in actions if isinstance(a, Send)]
        reply = self._deliver(sends)
        if reply.status != 200:
            raise MckmError(reply.body.decode().strip())
        return str(machine.vars["key_id"])

    def _deliver(self, sends: list[Send]) -> CekReply:
        """Make the pushes, then answer; a refused push retires a new CEK (502)."""
        answer = CekReply(200, b"{}", "application/json")
        for send in sends:
            fields = send.message
            name = send.message.name
            body = wire.write_object(name, fields)
            if name in PUSH_TO:
                url = self.server_url if send.to == "server" else str(fields.get("notify"))
                if send.to == "client" and not url:
                    continue  # the client gave no notification endpoint
                status, text = self._push(url, PUSH_TO[name], body)
                if status != 200:
                    if name in ("CEK_PUSH", "CEK_NOTIFY") and send.to == "server":
                        self.store.cek_retire(str(fields.get("key_id")))
                    return _text(502, f"REQ-CEK-14: {_REFUSED_PUSH} ({status}: "
                                      f"{text.decode(errors='replace').strip()[:200]})")
            else:
                answer = CekReply(200, body, "application/json")
        return answer

    def _push(self, url: str, resource: str, body: bytes) -> tuple[int, bytes]:
        return self.pusher.push(url, resource, body)


def _bearer(headers: Any) -> str:
    scheme, _, token = str(headers.get("authorization", "")).partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _refusal(exc: StepRefused) -> CekReply:
    status = model.http_status(exc.step, exc.guard)
    headers: tuple[tuple[str, str], ...] = ()
    if status == 401:
        headers = (("WWW-Authenticate", 'Bearer realm="kms", error="invalid_token"'),)
    return _text(status, str(exc), headers)
