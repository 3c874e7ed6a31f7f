"""The KMS's CEK service of seed 001 (``mckm.impl.roles.cek``, spec/cek-smime.md) keeps the
parts of its contract a second sample of ``./dev mutate cek`` showed untested: a refusal for
want of a valid token carries the bearer challenge (RFC 6750 3), the bearer credentials allow
more than one space before the token (RFC 6750 2.1), only ``POST`` is served (spec/cek-smime.md
"Resources", REQ-CEK-10), a race lost at the store's unique (user, session) index is answered
409 like the guard ``no-live-cek`` (REQ-CEK-12), a retire is emitted with its Key ID (engine
``Emit``), and a KMS-started update whose push the MCPTT server refuses fails loudly naming
REQ-CEK-14 with the new CEK retired.  Driven over the real HTTPS endpoints of tests/cek (a real
IdM, the KMS and the MCPTT server's push endpoint over mutual TLS) where the threat is on the
wire."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from mckm.impl.engine.machine import Emit
from mckm.impl.errors import MckmError
from mckm.impl.roles.cek import wire
from mckm.impl.roles.cek.service import BASE_PATH, CekService
from mckm.impl.store.kms_store import CekRecord
from mckm.impl.transport.https_kms import client_context
from mckm.models.procedures import cek as model
from tests.cek.conftest import ALICE, World, new_session, world

__all__ = ["world"]  # the module-scoped fixture of tests/cek: IdM, KMS, MCPTT server


def _raw(w: World, method: str, resource: str, authorization: str | None, body: bytes
         ) -> tuple[int, http.client.HTTPMessage, bytes]:
    """``method`` on the KMS's ``resource`` as any HTTP client would: status, headers, body."""
    conn = http.client.HTTPSConnection(w.kms.host, w.kms.port,
                                       context=client_context(w.pki.cert_pem), timeout=10)
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    try:
        conn.request(method, f"{BASE_PATH}/{resource}", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _pair(session: str) -> bytes:
    return json.dumps({"user": ALICE, "session": session}).encode()


def _challenge(value: str) -> tuple[str, dict[str, str]]:
    """The auth-scheme (lower case) and auth-params of one challenge (RFC 9110 11.6.1: names
    are case-insensitive, values are not)."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, _, val = part.strip().partition("=")
        params[name.strip().lower()] = val.strip().strip('"')
    return scheme.lower(), params


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt"])
def test_a_refused_token_carries_the_bearer_challenge(world: World,
                                                       authorization: str | None) -> None:
    """REQ-CEK-11 over RFC 6750 3: a request without a valid KMS access token is answered 401
    with ``WWW-Authenticate: Bearer`` naming the realm and ``error="invalid_token"`` (the
    error code is case-sensitive, RFC 6750 3.1); nothing is stored, nothing pushed."""
    before, held = world.rows(), len(world.server.keyring.key_ids())
    status, headers, body = _raw(world, "POST", "issue", authorization,
                                 _pair(new_session()))
    assert status == 401 and b"REQ-CEK-11" in body, body
    challenges = headers.get_all("WWW-Authenticate") or []
    assert len(challenges) == 1, headers
    scheme, params = _challenge(challenges[0])
    assert scheme == "bearer", challenges
    assert params.get("realm") == "kms" and params.get("error") == "invalid_token", challenges
    assert world.rows() == before and len(world.server.keyring.key_ids()) == held


def test_bearer_credentials_may_have_several_spaces(world: World) -> None:
    """RFC 6750 2.1: ``credentials = "Bearer" 1*SP b64token``: a valid KMS access token after
    two spaces is the bearer token; the CEK is issued and pushed (REQ-CEK-10, -12, -14)."""
    before = world.rows()
    status, _, body = _raw(world, "POST", "issue", f"Bearer  {world.kms_token()}",
                           _pair(new_session()))
    assert status == 200, body
    key_id = json.loads(body)["key_id"]
    assert world.rows() == before + 1 and key_id in world.server.keyring.key_ids()


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_only_post_issues_a_cek(world: World, method: str) -> None:
    """spec/cek-smime.md "Resources" (REQ-CEK-10): the CEK resources are ``POST``; another
    method with a valid token and body is refused: no CEK issued, stored or pushed."""
    before, held = world.rows(), len(world.server.keyring.key_ids())
    status, _, body = _raw(world, method, "issue", f"Bearer {world.kms_token()}",
                           _pair(new_session()))
    assert status >= 400, body
    assert world.rows() == before and len(world.server.keyring.key_ids()) == held


class _LateReplica:
    """The KMS store as a replica sees it that read before another one committed: no CEK is
    live yet for any (user, session); every write goes to the shared store."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def cek_live(self, user: str, session: str) -> CekRecord | None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_an_issue_race_lost_at_the_store_is_409(world: World) -> None:
    """REQ-CEK-12 and the service's contract: two replicas issuing for one (user, session)
    both pass ``no-live-cek``; the store's unique index lets one in and the other is answered
    409 as that guard would (its requirement and reason), nothing stored, nothing pushed."""
    session = new_session()
    status, _ = world.post("issue", world.kms_token(), {"user": ALICE, "session": session})
    assert status == 200
    late = CekService(_LateReplica(world.store), world.service.verifier,  # type: ignore[arg-type]
                      world.service.pusher, world.service.server_url)
    before, held = world.rows(), len(world.server.keyring.key_ids())
    reply = late.handle("POST", f"{BASE_PATH}/issue",
                        {"authorization": f"Bearer {world.kms_token()}"}, _pair(session))
    guard = model.G_NONE_LIVE
    assert reply.status == 409, reply
    assert reply.body.decode().strip() == f"{guard.requirement}: {guard.reason}", reply
    assert world.rows() == before and len(world.server.keyring.key_ids()) == held


def test_the_kms_machine_emits_the_key_id_it_retired(world: World) -> None:
    """``CekService.machine`` hands its caller the key it acted on (engine ``Emit``): a retire
    (REQ-CEK-17) emits ``retired`` with the Key ID it retired, which the store keeps retired."""
    session = new_session()
    token = world.kms_token()
    status, answer = world.post("issue", token, {"user": ALICE, "session": session})
    assert status == 200, answer
    key_id = json.loads(answer)["key_id"]
    request = wire.request_message("RETIRE_REQUEST", f"{token}", json.dumps(
        {"user": ALICE, "session": session, "key_id": key_id}).encode())
    actions = world.service.machine().feed(request, now=int(world.service.clock()))
    assert [(a.name, a.value) for a in actions if isinstance(a, Emit)] == [("retired", key_id)]
    record = world.store.cek_record(key_id)
    assert record is not None and record.retired


class _RefusingServer:
    """An MCPTT server that refuses every push, answering octets that are not UTF-8."""

    def __init__(self) -> None:
        self.pushed: list[str] = []

    def push(self, url: str, resource: str, body: bytes) -> tuple[int, bytes]:
        self.pushed.append(resource)
        return 503, b"busy \xff\xfe"


def test_a_kms_started_update_the_server_refuses_fails_loudly(world: World) -> None:
    """REQ-CEK-14/-16: a KMS-started update whose push the MCPTT server refuses tells the
    operator so (an error naming REQ-CEK-14 and the server's answer, whatever its octets), and
    the new CEK, which reached no SIP endpoint, is retired: no live CEK is left unpushed."""
    session = new_session()
    status, _ = world.post("issue", world.kms_token(), {"user": ALICE, "session": session})
    assert status == 200
    server = _RefusingServer()
    service = CekService(world.store, world.service.verifier, server, world.service.server_url)
    with pytest.raises(MckmError) as caught:
        service.rekey(ALICE, session)
    text = str(caught.value)
    assert "REQ-CEK-14" in text and "503" in text and "busy" in text, text
    assert server.pushed == ["push"]
    assert world.store.cek_live(ALICE, session) is None
