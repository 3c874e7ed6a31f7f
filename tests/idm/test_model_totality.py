"""h2-style totality of the IdM's machine (``idm-authorisation``, role ``idm``): in every state,
every message of the model (or an unknown one) with any field values gives a legal move or a
clean refusal (a ``MckmError``: the engine's StepRefused naming step, guard and requirement),
never another exception; a refusal leaves the machine where it was."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.engine import DictMessage
from mckm.impl.errors import MckmError
from mckm.impl.roles.idm.facts import Code, IdmFacts
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.idm.tokens import Grant
from mckm.impl.roles.idm.wire import s256
from mckm.models.procedures import idm as model
from tests.idm.conftest import ALICE, CLIENT, REDIRECT, idm_config

ROLE = IdmRole.create(idm_config(), issuer="https://idm.example")
VERIFIER = "v" * 43
NOW = int(time.time())
ROLE.codes.add("c" * 43, Code(Grant("alice", ALICE, CLIENT, frozenset({"openid"}), NOW, None),
                              REDIRECT, s256(VERIFIER), NOW + 60), NOW)
STATES = model.PROCEDURE.states("idm")
NAMES = [m.name for m in model.PROCEDURE.messages] + ["UNKNOWN", ""]
VALUES = st.one_of(st.none(), st.integers(-2, 2**33), st.sampled_from(
    ["", "c" * 43, VERIFIER, CLIENT, REDIRECT, "code", "S256", "openid", "authorization_code",
     "alice", "3gpp:acr:password", s256(VERIFIER)]), st.text(max_size=8),
    st.binary(max_size=6), st.sets(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(state=st.sampled_from(STATES), name=st.sampled_from(NAMES), data=st.data())
def test_every_state_and_message_moves_or_refuses_cleanly(state: str, name: str,
                                                          data: st.DataObject) -> None:
    machine = ROLE.machine(IdmFacts(ROLE.config, ROLE.codes))
    machine.state = state
    fields = {}
    if name in {m.name for m in model.PROCEDURE.messages}:
        fields = {f: data.draw(VALUES) for f in model.PROCEDURE.message(name).fields}
    try:
        machine.feed(DictMessage(name, fields), now=NOW)
    except MckmError:
        assert machine.state == state
