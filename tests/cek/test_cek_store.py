"""The cek table of the KMS store on SQLite and a real PostgreSQL server (REQ-CEK-12, -13,
-17): the database refuses a second live CEK for one (user, session) and a reused Key ID, a
rekey retires and issues in one transaction, a retired row keeps its Key ID without the CEK,
and another connection (another KMS replica) reads what one wrote."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest

from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.store.kms_store import CekRecord, DuplicateError, KmsStore
from mckm.impl.store.open import open_kms_store
from tests.store.conftest import postgres, target  # noqa: F401 (fixtures)

ALICE, BOB, SESSION = "sip:alice@example.org", "sip:bob@example.org", "sip:call-1@example.org"


def _record(user: str = ALICE, session: str = SESSION, key_id: str | None = None) -> CekRecord:
    return CekRecord(key_id or os.urandom(16).hex(), user, session, 1_800_000_000, "",
                     Secret(os.urandom(32)))


@pytest.fixture
def opened(target: str) -> Iterator[Callable[[], KmsStore]]:  # noqa: F811
    stores: list[KmsStore] = []

    def open_one() -> KmsStore:
        stores.append(open_kms_store(target))
        return stores[-1]

    yield open_one
    for store in stores:
        store.close()


def test_issue_read_back_from_another_connection(opened: Callable[[], KmsStore]) -> None:
    one, two = opened(), opened()
    record = _record()
    one.cek_issue(record)
    got = two.cek_live(ALICE, SESSION)
    assert got is not None and got.key_id == record.key_id and got.cek is not None
    assert record.cek is not None and got.cek.reveal() == record.cek.reveal()
    assert two.cek_record(record.key_id) == got and two.count("cek") == 1
    assert "redacted" in repr(got) and record.cek.reveal().hex() not in repr(got)


def test_the_database_refuses_a_second_live_cek_and_a_reused_key_id(
        opened: Callable[[], KmsStore]) -> None:
    store = opened()
    first = _record()
    store.cek_issue(first)
    with pytest.raises(DuplicateError, match=r"user_uri, cek\.sip_session"):
        store.cek_issue(_record())
    with pytest.raises(DuplicateError, match=r"cek\.key_id"):
        store.cek_issue(_record(BOB, key_id=first.key_id))
    store.cek_issue(_record(BOB))  # another user on the same SIP session: its own CEK
    assert store.count("cek") == 2


def test_rekey_is_one_transaction_and_retired_rows_keep_only_the_key_id(
        opened: Callable[[], KmsStore]) -> None:
    store = opened()
    first = _record()
    store.cek_issue(first)
    taken = _record(BOB)
    store.cek_issue(taken)
    with pytest.raises(DuplicateError):  # the new Key ID is taken: the old one stays live
        store.cek_issue(_record(key_id=taken.key_id), retire=first.key_id)
    live = store.cek_live(ALICE, SESSION)
    assert live is not None and live.key_id == first.key_id
    second = _record()
    store.cek_issue(second, retire=first.key_id)
    old = store.cek_record(first.key_id)
    assert old is not None and old.retired and old.cek is None
    live = store.cek_live(ALICE, SESSION)
    assert live is not None and live.key_id == second.key_id
    store.cek_retire(second.key_id)
    assert store.cek_live(ALICE, SESSION) is None
    with pytest.raises(DuplicateError):  # a retired Key ID is never issued again
        store.cek_issue(_record(key_id=second.key_id))
    with pytest.raises(UsageError):
        store.cek_issue(CekRecord("ab" * 16, ALICE, SESSION, 0, "", None))


def test_two_replicas_issuing_for_one_session_at_once_store_one(
        opened: Callable[[], KmsStore]) -> None:
    stores = [opened() for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(stores))

    def issue(store: KmsStore) -> None:
        barrier.wait()
        try:
            store.cek_issue(_record())
            outcomes.append("stored")
        except DuplicateError:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 3 + ["stored"]
    assert stores[0].count("cek") == 1
