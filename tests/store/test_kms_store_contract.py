"""The KMS store contract, run against SQLite and a real PostgreSQL server alike: what a role
stores it reads back unchanged from another connection (another replica); the database itself
refuses a second user, TrK/InK id, community or (user, period) key set, all or nothing; two
replicas issuing the same key sets at once store one row per period and hand out the same
keys; two replicas starting at once create one community."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.errors import StoreError, UsageError
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.model import CommunityKeys, KmsConfig, UserKeySet
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.store.kms_store import DuplicateError, KmsStore
from mckm.impl.store.open import describe, open_kms_store
from mckm.impl.store.postgres_kms import PostgresKmsStore
from tests.store import postgres_server
from tests.store.postgres_server import PostgresServer

CONFIG = KmsConfig("kms.example.org", period=86400)
NOW = 1_800_000_000.0
ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"


def _clock() -> float:
    return NOW


@pytest.fixture
def opened(target: str) -> Iterator[Callable[[], KmsStore]]:
    """Opens stores on ``target`` (each one a replica's) and closes them after the test."""
    stores: list[KmsStore] = []

    def open_one() -> KmsStore:
        stores.append(open_kms_store(target))
        return stores[-1]

    yield open_one
    for store in stores:
        store.close()


def _role(store: KmsStore) -> KmsRole:
    return KmsRole.open(store, CONFIG, standard(), clock=_clock)


def _key_material(key_sets: list[UserKeySet] | dict[int, UserKeySet]) -> list[tuple[object, ...]]:
    sets = key_sets.values() if isinstance(key_sets, dict) else key_sets
    return sorted((k.user_uri, k.period_no, k.uid, k.valid_from, k.valid_to, k.ssk.reveal(),
                   k.pvt, k.rsk.reveal()) for k in sets)


def test_what_one_replica_stores_another_reads_unchanged(
        opened: Callable[[], KmsStore]) -> None:
    a = _role(opened())
    transport = a.enrol(ALICE)
    issued = a.key_sets(ALICE, a.current_periods())
    b = _role(opened())
    assert b.keys == a.keys and b.certificate == a.certificate
    assert b.transport_keys(ALICE) == transport
    assert _key_material(b.store.key_sets(ALICE, b.current_periods())) == _key_material(issued)
    assert _key_material(b.key_sets(ALICE, b.current_periods())) == _key_material(issued)
    assert [b.store.count(t) for t in ("community", "users", "key_sets")] == [1, 1, 2]
    assert b.store.key_sets(BOB, b.current_periods()) == {}
    assert b.store.transport_keys(BOB) is None


def test_the_database_refuses_duplicates_all_or_nothing(opened: Callable[[], KmsStore]) -> None:
    store = opened()
    role = _role(store)
    alice = role.enrol(ALICE)
    with pytest.raises(DuplicateError) as again:
        store.enrol(ALICE, role.new_transport_keys())
    assert again.value.constraint == "users.user_uri"
    with pytest.raises(UsageError, match="is already enrolled"):
        role.enrol(ALICE)
    same_trk = dataclasses.replace(role.new_transport_keys(), trk_id=alice.trk_id)
    with pytest.raises(UsageError, match=r"already in use \(users.trk_id\)"):
        role.enrol(BOB, same_trk)
    same_ink = dataclasses.replace(role.new_transport_keys(), ink_id=alice.ink_id)
    with pytest.raises(DuplicateError) as ink:
        store.enrol(BOB, same_ink)
    assert ink.value.constraint == "users.ink_id"
    assert store.count("users") == 1 and store.transport_keys(BOB) is None

    current, following = role.key_sets(ALICE, role.current_periods())
    later = role.issue(ALICE, following.period_no + 1)
    with pytest.raises(DuplicateError) as twice:
        store.put_key_sets([later, current])  # the new one first: rolled back with the other
    assert twice.value.constraint == "key_sets.user_uri, key_sets.period_no"
    assert store.count("key_sets") == 2 and store.key_sets(ALICE, [later.period_no]) == {}

    loaded = store.load_community()
    assert loaded is not None
    with pytest.raises(DuplicateError) as community:
        store.save_community(*loaded)
    assert community.value.constraint == "community.id"


def test_a_broken_row_is_refused_by_a_check_and_nothing_is_stored(
        opened: Callable[[], KmsStore]) -> None:
    store = opened()
    role = _role(store)
    role.enrol(ALICE)
    fine, other = (role.issue(ALICE, p) for p in role.current_periods())
    broken = dataclasses.replace(other, uid=b"short")
    with pytest.raises(StoreError, match=r"(?i)check") as refused:
        store.put_key_sets([fine, broken])
    assert not isinstance(refused.value, DuplicateError)
    assert broken.ssk.reveal().to_bytes(32, "big").hex() not in str(refused.value)
    assert store.count("key_sets") == 0
    with pytest.raises(UsageError, match="no table"):
        store.count("users; DROP TABLE users")


def test_enrolled_users_page_in_byte_order(opened: Callable[[], KmsStore]) -> None:
    store = opened()
    role = _role(store)
    users = ["sip:a@x", "sip:B@x", "sip:b@x", "sip:ä@x", "sip:z@x", "tel:+1", "sip:A@x"]
    for user in users:
        role.enrol(user)
    expected = sorted(users)  # code point order = UTF-8 byte order
    assert expected != sorted(users, key=str.casefold)  # a locale's order would differ
    walked: list[str] = []
    after = None
    while page := store.enrolled_users(after, 2):
        assert len(page) <= 2
        walked += page
        after = page[-1]
    assert walked == expected
    assert store.enrolled_users("sip:b@x", 100) == expected[expected.index("sip:b@x") + 1:]
    assert store.enrolled_users(None, 0) == []


def test_two_replicas_issuing_at_once_store_one_key_set_per_period(
        opened: Callable[[], KmsStore]) -> None:
    a, b = _role(opened()), _role(opened())
    users = [f"sip:user{i}@example.org" for i in range(8)]
    for user in users:
        a.enrol(user)
    conflicts = []
    for role in (a, b):
        put = role.store.put_key_sets

        def counting(key_sets: list[UserKeySet], put: Callable[..., None] = put) -> None:
            try:
                put(key_sets)
            except DuplicateError:
                conflicts.append(key_sets[0].user_uri)
                raise

        role.store.put_key_sets = counting  # type: ignore[method-assign]
    got: dict[str, list[list[UserKeySet]]] = {user: [] for user in users}
    start = threading.Barrier(2)

    def replica(role: KmsRole) -> None:
        for user in users:
            start.wait()
            got[user].append(role.key_sets(user, role.current_periods()))

    threads = [threading.Thread(target=replica, args=(r,)) for r in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for user in users:
        first, second = got[user]
        assert _key_material(first) == _key_material(second), user
        assert _key_material(a.store.key_sets(user, a.current_periods())) == _key_material(first)
    assert a.store.count("key_sets") == 2 * len(users)
    assert conflicts, "the two replicas never raced: the test proves nothing"


def test_replicas_starting_at_once_create_one_community(
        opened: Callable[[], KmsStore]) -> None:
    class ReadBeforeTheOtherCommitted:
        """A store whose first community read comes before the other replica's commit."""

        def __init__(self, store: KmsStore) -> None:
            self.store, self.reads = store, 0

        def __getattr__(self, name: str) -> object:
            return getattr(self.store, name)

        def load_community(self) -> tuple[KmsConfig, CommunityKeys] | None:
            self.reads += 1
            return None if self.reads == 1 else self.store.load_community()

    first = _role(opened())
    late = ReadBeforeTheOtherCommitted(opened())
    second = KmsRole.open(late, CONFIG, standard(), clock=_clock)  # type: ignore[arg-type]
    assert late.reads == 2
    assert second.keys == first.keys and second.certificate == first.certificate
    assert first.store.count("community") == 1


def test_replica_threads_opening_an_empty_store_agree(target: str) -> None:
    stores = [open_kms_store(target) for _ in range(3)]
    start = threading.Barrier(len(stores))
    roles: list[KmsRole] = []

    def replica(store: KmsStore) -> None:
        start.wait()
        roles.append(_role(store))

    threads = [threading.Thread(target=replica, args=(s,)) for s in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(roles) == 3
        assert all(role.keys == roles[0].keys for role in roles)
        assert stores[0].count("community") == 1
    finally:
        for store in stores:
            store.close()


# -- opening: --db forms and errors ----------------------------------------------------------


def test_sqlite_url_and_path_name_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "kms.db"
    store = open_kms_store(str(path))
    _role(store).enrol(ALICE)
    store.close()
    again = open_kms_store(f"sqlite:///{path}")
    try:
        assert again.location == str(path) and again.transport_keys(ALICE) is not None
    finally:
        again.close()
    with pytest.raises(UsageError, match=r"mysql:// is not a store URL"):
        open_kms_store("mysql://kms@db/kms")
    with pytest.raises(UsageError, match="no file path"):
        open_kms_store("sqlite:///")


def test_postgres_errors_are_one_line_without_the_password(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    wrong = url.replace(postgres.password, "Wr0ngPassw0rd")
    with pytest.raises(UsageError, match="password authentication failed") as refused:
        open_kms_store(wrong)
    assert "Wr0ngPassw0rd" not in str(refused.value) and "\n" not in str(refused.value)
    down = f"postgresql://mckm:Wr0ngPassw0rd@127.0.0.1:{postgres.port + 1}/x"
    with pytest.raises(UsageError, match=r"(?i)connection refused|could not connect"):
        open_kms_store(down)
    with pytest.raises(UsageError, match="URI") as bad:
        open_kms_store("postgresql://mckm:Wr0ngPassw0rd@[::1/kms")
    assert "Wr0ngPassw0rd" not in str(bad.value)
    assert describe(url) == url.replace(f":{postgres.password}@", "@")
    store = open_kms_store(url)
    try:
        assert postgres.password not in store.location and store.exposure() is None
    finally:
        store.close()


def test_the_cli_names_db_and_hides_the_password(postgres: PostgresServer, tmp_path: Path
                                                 ) -> None:
    url = postgres.new_database()
    enrol = ["kms", "enrol", "--user", ALICE, "--kms-uri", CONFIG.kms_uri]
    result = CliRunner().invoke(main, [*enrol, "--db", url.replace(postgres.password, "Wr0ng"),
                                       "--out", str(tmp_path / "a.json")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: --db {describe(url)}: PostgreSQL: "), result.stderr
    assert "Wr0ng" not in result.output and result.stderr.count("\n") == 1
    assert not (tmp_path / "a.json").exists()

    result = CliRunner().invoke(main, [*enrol, "--db", url, "--out", str(tmp_path / "a.json"),
                                       "--key-period", str(CONFIG.period)])
    assert result.exit_code == 0, result.output
    store = open_kms_store(url)
    try:
        assert store.enrolled_users(None, 10) == [ALICE]
    finally:
        store.close()


def test_a_database_that_goes_away_is_a_store_error_and_comes_back(tmp_path: Path) -> None:
    """The PostgreSQL server crashes under a running KMS: a request is a StoreError (one line,
    no password; the HTTP server answers 500), nothing half-stored; once the server is back the
    same store object serves again (the pool reconnects)."""
    server = postgres_server.start()
    try:
        url = server.new_database()
        store = PostgresKmsStore(url, connect_timeout=1)
        try:
            role = _role(store)
            role.enrol(ALICE)
            server.crash()
            with pytest.raises(StoreError, match="PostgreSQL: ") as down:
                role.key_sets(ALICE, role.current_periods())
            assert server.password not in str(down.value) and "\n" not in str(down.value)
            server.restart()
            deadline = time.monotonic() + 30
            while True:
                try:
                    issued = role.key_sets(ALICE, role.current_periods())
                    break
                except StoreError:
                    assert time.monotonic() < deadline, "the store did not reconnect"
                    time.sleep(0.2)
            assert store.count("key_sets") == 2
            assert _key_material(store.key_sets(ALICE, role.current_periods())) == \
                _key_material(issued)
        finally:
            store.close()
    finally:
        server.stop()
