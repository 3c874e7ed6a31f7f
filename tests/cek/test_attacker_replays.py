"""The attacks ``mckm.proofs.attacker_cek`` finds, as octets on the real CEK service over
HTTPS (a real IdM, its JWKS, the KMS and the MCPTT server's push endpoint over mutual TLS):
each is first asked of the prover, then sent; the runtime must do what the model says, for the
model (refused) and for the mutant or the weaker assumption (the attack goes through).

- a leaked IdM signing key (an expected attack): a forged KMS access token gets the attacker
  a CEK for Alice on a session she never asked for, and the MCPTT server holds it for her;
- a compromised UE (Bob's client, its genuine token) asks for a new CEK on Alice's session:
  refused (``token-subject-is-user``); the mutant of step 8 without it answers Bob Alice's new
  CEK and retires hers (the secrecy counterexample of the prover);
- the runtime mutants "audience not checked" and "expiry not checked": Alice's KMS access
  token for another KMS (which holds it) and her expired KMS access token are refused (401);
  a verifier without the check issues a CEK for Alice to whoever presents them;
- the runtime mutant "Key ID reused across users": the prover kills it (two users of one SIP
  session under one Key ID); the runtime with that effect is stopped by the store's primary
  key instead (409, nothing stored): a defence the model does not have.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from mckm.impl.roles.cek import service
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.access_token import AccessToken, TokenVerifier
from mckm.impl.store.kms_store import CekRecord
from mckm.models.procedures import cek as model
from mckm.proofs import attacker_cek as A
from tests.cek.conftest import ALICE, BOB, World, claims, new_session

OTHER_KMS = "https://kms-b.example.org"
HONEST, UE, LEAKED = (a.name for a in (A.ASSUMPTIONS[0], A.ASSUMPTIONS[1], A.ASSUMPTIONS[3]))


@functools.cache
def _attack(prop: str, assumption: str, mutant: str = "") -> str:
    """The prover's trace of an attack on ``prop`` under ``assumption`` (in the model, or in
    the named mutant: a generated one or one of ``RUNTIME_MUTANTS``); "" when there is none."""
    muts = [m for m in A.all_mutants() if m.name == f"{A.PREFIX}{mutant}"]
    assert muts or not mutant, mutant
    world = A.World(A.PROCEDURE, muts)
    a = next(x for x in A.ASSUMPTIONS if x.name == assumption)
    found = world.under(a).check(prop, 0 if mutant else -1)
    return "" if found is None else " / ".join(A.trace(world.under(a), found))


def _json(answer: tuple[int, str]) -> dict[str, str]:
    status, body = answer
    assert status == 200, body
    out: dict[str, str] = json.loads(body)
    return out


def test_a_leaked_idm_key_gets_the_attacker_a_cek_for_alice(world: World) -> None:
    """Expected attack (authorised release, secrecy, agreement): the prover's trace is a
    CEK_REQUEST composed by the attacker; on the wire, a token signed with the IdM's own key
    for Alice is a KMS access token like any other."""
    trace = _attack(A.AUTHORISED, LEAKED)
    assert "accepts CEK_REQUEST" in trace and "composed by the attacker" in trace
    template = claims(world.kms_token("bob"))  # a genuine token's shape, Bob's
    forged = access_token.sign(world.idm.role.keys.signer(),
                               {**template, "sub": ALICE, access_token.MC_ID_CLAIM: ALICE})
    session = new_session()
    answer = _json(world.post("issue", forged, {"user": ALICE, "session": session}))
    assert answer["user"] == ALICE and answer["session"] == session
    # the MCPTT server holds that CEK for Alice, on a session Alice never asked for
    assert world.server.keyring.key_ids()[answer["key_id"]] == (ALICE, session)
    held = world.server.keyring.cek(answer["key_id"])
    assert held is not None and held.reveal() == base64.b64decode(answer["cek"])


def test_without_the_idm_key_the_same_forgery_is_refused(world: World) -> None:
    """The same claims under another key (the honest rows): 401, nothing stored."""
    assert not _attack(A.AUTHORISED, HONEST)
    stranger = access_token.signing_key(
        ECKey.import_key(ec.generate_private_key(ec.SECP256R1())),
        world.idm.role.keys.current_kid)
    template = claims(world.kms_token("bob"))
    forged = access_token.sign(stranger, {**template, "sub": ALICE,
                                          access_token.MC_ID_CLAIM: ALICE})
    before = world.rows()
    status, body = world.post("issue", forged, {"user": ALICE, "session": new_session()})
    assert status == 401 and "signature does not verify" in body
    assert world.rows() == before


@contextmanager
def _procedure(world: World, procedure: Any) -> Iterator[None]:
    world.service.procedure = procedure
    try:
        yield
    finally:
        world.service.procedure = model.PROCEDURE


def test_a_compromised_ue_takes_alices_new_cek_only_on_the_mutant(world: World) -> None:
    """Bob's client, with Bob's genuine KMS access token, asks for a new CEK on Alice's
    session naming no Key ID (public anyway): the model refuses (403), the mutant of step 8
    without ``token-subject-is-user`` answers Bob Alice's new CEK, as the prover's trace
    says (a composed UPDATE_REQUEST accepted, the new CEK answered to its sender)."""
    mutant = "step 8: drop token-subject-is-user"
    trace = _attack(A.SECRECY, UE, mutant)
    assert "accepts UPDATE_REQUEST" in trace and "composed by the attacker" in trace
    assert not _attack(A.SECRECY, UE)
    alice = world.client("alice")
    assert alice.issue(world.kms_token("alice"))[0] == 200
    first = alice.key_id
    session = alice.vars["session"]
    bobs = world.kms_token("bob")
    ask = {"user": ALICE, "session": session, "want": model.WANT_NEW}
    before = world.rows()
    status, body = world.post("update", bobs, ask)
    assert status == 403 and "token-subject-is-user" in body and world.rows() == before
    assert world.server.keyring.key_ids()[first] == (ALICE, session)
    (m,) = [x for x in A.all_mutants() if x.name == f"{A.PREFIX}{mutant}"]
    with _procedure(world, m.procedure):
        stolen = _json(world.post("update", bobs, ask))
    assert stolen["user"] == ALICE and stolen["key_id"] != first
    held = world.server.keyring.cek(stolen["key_id"])
    assert held is not None and held.reveal() == base64.b64decode(stolen["cek"])
    assert first not in world.server.keyring.key_ids()  # Alice's own CEK is retired


class _Unchecked(TokenVerifier):
    """The runtime mutants: a verifier that does not check the audience, or the expiry."""

    def __init__(self, real: TokenVerifier, what: str) -> None:
        self.__dict__.update(real.__dict__)
        self.what = what

    def _check_claims(self, claims: dict[str, Any], now: float) -> AccessToken:
        if self.what == "audience":
            claims = {**claims, "aud": self.audience}
        else:
            claims = {**claims, "exp": int(now) + 60, "iat": int(now), "nbf": int(now)}
        return super()._check_claims(claims, now)


def _other_kms_token(world: World) -> str:
    """Alice's KMS access token for another KMS (the key management scope, another
    audience): that KMS, or anyone on its side, holds it."""
    saved = world.idm.role.config
    world.idm.role.config = dataclasses.replace(saved, kms_audience=OTHER_KMS)
    try:
        return world.kms_token("alice")
    finally:
        world.idm.role.config = saved


def _expired_kms_token(world: World) -> str:
    world.idm.role.clock = lambda: time.time() - 3600
    try:
        return world.kms_token("alice")
    finally:
        world.idm.role.clock = time.time


@pytest.mark.parametrize(("what", "mutant", "make", "reason"), [
    ("audience", "token fact: audience not checked", _other_kms_token, "another audience"),
    ("expiry", "token fact: expiry not checked", _expired_kms_token, "has expired"),
])
def test_a_token_the_attacker_holds_gets_alices_cek_only_without_the_check(
        world: World, what: str, mutant: str, make: Any, reason: str) -> None:
    """Alice's KMS access token for another KMS, or her expired KMS access token: the
    runtime refuses (401 naming why); with the check
    dropped from the verifier, the KMS issues a CEK for Alice to whoever presents it, as the
    prover says of the runtime mutant under honest parties."""
    assert _attack(A.AUTHORISED, HONEST, mutant)
    token = make(world)
    session = new_session()
    before = world.rows()
    status, body = world.post("issue", token, {"user": ALICE, "session": session})
    assert status == 401 and reason in body and world.rows() == before
    real = world.service.verifier
    world.service.verifier = _Unchecked(real, what)
    try:
        answer = _json(world.post("issue", token, {"user": ALICE, "session": session}))
    finally:
        world.service.verifier = real
    assert answer["user"] == ALICE and world.rows() == before + 1
    assert world.server.keyring.key_ids()[answer["key_id"]] == (ALICE, session)


def test_bob_never_gets_alices_cek_under_the_model(world: World) -> None:
    """The honest-and-compromised-UE rows hold on the wire: Bob's genuine token names Alice
    in each request kind and is refused each time, nothing stored."""
    alice = world.client("alice")
    assert alice.issue(world.kms_token("alice"))[0] == 200
    bobs = world.kms_token("bob")
    session = alice.vars["session"]
    before = world.rows()
    for resource, extra in (("issue", {}), ("update", {"want": model.WANT_RESYNC}),
                            ("update", {"want": model.WANT_NEW, "key_id": alice.key_id}),
                            ("retire", {"key_id": alice.key_id})):
        status, body = world.post(resource, bobs, {"user": ALICE, "session": session,
                                                   **extra})
        assert status == 403 and "token-subject-is-user" in body, (resource, body)
    assert world.rows() == before
    assert world.server.keyring.key_ids()[alice.key_id] == (ALICE, session)


def test_a_key_id_per_session_is_stopped_by_the_store_not_by_a_guard(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime mutant of the effect: a Key ID derived from the SIP session alone.  The
    prover's Key ID row kills it (Alice and Bob on one session under one Key ID); on the real
    service the store's PRIMARY KEY on the Key ID refuses Bob's issue (409), nothing stored,
    and the server keeps Alice's CEK alone under it."""
    trace = _attack(A.KEY_ID, HONEST, "effect cek.issue: Key ID reused across users")
    assert trace.count("sends CEK_PUSH") >= 2
    real = service._fresh

    def per_session(user: str, session: str, issued: int, notify: str) -> CekRecord:
        record = real(user, session, issued, notify)
        key_id = hashlib.sha256(session.encode()).digest()[:16].hex()
        return dataclasses.replace(record, key_id=key_id)

    monkeypatch.setattr(service, "_fresh", per_session)
    session = new_session()
    first = _json(world.post("issue", world.kms_token("alice"),
                             {"user": ALICE, "session": session}))
    before = world.rows()
    status, body = world.post("issue", world.kms_token("bob"), {"user": BOB, "session": session})
    assert status == 409 and world.rows() == before, body
    assert "REQ-CEK-12" in body and "issued before" in body, body
    assert world.server.keyring.key_ids()[first["key_id"]] == (ALICE, session)
