"""CEK management (seed 001 7.x.2, 7.x.3) on its public end points: a real IdM, the KMS's CEK
service behind its HTTPS server and the MCPTT server's push endpoint over mutual TLS (the
world of ``tests/cek/conftest.py``, built here from the same parts).  A legal run is issue,
resync, retire for one (user, SIP session); the KMS's pushes to the server happen inside it.
A refusal's text names its requirement, which the generator checks."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st

from mckm.impl.roles.cek.https import CekClient, CekHttpsServer, CekPki, PushEndpoint, Pusher
from mckm.impl.roles.cek.service import CekService
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.https import IdmHttpsServer, JwksFetcher
from mckm.impl.roles.idm.role import IdmRole
from mckm.impl.roles.kms import access_token
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import make_tls_identity
from mckm.models.procedures import cek as model
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.cek.conftest import KMS_ID, SERVER_ID, USERS, new_session
from tests.endpoints.generator import Attack, Delivery, Driver, Observed, Refused, Run, play
from tests.idm.conftest import KMS_AUD, PASSWORDS, SCOPES, idm_config

_REQUIREMENT = re.compile(rb"(REQ-CEK-\d+)")
ROGUE_ID = "https://mallory.example.org"


class CekDriver(Driver):
    def __init__(self, procedure: Procedure = model.PROCEDURE) -> None:
        self.procedure = procedure
        self.dir = Path(tempfile.mkdtemp(prefix="mckm-cek-"))
        self.idm_role = IdmRole.create(idm_config())
        self.idm = IdmHttpsServer(self.idm_role, make_tls_identity("127.0.0.1")).start()
        self.pki = CekPki.create()
        jwks = JwksFetcher(self.idm.base_url + "/jwks", self.idm.identity.ca_pem,
                           min_interval=0)
        self.store = SqliteKmsStore(self.dir / "kms.db")
        self.server = PushEndpoint(self.pki.issue(SERVER_ID), self.pki.cert_pem,
                                   KMS_ID).start()
        self.pusher = Pusher(self.pki.issue(KMS_ID), self.pki.cert_pem)
        verifier = access_token.TokenVerifier(jwks, audience=KMS_AUD, issuer=self.idm.base_url)
        self.service = CekService(self.store, verifier, self.pusher, self.server.base_url,
                                  procedure=procedure)
        self.kms = CekHttpsServer(self.service, self.pki.issue(KMS_ID)).start()
        self.conn = CekClient(self.kms.host, self.kms.port, self.pki.cert_pem)
        self.tokens = {name: self._login(name) for name in USERS}

    def _login(self, name: str) -> str:
        session = client.IdmSession(self.idm.base_url, self.idm.identity.ca_pem,
                                    "mcptt-client", "https://client.example.org/cb", SCOPES)
        return client.login(session, name, PASSWORDS[name])["kms_access_token"]

    def close(self) -> None:
        self.conn.close()
        self.kms.stop()
        self.pusher.close()
        self.server.stop()
        self.idm.stop()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @classmethod
    def runs_steps(cls, procedure: Procedure) -> frozenset[str] | None:
        """The KMS's steps (the server's push steps run the model of ``endpoint``)."""
        return frozenset(s.number for s in procedure.steps if s.role == "kms")

    def _request(self, resource: str, body: dict[str, str], *, name: str = "alice",
                 token: str | None = None) -> Delivery:
        message = model.RESOURCES.get(resource, "CEK_REQUEST")
        return Delivery(message, "kms", json.dumps(body).encode(), int(time.time()),
                        {"resource": resource, "token": self.tokens[name] if token is None
                         else token})

    # -- legal runs: issue, resync, retire
    def start(self, data: st.DataObject) -> list[Delivery]:
        name = data.draw(st.sampled_from(sorted(USERS)), label="user")
        self.pair = {"user": USERS[name], "session": new_session()}
        self.name = name
        return [self._request("issue", self.pair, name=name)]

    def deliver(self, d: Delivery) -> list[Delivery]:
        if d.to == "server":
            status, answer = Pusher(self.pki.issue(d.context["identity"]),
                                    self.pki.cert_pem).push(self.server.base_url,
                                                            d.context["resource"], d.octets)
        else:
            status, answer = self.conn.post(d.context["resource"], d.context["token"],
                                            d.octets)
        if status != 200:
            found = _REQUIREMENT.search(answer)
            raise Refused(Observed(None, status, answer[:300].decode("utf-8", "replace"),
                                   found.group(1).decode() if found else None))
        if d.to == "server":
            return []
        out = json.loads(answer)
        resource, name = d.context["resource"], self.name
        if resource == "issue" and "key_id" in out:
            self.key_id = out["key_id"]
            self.cek = out["cek"]
            return [self._request("update", {**self.pair, "key_id": self.key_id,
                                             "want": model.WANT_RESYNC}, name=name)]
        if resource == "update":
            assert (out["key_id"], out["cek"]) == (self.key_id, self.cek), "resync changed it"
            return [self._request("retire", {**self.pair, "key_id": self.key_id}, name=name)]
        return []

    def finish(self, run: Run) -> None:
        assert [d.context["resource"] for d in run.deliveries] == ["issue", "update", "retire"]
        assert self.key_id not in self.server.keyring.key_ids(), "the server kept a retired CEK"
        assert self.server.keyring.seen(self.key_id)

    def snapshot(self, to: str) -> Any:
        return (self.store.count("cek"), sorted(self.server.keyring.key_ids().items()))

    # -- threats
    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind = threat.kind
        pair = {"user": USERS["alice"], "session": new_session()}
        self.name = "alice"
        if threat.message in ("CEK_PUSH",):
            run = play(self, data)
            self.finish(run)
            push = json.dumps({**self.pair, "key_id": self.key_id,
                               "cek": base64.b64encode(os.urandom(32)).decode()}).encode()
            who = ROGUE_ID if kind == "wrong-identity" else KMS_ID
            if kind == "wrong-identity":  # a fresh Key ID, from a pusher that is not the KMS
                push = json.dumps({**self.pair, "key_id": os.urandom(16).hex(),
                                   "cek": base64.b64encode(os.urandom(32)).decode()}).encode()
            return Attack(Delivery("CEK_PUSH", "server", push, int(time.time()),
                                   {"identity": who, "resource": "push"}))
        self.pair = pair
        if kind == "out-of-order" and threat.target == "resource":
            return Attack(self._request("lookup", pair))
        if kind == "out-of-order":  # an update with no CEK live for the pair
            return Attack(self._request("update", {**pair, "want": model.WANT_RESYNC}))
        if kind == "replay" and threat.target.endswith("want new"):  # after the retire
            run = play(self, data)
            self.finish(run)
            update = next(d for d in run.deliveries if d.message == "UPDATE_REQUEST")
            body = {**json.loads(update.octets), "want": model.WANT_NEW}
            return Attack(Delivery(update.message, update.to, json.dumps(body).encode(),
                                   update.now, update.context))
        if kind == "replay" and threat.message == "CEK_REQUEST":  # an issue while one is live
            first = self._request("issue", pair)
            self.deliver(first)  # accepted (its follow-up, the resync, not made)
            return Attack(first)
        if kind == "tamper" or kind in ("wrong-token", "expired", "wrong-identity"):
            held = self._held(threat, data)
            body = json.loads(held.octets)
            token = held.context["token"]
            if threat.target.endswith("want new"):
                body["want"] = model.WANT_NEW
            if kind == "tamper":
                body["want"] = "rekey"
            elif threat.target.startswith("token signer"):
                token = self._token(ec.generate_private_key(ec.SECP256R1()))
            elif threat.target.startswith("token scope"):
                token = self._token(scopes=("openid", "3gpp:mc:ptt_service"))
            elif threat.target.startswith("token exp"):
                token = self._token(issued_at=int(time.time()) - 7200)
            else:  # Bob's own valid token, Alice's MCPTT ID
                token = self.tokens["bob"]
            return Attack(Delivery(held.message, held.to, json.dumps(body).encode(), held.now,
                                   {**held.context, "token": token}))
        return None

    def _held(self, threat: Threat, data: st.DataObject) -> Delivery:
        """Alice's request ``threat.message``, held before the KMS gets it (an issue on a new
        session, or the update / retire of a legal run with its CEK live)."""
        self.name = "alice"
        if threat.message == "CEK_REQUEST":
            return self._request("issue", self.pair)
        run = play(self, data, stop_before=threat.message, first=[
            self._request("issue", self.pair)])
        assert run.held is not None
        return run.held

    def _token(self, key: Any = None, *, scopes: tuple[str, ...] = SCOPES,
               issued_at: int | None = None) -> str:
        """A KMS access token for Alice signed by ``key`` (default: the IdM's own key)."""
        return access_token.issue(key or self.idm_role.keys.signer(), subject=USERS["alice"],
                                  scopes=scopes, issuer=self.idm.base_url, audience=KMS_AUD,
                                  issued_at=int(time.time()) if issued_at is None
                                  else issued_at, lifetime=300)
