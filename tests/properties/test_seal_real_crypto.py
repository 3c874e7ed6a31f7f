"""The generated stateful machine of the SEAL model played with the REAL crypto world
(``impl/roles/seal``: codec, ECCSI, SAKKE, TS 33.180 UIDs) instead of ``seal_world``'s
symbolic one; modest example counts, as every run costs real pairings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from mckm.impl.engine import RoleMachine
from mckm.impl.roles.seal import SealUser
from mckm.impl.roles.seal.effects import registry
from mckm.models.policy import PURPOSES
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from tests.e2e.seal_fixtures import NOW, kms
from tests.properties.generator import Scenario, build_state_machine

ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"
WINDOW = int(PROCEDURE.policy["replay_window"])

PARAMS = st.fixed_dictionaries({
    "now": st.integers(NOW - 3600, NOW + 3600),
    "purpose": st.sampled_from([p.name for p in PURPOSES]),
    "random": st.integers(0, 2**28 - 1),
    "key": st.binary(min_size=16, max_size=16),
    "to": st.just(BOB),
    "id_form": st.sampled_from(["uid", "uri"]),
})


def scenario() -> Scenario:
    k = kms()
    # Alice may also send group keys here: Bob counts her as an authorised SGM-S
    users = {u: SealUser(u, k.community, [k.keys(u)], group_servers=(ALICE,))
             for u in (ALICE, BOB)}
    stores: dict[str, dict[str, Any]] = {}
    effects = registry()

    def make(params: Mapping[str, Any], shared: bool) -> dict[str, RoleMachine]:
        a, b = users[ALICE], users[BOB]
        fresh = {**b.receiver_vars, "period": b.facts.period_of(int(params["now"])),
                 "key_store": None}
        rvars = stores.setdefault(BOB, fresh) if shared else fresh
        ivars = {**a.initiator_vars, "peer": params["to"], "peer_kms": a.community.kms_uri}
        return {"initiator": RoleMachine(PROCEDURE, "initiator", vars=ivars,
                                         facts=a.facts, effects=effects,
                                         message_factory=a._outgoing),
                "receiver": RoleMachine(PROCEDURE, "receiver", vars=rvars, facts=b.facts,
                                        effects=effects)}

    return Scenario(PROCEDURE, make, ("initiator", "I_MESSAGE"), PARAMS, "key",
                    reset=stores.clear)


def test_generated_seal_machine_with_real_crypto() -> None:
    machine = build_state_machine(scenario())
    machine.TestCase.settings = settings(max_examples=4, stateful_step_count=4, deadline=None)
    machine.TestCase("runTest").runTest()
