"""``mckm demo``: the main job on the embedded defaults, saying what it did at each step.

It plays a MIKEY-SAKKE community end to end with what mckm implements: a KMS creates its ECCSI
and SAKKE master keys, derives the TS 33.180 UIDs of two users for the current key period,
issues and validates their key sets, and one user sends the other a private-call key: signed
with ECCSI, encapsulated with SAKKE, verified and derived on the receiving side.  Only public
values and fingerprints are printed, never a key.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import click

from mckm.impl.crypto import eccsi, sakke, uid
from mckm.impl.redact import fingerprint

T = TypeVar("T")

KMS_URI = "kms.example.org"
KEY_PERIOD = 2592000  # 30 days, the TS 33.179 F.2.1 example
KEY_PERIOD_OFFSET = 0
USERS = ("sip:alice@example.org", "sip:bob@example.org")


def _timed(label: str, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = action()
    click.echo(f"  {label:<58} {1000 * (time.perf_counter() - start):8.1f} ms")
    return value


@click.command("demo")
def demo() -> None:
    """Run a MIKEY-SAKKE key exchange between two users of one KMS and report each step."""
    now_ntp = uid.unix_to_ntp(int(time.time()))
    period_no = uid.key_period_no(now_ntp, key_period=KEY_PERIOD,
                               key_period_offset=KEY_PERIOD_OFFSET)
    click.echo(f"KMS {KMS_URI}: key period {KEY_PERIOD} s, offset {KEY_PERIOD_OFFSET} s, "
               f"current period number {period_no}")

    ksak, kpak = _timed("ECCSI KMS key pair (KSAK, KPAK)", eccsi.kms_keypair)
    z, z_pub = _timed("SAKKE KMS master key (z, Z)", sakke.kms_master_key)
    click.echo(f"  KPAK {kpak.hex()[:24]}…  Z {z_pub.hex()[:24]}…")

    keys = {}
    for user in USERS:
        user_id = uid.mcx_uid(user, KMS_URI, key_period=KEY_PERIOD,
                              key_period_offset=KEY_PERIOD_OFFSET, key_period_no=period_no)
        click.echo(f"{user}: UID {user_id.hex()} (TS 33.180 F.2.1)")
        ssk, pvt = _timed("issue SSK/PVT (RFC 6507 5.1.1)",
                          lambda u=user_id: eccsi.issue_ssk(ksak.reveal(), kpak, u))
        _timed("validate SSK (RFC 6507 5.1.2)",
               lambda u=user_id, s=ssk, v=pvt: eccsi.validate_ssk(kpak, u, s.reveal(), v))
        rsk = _timed("issue RSK (RFC 6508 6.1.1)", lambda u=user_id: sakke.issue_rsk(z.reveal(), u))
        _timed("validate RSK (RFC 6508 6.1.2)",
               lambda u=user_id, r=rsk: sakke.validate_rsk(z_pub, u, r))
        keys[user] = (user_id, ssk, pvt, rsk)

    alice, bob = USERS
    a_uid, a_ssk, a_pvt, _ = keys[alice]
    b_uid, _, _, b_rsk = keys[bob]
    pck = os.urandom(16)
    click.echo(f"{alice} -> {bob}: private call key, fingerprint {fingerprint(pck)}")
    sed = _timed("SAKKE encapsulate to Bob's UID (RFC 6508 6.2.1)",
                 lambda: sakke.encapsulate(pck, identity=b_uid, z_pub=z_pub))
    signature = _timed("ECCSI sign by Alice's UID (RFC 6507 5.2.1)",
                       lambda: eccsi.sign(sed, identity=a_uid, ssk=a_ssk.reveal(), pvt=a_pvt,
                                          kpak=kpak))
    _timed("ECCSI verify at Bob (RFC 6507 5.2.2)",
           lambda: eccsi.verify(sed, signature, identity=a_uid, kpak=kpak))
    derived = _timed("SAKKE derive with Bob's RSK (RFC 6508 6.2.2)",
                     lambda: sakke.derive(sed, identity=b_uid, rsk=b_rsk, z_pub=z_pub))
    same = derived == pck
    click.echo(f"{bob} holds key fingerprint {fingerprint(derived)}: "
               f"{'the same key as Alice' if same else 'A DIFFERENT KEY'}")
    if not same:
        raise SystemExit(1)
