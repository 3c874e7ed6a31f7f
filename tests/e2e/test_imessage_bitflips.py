"""Every single-bit change of one valid I_MESSAGE is refused (seed 004 6.Y.2: "integrity and
authenticity of the payload"): a DecodeError or a StepRefused, and the receiver's state and key
store unchanged.  The receiver is warm (RSK lines, verifier caches) to keep this fast."""

from __future__ import annotations

import pytest

from mckm.impl.engine import StepRefused
from mckm.impl.errors import DecodeError
from mckm.impl.roles.seal import IdForm, SealUser
from tests.e2e.seal_fixtures import NOW, kms

ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"


@pytest.mark.parametrize("form", [IdForm.UID])
def test_every_single_bit_change_is_refused(form: IdForm) -> None:
    k = kms()
    alice = SealUser(ALICE, k.community, [k.keys(ALICE)])
    bob = SealUser(BOB, k.community, [k.keys(BOB)])
    raw, _ = alice.send(BOB, "PCK", now=NOW, id_form=form)
    before = dict(bob.receiver_vars)
    kinds: dict[str, int] = {}
    for bit in range(8 * len(raw)):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        try:
            bob.receive(bytes(flipped), now=NOW, sender_uri=ALICE)
        except StepRefused as exc:
            kinds[exc.guard or "unexpected"] = kinds.get(exc.guard or "unexpected", 0) + 1
        except DecodeError:
            kinds["decode"] = kinds.get("decode", 0) + 1
        else:
            pytest.fail(f"bit {bit} (octet {bit // 8}) changed and the message was accepted")
        assert bob.receiver_vars == before and bob.store.all() == []
    assert sum(kinds.values()) == 8 * len(raw)
    assert kinds.get("signed-by-initiator", 0) > len(raw)  # most flips reach the signature
    assert bob.receive(raw, now=NOW, sender_uri=ALICE).key is not None  # the original passes
