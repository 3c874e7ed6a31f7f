"""The KMS CEK service of seed 001 over real HTTPS, with tokens from a real IdM and the push to
an MCPTT server over mutual TLS (model cek-management, REQ-CEK-10..18)."""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from mckm.impl.errors import PolicyError, StoreError
from mckm.impl.roles.cek.endpoint import CekKeyring
from mckm.impl.roles.cek.https import CekPki, PushEndpoint, Pusher, mutual_client_context
from mckm.impl.roles.cek.wire import key_id_octets
from mckm.impl.roles.kms import access_token
from mckm.impl.smime import mime
from mckm.impl.transport.https_kms import client_context, load_identity
from mckm.models.procedures import cek as model
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.cek.conftest import ALICE, BOB, KMS_ID, SERVER_ID, World, claims, new_session
from tests.idm.conftest import SCOPES

BODY = b"<mcptt-info><mcptt-Params><mcptt-request-uri>sip:alice@example.org" \
       b"</mcptt-request-uri></mcptt-Params></mcptt-info>"
INFO = "application/vnd.3gpp.mcptt-info+xml"


def _ok(answer: tuple[int, bytes]) -> dict[str, str]:
    status, body = answer
    assert status == 200, body[:300]
    out: dict[str, str] = json.loads(body)
    return out


def test_two_users_on_one_sip_session_get_their_own_cek_and_the_server_both(
        world: World) -> None:
    session = new_session()
    before = world.rows()
    alice, bob = world.client("alice", session), world.client("bob", session)
    a = _ok(alice.issue(world.kms_token("alice")))
    b = _ok(bob.issue(world.kms_token("bob")))
    assert (a["user"], b["user"]) == (ALICE, BOB) and a["session"] == b["session"] == session
    assert a["key_id"] != b["key_id"] and a["cek"] != b["cek"]
    assert alice.state == bob.state == "done"
    held = world.server.keyring.key_ids()
    assert held[a["key_id"]] == (ALICE, session) and held[b["key_id"]] == (BOB, session)
    assert world.server.keyring.cek(a["key_id"]).reveal() == alice.keyring.cek(
        a["key_id"]).reveal()  # type: ignore[union-attr]
    assert world.rows() == before + 2


def test_the_cek_protects_sip_bodies_both_ways(world: World) -> None:
    """End to end: the client seals a SIP MESSAGE body the server opens, and back."""
    alice = world.client("alice")
    key_id = _ok(alice.issue(world.kms_token()))["key_id"]
    cek = alice.keyring.cek(key_id)
    assert cek is not None
    request = mime.sip_request(mime.seal(BODY, INFO, key_id_octets(key_id), cek),
                               from_uri=ALICE, to_uri="sip:mcptt-server@example.org")
    assert mime.open_sealed(mime.der_of_sip(request), world.server.keyring.lookup) == (
        INFO, BODY, key_id_octets(key_id))
    server_cek = world.server.keyring.cek(key_id)
    assert server_cek is not None
    answer = mime.seal(b"<ok/>", INFO, key_id_octets(key_id), server_cek)
    assert mime.open_sealed(answer, alice.keyring.lookup)[1] == b"<ok/>"
    # another user's CEK on the same server opens nothing of alice's
    bob = world.client("bob")
    _ok(bob.issue(world.kms_token("bob")))
    with pytest.raises(PolicyError, match=r"REQ-CEK-06|Key ID"):
        mime.open_sealed(answer, bob.keyring.lookup)


def _stranger(kid: str | None) -> ECKey:
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    return access_token.signing_key(key, kid) if kid else key


def _forged(w: World) -> str:
    return access_token.sign(_stranger(w.idm.role.keys.current_kid), claims(w.kms_token()))


def _expired(w: World) -> str:
    w.idm.role.clock = lambda: time.time() - 3600
    try:
        return w.kms_token()
    finally:
        w.idm.role.clock = time.time


CASES: list[tuple[str, Callable[[World], str], str, int, str]] = [
    ("forged", _forged, ALICE, 401, "signature does not verify"),
    ("expired", _expired, ALICE, 401, "has expired"),
    ("wrong audience (the MCPTT access token)", lambda w: w.tokens()["access_token"], ALICE,
     401, "another audience"),
    ("no token", lambda w: "", ALICE, 401, "KMS access token is required"),
    ("wrong scope", lambda w: w.tokens(scopes=("openid", "3gpp:mc:ptt_service",
                                               "3gpp:mc:video_key_management_service"))[
        "kms_access_token"], ALICE, 403, "key management scope"),
    ("wrong subject", lambda w: w.kms_token("bob"), ALICE, 403, "another MCPTT ID"),
]


@pytest.mark.parametrize("name, make, user, status, reason", CASES, ids=[c[0] for c in CASES])
def test_bad_tokens_are_refused_and_nothing_is_stored(world: World, name: str,
                                                      make: Callable[[World], str], user: str,
                                                      status: int, reason: str) -> None:
    token = make(world)
    before, held = world.rows(), len(world.server.keyring.key_ids())
    got, body = world.post("issue", token, {"user": user, "session": new_session()})
    assert got == status, body
    assert reason in body and "REQ-CEK-11" in body and "token" in body, body
    assert world.rows() == before and len(world.server.keyring.key_ids()) == held


def test_retire_then_the_retired_key_id_is_never_accepted(world: World) -> None:
    alice = world.client("alice")
    token = world.kms_token()
    key_id = _ok(alice.issue(token))["key_id"]
    assert key_id in world.server.keyring.key_ids()
    retired = _ok(alice.retire(token))
    assert retired == {"user": ALICE, "session": alice.vars["session"],
                       "key_id": key_id, "retired": "true"}
    assert key_id not in world.server.keyring.key_ids() and alice.state == "left"
    record = world.store.cek_record(key_id)
    assert record is not None and record.retired and record.cek is None
    before = world.rows()
    for resource, extra in (("update", {"want": "resync"}), ("update", {"want": "new"}),
                            ("retire", {})):
        got, body = world.post(resource, token, {"user": ALICE, "session":
                                                 alice.vars["session"],
                                                 "key_id": key_id, **extra})
        assert got == 409 and "retired" in body and "key-id-live" in body, body
    assert world.rows() == before
    # a push of the retired Key ID to the server (a replay by the KMS itself) is refused
    pusher = Pusher(world.pki.issue(KMS_ID), world.pki.cert_pem)
    try:
        status, body = pusher.push(world.server.base_url, "push", json.dumps({
            "user": ALICE, "session": "sip:x@example.org", "key_id": key_id,
            "cek": "A" * 43 + "="}).encode())
    finally:
        pusher.close()
    assert status == 409 and b"key-id-never-held" in body


def test_an_issue_while_a_cek_is_live_is_refused(world: World) -> None:
    alice = world.client("alice")
    token = world.kms_token()
    _ok(alice.issue(token))
    before = world.rows()
    got, body = world.post("issue", token, {"user": ALICE,
                                            "session": alice.vars["session"]})
    assert got == 409 and "no-live-cek" in body and world.rows() == before


def test_endpoint_update_resync_gives_the_same_cek_new_gives_a_new_one(world: World) -> None:
    alice = world.client("alice")
    token = world.kms_token()
    first = _ok(alice.issue(token))
    same = _ok(alice.update(token, model.WANT_RESYNC))
    assert same == first
    new = _ok(alice.update(token, model.WANT_NEW))
    assert new["key_id"] != first["key_id"] and new["cek"] != first["cek"]
    held = world.server.keyring.key_ids()
    assert new["key_id"] in held and first["key_id"] not in held
    old = world.store.cek_record(first["key_id"])
    assert old is not None and old.retired
    # a resync of a CEK older than cek_refresh_age: the KMS decides on a new one
    later = lambda: time.time() + model.PROCEDURE.policy["cek_refresh_age"] + 5  # noqa: E731
    world.service.clock = world.idm.role.clock = later
    try:
        aged = _ok(alice.update(world.kms_token(), model.WANT_RESYNC))
    finally:
        world.service.clock = world.idm.role.clock = time.time
    assert aged["key_id"] not in (first["key_id"], new["key_id"])


def test_a_kms_started_update_reaches_both_ends(world: World) -> None:
    alice = world.client("alice")
    notify = PushEndpoint(world.pki.issue("https://alice-ue.example.org"), world.pki.cert_pem,
                          KMS_ID, client=alice)
    with notify:
        first = _ok(alice.issue(world.kms_token(), notify=notify.base_url))
        new_id = world.service.rekey(ALICE, alice.vars["session"])
    assert new_id != first["key_id"]
    assert alice.keyring.key_ids() == {new_id: (ALICE, alice.vars["session"])}
    assert new_id in world.server.keyring.key_ids()
    assert first["key_id"] not in world.server.keyring.key_ids()
    assert alice.keyring.cek(new_id).reveal() == world.server.keyring.cek(  # type: ignore
        new_id).reveal()  # type: ignore[union-attr]


def _raw_push(world: World, context: ssl.SSLContext) -> int:
    conn = http.client.HTTPSConnection(world.server.host, world.server.port, context=context,
                                       timeout=5)
    try:
        conn.request("POST", "/cek/v1/push", body=json.dumps({
            "user": ALICE, "session": new_session(), "key_id": "ab" * 16,
            "cek": "A" * 43 + "="}).encode())
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_push_without_a_client_certificate_fails_the_handshake(world: World) -> None:
    before = world.server.keyring.key_ids()
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException, OSError)):
        _raw_push(world, client_context(world.pki.cert_pem))
    assert world.server.keyring.key_ids() == before


def test_a_push_with_a_certificate_of_another_ca_fails_the_handshake(world: World) -> None:
    other = CekPki.create()
    context = client_context(world.pki.cert_pem)
    load_identity(context, other.issue(KMS_ID))
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException, OSError)):
        _raw_push(world, context)


def test_a_push_from_another_identity_of_the_ca_is_forbidden(world: World) -> None:
    before = world.server.keyring.key_ids()
    context = mutual_client_context(world.pki.issue(SERVER_ID), world.pki.cert_pem)
    assert _raw_push(world, context) == 403
    assert "pushed-by-the-kms" in world.server.refusals[-1]
    assert world.server.keyring.key_ids() == before
    assert _raw_push(world, mutual_client_context(world.pki.issue(KMS_ID),
                                                  world.pki.cert_pem)) == 200


def test_a_server_that_refuses_the_push_leaves_no_live_cek(world: World) -> None:
    """The KMS pushing to an endpoint that does not know its identity: 502, CEK retired."""
    stranger = PushEndpoint(world.pki.issue(SERVER_ID), world.pki.cert_pem,
                            "https://another-kms.example.org")
    saved = world.service.server_url
    with stranger:
        world.service.server_url = stranger.base_url
        try:
            session = new_session()
            got, body = world.post("issue", world.kms_token(),
                                   {"user": ALICE, "session": session})
        finally:
            world.service.server_url = saved
    assert got == 502 and "REQ-CEK-14" in body and "403" in body, body
    assert world.store.cek_live(ALICE, session) is None
    assert world.post("issue", world.kms_token(), {"user": ALICE, "session": session})[0] \
        == 200  # a new Key ID for the session once the server takes it


@pytest.mark.parametrize("body, field", [
    (b"not json", "JSON"), (b"[]", "not a JSON object"),
    (json.dumps({"user": ALICE}).encode(), "lacks 'session'"),
    (json.dumps({"user": ALICE, "session": "s", "extra": "x"}).encode(), "extra"),
    (json.dumps({"user": 7, "session": "s"}).encode(), "user"),
    (json.dumps({"user": ALICE, "session": "s", "notify": "http://x"}).encode(), "notify"),
])
def test_bad_bodies_are_400_naming_the_member(world: World, body: bytes, field: str) -> None:
    before = world.rows()
    got, text = world.post("issue", world.kms_token(), body)
    assert got == 400 and field in text and "CEK JSON body" in text, text
    assert world.rows() == before


def test_an_unknown_resource_is_404(world: World) -> None:
    assert world.post("lookup", world.kms_token(), {"user": ALICE})[0] == 404


def test_the_keyring_and_records_do_not_show_keys(world: World) -> None:
    alice = world.client("alice")
    answer = _ok(alice.issue(world.kms_token()))
    text = repr(world.store.cek_record(answer["key_id"])) + repr(alice.keyring) \
        + repr(world.server.keyring) + repr(alice.vars)
    assert answer["cek"] not in text and "redacted" in text


def test_scopes_fixture_grants_key_management() -> None:
    assert "3gpp:mc:ptt_key_management_service" in SCOPES
    assert CekKeyring().lookup(b"\x00" * 16) is None


#: (dropping token-valid alone is not here: the facts read the claims of verified tokens only,
#: so a forged token grants no scope and token-scope still refuses it)
MUTANTS = [("2", "token-subject-is-user", lambda w: w.kms_token("bob")),
           ("2", "token-scope", lambda w: w.tokens(scopes=(
               "openid", "3gpp:mc:ptt_service", "3gpp:mc:video_key_management_service"))[
               "kms_access_token"])]


@pytest.mark.parametrize("step, guard, make", MUTANTS, ids=[m[1] for m in MUTANTS])
def test_the_service_on_a_mutant_without_the_guard_stores_what_the_model_refuses(
        world: World, step: str, guard: str, make: Callable[[World], str]) -> None:
    """The refusal tests above can fail: the same request, served by the model with the guard
    dropped, is answered 200 and stores a CEK."""
    (mutant,) = [m for m in drop_guard_mutants(model.PROCEDURE)
                 if (m.step, m.guard) == (step, guard)]
    token = make(world)
    world.service.procedure = mutant.procedure
    try:
        before = world.rows()
        got, body = world.post("issue", token, {"user": ALICE, "session": new_session()})
    finally:
        world.service.procedure = model.PROCEDURE
    assert got == 200 and world.rows() == before + 1, body


def test_logs_name_no_key_token_or_key_id(world: World, caplog: pytest.LogCaptureFixture
                                          ) -> None:
    alice = world.client("alice")
    token = world.kms_token()
    with caplog.at_level(logging.DEBUG):
        answer = _ok(alice.issue(token))
        _ok(alice.update(token, model.WANT_NEW))
        world.post("issue", "forged." + token, {"user": ALICE, "session": new_session()})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/cek/v1/issue -> 200" in text and "push CEK_PUSH -> 200" in text
    for secret in (answer["cek"], token, answer["key_id"], ALICE):
        assert secret not in text


def test_a_failing_store_is_503_and_nothing_is_pushed(world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("SQLite: database is locked")

    monkeypatch.setattr(world.store, "cek_issue", broken)
    held = world.server.keyring.key_ids()
    got, body = world.post("issue", world.kms_token(), {"user": ALICE, "session": new_session()})
    assert got == 503 and "REQ-CEK-13" in body and "database is locked" in body
    assert world.server.keyring.key_ids() == held


def test_a_client_that_missed_a_kms_push_gets_a_new_cek_by_a_keyless_update(
        world: World) -> None:
    """No notification endpoint: the KMS-started update reaches the server only; the client's
    Key ID is retired (409), and an update naming no Key ID gives it a new CEK the server
    holds."""
    alice = world.client("alice")
    token = world.kms_token()
    first = _ok(alice.issue(token))["key_id"]
    pushed = world.service.rekey(ALICE, alice.vars["session"])
    got, body = world.post("update", token, {"user": ALICE, "session": alice.vars["session"],
                                             "key_id": first, "want": "resync"})
    assert got == 409 and "retired" in body
    fresh = _ok((lambda: world.connection().post("update", token, json.dumps({
        "user": ALICE, "session": alice.vars["session"], "want": "resync"}).encode()))())
    assert fresh["key_id"] not in (first, pushed)
    assert fresh["key_id"] in world.server.keyring.key_ids()
    assert pushed not in world.server.keyring.key_ids()
    got, body = world.post("update", token, {"user": ALICE, "session": new_session(),
                                             "want": "new"})
    assert got == 404 and "live-cek-exists" in body
