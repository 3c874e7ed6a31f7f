"""Generated stateful runs on the real endpoints (IdM and KMS over HTTPS): logins with right and
wrong passwords, codes redeemed rightly, with a wrong verifier or redirect URI, or replayed,
key rollovers, forged and expired tokens, and tokens presented to the KMS for one MC ID or
another.  A model of what each
answer must be runs beside them: a code gives tokens at most once and only to its verifier;
the KMS serves only a KMS access token for its own MC ID, and stores key sets only then."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from mckm.impl.roles.idm import client
from mckm.impl.roles.kms import access_token
from tests.idm.conftest import ALICE, BOB, PASSWORDS, World

USERS = {"alice": ALICE, "bob": BOB}
ENROLLED = {ALICE}


@dataclass
class Code:
    session: client.IdmSession
    code: str
    user: str
    used: bool = False


@dataclass(frozen=True)
class Token:
    value: str
    kind: str  # kms_access_token, access_token, id_token, forged, expired
    user: str


class IdmAndKms(RuleBasedStateMachine):
    world: World
    codes = Bundle("codes")
    tokens = Bundle("tokens")

    @rule(target=codes, user=st.sampled_from(sorted(USERS)), right=st.booleans())
    def login(self, user: str, right: bool) -> Code | None:
        session = self.world.session()
        answer = session.login(user, PASSWORDS[user] if right else PASSWORDS[user] + "x")
        if not right:
            assert answer.status == 401 and "location" not in answer.headers
            return None
        params = answer.location_params()
        assert answer.status == 302 and params["state"] == session.state
        return Code(session, params["code"], user)

    @rule(target=tokens, code=codes, how=st.sampled_from(["right", "verifier", "redirect"]))
    def redeem(self, code: Code | None, how: str) -> Token | None:
        if code is None:
            return None
        changes = {"right": {}, "verifier": {"code_verifier": client.new_verifier()},
                   "redirect": {"redirect_uri": code.session.redirect_uri + "x"}}[how]
        answer = code.session.redeem(code.code, **changes)
        was_used, code.used = code.used, True
        if was_used or how != "right":
            assert answer.status == 400 and answer.json()["error"] == "invalid_grant"
            reason = answer.json()["error_description"]
            assert ("already used" in reason) == was_used, reason
            return None
        assert answer.status == 200, answer.body[:200]
        document = answer.json()
        return Token(document["kms_access_token"], "kms_access_token", USERS[code.user])

    @rule(code=codes)
    def replay(self, code: Code | None) -> None:
        """A code already presented, presented again with the right verifier (RFC 6749
        4.1.2: single use)."""
        if code is None or not code.used:
            return
        answer = code.session.redeem(code.code)
        assert answer.status == 400 and "already used" in answer.json()["error_description"]

    @rule(target=tokens, code=consumes(codes),
          kind=st.sampled_from(["access_token", "id_token"]))
    def redeem_for_another_server(self, code: Code | None, kind: str) -> Token | None:
        """A fresh code's MCPTT access token or ID token, presented to the KMS later."""
        if code is None or code.used:
            return None
        code.used = True
        answer = code.session.redeem(code.code)
        assert answer.status == 200, answer.body[:200]
        return Token(answer.json()[kind], kind, USERS[code.user])

    @rule(target=tokens, token=tokens)
    def forge(self, token: Token | None) -> Token | None:
        """The token's claims signed again by a key that is not the IdM's, under its kid."""
        if token is None or token.kind != "kms_access_token":
            return None
        stranger = access_token.signing_key(ec.generate_private_key(ec.SECP256R1()),
                                            self.world.role.keys.current_kid)
        payload = token.value.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return Token(access_token.sign(stranger, claims), "forged", token.user)

    @rule(target=tokens, user=st.sampled_from(sorted(USERS)))
    def expired(self, user: str) -> Token:
        """A KMS access token the IdM issued with its clock an hour back (lifetime 600 s)."""
        self.world.role.clock = lambda: time.time() - 3600
        try:
            document = client.login(self.world.session(), user, PASSWORDS[user])
        finally:
            self.world.role.clock = time.time
        return Token(document["kms_access_token"], "expired", USERS[user])

    @rule(token=tokens, asked=st.sampled_from([None, ALICE, BOB]))
    def present(self, token: Token | None, asked: str | None) -> None:
        if token is None:
            return
        before = self.world.store.count("key_sets")
        status, body = self.world.kms_post(token.value, asked)
        if token.kind == "forged":
            assert status == 401 and "signature does not verify" in body, body[:200]
        elif token.kind == "expired":
            assert status == 401 and "has expired" in body, body[:200]
        elif token.kind == "access_token":
            assert status == 401 and "another audience" in body, body[:200]
        elif token.kind == "id_token":
            assert status == 401 and "lacks scope" in body, body[:200]
        elif asked not in (None, token.user):
            assert status == 403 and "not the token's MC ID" in body, body[:200]
        elif token.user not in ENROLLED:
            assert status == 403 and "not enrolled" in body, body[:200]
        else:
            assert status == 200, body[:200]
        if status != 200:
            assert self.world.store.count("key_sets") == before

    @rule()
    def rollover(self) -> None:
        self.world.role.keys.rollover(time.time())

    @invariant()
    def no_key_set_for_a_user_not_enrolled(self) -> None:
        periods = self.world.kms.service.role.current_periods()
        assert not self.world.store.key_sets(BOB, periods)


def test_generated_runs(world: World) -> None:
    IdmAndKms.world = world
    run_state_machine_as_test(IdmAndKms, settings=settings(
        max_examples=15, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
