"""The generated stateful machines of the MIKEY-TICKET models (one KMS, two KMS domains) played
with the REAL world (``impl/roles/ticket``: codec, KDFs, AES-CM, HMAC, base tickets, BSF)
instead of ``ticket_world``'s symbolic one: legal runs agree on the ticket keys; replays,
duplicates, reordering and tampering are refused as the model says.  Modest example counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from mckm.impl.engine import RoleMachine
from mckm.impl.redact import Secret
from mckm.impl.roles.ticket.effects import registry
from mckm.impl.roles.ticket.endpoints import _factory
from mckm.impl.roles.ticket.facts import TicketFacts
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, PROCEDURES
from mckm.models.procedures.model import Procedure
from tests.e2e.ticket_fixtures import ALICE, BOB, KMS_A, KMS_B, NOW, TRUST, _octets, context, world
from tests.properties.generator import Scenario, build_state_machine

PARAMS = st.fixed_dictionaries({
    "now": st.integers(NOW - 3600, NOW + 3600),
    "reusable": st.integers(0, 1),
    "csb_id": st.integers(0, 2**32 - 1),
})


def scenario(procedure: Procedure) -> Scenario:
    bsf = world().bsf
    homes = ({"initiator": KMS_A, "kms": KMS_A, "responder": KMS_A}
             if procedure.name == ONE_DOMAIN.name else
             {"initiator": KMS_A, "kms_i": KMS_A, "responder": KMS_B, "kms_r": KMS_B})
    caches: dict[str, frozenset[Any]] = {}
    effects = registry()

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
                facts = TicketFacts(kms, bsf=bsf, tpk=Secret(_octets("TPK " + kms)))
                vars = {"uri": kms, "replay_cache": caches.get(role.name, frozenset()) if shared
                        else frozenset(), "requester": None, "btid": None, "ticket": None,
                        "issuer": None, "peer": None}
            facts.clock = int(params["now"])
            out[role.name] = RoleMachine(procedure, role.name, vars=_Kept(vars, role.name,
                                                                         caches, shared),
                                         facts=facts, effects=effects, trusted=TRUST.trusts,
                                         message_factory=_factory)
        return out

    return Scenario(procedure, make, ("initiator", "REQUEST_INIT"), PARAMS, "key",
                    reset=caches.clear)


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
    machine.TestCase.settings = settings(max_examples=20, stateful_step_count=6, deadline=None)
    machine.TestCase("runTest").runTest()
