"""Steps are named by role and message (``Procedure.step_for``), not by the clause's numbers."""

from __future__ import annotations

import pytest

from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS
from mckm.models.procedures.seal_key_distribution import PROCEDURE as SEAL


def test_one_step_per_role_and_message() -> None:
    assert SEAL.step_for("receiver", "I_MESSAGE").action == "receive"
    assert SEAL.step_for("initiator", "I_MESSAGE").action == "send"
    step = TWO_DOMAINS.step_for("kms_i", "RESOLVE_INIT_ZK")
    assert (step.role, step.action, step.message) == ("kms_i", "receive", "RESOLVE_INIT_ZK")
    assert TWO_DOMAINS.step_for("kms_r", "RESOLVE_INIT_ZK", "send").role == "kms_r"


def test_a_branch_cell_gives_its_default_or_its_branch() -> None:
    for proc in (ONE_DOMAIN, TWO_DOMAINS):
        default = proc.step_for("responder", "TRANSFER_INIT")
        branch = proc.step_for("responder", "TRANSFER_INIT", branch=True)
        assert default.when is None and branch.when is not None
        assert (default.source, default.message) == (branch.source, branch.message)


def test_no_or_several_matches_are_errors() -> None:
    with pytest.raises(KeyError, match="0 steps"):
        ONE_DOMAIN.step_for("kms", "RESOLVE_INIT_ZK")
    with pytest.raises(KeyError, match="0 steps"):
        ONE_DOMAIN.step_for("kms", "RESOLVE_INIT", branch=True)
    with pytest.raises(KeyError, match="0 steps"):
        ONE_DOMAIN.step_for("kms", "RESOLVE_INIT", "send")
