"""The ECCSI caches keep what their docstrings promise (impl/crypto/eccsi.py: Verifier and the
module's verifiers per KPAK), and random scalars are drawn as FIPS 186-4 B.4.1 says (survivors
of ``./dev mutate crypto``).  A cache never changes a result: each test also checks that the
verdicts stay right while the cache fills, hits and evicts."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from mckm.impl.crypto import eccsi
from mckm.impl.crypto.p256 import P256
from mckm.impl.errors import VerifyError

KSAK = 0x12345
KPAK = eccsi.kms_keypair(KSAK)[1]
Q = int(P256.order)


def _signed(name: bytes, message: bytes = b"m") -> tuple[bytes, bytes]:
    """(identity, signature) by a user ``name`` of the KMS KSAK."""
    ssk, pvt = eccsi.issue_ssk(KSAK, KPAK, name, 0x23456 + len(name))
    return name, eccsi.sign(message, identity=name, ssk=ssk, pvt=pvt, kpak=KPAK)


def _key(identity: bytes, signature: bytes) -> tuple[bytes, bytes]:
    return identity, signature[64:]


def test_a_verified_signer_is_cached_and_a_refused_one_is_not() -> None:
    """Verifier: an (identity, PVT) enters the cache only after its signature verified."""
    verifier = eccsi.Verifier(KPAK)
    identity, signature = _signed(b"alice")
    with pytest.raises(VerifyError):
        verifier.verify(b"other", signature, identity)
    assert verifier.cached_signers() == 0
    verifier.verify(b"m", signature, identity)
    assert verifier.cached_signers() == 1
    verifier.verify(b"m", signature, identity)
    assert verifier.cached_signers() == 1
    verifier.clear_cache()
    assert verifier.cached_signers() == 0


def test_the_cache_holds_cache_size_entries_dropping_the_least_recently_used() -> None:
    """Verifier(cache_size=2): a, b, a again, then c drops b (least recently used)."""
    verifier = eccsi.Verifier(KPAK, cache_size=2)
    a, b, c = (_signed(name) for name in (b"a", b"b", b"c"))
    for identity, signature in (a, b, a, c):
        verifier.verify(b"m", signature, identity)
    assert verifier.cached_signers() == 2
    assert list(verifier._cache) == [_key(*a), _key(*c)]
    verifier.verify(b"m", b[1], b[0])  # b again: verified anew, a (now oldest) dropped
    assert list(verifier._cache) == [_key(*c), _key(*b)]


def test_the_y_table_is_built_at_the_y_table_after_th_verification() -> None:
    """Verifier: from the ``y_table_after``-th verification of one signer on, Y = [HS]PVT +
    KPAK has a table; the signature keeps verifying and a forgery keeps failing."""
    verifier = eccsi.Verifier(KPAK, y_table_after=3, y_window=4)
    identity, signature = _signed(b"bob")
    verifier.verify(b"m", signature, identity)
    entry = verifier._cache[_key(identity, signature)]
    assert entry.uses == 1 and entry.y_table is None
    verifier.verify(b"m", signature, identity)
    assert entry.uses == 2 and entry.y_table is None
    verifier.verify(b"m", signature, identity)
    assert entry.uses == 3 and entry.y_table is not None
    assert entry.y_table.window == 4
    y = P256.add(P256.multiply_ladder(entry.hs_int, entry.pvt_point), verifier._kpak_point)
    assert entry.y_table.point == y
    verifier.verify(b"m", signature, identity)
    assert not verifier.is_valid(b"x", signature, identity)
    assert verifier._cache[_key(identity, signature)] is entry


def test_the_kpak_table_is_built_at_the_kpak_table_after_th_use() -> None:
    """Verifier: KPAK gets its table once it served ``kpak_table_after`` verifications on the
    path without a Y table; verdicts are the same before and after."""
    verifier = eccsi.Verifier(KPAK, kpak_table_after=3, kpak_window=5)
    users = [_signed(name) for name in (b"u1", b"u2", b"u3", b"u4")]
    for count, (identity, signature) in enumerate(users[:2], start=1):
        verifier.verify(b"m", signature, identity)
        assert verifier._kpak_uses == count and verifier._kpak_table is None
    verifier.verify(b"m", users[2][1], users[2][0])
    table = verifier._kpak_table
    assert table is not None and table.window == 5
    assert table.point == verifier._kpak_point
    verifier.verify(b"m", users[3][1], users[3][0])
    assert verifier._kpak_table is table and verifier._kpak_uses == 3
    assert not verifier.is_valid(b"x", users[3][1], users[3][0])


def test_module_verify_reuses_one_verifier_per_kpak_and_keeps_the_last_eight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """eccsi.verify keeps a Verifier per KPAK for the last ``_VERIFIERS_MAX`` KPAKs used."""
    monkeypatch.setattr(eccsi, "_VERIFIERS", OrderedDict())
    first = eccsi._verifier(KPAK)
    assert eccsi._verifier(KPAK) is first
    kpaks = [eccsi.kms_keypair(k)[1] for k in range(2, 2 + eccsi._VERIFIERS_MAX)]
    for kpak in kpaks[:-1]:
        eccsi._verifier(kpak)
    assert eccsi._verifier(KPAK) is first  # used again: now the most recent
    eccsi._verifier(kpaks[-1])
    assert len(eccsi._VERIFIERS) == eccsi._VERIFIERS_MAX
    assert list(eccsi._VERIFIERS) == [*kpaks[1:-1], KPAK, kpaks[-1]]
    identity, signature = _signed(b"carol")
    eccsi.verify(b"m", signature, identity=identity, kpak=KPAK)
    assert first.cached_signers() == 1


def test_random_scalars_take_64_extra_bits_and_land_in_1_to_q_minus_1(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """FIPS 186-4 B.4.1 (RFC 6507 4.2, 5.1.1 step 1, 5.2.1 step 1 draw KSAK, v, j in F_q*):
    N + 8 random octets c give (c mod (q - 1)) + 1; c = 0 gives 1, c = q - 2 gives q - 1."""
    asked: list[int] = []
    values = iter([0, Q - 2, Q - 1])

    def urandom(count: int) -> bytes:
        asked.append(count)
        return next(values).to_bytes(count, "big")

    monkeypatch.setattr(eccsi.os, "urandom", urandom)
    assert eccsi.kms_keypair()[0].reveal() == 1
    assert eccsi.kms_keypair()[0].reveal() == Q - 1
    assert eccsi.Kms().ksak.reveal() == 1
    assert asked == [eccsi.N + 8] * 3
