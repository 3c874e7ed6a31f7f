"""The SAKKE caches keep what impl/crypto/sakke.py's docstring promises: a KMS public key is
validated once and gets its table on its ``KMS_TABLE_AFTER``-th use, the last
``KMS_CACHE_SIZE`` keys are kept (least recently used dropped), the P and g tables are built
once with their windows, and a caller's ``window`` is the one used; every result stays equal
to RFC 6508's values (survivors of ``./dev mutate crypto``)."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from mckm.impl.crypto import sakke
from mckm.impl.crypto.sakke_params import PARAMS

Z_SECRET = 2
Z_PUB = sakke.kms_master_key(Z_SECRET)[1]
ID = b"2011-02\0tel:+447700900123\0"
RSK = sakke.issue_rsk(Z_SECRET, ID)
SSV = bytes(range(1, PARAMS.ssv_bytes + 1))


@pytest.fixture
def kms_cache(monkeypatch: pytest.MonkeyPatch) -> OrderedDict[bytes, sakke._KmsKey]:
    cache: OrderedDict[bytes, sakke._KmsKey] = OrderedDict()
    monkeypatch.setattr(sakke, "_kms", cache)
    return cache


def test_a_kms_key_gets_its_table_on_its_second_use(
        kms_cache: OrderedDict[bytes, sakke._KmsKey]) -> None:
    """First use: Z validated and kept, no table (wNAF); second use: a table for Z with
    POINT_WINDOW; the Encapsulated Data is the same on both paths and derives back."""
    first = sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB)
    entry = kms_cache[Z_PUB]
    assert entry.uses == 1 and entry.table is None
    second = sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB)
    assert kms_cache[Z_PUB] is entry and entry.uses == 2
    assert entry.table is not None and entry.table.window == sakke.POINT_WINDOW
    assert entry.table.point == entry.point
    assert first == second
    assert sakke.derive(second, identity=ID, rsk=RSK, z_pub=Z_PUB) == SSV  # a third use
    sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB)
    assert entry.uses == 4 and kms_cache[Z_PUB] is entry


def test_prepare_kms_table_builds_the_table_at_once(
        kms_cache: OrderedDict[bytes, sakke._KmsKey]) -> None:
    """prepare_kms_table: Z validated and its table built on the first call."""
    sakke.prepare_kms_table(Z_PUB)
    entry = kms_cache[Z_PUB]
    table = entry.table
    assert table is not None and table.window == sakke.POINT_WINDOW
    assert table.point == entry.point
    assert table.multiply_jacobian(Z_SECRET) is not None
    sakke.prepare_kms_table(Z_PUB)
    assert entry.table is table
    sed = sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB)
    assert sakke.derive(sed, identity=ID, rsk=RSK, z_pub=Z_PUB) == SSV


def test_the_last_kms_cache_size_keys_are_kept(
        kms_cache: OrderedDict[bytes, sakke._KmsKey]) -> None:
    """KMS_CACHE_SIZE keys kept; using one again makes it the most recent."""
    keys = [sakke.kms_master_key(z)[1] for z in range(3, 4 + sakke.KMS_CACHE_SIZE)]
    for z_pub in keys[:-1]:
        sakke.prepare_kms_table(z_pub)
    kept = kms_cache[keys[0]]
    sakke.prepare_kms_table(keys[0])  # used again: the most recent
    sakke.prepare_kms_table(keys[-1])
    assert len(kms_cache) == sakke.KMS_CACHE_SIZE
    assert list(kms_cache) == [*keys[2:-1], keys[0], keys[-1]]
    assert kms_cache[keys[0]] is kept


def test_prepare_p_table_keeps_a_wide_enough_table_and_widens_a_narrow_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """prepare_p_table(window): builds the P table when there is none, keeps one at least as
    wide, replaces a narrower one; [z]P stays RFC 6508's Z on each."""
    monkeypatch.setattr(sakke, "_p_table", None)
    sakke.prepare_p_table(window=4)
    table = sakke._p_table
    assert table is not None and table.window == 4 and table.point == PARAMS.P
    sakke.prepare_p_table(window=4)
    sakke.prepare_p_table(window=3)
    assert sakke._p_table is table
    assert sakke.kms_master_key(Z_SECRET)[1] == Z_PUB
    sakke.prepare_p_table(window=5)
    assert sakke._p_table is not None and sakke._p_table.window == 5
    assert sakke.kms_master_key(Z_SECRET)[1] == Z_PUB


def test_p_table_is_built_once_with_p_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """p_table(): built on first use with P_WINDOW for the point P, then the same object."""
    monkeypatch.setattr(sakke, "_p_table", None)
    table = sakke.p_table()
    assert table.window == sakke.P_WINDOW and table.point == PARAMS.P
    assert sakke.p_table() is table and sakke._p_table is table
    assert sakke.issue_rsk(Z_SECRET, ID) == RSK


def test_g_table_is_built_once_with_g_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """g_table(): built on first use with G_WINDOW for g in PF_p, then the same object."""
    monkeypatch.setattr(sakke, "_g_table", None)
    table = sakke.g_table()
    assert table.window == sakke.G_WINDOW
    assert sakke.g_table() is table
    assert table.power(1) == PARAMS.g


def test_a_callers_window_is_the_one_used(kms_cache: OrderedDict[bytes, sakke._KmsKey]) -> None:
    """EncapsulationTarget and Receiver keep a table for [b]P + Z with the window given; the
    target's trace is the module's encapsulate_trace, and the receiver derives the SSV."""
    target = sakke.EncapsulationTarget(ID, Z_PUB, window=5)
    assert target._times_t.table is not None and target._times_t.table.window == 5
    trace = target.encapsulate_trace(SSV)
    expected = sakke.encapsulate_trace(SSV, identity=ID, z_pub=Z_PUB)
    assert (trace.r, trace.R, trace.g_r, trace.mask, trace.H, trace.encapsulated) == (
        expected.r, expected.R, expected.g_r, expected.mask, expected.H, expected.encapsulated)
    assert target.encapsulate(SSV) == expected.encapsulated
    receiver = sakke.Receiver(ID, RSK, Z_PUB, window=7)
    assert receiver._times_t.table is not None and receiver._times_t.table.window == 7
    assert receiver.derive(trace.encapsulated) == SSV
