"""Fixtures of the store tests: one real PostgreSQL server per test session (per xdist worker),
and ``target``: a fresh, empty KMS store named as ``--db`` takes it, once as a SQLite file and
once as a PostgreSQL database, so that every test runs against both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store import postgres_server
from tests.store.postgres_server import PostgresServer

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = postgres_server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty store: a SQLite path, or the URL of a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "kms.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()
