"""SKM-S key provisioning (TS 33.180 Annex D) on its public end points: the KMS behind its real
HTTPS server (:class:`KmsHttpsServer`, a file store) and the user's
:class:`ProvisioningClient`, with access tokens signed by an IdM key.  The KMS clock is the
delivery's; a refusal's text body names its requirement (``[REQ-SKMS-nn]``), which the generator
checks against the threat's."""

from __future__ import annotations

import http.client
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st

from mckm.impl.errors import MckmError
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsHttpsServer, client_context, make_tls_identity
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.endpoints.generator import Attack, Delivery, Driver, Observed, Refused, Run, play

KMS_URI = "kms.example.org"
ALICE, BOB, MALLORY = "sip:alice@example.org", "sip:bob@example.org", "sip:mallory@example.org"
NOW = 1_750_000_000  # Unix seconds (the KMS clock)
_REQUIREMENT = re.compile(rb"\[(REQ-[A-Z0-9-]+)\]")


class SkmsDriver(Driver):
    def __init__(self, procedure: Procedure = skm_s.PROCEDURE) -> None:
        self.procedure = procedure
        self.clock = NOW
        self.dir = Path(tempfile.mkdtemp(prefix="mckm-skms-"))
        self.store = SqliteKmsStore(self.dir / "kms.db")
        self.role = KmsRole.open(self.store, KmsConfig(KMS_URI), standard(),
                                 clock=lambda: self.clock)
        self.transport = {u: self.role.enrol(u) for u in (ALICE, BOB)}
        self.idm = ec.generate_private_key(ec.SECP256R1())
        service = KmsService(self.role, access_token.TokenVerifier(self.idm.public_key()), "",
                             procedure)
        self.server = KmsHttpsServer(service, make_tls_identity("127.0.0.1")).start()
        service.base_url = self.server.base_url
        a = self.role.algorithms
        self.checks = messages.KeyChecks(self.role.certificate, a.uid, a.validate_ssk,
                                         a.validate_rsk)
        self.clients: dict[str, ProvisioningClient] = {}
        self.key_sets: list[Any] = []

    def close(self) -> None:
        self.server.stop()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def token(self, user: str = ALICE, *, key: Any = None, scopes: tuple[str, ...] = (KMS_SCOPE,),
              issued_at: int | None = None) -> str:
        return access_token.issue(key or self.idm, subject=user, scopes=scopes,
                                  issued_at=self.clock if issued_at is None else issued_at,
                                  lifetime=3600)

    def client(self, name: str, user: str = ALICE, *, transport: TransportKeys | None = None,
               kms_uri: str = KMS_URI, base_url: str | None = None) -> ProvisioningClient:
        c = ProvisioningClient(user, kms_uri, transport or self.transport[user],
                               base_url or self.server.base_url, self.checks, self.procedure)
        self.clients[name] = c
        return c

    def request(self, name: str, *, token: str | None = None, body: int = skm_s.BODY_PLAIN,
                at: int | None = None, **options: Any) -> Delivery:
        """The client ``name``'s keyprov request (made at ``at``) as a delivery to the KMS."""
        at = self.clock if at is None else at
        c = self.clients[name]
        request = c.request("keyprov", token=self.token(c.user_uri) if token is None else token,
                            now=at, body=body, options=options or None)
        headers = dict(request.headers)
        return Delivery(skm_s.RESOURCES["keyprov"][0], "kms", request.body, self.clock,
                        {"method": request.method, "path": request.path, "headers": headers,
                         "client": name})

    @classmethod
    def runs_steps(cls, procedure: Procedure) -> frozenset[str] | None:
        """The keyprov exchange (steps 6 and 8): the other resources' steps check the same
        request and response guards (``skm_s.REQUEST_GUARDS``, ``RESPONSE_GUARDS``)."""
        request, response = skm_s.RESOURCES["keyprov"]
        return frozenset(s.number for s in procedure.steps
                         if s.action == "receive" and s.message in (request, response))

    # -- legal runs
    def start(self, data: st.DataObject) -> list[Delivery]:
        body = data.draw(st.sampled_from([skm_s.BODY_NONE, skm_s.BODY_PLAIN,
                                          skm_s.BODY_SIGNED]), label="request body")
        named = data.draw(st.booleans(), label="user URI in the path")
        self.client("alice")
        if named:
            return [self.request("alice", body=body, user_uri=ALICE)]
        return [self.request("alice", body=body)]

    def deliver(self, d: Delivery) -> list[Delivery]:
        if d.to == "kms":
            self.clock = d.now
            status, answer = self._http(d)
            if status != 200:
                found = _REQUIREMENT.search(answer)
                raise Refused(Observed(None, status, answer[:300].decode("utf-8", "replace"),
                                       found.group(1).decode() if found else None))
            return [Delivery(skm_s.RESOURCES["keyprov"][1], d.context["client"], answer, d.now)]
        try:
            out = self.clients[d.to].response("keyprov", d.octets, now=d.now)
        except MckmError as exc:
            raise Refused(Observed.of(exc)) from exc
        self.key_sets = list(out["key_sets"])
        return []

    def _http(self, d: Delivery) -> tuple[int, bytes]:
        conn = http.client.HTTPSConnection(self.server.host, self.server.port, timeout=10,
                                           context=client_context(self.server.identity.ca_pem))
        try:
            headers = {"Content-Type": "application/xml", **d.context["headers"]}
            conn.request(d.context["method"], d.context["path"], body=d.octets, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def finish(self, run: Run) -> None:
        current = self.role.period_at(self.clock)
        stored = self.store.key_sets(ALICE, [current, current + 1])
        assert [k.period_no for k in self.key_sets] == [current, current + 1]
        assert [k.ssk for k in self.key_sets] == [stored[p].ssk for p in (current,
                                                                           current + 1)]

    def snapshot(self, to: str) -> Any:
        if to == "kms":
            return tuple(self.store.count(t) for t in ("users", "key_sets"))
        machine = self.clients[to]._machine
        return None if machine is None else machine.state

    # -- threats
    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind, target = threat.kind, threat.target
        self.client("alice")
        if threat.message == skm_s.RESOURCES["keyprov"][1]:
            return self._response_threat(threat, data)
        if kind == "out-of-order":  # a GET
            d = self.request("alice")
            return Attack(Delivery(d.message, d.to, b"", d.now, {**d.context, "method": "GET"}))
        if kind == "wrong-token" and target == "token signer":
            return Attack(self.request("alice", token=self.token(
                key=ec.generate_private_key(ec.SECP256R1()))))
        if kind == "expired":
            return Attack(self.request("alice", token=self.token(issued_at=self.clock - 7200)))
        if kind == "wrong-token" and target == "token scope":
            return Attack(self.request("alice", token=self.token(scopes=("openid",))))
        if kind == "unauthorised":  # an IdMS token for an MC ID not enrolled here
            return Attack(self.request("alice", token=self.token(MALLORY), body=skm_s.BODY_NONE))
        if kind == "wrong-identity" and target == "path user":  # Alice asks for Bob's keys
            self.client("as-bob", BOB)
            return Attack(self.request("as-bob", token=self.token(ALICE), body=skm_s.BODY_NONE,
                                       user_uri=BOB))
        if kind == "wrong-identity":  # a KmsRequest naming Bob, with Alice's token
            self.client("as-bob", BOB)
            return Attack(self.request("as-bob", token=self.token(ALICE)))
        if kind == "misaddressed" and target == "KmsUri":
            self.client("other-kms", kms_uri="kms.other.example")
            return Attack(self.request("other-kms"))
        if kind == "misaddressed":  # ClientReqUrl of another resource location
            self.client("other-url", base_url="https://kms.example.org:9443")
            d = self.request("other-url")
            return Attack(d)
        if kind == "wrong-token":  # the token in the URL as well
            d = self.request("alice")
            token = d.context["headers"]["authorization"].split(" ", 1)[1]
            return Attack(Delivery(d.message, d.to, d.octets, d.now,
                                   {**d.context, "path": d.context["path"] +
                                    "?access_token=" + token}))
        if kind == "stale":  # a KmsRequest whose Time is 1000 s old
            return Attack(self.request("alice", at=self.clock - 1000))
        if kind == "forged-signature":  # signed with an InK that is not Alice's
            rogue = KmsRole.new_transport_keys()
            mine = self.transport[ALICE]
            self.client("rogue", transport=TransportKeys(mine.trk_id, mine.trk, mine.ink_id,
                                                         rogue.ink))
            return Attack(self.request("rogue", body=skm_s.BODY_SIGNED))
        if kind == "tamper":  # a body the D.3.5 schema refuses
            d = self.request("alice")
            bad = d.octets.replace(b"</KmsRequest>", b"<Unknown/></KmsRequest>", 1)
            assert bad != d.octets
            return Attack(Delivery(d.message, d.to, bad, d.now, d.context))
        return None

    def _response_threat(self, threat: Threat, data: st.DataObject) -> Attack:
        held = play(self, data, stop_before=threat.message).held
        assert held is not None
        if threat.kind == "tamper":  # one base64 character of the signed UserID changed
            m = re.search(rb"<(?:\w+:)?UserID>([A-Za-z0-9+/]+)", held.octets)
            assert m is not None, "no UserID in the response"
            at = m.start(1) + data.draw(st.integers(0, len(m.group(1)) - 1), label="char")
            swapped = b"B" if held.octets[at:at + 1] != b"B" else b"C"
            raw = held.octets[:at] + swapped + held.octets[at + 1:]
            return Attack(Delivery(held.message, held.to, raw, held.now))
        # Alice's own signed answer to another request (init), as her keyprov answer
        c = self.client("alice-init")
        request = c.request("init", token=self.token(), now=self.clock)
        status, answer = self._http(Delivery("INIT_REQUEST", "kms", request.body, self.clock, {
            "method": request.method, "path": request.path, "headers": dict(request.headers)}))
        assert status == 200
        return Attack(Delivery(held.message, held.to, answer, held.now))
