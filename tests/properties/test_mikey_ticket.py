"""Property tests of the MIKEY-TICKET models (seed 002, RFC 6043), generated from the models and
played over the symbolic world of ``ticket_world``: legal runs agree on the ticket keys; replays,
reordering, tampering, a wrong responder, an untrusted or unauthenticated KMS and an expired
ticket are each refused with the model's error and change nothing; every role is total."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mckm.impl.engine import DictMessage, StepRefused
from mckm.impl.errors import MckmError
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, PROCEDURES, TWO_DOMAINS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.properties import ticket_world
from tests.properties.generator import build_state_machine, play

FAST = settings(max_examples=25, stateful_step_count=8, deadline=None)
NO_SHRINK = settings(FAST, max_examples=300, phases=(Phase.generate,), derandomize=True,
                     database=None, report_multiple_bugs=False)
IDS = [p.name for p in PROCEDURES]


def _run(machine_class: type, fast: settings = FAST) -> None:
    machine_class.TestCase.settings = fast
    machine_class.TestCase("runTest").runTest()


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_generated_ticket_machine(procedure: Procedure) -> None:
    _run(build_state_machine(ticket_world.scenario(procedure)))


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_legal_run_initiator_and_responder_hold_the_same_key(procedure: Procedure) -> None:
    scn = ticket_world.scenario(procedure)
    params = {"now": 3_900_000_000, "nonce": 5, "reusable": 1, "run": 0}
    run = play(scn, scn.make_machines(params, False), params)
    (k_i,), (k_r,) = ([e.value for e in run.emitted[r]] for r in ("initiator", "responder"))
    assert k_i == k_r and "redacted" in repr(k_r)
    store = run.machines["responder"].vars["reusable"]
    assert store.lookup(run.machines["responder"].vars["ticket"], params["now"])[0] == k_r


def test_refusal_names_step_guard_requirement_and_error() -> None:
    scn = ticket_world.scenario(TWO_DOMAINS)
    params = {"now": 3_900_000_000, "nonce": 5, "reusable": 0, "run": 0}
    run = play(scn, scn.make_machines(params, False), params)
    d = next(d for d in run.deliveries if d.message.name == "RESOLVE_INIT")
    target = play(scn, scn.make_machines(params, False), params,
                  stop_before=run.deliveries.index(d)).machines["kms_r"]
    before = dict(target.vars)
    with pytest.raises(StepRefused) as exc:
        target.feed(d.message, now=params["now"] + ticket_world.VALIDITY + 1)
    e = exc.value
    assert (e.step, e.guard, e.requirement, e.mikey_error) == (
        "4-5", "ticket-not-expired", "REQ-TKT-10", 15)
    assert "Invalid TPpar" in str(e) and "B.2.2.3" in str(e)
    assert target.state == "ready" and dict(target.vars) == before


@pytest.mark.parametrize(("procedure", "guard", "step"), [
    (ONE_DOMAIN, "uss-match", "4-6"),
    (ONE_DOMAIN, "issued-here", "4-6"),
    (TWO_DOMAINS, "trusts-issuer", "4-5"),
    (TWO_DOMAINS, "trusted-source", "8-9"),
    (TWO_DOMAINS, "zk-authenticated", "8-9"),
    (TWO_DOMAINS, "ticket-not-expired", "4-5"),
], ids=lambda v: v if isinstance(v, str) else getattr(v, "name", None))
def test_generated_machine_catches_model_without(procedure: Procedure, guard: str,
                                                 step: str) -> None:
    mutant = next(m for m in drop_guard_mutants(procedure) if (m.step, m.guard) == (step, guard))
    with pytest.raises(AssertionError):
        _run(build_state_machine(ticket_world.scenario(mutant.procedure)), NO_SHRINK)


# --------------------------------------------------------------------------- totality (h2 style)

ANY_VALUE = st.one_of(st.none(), st.integers(-2, 2**33), st.text(max_size=6),
                      st.binary(max_size=6), st.booleans(), st.sets(st.integers(), max_size=2))


def _machines_in_every_state(procedure: Procedure, params: dict[str, Any]) -> list[Any]:
    scn = ticket_world.scenario(procedure)
    full = play(scn, scn.make_machines(params, False), params)
    out = []
    for k in range(len(full.deliveries) + 1):
        out.extend(play(scn, scn.make_machines(params, False), params,
                        stop_before=k).machines.values())
    return [*out, *full.machines.values()]


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_every_state_and_message_moves_or_refuses_cleanly(procedure: Procedure) -> None:
    names = [m.name for m in procedure.messages] + ["UNKNOWN", ""]

    @settings(max_examples=40, deadline=None)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        params = {**data.draw(ticket_world.PARAMS), "run": 0}
        machine = data.draw(st.sampled_from(_machines_in_every_state(procedure, params)))
        name = data.draw(st.sampled_from(names))
        fields: dict[str, Any] = {}
        if name in {m.name for m in procedure.messages}:
            for f in procedure.message(name).fields:
                fields[f] = data.draw(ANY_VALUE)
        before = (machine.state, dict(machine.vars))
        try:
            machine.feed(DictMessage(name, fields), now=params["now"])
        except StepRefused as exc:
            assert exc.requirement in procedure.requirements
            assert (machine.state, dict(machine.vars)) == before
        except MckmError:
            assert (machine.state, dict(machine.vars)) == before
        else:  # random fields never carry a valid MAC, NDS/IP tag or ticket seal
            raise AssertionError(f"{machine.role.name} accepted random {name}")

    check()


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_every_table_cell(procedure: Procedure) -> None:
    """Each (role, state, message) cell the table leaves empty refuses with REQ-TKT-21."""
    for role in procedure.roles:
        for state, cells in procedure.table(role.name).items():
            for msg in [m.name for m in procedure.messages] + ["UNKNOWN"]:
                if ("receive", msg) in cells:
                    continue
                machine = ticket_world.scenario(procedure).make_machines(
                    {"now": 0}, False)[role.name]
                machine.state = state
                with pytest.raises(StepRefused) as exc:
                    machine.feed(DictMessage(msg, {}), now=0)
                assert exc.value.step is None and exc.value.state == state
                assert exc.value.requirement == procedure.unexpected.requirement == "REQ-TKT-21"
