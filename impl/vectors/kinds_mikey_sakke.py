"""Vector kind ``mikey-sakke-process``: a receiver processes one MIKEY-SAKKE I_MESSAGE.

Inputs: the I_MESSAGE, the community (KPAK, Z, KMS URI, key period and offset), the
initiator's URI (from the signalling, needed when the IDRs carry UIDs), the receiver's URI and
RSK for ``key_period_no``, and the receiver's clock ``now`` (ISO 8601 UTC).  The message goes
through :class:`mckm.impl.roles.seal.SealUser` (the SEAL model on the engine: addressing, KMS,
key period, replay window, ECCSI signature, SAKKE, purpose).  Outputs: ``ssv`` (the key),
``sk_id`` (for a GMK the GMK-ID recovered from the GUK-ID with the receiver's URI), ``csb_id``
and ``purpose``.  ``make`` builds the message with the initiator side of the same code.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from typing import Any

from mckm.impl.vectors.kinds import Field, Kind, Values, kind

CLAUSE = "RFC 6509 2.1, 4; RFC 6507 5.2.2; RFC 6508 6.2.2; TS 33.180 F.2.1, 5.2.3; seed 004"


def parse_now(text: str) -> int:
    """ISO 8601 UTC (``2025-10-02T23:47:52Z``) to NTP seconds."""
    from mckm.impl.crypto.uid import unix_to_ntp
    from mckm.impl.errors import UsageError

    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"now: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None or moment.utcoffset() != datetime.timedelta(0):
        raise UsageError(f"now: {text!r} must be UTC (end with Z)")
    return unix_to_ntp(int(moment.timestamp()))


def format_now(ntp_seconds: int) -> str:
    from mckm.impl.crypto.uid import ntp_to_unix

    moment = datetime.datetime.fromtimestamp(ntp_to_unix(ntp_seconds), tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _community(v: Mapping[str, Any]) -> Any:
    from mckm.impl.roles.seal import Community

    return Community(kms_uri=v["receiver_kms_uri"], kpak=v["kpak"], z_pub=v["z_pub"],
                     key_period=v["key_period"], key_period_offset=v["key_period_offset"])


def _process(v: Mapping[str, Any]) -> Values:
    from mckm.impl.redact import Secret
    from mckm.impl.roles.seal import SealUser, UserKeys

    community = _community(v)
    period = int(v["key_period_no"])
    uid = community.uid(v["receiver_uri"], period)
    # only the RSK is given: the receiver never signs, so SSK/PVT stay empty (warm=False
    # builds no Signer); a wrong RSK fails RFC 6508 6.2.2 step 5 in sakke.derive
    keys = UserKeys(v["receiver_uri"], period, uid, Secret(0), b"", Secret(bytes(v["rsk"])))
    # the vector names its sender; a GMK vector's sender is the group's SGM-S (REQ-SEAL-KD-14
    # is deployment configuration, not part of the message's conformance)
    receiver = SealUser(v["receiver_uri"], community, [], warm=False,
                        group_servers=(v["initiator_uri"],))
    receiver.facts.add_keys(keys)
    record = receiver.receive(v["i_message"], now=parse_now(v["now"]),
                              sender_uri=v["initiator_uri"], period=period)
    return {"ssv": record.key.reveal(), "sk_id": record.sk_id.to_bytes(4, "big"),
            "csb_id": record.csb_id.to_bytes(4, "big"), "purpose": record.purpose_name}


def _make(rng: random.Random) -> Values:
    from mckm.impl.crypto import eccsi, sakke
    from mckm.impl.crypto.p256 import P256
    from mckm.impl.crypto.sakke_params import PARAMS
    from mckm.impl.redact import Secret
    from mckm.impl.roles.seal import Community, IdForm, SealUser, UserKeys
    from mckm.models.policy import PURPOSES
    from mckm.models.policy.key_id import RANDOM_BITS

    q_ecc, q_sakke = int(P256.order), int(PARAMS.q)
    ksak, kpak = eccsi.kms_keypair(rng.randrange(1, q_ecc))
    z, z_pub = sakke.kms_master_key(rng.randrange(2, q_sakke))
    period, offset = rng.choice([(2592000, 0), (86400, 3600), (16777215, 0)])
    community = Community(f"kms{rng.randrange(100)}.example.org", kpak, z_pub, period, offset)
    now = rng.randrange(3_900_000_000, 4_100_000_000)
    period_no = community.period_of(now)
    initiator = f"sip:user{rng.randrange(10**6)}@example.org"
    receiver = f"sip:user{rng.randrange(10**6, 2 * 10**6)}@example.org"
    i_uid = community.uid(initiator, period_no)
    r_uid = community.uid(receiver, period_no)
    ssk, pvt = eccsi.issue_ssk(ksak.reveal(), kpak, i_uid, v=rng.randrange(1, q_ecc))
    rsk = sakke.issue_rsk(z.reveal(), r_uid)
    sender = SealUser(initiator, community, [UserKeys(initiator, period_no, i_uid, ssk, pvt,
                                                      Secret(b""))], warm=False)
    purpose = rng.choice(["GMK", "PCK", "CSK", "SPK"])
    key = rng.getrandbits(128).to_bytes(16, "big")
    raw, _ = sender.send(receiver, purpose, now=now, key=key,
                         id_form=rng.choice([IdForm.UID, IdForm.URI]),
                         random=rng.getrandbits(RANDOM_BITS),
                         rand=rng.getrandbits(128).to_bytes(16, "big"),
                         j=rng.randrange(1, q_ecc))
    values: Values = {
        "i_message": raw, "kpak": kpak, "z_pub": z_pub, "initiator_uri": initiator,
        "receiver_uri": receiver, "receiver_kms_uri": community.kms_uri, "rsk": rsk,
        "key_period": period, "key_period_offset": offset, "key_period_no": period_no,
        "now": format_now(now + rng.randrange(-60, 61)),
    }
    values.update(_process(values))
    assert values["ssv"] == key and values["purpose"] == PURPOSES.by_name(purpose).name
    return values


MIKEY_SAKKE_PROCESS = kind(Kind(
    "mikey-sakke-process", CLAUSE,
    inputs=(Field("i_message", "hex"), Field("kpak", "hex"), Field("z_pub", "hex"),
            Field("initiator_uri", "text"), Field("receiver_uri", "text"),
            Field("receiver_kms_uri", "text"), Field("rsk", "hex"), Field("key_period", "int"),
            Field("key_period_offset", "int"), Field("key_period_no", "int"),
            Field("now", "text")),
    outputs=(Field("ssv", "hex"), Field("sk_id", "hex"), Field("csb_id", "hex"),
             Field("purpose", "text")),
    run=_process, make=_make,
))
