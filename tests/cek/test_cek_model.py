"""The CEK model's declarations and its runtime agree: every fact the guards ask is answered,
every effect the model names is registered, and the HTTP statuses come from the guards."""

from __future__ import annotations

from mckm.impl.roles.cek.endpoint import ENDPOINT_EFFECTS, EndpointFacts
from mckm.impl.roles.cek.service import KMS_EFFECTS, CekKmsFacts
from mckm.models.procedures import cek as model
from mckm.models.procedures.predicates import (
    CEK_ENDPOINT_PREDICATES,
    CEK_KMS_PREDICATES,
    missing_facts,
)


def test_the_facts_answer_every_declared_predicate() -> None:
    assert missing_facts(CekKmsFacts, CEK_KMS_PREDICATES) == []
    assert missing_facts(EndpointFacts, CEK_ENDPOINT_PREDICATES) == []


def test_every_effect_is_registered() -> None:
    assert KMS_EFFECTS.missing(model.PROCEDURE, "kms") == []
    assert ENDPOINT_EFFECTS.missing(model.PROCEDURE, "server") == []
    assert ENDPOINT_EFFECTS.missing(model.PROCEDURE, "client") == []


def test_statuses_are_the_guards() -> None:
    assert model.http_status("2", "token-valid") == 401
    assert model.http_status("2", "token-scope") == 403
    assert model.http_status("2", "no-live-cek") == 409
    assert model.http_status("5", "pushed-by-the-kms") == 403
    assert model.http_status(None, None) == 404
    assert model.http_status("2", None) == 400
    every = {g.http_status for s in model.PROCEDURE.steps for g in s.guards}
    assert every <= {None, 400, 401, 403, 404, 409}


def test_every_requirement_is_used_or_is_the_smime_profile() -> None:
    used = {r for s in model.PROCEDURE.steps for r in s.all_requirements}
    used.add(model.PROCEDURE.unexpected.requirement)
    assert set(model.REQUIREMENTS) - used == set(model.SMIME_REQUIREMENTS)
