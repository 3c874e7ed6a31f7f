"""Sans-IO BSF (TS 33.220 B.3; bootstrapping provisioned, not run)."""

from __future__ import annotations

import pytest

from mckm.impl.crypto.kdf import kdf, naf_id
from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings

KS = bytes(range(32))
RAND = bytes(range(16))
NAF = naf_id("kms.example.org", bytes.fromhex("0100000006"))


def context(expires: float = 100.0) -> BootstrapContext:
    return BootstrapContext("b-tid@bsf.example.org", Secret(KS), RAND, "user@ims.example.org",
                            expires, UserSecuritySettings(("sip:alice@example.org",)))


def test_lookup_gives_ue_key_and_uss() -> None:
    """REQ-TKT-MSG-13: the BSF answers Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), the UE's
    own derivation, and the USS.
    """
    bsf = Bsf()
    bsf.provision(context())
    answer = bsf.lookup("b-tid@bsf.example.org", NAF, now=10.0)
    expect = kdf(KS, 0x01, b"gba-me", RAND, b"user@ims.example.org", NAF)  # TS 33.220 B.3
    assert answer.ks_naf.reveal() == expect == context().ue_ks_naf(NAF)
    assert answer.uss.public_identities == ("sip:alice@example.org",)
    assert KS.hex() not in repr(answer) and expect.hex() not in repr(answer)
    other = bsf.lookup("b-tid@bsf.example.org", naf_id("kms2.example.org", bytes(5)), now=10.0)
    assert other.ks_naf != answer.ks_naf


def test_unknown_expired_and_duplicate() -> None:
    """REQ-TKT-MSG-13: an unknown or expired B-TID is a PolicyError (HTTP 404)."""
    bsf = Bsf()
    bsf.provision(context(expires=50.0))
    with pytest.raises(PolicyError, match="unknown"):
        bsf.lookup("nobody@bsf", NAF, now=1.0)
    with pytest.raises(PolicyError, match="expired") as err:
        bsf.lookup("b-tid@bsf.example.org", NAF, now=50.0)
    assert err.value.http_status == 404
    with pytest.raises(UsageError):
        bsf.provision(context())
