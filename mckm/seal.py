"""SEAL key distribution (seed 004, TS 33.434 6.Y.2) over MIKEY-SAKKE: the supported import path.

A :class:`SealUser` of one SKM-S :class:`Community` sends an I_MESSAGE (``send``: the octets and
the SK-ID) and receives one (``receive``: the stored :class:`KeyRecord`, or a ``StepRefused``
naming the step, guard, requirement and MIKEY error); :class:`GroupManagementServer` is the
SGM-S that distributes a GMK.  The user's keys (:class:`UserKeys`) come from the community's
KMS; :mod:`mckm.crypto` issues test keys.
"""

from mckm.impl.engine import StepRefused
from mckm.impl.roles.seal import (
    MCX_HASHED_UID,
    TEL_URI_MONTHLY,
    Community,
    GroupManagementServer,
    IdForm,
    KeyRecord,
    MemoryKeyStore,
    SealFacts,
    SealUser,
    UserKeys,
    read_imessage,
    uid_scheme,
)

__all__ = ["MCX_HASHED_UID", "TEL_URI_MONTHLY", "Community", "GroupManagementServer", "IdForm",
           "KeyRecord", "MemoryKeyStore", "SealFacts", "SealUser", "StepRefused", "UserKeys",
           "read_imessage", "uid_scheme"]
