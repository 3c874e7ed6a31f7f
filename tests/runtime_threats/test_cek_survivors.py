"""The KMS's CEK service of seed 001 (``mckm.impl.roles.cek``, spec/cek-smime.md) keeps its
contract where the happy path would not show it: the KMS access token counts only as an OAuth
2.0 bearer token (RFC 6750 2.1; TS 33.180 5.2.3), every answer is labelled as the JSON it is
(RFC 8259 11), an endpoint that holds no CEK names none in its update and gets a new CEK
(REQ-CEK-15), a client that holds no CEK names no Key ID, and the ``kms`` machine hands its
caller the Key ID it issued (the engine's ``Emit``).  Survivors of ``./dev mutate cek``, all
driven over the real HTTPS endpoints of tests/cek (a real IdM, the KMS and the MCPTT server's
push endpoint over mutual TLS)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from mckm.impl.engine.machine import Emit, RoleMachine, Send
from mckm.impl.roles.cek import wire
from mckm.impl.roles.cek.endpoint import ENDPOINT_EFFECTS, EndpointFacts
from mckm.models.procedures import cek as model
from tests.cek.conftest import ALICE, World, new_session, world
from tests.runtime_threats.test_cek_survivors_2 import _raw as raw_request

__all__ = ["world"]  # the module-scoped fixture of tests/cek: IdM, KMS, MCPTT server


def _raw(w: World, resource: str, authorization: str | None, body: bytes
         ) -> tuple[int, str, bytes]:
    """POST to the KMS's ``resource``: (status, media type of the answer, body)."""
    status, headers, answer = raw_request(w, "POST", resource, authorization, body)
    return status, headers.get_content_type(), answer


def _pair(session: str) -> dict[str, str]:
    return {"user": ALICE, "session": session}


@pytest.mark.parametrize("scheme", ["Basic", "Token", "DPoP", "MAC"])
def test_a_kms_token_under_another_auth_scheme_is_no_token(world: World, scheme: str) -> None:
    """REQ-CEK-10/-11: the KMS access token travels as a bearer token (RFC 6750 2.1,
    ``Authorization: Bearer``); the same valid token under another scheme is not a bearer
    token: 401 with the bearer challenge, nothing stored, nothing pushed."""
    token = world.kms_token()
    before, held = world.rows(), len(world.server.keyring.key_ids())
    body = json.dumps(_pair(new_session())).encode()
    status, _, answer = _raw(world, "issue", f"{scheme} {token}", body)
    assert status == 401, answer
    assert b"REQ-CEK-11" in answer and b"KMS access token is required" in answer, answer
    assert world.rows() == before and len(world.server.keyring.key_ids()) == held
    # the scheme name is case-insensitive (RFC 9110 11.1): the same token as "bearer" is taken
    status, _, answer = _raw(world, "issue", f"bearer {token}", body)
    assert status == 200 and world.rows() == before + 1, answer


def test_every_answer_is_labelled_json(world: World) -> None:
    """The answers of issue, update and retire are JSON objects (spec/cek-smime.md, "JSON
    bodies") labelled ``application/json`` (RFC 8259 11; RFC 9110 8.3: a client reads a body
    by its media type); a refusal is text."""
    token = world.kms_token()
    session = new_session()
    auth = f"Bearer {token}"
    status, media, answer = _raw(world, "issue", auth, json.dumps(_pair(session)).encode())
    assert (status, media) == (200, "application/json"), answer
    key_id = json.loads(answer)["key_id"]
    for resource, extra in (("update", {"key_id": key_id, "want": model.WANT_RESYNC}),
                            ("retire", {"key_id": key_id})):
        status, media, answer = _raw(world, resource, auth,
                                     json.dumps({**_pair(session), **extra}).encode())
        assert (status, media) == (200, "application/json"), (resource, answer)
        assert json.loads(answer)["key_id"] == key_id
    status, media, answer = _raw(world, "retire", auth,
                                 json.dumps({**_pair(session), "key_id": key_id}).encode())
    assert status == 409 and media == "text/plain", answer


def test_a_client_that_missed_a_kms_push_names_no_key_id_and_gets_a_new_cek(
        world: World) -> None:
    """REQ-CEK-15, spec/cek-smime.md "Same or new": an endpoint that missed a KMS push (its
    Key ID is retired: 409) names none and gets a new CEK, pushed to the server.  The client's
    request carries what its caller passes (``client.request``): here ``key_id`` = ''."""
    alice = world.client("alice")  # no notification endpoint: it misses the KMS's push
    token = world.kms_token()
    status, answer = alice.issue(token)
    assert status == 200, answer
    old = alice.key_id
    pushed = world.service.rekey(ALICE, alice.vars["session"])
    status, answer = alice.update(token)
    assert status == 409 and b"retired" in answer, answer
    machine = RoleMachine(model.PROCEDURE, "client", vars=alice.vars,
                          facts=EndpointFacts(alice.keyring), effects=ENDPOINT_EFFECTS,
                          start=alice.state)
    (send,) = [a for a in machine.send("UPDATE_REQUEST", now=int(alice.clock()), params={
        "token": token, "want": model.WANT_RESYNC, "key_id": ""}) if isinstance(a, Send)]
    body = wire.write_object("UPDATE_REQUEST", send.message)
    assert "key_id" not in json.loads(body), body
    status, answer = alice.post("update", token, body)
    assert status == 200, answer
    machine.feed(wire.answer_message("CEK_RESPONSE", answer), now=int(alice.clock()))
    new = json.loads(answer)["key_id"]
    assert machine.state == "done" and new not in (old, pushed)
    assert alice.keyring.key_ids() == {new: (ALICE, alice.vars["session"])}
    server_cek, client_cek = world.server.keyring.cek(new), alice.keyring.cek(new)
    assert server_cek is not None and client_cek is not None
    assert server_cek.reveal() == client_cek.reveal()
    assert pushed not in world.server.keyring.key_ids()


def test_a_client_that_holds_no_cek_names_no_key_id(world: World) -> None:
    """A client holds no CEK before its first issue, nor after a refused one (a refused
    exchange leaves it as it was): it names no Key ID ('', REQ-CEK-15 "none if it holds
    none"); after the issue it names the Key ID the KMS answered."""
    alice = world.client("alice")
    assert (alice.key_id, alice.state, alice.keyring.key_ids()) == ("", "idle", {})
    status, _ = alice.issue("")  # no token: 401
    assert status == 401
    assert (alice.key_id, alice.state, alice.keyring.key_ids()) == ("", "idle", {})
    status, answer = alice.issue(world.kms_token())
    assert status == 200 and alice.key_id == json.loads(answer)["key_id"]


def _emitted(actions: Sequence[object]) -> list[tuple[str, object]]:
    return [(a.name, a.value) for a in actions if isinstance(a, Emit)]


def test_the_kms_machine_hands_its_caller_the_key_id_it_issued(world: World) -> None:
    """``CekService.machine`` is the ``kms`` role for one request; like every role it hands
    its caller the key it established as an emitted value (engine ``Emit``: "e.g. the
    established key's id"): ``issued`` with the Key ID stored and sent, for an issue
    (REQ-CEK-12) and for a KMS-started update (REQ-CEK-16)."""
    token = world.kms_token()
    session = new_session()
    request = wire.request_message("CEK_REQUEST", token, json.dumps(_pair(session)).encode())
    actions = world.service.machine().feed(request, now=int(world.service.clock()))
    sent = {a.message.name: a.message for a in actions if isinstance(a, Send)}
    key_id = sent["CEK_RESPONSE"].get("key_id")
    assert _emitted(actions) == [("issued", key_id)]
    record = world.store.cek_record(key_id)
    assert record is not None and (record.user, record.session) == (ALICE, session)
    machine = world.service.machine()
    actions = machine.send("CEK_PUSH", now=int(world.service.clock()),
                           params={"user": ALICE, "session": session})
    new = machine.vars["key_id"]
    assert new != key_id and _emitted(actions) == [("issued", new)]
    assert [a.message.get("key_id") for a in actions if isinstance(a, Send)] == [new, new]
    live = world.store.cek_live(ALICE, session)
    assert live is not None and live.key_id == new
