"""h2-style totality: every state x every message (legal, wrong type, ill-typed, unknown) gives
a legal move or a clean refusal (a ``MckmError``), for every model we have."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.engine import DictMessage, StepRefused
from mckm.impl.errors import MckmError
from mckm.models.procedures.model import Procedure
from tests.kms import skms_world
from tests.properties import seal_world, toy_model

ANY_VALUE = st.one_of(st.none(), st.integers(-2, 2**33), st.text(max_size=6),
                      st.binary(max_size=6), st.booleans(), st.sets(st.integers(), max_size=2))

SCENARIOS = {"toy": toy_model.scenario, "seal": seal_world.scenario, "skms": skms_world.scenario}


def _machines_in_every_state(name: str, params: dict[str, Any]) -> list[Any]:
    """Machines of every role in every state the model can reach, by playing prefixes."""
    from tests.properties.generator import play

    scn = SCENARIOS[name]()
    out = []
    full = play(scn, scn.make_machines(params, False), params)
    for k in range(len(full.deliveries) + 1):
        prefix = play(scn, scn.make_machines(params, False), params, stop_before=k)
        out.extend(prefix.machines.values())
    out.extend(full.machines.values())
    return out


def _params(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return SCENARIOS[name]().params


def _message_names(procedure: Procedure) -> list[str]:
    return [m.name for m in procedure.messages] + ["UNKNOWN", ""]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_state_and_message_moves_or_refuses_cleanly(name: str) -> None:
    procedure = SCENARIOS[name]().procedure

    @settings(max_examples=40, deadline=None)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        params = {**data.draw(_params(name)), "run": 0}
        machines = _machines_in_every_state(name, params)
        machine = data.draw(st.sampled_from(machines))
        msg_name = data.draw(st.sampled_from(_message_names(procedure)))
        fields = {}
        if msg_name in {m.name for m in procedure.messages}:
            for f in procedure.message(msg_name).fields:
                fields[f] = data.draw(ANY_VALUE)
        message = DictMessage(msg_name, fields)
        before = (machine.state, dict(machine.vars))
        try:
            machine.feed(message, now=params["now"])
        except StepRefused as exc:
            assert exc.requirement in procedure.requirements
            assert (machine.state, dict(machine.vars)) == before
        except MckmError:
            assert (machine.state, dict(machine.vars)) == before
        else:
            step = next(s for s in procedure.steps if s.target == machine.state)
            assert step.message == msg_name

    check()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_table_cell(name: str) -> None:
    """Each (role, state, message) cell: the table says move, or the refusal names the state."""
    procedure = SCENARIOS[name]().procedure
    for role in procedure.roles:
        table = procedure.table(role.name)
        for state, cells in table.items():
            for msg in _message_names(procedure):
                if ("receive", msg) in cells:
                    continue
                scn = SCENARIOS[name]()
                machine = scn.make_machines({"now": 3 * seal_world.PERIOD + 5000,
                                             "to": seal_world.USERS[1]}, False)[role.name]
                machine.state = state
                with pytest.raises(StepRefused) as exc:
                    machine.feed(DictMessage(msg, {}), now=0)
                assert exc.value.step is None and exc.value.state == state
                assert exc.value.requirement == procedure.unexpected.requirement
