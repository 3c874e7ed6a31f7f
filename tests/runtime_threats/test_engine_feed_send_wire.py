"""The engine's ``RoleMachine.feed``/``send``, its refusal and its wire sealing, driven through
real role endpoints (impl/engine/machine.py, refusal.py, wire.py; survivors of ``./dev mutate
engine``):

* one move takes the automatic sends of the states it reaches, on the staged variables, and no
  other step (machine.py ``_commit``): the CEK KMS's issue is steps 2, 3 and 4 at once, the
  client stops in ``done`` (seed 001 7.x.2, REQ-CEK-12, REQ-CEK-14);
* a branch condition that reads the local time is judged at ``now`` (REQ-CEK-15 resync);
* every input is a legal move or a ``MckmError`` (the totality of machine.py's docstring),
  even one that has no name or a name that is not a string;
* a refusal names where in the model it was refused: procedure, state, message, step, guard,
  clause, requirement (refusal.py); a caller that shows only the guard's reason (the IdM's
  RFC 6749 5.2 ``error_description``) gets it without the engine's clause;
* the decoded message a sealing returns is the octets sent (wire.py ``seal``): the MIKEY-TICKET
  initiator keeps its REQUEST_INIT to check the response against it (RFC 6043 5.5).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.codec import decode
from mckm.impl.engine import (
    DictMessage,
    EffectContext,
    EffectRegistry,
    RoleMachine,
    Send,
    StepRefused,
)
from mckm.impl.errors import MckmError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.cek import wire as cek_wire
from mckm.impl.roles.cek.endpoint import (
    ENDPOINT_EFFECTS,
    CekClientRole,
    CekKeyring,
    EndpointFacts,
)
from mckm.impl.roles.cek.service import BASE_PATH, CekService
from mckm.impl.roles.idm.role import TOKEN, IdmRole
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.models.procedures import cek as cek_model
from mckm.models.procedures import idm as idm_model
from mckm.models.procedures.expr import (
    And,
    Eq,
    Field,
    In,
    Msg,
    Now,
    Policy,
    Self,
    Trusted,
    Within,
)
from mckm.models.procedures.model import Guard, Procedure, Step
from mckm.models.procedures.predicates import ZK_KEYS as ZkKeys
from tests.e2e.ticket_fixtures import BOB, KMS_A, NOW, world
from tests.idm.conftest import idm_config
from tests.properties.toy_model import EFFECTS, TOY, NullFacts

KMS_ID = "https://kms.example.org"
SERVER_URL = "https://mcptt.example.org/cek"
ALICE = "sip:alice@example.org"
CEK = cek_model.PROCEDURE


@dataclass
class _Pushes:
    """The KMS's pushes (the MCPTT server and a client's notification endpoint take them)."""

    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def push(self, url: str, resource: str, body: bytes) -> tuple[int, bytes]:
        self.sent.append((url, resource, body))
        return 200, b"{}"


@dataclass
class _Cek:
    service: CekService
    pushes: _Pushes
    token: str

    def post(self, resource: str, token: str, body: bytes) -> tuple[int, bytes]:
        reply = self.service.handle("POST", f"{BASE_PATH}/{resource}",
                                    {"authorization": f"Bearer {token}"}, body)
        return reply.status, reply.body

    def client(self, session: str) -> CekClientRole:
        return CekClientRole(ALICE, session, KMS_ID, self.post, time.time)


@pytest.fixture
def cek() -> Iterator[_Cek]:
    idm_key = ec.generate_private_key(ec.SECP256R1())
    token = access_token.issue(idm_key, subject=ALICE, scopes=(KMS_SCOPE,),
                               issued_at=int(time.time()), lifetime=600)
    store = SqliteKmsStore(":memory:")
    pushes = _Pushes()
    yield _Cek(CekService(store, access_token.TokenVerifier(idm_key.public_key()), pushes,
                          SERVER_URL), pushes, token)
    store.close()


def _key_id(body: bytes) -> str:
    return str(json.loads(body)["key_id"])


def test_one_issue_takes_the_automatic_push_and_answer_and_nothing_else(cek: _Cek) -> None:
    """REQ-CEK-12/14: the KMS stores the CEK, pushes it to the MCPTT server and answers the
    client with the same Key ID in one move; the client holds it and waits in ``done`` (its
    update and retire are the caller's sends, never automatic)."""
    client = cek.client("sip:call-1@example.org")
    status, body = client.issue(cek.token)
    assert status == 200
    (url, resource, pushed), = cek.pushes.sent
    assert (url, resource) == (SERVER_URL, "push")
    assert _key_id(pushed) == _key_id(body) == client.key_id
    assert client.state == "done" and client.keyring.held(client.key_id, ALICE,
                                                          "sip:call-1@example.org")


def test_a_resync_within_the_refresh_age_answers_the_same_cek(cek: _Cek) -> None:
    """REQ-CEK-15: an update asking for a resync of a CEK younger than ``cek_refresh_age``
    (judged at the local time) answers the same CEK and Key ID and pushes nothing new."""
    client = cek.client("sip:call-2@example.org")
    assert client.issue(cek.token)[0] == 200
    held = client.key_id
    status, body = client.update(cek.token, cek_model.WANT_RESYNC)
    assert status == 200 and _key_id(body) == held == client.key_id
    assert len(cek.pushes.sent) == 1


def test_an_unexpected_push_is_refused_naming_where(cek: _Cek) -> None:
    """refusal.py: a CEK_NOTIFY to a client that holds no CEK (state ``idle``: the model has no
    step for it) is refused with the model's unexpected-message refusal, naming the
    procedure, state, message and clause."""
    body = cek_wire.write_object("CEK_NOTIFY", {
        "user": ALICE, "session": "sip:call-3@example.org", "key_id": "ab" * 16,
        "cek": Secret(b"k" * 32), "notify": ""})
    client = cek.client("sip:call-3@example.org")
    with pytest.raises(StepRefused) as caught:
        client.notified(cek_wire.push_message("CEK_NOTIFY", KMS_ID, body))
    exc = caught.value
    assert (exc.procedure, exc.state, exc.message_name, exc.clause) == (
        CEK.name, CEK.role("client").initial, "CEK_NOTIFY", CEK.clause)
    assert (exc.step, exc.guard, exc.requirement) == (None, None, CEK.unexpected.requirement)
    assert client.state == CEK.role("client").initial and not client.keyring.key_ids()


def test_a_misaddressed_push_is_refused_by_its_guard_naming_where(cek: _Cek) -> None:
    """REQ-CEK-16: the KMS's CEK_NOTIFY for another SIP session, pushed to a client holding
    a CEK, is refused by the push-for-me guard of the step that takes it, naming the
    procedure, state, message, step, guard and clause; the client keeps its CEK."""
    mine, other = cek.client("sip:call-4@example.org"), cek.client("sip:call-5@example.org")
    assert mine.issue(cek.token)[0] == 200
    assert other.issue(cek.token, notify="https://client.example.org/notify")[0] == 200
    cek.service.rekey(ALICE, "sip:call-5@example.org")
    notify = next(b for url, res, b in cek.pushes.sent if res == "notify")
    with pytest.raises(StepRefused) as caught:
        mine.notified(cek_wire.push_message("CEK_NOTIFY", KMS_ID, notify))
    exc = caught.value
    step = next(s for s in CEK.steps_of("client")
                if s.action == "receive" and s.message == "CEK_NOTIFY")
    assert (exc.procedure, exc.state, exc.message_name, exc.clause) == (
        CEK.name, "done", "CEK_NOTIFY", CEK.clause)
    assert (exc.step, exc.guard, exc.requirement) == (
        step.number, cek_model.G_PUSH_FOR_ME.name, cek_model.G_PUSH_FOR_ME.requirement)
    assert mine.state == "done" and mine.keyring.key_ids() == {
        mine.key_id: (ALICE, "sip:call-4@example.org")}


class _Nameless:
    def get(self, name: str) -> Any:
        return None


@dataclass
class _OddName:
    name: Any

    def get(self, field_name: str) -> Any:
        return None


@pytest.mark.parametrize("message", [_Nameless(), _OddName(["CEK_REQUEST"]), _OddName(None)],
                         ids=["no-name", "unhashable-name", "none-name"])
def test_any_input_is_a_move_or_a_refusal(cek: _Cek, message: Any) -> None:
    """machine.py totality: an input without a (string) name is refused with a MckmError,
    the machine unmoved, never a crash."""
    machine = cek.service.machine()
    assert machine.step_for(message, now=int(time.time())) is None
    with pytest.raises(MckmError):
        machine.feed(message, now=int(time.time()))
    assert machine.state == CEK.role("kms").initial


def test_a_machine_without_its_effects_is_refused_when_built() -> None:
    """A role whose registry lacks an effect its model uses is a UsageError naming it when
    the machine is built, before any message moves it (machine.py ``RoleMachine``)."""
    partial = EffectRegistry({n: ENDPOINT_EFFECTS[n] for n in ENDPOINT_EFFECTS
                              if n != "client.hold"})
    with pytest.raises(UsageError, match=r"client\.hold"):
        RoleMachine(CEK, "client", vars={}, facts=EndpointFacts(CekKeyring()), effects=partial)


def test_a_send_action_names_its_model_step(cek: _Cek) -> None:
    """``RoleMachine.send`` returns the message with the role it goes to and the model step
    that sends it (seed 001 7.x.2 step 1)."""
    machine = cek.client("sip:call-6@example.org")._machine()
    (send,) = [a for a in machine.send("CEK_REQUEST", now=int(time.time()),
                                       params={"token": cek.token}) if isinstance(a, Send)]
    step = next(s for s in CEK.steps_of("client")
                if s.action == "send" and s.message == "CEK_REQUEST")
    assert (send.to, send.step, send.message.name) == (step.peer, step.number, "CEK_REQUEST")


def test_the_idm_error_description_is_the_guard_reason_without_the_clause() -> None:
    """RFC 6749 5.2: the IdM's ``error_description`` is the refusing guard's reason and
    requirement, without the engine's clause or MIKEY error suffix (idm/role.py
    ``refusal_reason`` cuts the refusal's text as refusal.py writes it)."""
    idm = IdmRole.create(idm_config(), "https://idm.example.org")
    answer = idm.handle("POST", TOKEN, "", b"grant_type=password",
                        "application/x-www-form-urlencoded")
    description = str(json.loads(answer.body)["error_description"])
    guards = [g for s in idm_model.PROCEDURE.steps_of("idm") for g in s.guards]
    guard = next(g for g in guards if description.startswith(g.reason))
    assert answer.status == 400
    assert description == f"{guard.reason} [{guard.requirement}]"


def test_the_kept_request_is_the_message_sent() -> None:
    """RFC 6043 5.5: the initiator keeps its REQUEST_INIT to check the KMS's response against;
    the decoded message it keeps is the one its octets carry, V's MAC included."""
    w = world(bob_kms=KMS_A)
    raw = w.alice.request_ticket(BOB, now=NOW)
    assert w.alice.machine is not None
    kept = w.alice.machine.vars["request_init"]
    assert kept.raw == raw
    assert kept.message == decode(raw) and kept.message.raw == raw


# ------------------------------------------------------------------ what the model language allows
# No shipped model has a cell whose every branch has a ``when``, a ``when`` or guard of a
# sending step that reads the time or the variables, or an automatic send that reads what the
# one before it staged; the engine runs any model, so the toy PING/PONG model
# (tests/properties/toy_model.py) shows the contract on these shapes.

T0, WINDOW = 3_900_000_000, 30  # NTP seconds, the toy policy's reference time and window
IN_TIME = Within(Policy("t0"), Now(), Policy("window"))
TIMED = TOY.with_policy(t0=T0, window=WINDOW)


def _toy(procedure: Procedure, role: str, registry: EffectRegistry = EFFECTS) -> RoleMachine:
    vars: dict[str, Any] = ({"name": "alice", "nonce": b""} if role == "a"
                            else {"name": "bob", "seen": frozenset()})
    return RoleMachine(procedure, role, vars=vars, facts=NullFacts(), effects=registry)


def _with(procedure: Procedure, *steps: Step, drop: tuple[str, ...] = ()) -> Procedure:
    kept = tuple(s for s in procedure.steps if s.number not in drop)
    return dataclasses.replace(procedure, steps=(*steps, *kept))


def _step(number: str) -> Step:
    return next(s for s in TOY.steps if s.number == number)


def test_a_cell_whose_every_branch_fails_is_refused_naming_the_message() -> None:
    """machine.py: when no branch of a cell holds the message is unexpected, refused with the
    model's unexpected-message refusal naming the message (b answers only a PING it knows)."""
    only_known = _with(TOY, dataclasses.replace(_step("2"), when=In(Field("nonce"),
                                                                    Self("seen"))), drop=("2",))
    b = _toy(only_known, "b")
    ping = DictMessage("PING", {"nonce": b"n1", "to": "bob", "from": "alice"})
    with pytest.raises(StepRefused) as caught:
        b.feed(ping, now=T0)
    exc = caught.value
    assert (exc.procedure, exc.state, exc.message_name, exc.step) == (
        TOY.name, "listening", "PING", None)
    assert (exc.requirement, exc.mikey_error) == (TOY.unexpected.requirement,
                                                   TOY.unexpected.mikey_error)


def test_a_sending_branch_is_chosen_on_the_variables_and_the_time() -> None:
    """model.py branches of a send: the first step whose ``when`` holds on the role's
    variables and the local time ``now`` is taken (a sending ``when`` reads no message)."""
    early = dataclasses.replace(_step("1"), number="1e",
                                when=And(Eq(Self("name"), Policy("early")), IN_TIME))
    branched = _with(TIMED.with_policy(early="alice"), early)
    params = {"nonce": b"n", "to": "bob"}
    for now, number in ((T0, "1e"), (T0 + WINDOW + 1, "1")):
        a = _toy(branched, "a")
        (send,) = [x for x in a.send("PING", now=now, params=params) if isinstance(x, Send)]
        assert send.step == number and a.state == "waiting"


def test_a_sending_guard_is_judged_at_the_local_time() -> None:
    """A sending step's guard that reads the time is judged at ``now``: in the window the
    message goes, out of it the step is refused and the role does not move."""
    timely = _with(TIMED, dataclasses.replace(_step("1"), guards=(
        Guard("in-time", IN_TIME, "REQ-TOY-03", "too late", None),)), drop=("1",))
    params = {"nonce": b"n", "to": "bob"}
    a = _toy(timely, "a")
    assert [x.step for x in a.send("PING", now=T0, params=params) if isinstance(x, Send)] \
        == ["1"]
    late = _toy(timely, "a")
    with pytest.raises(StepRefused) as caught:
        late.send("PING", now=T0 + WINDOW + 1, params=params)
    assert (caught.value.step, caught.value.guard) == ("1", "in-time")
    assert late.state == "idle"


def _again(ctx: EffectContext) -> None:
    ctx.set_field("nonce", ctx.var("nonce"))


def test_an_automatic_send_after_a_send_is_judged_at_the_same_time() -> None:
    """machine.py ``_commit``: the automatic send a sent message leads to is taken in the same
    move, at the same ``now``: its time guard holds in the window and refuses (the whole
    move undone) out of it."""
    follow = Step("1a", "a", "send", "PONG", "b", "pinged", "waiting", "REQ-TOY-01",
                  "a confirms its ping", guards=(
                      Guard("in-time", IN_TIME, "REQ-TOY-03", "too late", None),),
                  effects=("toy.again",), auto=True)
    chained = _with(TIMED, follow, dataclasses.replace(_step("1"), target="pinged"),
                    drop=("1",))
    registry = EffectRegistry({**{n: EFFECTS[n] for n in EFFECTS}, "toy.again": _again})
    params = {"nonce": b"n", "to": "bob"}
    a = _toy(chained, "a", registry)
    sent = [x for x in a.send("PING", now=T0, params=params) if isinstance(x, Send)]
    assert [(x.step, x.message.name) for x in sent] == [("1", "PING"), ("1a", "PONG")]
    assert a.state == "waiting" and a.vars["nonce"] == sent[1].message.get("nonce")
    late = _toy(chained, "a", registry)
    with pytest.raises(StepRefused) as caught:
        late.send("PING", now=T0 + WINDOW + 1, params=params)
    assert (caught.value.step, caught.value.guard) == ("1a", "in-time")
    assert late.state == "idle" and late.vars["nonce"] == b""


def _mark(ctx: EffectContext) -> None:
    ctx.set_field("nonce", ctx.var("last"))
    ctx.set_var("ponged", ctx.var("last"))


def _repeat(ctx: EffectContext) -> None:
    ctx.set_field("nonce", ctx.var("ponged"))


def test_a_chain_of_automatic_sends_reads_what_the_one_before_staged() -> None:
    """machine.py ``_commit``: automatic sends run on the staged variables, so the second of a
    chain reads what the first set, and all of it is committed at once."""
    second = Step("3b", "b", "send", "PONG", "a", "ponged", "answered", "REQ-TOY-01",
                  "b pongs again", effects=("toy.repeat",), auto=True)
    chained = _with(TOY, second, dataclasses.replace(_step("3"), target="ponged",
                                                     effects=("toy.mark",)), drop=("3",))
    registry = EffectRegistry({**{n: EFFECTS[n] for n in EFFECTS}, "toy.mark": _mark,
                               "toy.repeat": _repeat})
    b = _toy(chained, "b", registry)
    ping = DictMessage("PING", {"nonce": b"n1", "to": "bob", "from": "alice"})
    sent = [x for x in b.feed(ping, now=T0) if isinstance(x, Send)]
    assert [(x.step, x.message.get("nonce")) for x in sent] == [("3", b"n1"), ("3b", b"n1")]
    assert b.state == "answered" and b.vars["ponged"] == b"n1"


def test_a_sending_guard_asks_the_machines_trust_relation() -> None:
    """predicates.py ``Trusted`` (TS 33.328 6.2.3.8): a sending step's guard that asks the
    trust relation asks the one the machine was given (not the default that trusts no one):
    a PING to a trusted peer goes, to another one it is refused."""
    trusting = _with(TOY, dataclasses.replace(_step("1"), guards=(
        Guard("trusted-peer", Trusted(Self("name"), Field("to")), "REQ-TOY-02",
              "not a trusted peer", None),)), drop=("1",))

    def machine() -> RoleMachine:
        return RoleMachine(trusting, "a", vars={"name": "alice", "nonce": b""},
                           facts=NullFacts(), effects=EFFECTS,
                           trusted=lambda a, b: (a, b) == ("alice", "bob"))

    sent = machine().send("PING", now=T0, params={"nonce": b"n", "to": "bob"})
    assert [x.step for x in sent if isinstance(x, Send)] == ["1"]
    with pytest.raises(StepRefused) as caught:
        machine().send("PING", now=T0, params={"nonce": b"n", "to": "carol"})
    assert (caught.value.step, caught.value.guard) == ("1", "trusted-peer")


@dataclass
class _AskedFacts:
    """Facts that answer ZkKeys(message) from the message's fields (none before it is built)."""

    asked: list[Any] = field(default_factory=list)

    def zk_keys(self, message: Any) -> bool:
        self.asked.append(message.get("nonce"))
        return message.get("nonce") is None


def test_a_sending_branch_that_asks_about_the_message_sees_an_empty_one() -> None:
    """machine.py: the ``when`` of a send step sees an empty message (the message is not
    built yet), so a fact it asks about the message reads no field rather than failing."""
    unbuilt = dataclasses.replace(_step("1"), number="1u", when=ZkKeys(Msg()))
    branched = _with(TOY, unbuilt)
    facts = _AskedFacts()
    a = RoleMachine(branched, "a", vars={"name": "alice", "nonce": b""}, facts=facts,
                    effects=EFFECTS)
    sent = a.send("PING", now=T0, params={"nonce": b"n", "to": "bob"})
    assert [x.step for x in sent if isinstance(x, Send)] == ["1u"] and facts.asked == [None]
