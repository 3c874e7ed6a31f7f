"""The replicas' shared replay table keeps a RAND ``EXPIRY_GRACE`` seconds past its expiry
(SQLite and a real PostgreSQL server): a claim made just after an expiry does not delete that
entry, so a replica whose clock stepped back finds it (RFC 3830 5.4, REQ-TKT-11); a claim made
past the grace does (the table stays bounded).  Deleting at the expiry itself fails the first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mckm.impl.engine.replay import EXPIRY_GRACE
from mckm.impl.store.kms_store import KmsStore
from mckm.impl.store.open import open_kms_store

NOW = 3_900_000_000  # NTP seconds
EXPIRES = NOW + 3600


@pytest.fixture
def store(target: str) -> Iterator[KmsStore]:
    opened = open_kms_store(target)
    yield opened
    opened.close()


def test_an_expired_rand_stays_through_the_grace_then_goes(store: KmsStore) -> None:
    first = bytes(16)
    assert store.replay_claim(first, EXPIRES, NOW)
    assert store.replay_claim(b"\x01" * 16, EXPIRES + 3600, EXPIRES + 60)
    assert store.replay_seen(first)  # a clock stepped back a minute past the expiry: held
    assert not store.replay_claim(first, EXPIRES, NOW + 1)
    assert store.replay_claim(b"\x02" * 16, EXPIRES + 7200, EXPIRES + EXPIRY_GRACE + 1)
    assert not store.replay_seen(first)
    assert store.replay_seen(b"\x01" * 16)
