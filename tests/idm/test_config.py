"""The IdM configuration: each bad field named (UsageError, exit 2 from the CLI); passwords
checked by scrypt, the same answer for an unknown user as for a wrong password."""

from __future__ import annotations

from typing import Any

import pytest

from mckm.impl.errors import UsageError
from mckm.impl.roles.idm.config import IdmConfig, PasswordHash, hash_password

GOOD = hash_password("pw", n=2**10)


def _config(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"users": {"alice": {"mcptt_id": "sip:alice@x", "password": GOOD}},
                            "clients": {"c": {"redirect_uris": ["https://c/cb"]}}}
    return {**base, **changes}


@pytest.mark.parametrize("changes, says", [
    ({"users": {}}, "field users: not a non-empty object"),
    ({"users": {"alice": {"password": GOOD}}}, "users.alice: field mcptt_id"),
    ({"users": {"alice": {"mcptt_id": "m", "password": "plain"}}},
     "users.alice.password: not a scrypt$N$r$p$salt$hash"),
    ({"users": {"alice": {"mcptt_id": "m", "password": GOOD.replace("$1024$", "$1000$")}}},
     "scrypt parameters out of range"),
    ({"clients": {"c": {"redirect_uris": []}}}, "clients.c.redirect_uris: not a list"),
    ({"token_lifetime": 86_401}, "field token_lifetime: 86401 is not 1-86400 s"),
    ({"code_lifetime": True}, "field code_lifetime: True"),
    ({"kms_audience": ""}, "field kms_audience: not a non-empty string"),
])
def test_a_bad_field_is_named(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(UsageError) as caught:
        IdmConfig.from_json(_config(**changes), "idm.json")
    assert says in str(caught.value) and str(caught.value).startswith("idm.json: ")


def test_passwords() -> None:
    config = IdmConfig.from_json(_config(), "idm.json")
    assert config.authenticate("alice", "pw") is not None
    assert config.authenticate("alice", "pw ") is None
    assert config.authenticate("nobody", "pw") is None
    stored = PasswordHash.parse(GOOD, "x")
    assert "salt" not in repr(stored) and GOOD.split("$")[5] not in repr(stored)
