"""A hypothesis state machine over the real HTTPS endpoints (KMS CEK service, MCPTT server push
endpoint, tokens of a real IdM): issue, update (resync / new), retire and replays of retired
Key IDs by two users on two SIP sessions, and requests with a token of the wrong user.  After
every step the KMS store, the MCPTT server's keyring and a plain reference of the seed's rules
agree: one live CEK per (user, session), the server holds exactly the live ones, a retired Key ID
is never live again, and a refused request changes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mckm.models.procedures import cek as model
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.cek.conftest import USERS, World, new_session

USER = st.sampled_from(sorted(USERS))
SLOT = st.integers(0, 1)


def test_the_endpoints_follow_the_seed_rules(world: World) -> None:
    tokens = {name: world.kms_token(name) for name in USERS}

    class CekMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.sessions = [new_session(), new_session()]
            self.live: dict[tuple[str, str], str] = {}  # (user, session) -> Key ID
            self.retired: set[str] = set()
            self.rows = world.rows()

        def _post(self, name: str, resource: str, body: dict[str, str],
                  token: str | None = None) -> tuple[int, dict[str, str]]:
            status, text = world.post(resource, tokens[name] if token is None else token,
                                      body)
            return status, (json.loads(text) if status == 200 else {"reason": text})

        @rule(name=USER, slot=SLOT)
        def issue(self, name: str, slot: int) -> None:
            pair = (USERS[name], self.sessions[slot])
            status, answer = self._post(name, "issue", {"user": pair[0], "session": pair[1]})
            if pair in self.live:
                assert status == 409 and "no-live-cek" in answer["reason"]
                return
            assert status == 200 and answer["key_id"] not in self.retired
            self.live[pair] = answer["key_id"]
            self.rows += 1

        @rule(name=USER, slot=SLOT, want=st.sampled_from(["resync", "new"]),
              stale=st.booleans(), keyless=st.booleans())
        def update(self, name: str, slot: int, want: str, stale: bool, keyless: bool) -> None:
            pair = (USERS[name], self.sessions[slot])
            key_id = (sorted(self.retired)[0] if stale and self.retired
                      else self.live.get(pair, "0" * 32))
            body = {"user": pair[0], "session": pair[1], "want": want}
            status, answer = self._post(name, "update",
                                        body if keyless else {**body, "key_id": key_id})
            if keyless:  # the endpoint holds no CEK: a new one, if the pair has a live one
                if pair not in self.live:
                    assert status == 404 and "live-cek-exists" in answer["reason"]
                    return
                assert status == 200 and answer["key_id"] != self.live[pair]
                self.retired.add(self.live[pair])
                self.live[pair] = answer["key_id"]
                self.rows += 1
                return
            if self.live.get(pair) != key_id:
                assert status == 409 and "key-id-live" in answer["reason"]
                return
            assert status == 200
            if want == "resync":
                assert answer["key_id"] == key_id
            else:
                assert answer["key_id"] != key_id
                self.retired.add(key_id)
                self.live[pair] = answer["key_id"]
                self.rows += 1

        @rule(name=USER, slot=SLOT)
        def retire(self, name: str, slot: int) -> None:
            pair = (USERS[name], self.sessions[slot])
            key_id = self.live.get(pair, "1" * 32)
            status, answer = self._post(name, "retire", {"user": pair[0], "session": pair[1],
                                                         "key_id": key_id})
            if pair not in self.live:
                assert status == 409
                return
            assert status == 200 and answer["retired"] == "true"
            self.retired.add(self.live.pop(pair))

        @rule(name=USER, slot=SLOT)
        def other_users_token(self, name: str, slot: int) -> None:
            other = next(n for n in USERS if n != name)
            pair = (USERS[name], self.sessions[slot])
            status, answer = self._post(name, "issue", {"user": pair[0], "session": pair[1]},
                                        token=tokens[other])
            assert status == 403 and "token-subject-is-user" in answer["reason"]

        @invariant()
        def store_and_server_agree_with_the_rules(self) -> None:
            assert world.rows() == self.rows
            held = world.server.keyring.key_ids()
            for pair in ((u, s) for u in USERS.values() for s in self.sessions):
                record = world.store.cek_live(*pair)
                assert (record.key_id if record else None) == self.live.get(pair)
                if pair in self.live:
                    assert held.get(self.live[pair]) == pair
            for key_id in self.retired:
                record = world.store.cek_record(key_id)
                assert record is not None and record.retired and key_id not in held

    CekMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12,
                                            deadline=None)
    CekMachine.TestCase("runTest").runTest()


@pytest.mark.parametrize("step, guard", [("2", "no-live-cek"), ("8", "key-id-live"),
                                         ("15", "key-id-live")])
def test_the_machine_catches_the_service_run_on_the_model_without(world: World, step: str,
                                                                  guard: str) -> None:
    (mutant,) = [m for m in drop_guard_mutants(model.PROCEDURE)
                 if (m.step, m.guard) == (step, guard)]
    world.service.procedure = mutant.procedure
    try:
        with pytest.raises(AssertionError):
            test_the_endpoints_follow_the_seed_rules(world)
    finally:
        world.service.procedure = model.PROCEDURE
