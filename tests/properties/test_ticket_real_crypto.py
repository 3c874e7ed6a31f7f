"""The generated stateful machines of the MIKEY-TICKET models (one KMS, two KMS domains) played
with the REAL world (``impl/roles/ticket``: codec, KDFs, AES-CM, HMAC, base tickets, BSF)
instead of ``ticket_world``'s symbolic one: legal runs agree on the ticket keys; replays,
duplicates, reordering, tampering and the scenario threats of ``ticket_real_threats`` (wrong
responder, expired or tampered TICKET, untrusted KMS, unauthenticated Zk) are refused as the
model says and store nothing; every role in every state a real run reaches is total over the
real messages of the run and garbage octets.  Modest example counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mckm.impl.engine import EffectRegistry, RoleMachine, StepRefused
from mckm.impl.errors import DecodeError, MckmError, PolicyError
from mckm.impl.redact import Secret
from mckm.impl.roles.ticket.effects import registry
from mckm.impl.roles.ticket.endpoints import error_reply, view_factory
from mckm.impl.roles.ticket.facts import TicketFacts
from mckm.impl.roles.ticket.protection import INVALID_DT
from mckm.impl.roles.ticket.wire import TicketView, ZkLink
from mckm.models.policy.ticket_policy import ReusableTicketStore
from mckm.models.procedures.expr import Env
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, PROCEDURES, TWO_DOMAINS, VAR_WRITES
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.e2e.ticket_fixtures import ALICE, BOB, KMS_A, KMS_B, NOW, TRUST, _octets, context, world
from tests.properties.generator import Scenario, build_state_machine, check_refusal, play
from tests.properties.ticket_real_threats import THREATS

PARAMS = st.fixed_dictionaries({
    "now": st.integers(NOW - 3600, NOW + 3600),
    "reusable": st.integers(0, 1),
    "csb_id": st.integers(0, 2**32 - 1),
})


def scenario(procedure: Procedure, effects: EffectRegistry | None = None) -> Scenario:
    bsf = world().bsf
    homes = ({"initiator": KMS_A, "kms": KMS_A, "responder": KMS_A}
             if procedure.name == ONE_DOMAIN.name else
             {"initiator": KMS_A, "kms_i": KMS_A, "responder": KMS_B, "kms_r": KMS_B})
    caches: dict[str, frozenset[Any]] = {}
    effects = effects or registry()

    def make(params: Mapping[str, Any], shared: bool) -> dict[str, RoleMachine]:
        out = {}
        for role in procedure.roles:
            kms = homes[role.name]
            if role.name in ("initiator", "responder"):
                uri = ALICE if role.name == "initiator" else BOB
                facts = TicketFacts(uri, bootstrap=context(uri))
                vars: dict[str, Any] = {"uri": uri, "kms_uri": kms,
                                        "btid": context(uri).b_tid, "ticket": None}
                if role.name == "initiator":
                    vars.update(peer=BOB, mpki=None)
                else:
                    vars.update(reusable=ReusableTicketStore(), offer=None,
                                replay_cache=caches.get(role.name, frozenset()) if shared
                                else frozenset())
            else:
                facts = TicketFacts(kms, bsf=bsf, tpk=Secret(_octets("TPK " + kms)))
                vars = {"uri": kms, "replay_cache": caches.get(role.name, frozenset()) if shared
                        else frozenset(), "requester": None, "btid": None, "ticket": None,
                        "issuer": None, "peer": None}
            facts.clock = int(params["now"])
            out[role.name] = RoleMachine(procedure, role.name, vars=_Kept(vars, role.name,
                                                                         caches, shared),
                                         facts=facts, effects=effects, trusted=TRUST.trusts,
                                         message_factory=view_factory)
        return out

    return Scenario(procedure, make, ("initiator", "REQUEST_INIT"), PARAMS, "key",
                    threats=dict(THREATS), reset=caches.clear)


class _Kept(dict):  # type: ignore[type-arg]
    """Role variables whose replay cache is the KMS's own across shared runs."""

    def __init__(self, vars: dict[str, Any], role: str, caches: dict[str, frozenset[Any]],
                 shared: bool) -> None:
        super().__init__(vars)
        self._role, self._caches, self._shared = role, caches, shared

    def update(self, *args: Any, **kw: Any) -> None:  # the engine commits with update()
        super().update(*args, **kw)
        if self._shared and "replay_cache" in self:
            self._caches[self._role] = self["replay_cache"]


@pytest.mark.parametrize("procedure", PROCEDURES, ids=[p.name for p in PROCEDURES])
def test_generated_ticket_machine_with_real_crypto(procedure: Procedure) -> None:
    machine = build_state_machine(scenario(procedure))
    machine.TestCase.settings = settings(max_examples=30, stateful_step_count=8, deadline=None)
    machine.TestCase("runTest").runTest()


# --------------------------------------------------------------------------- scenario threats

THREAT_IDS = [(p, t) for p in PROCEDURES for t in sorted(THREATS)]


def _threat_check(procedure: Procedure, threat: str, examples: int) -> Any:
    """A derandomized hypothesis test: ``threat`` on a real legal run of ``procedure`` is
    refused by a guard that ``detects`` it (its requirement and MIKEY error) and leaves the
    role - its replay cache included - as it was."""
    scn = scenario(procedure)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=(Phase.generate,))
    @given(params=PARAMS, data=st.data())
    def check(params: dict[str, Any], data: st.DataObject) -> None:
        scn.reset()
        params = {**params, "run": 0}
        attack = scn.threats[threat](scn, play(scn, scn.make_machines(params, True), params),
                                     data)
        if attack is None:
            assert threat in ("untrusted-kms", "unauthenticated-zk") and procedure is ONE_DOMAIN
            return
        cache = attack.machine.vars.get("replay_cache")
        before = (attack.machine.state, dict(attack.machine.vars))
        try:
            attack.machine.feed(attack.message, now=attack.now)
        except StepRefused as exc:
            check_refusal(scn, attack, exc)
        except MckmError as exc:  # an effect's fault: no guard of the model refused it
            raise AssertionError(f"{threat} not refused by the model: {exc}") from exc
        else:
            raise AssertionError(f"{threat} accepted: {attack.message!r}")
        assert (attack.machine.state, dict(attack.machine.vars)) == before
        assert attack.machine.vars.get("replay_cache") is cache, "a refusal stored a RAND"

    return check


@pytest.mark.parametrize(("procedure", "threat"), THREAT_IDS,
                         ids=[f"{p.name}-{t}" for p, t in THREAT_IDS])
def test_scenario_threat_is_refused_as_the_model_says(procedure: Procedure, threat: str) -> None:
    _threat_check(procedure, threat, 8)()


@pytest.mark.parametrize(("procedure", "step", "guard", "threat"), [
    (ONE_DOMAIN, "4-6", "intended-responder", "wrong-responder"),
    (ONE_DOMAIN, "4-6", "uss-match", "wrong-responder"),
    (ONE_DOMAIN, "4-6", "issued-here", "tampered-ticket"),
    (ONE_DOMAIN, "4-6", "ticket-not-expired", "expired"),
    (TWO_DOMAINS, "4-5", "trusts-issuer", "untrusted-kms"),
    (TWO_DOMAINS, "8-9", "trusted-source", "untrusted-kms"),
    (TWO_DOMAINS, "8-9", "issued-here", "tampered-ticket"),
    (TWO_DOMAINS, "8-9", "zk-authenticated", "unauthenticated-zk"),
    (TWO_DOMAINS, "11", "zk-authenticated", "unauthenticated-zk"),
], ids=lambda v: v if isinstance(v, str) else getattr(v, "name", None))
def test_threat_check_catches_model_without(procedure: Procedure, step: str, guard: str,
                                            threat: str) -> None:
    """Not vacuous: with the guard that detects the threat dropped, the real roles let it
    through (or refuse it with the wrong guard) and the check finds it."""
    mutant = next(m for m in drop_guard_mutants(procedure) if (m.step, m.guard) == (step, guard))
    with pytest.raises(AssertionError):
        _threat_check(mutant.procedure, threat, 30)()


def test_generated_real_machine_catches_model_without_zk_authentication() -> None:
    """The whole generated machine, scenario threats included, finds a dropped guard."""
    mutant = next(m for m in drop_guard_mutants(TWO_DOMAINS)
                  if (m.step, m.guard) == ("8-9", "zk-authenticated"))
    machine = build_state_machine(scenario(mutant.procedure))
    machine.TestCase.settings = settings(max_examples=40, stateful_step_count=6, deadline=None,
                                         derandomize=True, database=None,
                                         phases=(Phase.generate,), report_multiple_bugs=False)
    with pytest.raises(AssertionError):
        machine.TestCase("runTest").runTest()


# --------------------------------------------------------------------------- totality, real octets

#: the message a role's machine answers with, by the response it receives (its ``answers``)
ANSWERS = {"REQUEST_RESP": "request_init", "TRANSFER_RESP": "transfer_init",
           "RESOLVE_RESP": "resolve_init", "RESOLVE_RESP_ZK": "zk_request"}
LINKS = (None, ZkLink(KMS_B, True, KMS_A), ZkLink(KMS_A, True, KMS_B),
         ZkLink(KMS_B, False, KMS_A))
FIXED = {"now": NOW, "reusable": 1, "csb_id": 7, "run": 0}


def _real_octets(procedure: Procedure) -> list[bytes]:
    """Every message of a real run of ``procedure``, and a MIKEY Error answering one."""
    scn = scenario(procedure)
    run = play(scn, scn.make_machines(FIXED, False), FIXED)
    raws = [d.message.raw for d in run.deliveries]
    refused = StepRefused("probe", procedure=procedure.name, state="x", message="m", clause="c",
                          requirement="REQ-TKT-21", mikey_error=12)
    error = error_reply(raws[0], refused, now=NOW)
    assert error is not None
    return [*raws, error]


def _feed_octets(machine: RoleMachine, raw: bytes, link: ZkLink | None) -> None:
    """What an end point does with octets: decode (DecodeError / Invalid DT), pick the answered
    message, feed; anything but a legal move or a clean refusal fails the test."""
    procedure = machine.procedure
    try:
        name = TicketView.decode(raw, zk=link).name
        view = TicketView.decode(raw, zk=link, answers=machine.vars.get(ANSWERS.get(name, "")))
    except DecodeError:
        return
    except PolicyError as exc:
        assert exc.mikey_error == INVALID_DT, exc
        return
    state, before = machine.state, dict(machine.vars)
    try:
        machine.feed(view, now=NOW)
    except StepRefused as exc:
        assert exc.requirement in procedure.requirements
        assert (machine.state, dict(machine.vars)) == (state, before), "a refusal changed state"
        return
    cell = procedure.table(machine.role.name)[state].get(("receive", view.name))
    assert cell, f"{machine.role.name} moved on {view.name} in {state!r}"


def _machines_after(procedure: Procedure, k: int | None) -> dict[str, RoleMachine]:
    scn = scenario(procedure)
    if k is None:
        return scn.make_machines(FIXED, False)
    return play(scn, scn.make_machines(FIXED, False), FIXED, stop_before=k).machines


@pytest.mark.parametrize("procedure", PROCEDURES, ids=[p.name for p in PROCEDURES])
def test_every_reached_state_is_total_over_real_messages(procedure: Procedure) -> None:
    """h2-style totality over REAL octets: every role, in every state a real run reaches, fed
    every message of a run (on Ua and on Zk links) moves legally or refuses cleanly."""
    octets = _real_octets(procedure)
    scn = scenario(procedure)
    steps = len(play(scn, scn.make_machines(FIXED, False), FIXED).deliveries)
    reached = set()
    for k in [None, *range(steps + 1)]:  # None: fresh machines, before the first send
        for role in procedure.roles:
            machine = _machines_after(procedure, k)[role.name]
            reached.add((role.name, machine.state))
            for raw in octets:
                for link in LINKS:
                    state = machine.state
                    _feed_octets(machine, raw, link)
                    if machine.state != state:  # a legal move: start again from the state
                        machine = _machines_after(procedure, k)[role.name]
    # every state a role can rest in: initial, final, or waiting to receive (the others are
    # left within the same feed by an auto send step)
    resting = {(r.name, s) for r in procedure.roles for s, cells in procedure.table(r.name).items()
               if s == r.initial or s in r.final or any(a == "receive" for a, _ in cells)}
    assert resting <= reached, f"states a real run never reaches: {resting - reached}"


@pytest.mark.parametrize("procedure", PROCEDURES, ids=[p.name for p in PROCEDURES])
def test_garbage_and_mangled_octets_are_refused_cleanly(procedure: Procedure) -> None:
    """Random octets, and real messages with bits flipped, cut or spliced, fed to every role in
    a reached state: a clean refusal (or, rarely, a legal move), never another exception."""
    octets = _real_octets(procedure)
    scn = scenario(procedure)
    steps = len(play(scn, scn.make_machines(FIXED, False), FIXED).deliveries)
    mangled = st.sampled_from(octets).flatmap(lambda raw: st.one_of(
        st.integers(0, 8 * len(raw) - 1).map(
            lambda b: raw[:b // 8] + bytes([raw[b // 8] ^ (0x80 >> b % 8)]) + raw[b // 8 + 1:]),
        st.integers(0, len(raw) - 1).map(lambda n: raw[:n]),
        st.tuples(st.integers(0, len(raw)), st.binary(min_size=1, max_size=8)).map(
            lambda c: raw[:c[0]] + c[1] + raw[c[0]:])))

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(k=st.none() | st.integers(0, steps),
           role=st.sampled_from([r.name for r in procedure.roles]),
           raw=st.one_of(st.binary(max_size=64), mangled), link=st.sampled_from(LINKS))
    def check(k: int | None, role: str, raw: bytes, link: ZkLink | None) -> None:
        _feed_octets(_machines_after(procedure, k)[role], raw, link)

    check()


# --------------------------------------------------------------------------- the model's writes

#: model role variables a step writes without a VAR_WRITES entry, and why
UNDECLARED = {
    "replay_cache": "the received RAND joins it (RFC 3830 5.4): checked by membership below",
    "ticket": "Q2: the ticket the KMS issues, a fresh value (RFC 6043 4.2.1.4)",
    "btid": "Q2: the B-TID the KMS answers, IDRpsk of the request (RFC 6043 4.2.1.5)",
    "mpki": "Q4: the MPKi of the KEMAC the guard own-kms-mac opened (RFC 6043 4.2.1.6)",
}


class _Conformance(RoleMachine):
    """A role machine that checks, after every step, that each model variable holds what the
    step's VAR_WRITES declare and that no other model variable changed (but UNDECLARED)."""

    checked: ClassVar[list[str]] = []

    def _commit(self, taken: list[Any], actions: list[Any], now: int) -> list[Any]:
        before = dict(self.vars)
        out = super()._commit(taken, actions, now)
        model_vars = self.role.vars
        for step, ctx in taken:
            declared: dict[str, Any] = {}
            if ctx.message is not None:  # a write reads the step's other values, its own old
                for effect in step.effects:
                    writes = VAR_WRITES.get(effect, {})
                    seen = {**before, **ctx.updates, **{v: before.get(v) for v in writes}}
                    env = Env(ctx.message, seen, ctx.policy, now, ctx.facts)
                    declared.update({v: e.to_python(env) for v, e in writes.items()})
            for var in model_vars:
                got = self.vars.get(var)
                if var in declared:
                    want = declared[var]
                    same = (got.entries.keys() == want.entries.keys()
                            if isinstance(got, ReusableTicketStore) else got == want)
                    assert same, f"{step.label}: {var} is not what the model writes"
                elif var == "replay_cache" and ctx.message is not None and var in ctx.updates:
                    rand = ctx.message.get("randrr" if "RESOLVE" in step.message else "randri")
                    assert rand in got, f"{step.label}: the RAND is not in the replay cache"
                elif var not in UNDECLARED:
                    assert got == before.get(var), f"{step.label}: {var} changed undeclared"
            self.checked.append(step.label)
            before = dict(self.vars)
        return out


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_generated_runs_write_what_the_model_declares(procedure: Procedure,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """After every step of generated runs on the real roles, each role variable holds exactly
    what the model says the step writes (the proofs compose steps with VAR_WRITES)."""
    _Conformance.checked = []
    monkeypatch.setitem(globals(), "RoleMachine", _Conformance)
    machine = build_state_machine(scenario(procedure))
    machine.TestCase.settings = settings(max_examples=10, stateful_step_count=6, deadline=None)
    machine.TestCase("runTest").runTest()
    plain = {s.label for s in procedure.steps if s.action == "receive" and s.when is None}
    assert plain <= set(_Conformance.checked)  # the reuse branch 1r is not generated here
