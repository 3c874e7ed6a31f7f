"""The KMS's effects write what the model declares (``skm_s.VAR_WRITES``,
``skm_s.RESPONSE_WRITES``): the proofs carry exactly these from the request to the answer, so a
runtime that wrote anything else would make the proofs about another KMS."""

from __future__ import annotations

import pytest

from mckm.impl.engine import Send
from mckm.impl.engine.messages import DictMessage
from mckm.impl.roles.kms.client import client_machine
from mckm.impl.roles.kms.service import KmsFacts, kms_machine
from mckm.models.procedures import skm_s
from mckm.models.procedures.expr import Env
from tests.kms.skms_world import BASE_URL, KMS_URI, NOW, USERS, world


@pytest.mark.parametrize("body", [skm_s.BODY_NONE, skm_s.BODY_SIGNED])
def test_the_kms_writes_what_the_model_declares(body: int) -> None:
    w = world()
    user = USERS[1]
    client = client_machine(user, KMS_URI, w.transport[user], w.checks)
    sent = next(a for a in client.send("KEYPROV_REQUEST", now=NOW, params={
        "base_url": BASE_URL, "token": w.tokens[user], "body": body, "user_uri": user})
        if isinstance(a, Send))
    request = DictMessage("KEYPROV_REQUEST", dict(sent.message.items()))
    kms = kms_machine(w.role, w.verifier)
    before = dict(kms.vars)
    answer = next(a for a in kms.feed(request, now=NOW) if isinstance(a, Send)).message
    facts = KmsFacts(w.role, w.verifier)
    policy = skm_s.PROCEDURE.policy
    received = Env(request, before, policy, NOW, facts)
    for effect in skm_s.PROCEDURE.step(
            skm_s.PROCEDURE.step_for("kms", "KEYPROV_REQUEST", "receive").number).effects:
        for name, expr in skm_s.VAR_WRITES.get(effect, {}).items():
            assert kms.vars[name] == expr.to_python(received), name
    answered = Env(answer, kms.vars, policy, NOW, facts)
    for name, expr in skm_s.RESPONSE_WRITES.items():
        assert answer.get(name) == expr.to_python(answered), name
    assert answer.get("answer") == skm_s.ANSWERS["KEYPROV_RESPONSE"] == skm_s.ANSWER_KEYPROV
    assert answer.get("user_uri") == user
    assert answer.get("signature_id") == w.transport[user].ink_id
