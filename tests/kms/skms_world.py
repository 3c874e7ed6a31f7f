"""The SKM-S model played on the real runtime: a KmsRole on an in-memory store (real ECCSI, SAKKE,
key wrap and HMAC), the real token verifier, the real codecs, the engine running both roles.

``scenario(resource)`` is a :class:`tests.properties.generator.Scenario` for one D.2 resource;
its threats add, to the generic ones, the attacks the KMS's guards are there to stop.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st

from mckm.impl.engine import DictMessage, RoleMachine
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import client_machine
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import kms_machine
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from tests.properties.generator import Attack, Run, Scenario

NOW = 1_700_000_000
KMS_URI = "kms.example.org"
BASE_URL = "https://kms.example.org:8443"
USERS = ("sip:alice@example.org", "sip:bob@example.org")


class World:
    """One KMS with two enrolled users and their tokens (built once: issuing is slow)."""

    def __init__(self) -> None:
        self.role = KmsRole.open(SqliteKmsStore(":memory:"), KmsConfig(KMS_URI), standard(),
                                 clock=lambda: NOW)
        self.transport: dict[str, TransportKeys] = {u: self.role.enrol(u) for u in USERS}
        self.idm = ec.generate_private_key(ec.SECP256R1())
        self.verifier = access_token.TokenVerifier(self.idm.public_key())
        self.tokens = {u: self.token(u) for u in USERS}
        a = self.role.algorithms
        self.checks = messages.KeyChecks(self.role.certificate, a.uid, a.validate_ssk,
                                         a.validate_rsk)

    def token(self, user: str, key: ec.EllipticCurvePrivateKey | None = None) -> str:
        return access_token.issue(key or self.idm, subject=user, scopes=(KMS_SCOPE,),
                                  issued_at=NOW, lifetime=3600)


@cache
def world() -> World:
    return World()


def _params(user: str, body: int, name_user: bool) -> dict[str, Any]:
    return {"now": NOW, "user": user, "base_url": BASE_URL, "token": world().tokens[user],
            "body": body, **({"user_uri": user} if name_user else {}), "kms_uri": KMS_URI}


PARAMS = st.builds(_params, st.sampled_from(USERS),
                   st.sampled_from((skm_s.BODY_NONE, skm_s.BODY_PLAIN, skm_s.BODY_SIGNED)),
                   st.booleans())


def _machines(procedure: Procedure) -> Any:
    def make(params: Mapping[str, Any], shared: bool) -> dict[str, RoleMachine]:
        w = world()
        user = str(params.get("user", USERS[0]))
        client = client_machine(user, KMS_URI, w.transport[user], w.checks)
        kms = kms_machine(w.role, w.verifier)
        for m in (client, kms):
            m.procedure = procedure
            m._table = procedure.table(m.role.name)
        return {"client": client, "kms": kms}
    return make


def _request_delivery(run: Run) -> Any:
    return next(d for d in run.deliveries if d.to == "kms")


def _kms_attack(scn: Scenario, run: Run, message: DictMessage, expect: str) -> Attack:
    d = _request_delivery(run)
    return Attack(scn.make_machines(run.params, False)["kms"], message, d.now, expect, d.step)


def _bad_token(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = _request_delivery(run)
    stranger = ec.generate_private_key(ec.SECP256R1())
    forged = world().token(run.params["user"], stranger)
    return _kms_attack(scn, run, DictMessage(d.message.name, {**d.message, "token": forged}),
                       "bad-token")


def _other_user(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = _request_delivery(run)
    other = next(u for u in USERS if u != run.params["user"])
    field = data.draw(st.sampled_from(["path_user", "body_user"]), label="field")
    return _kms_attack(scn, run, DictMessage(d.message.name, {**d.message, field: other}),
                       "other-user")


def _stale(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = _request_delivery(run)
    if d.message["body"] != skm_s.BODY_PLAIN:
        return None  # a signed body's Time is covered by the signature: forged-signature
    shift = data.draw(st.integers(301, 10**6) | st.integers(-10**6, -301), label="shift")
    return _kms_attack(scn, run, DictMessage(d.message.name, {
        **d.message, "body_time": d.message["body_time"] + shift}), "stale")


def _forged_signature(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = _request_delivery(run)
    if d.message["body"] != skm_s.BODY_SIGNED:
        return None
    document: bytes = d.message["_document"]
    start = document.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    end = document.index(b"</ds:SignatureValue>")
    junk = base64.b64encode(data.draw(st.binary(min_size=32, max_size=32), label="mac"))
    forged = document[:start] + junk + document[end:]
    return _kms_attack(scn, run, DictMessage(d.message.name, {**d.message, "_document": forged}),
                       "forged-signature")


THREATS = {"bad-token": _bad_token, "other-user": _other_user, "stale": _stale,
           "forged-signature": _forged_signature}


def scenario(resource: str = "keyprov", procedure: Procedure = skm_s.PROCEDURE) -> Scenario:
    request, _ = skm_s.RESOURCES[resource]
    return Scenario(procedure=procedure, make_machines=_machines(procedure),
                    start=("client", request), params=PARAMS, outcome="answered",
                    threats=dict(THREATS))
