"""SEAL key distribution roles (seed 004, TS 33.434 6.Y.2) on the real codec and crypto.

* :mod:`.identities` - SKM-S community values and the UID schemes (TS 33.180 F.2.1, RFC 6509 3.2);
* :mod:`.imessage` - the I_MESSAGE identity converter and :func:`read_imessage` (the generic view);
* :mod:`.facts` - :class:`SealFacts`, the model's crypto facts (ECCSI, SAKKE) and operations;
* :mod:`.effects` - the model's ``seal.*`` effects;
* :mod:`.keystore` - keys by SK-ID (the replay cache is :mod:`mckm.impl.engine.replay`);
* :mod:`.endpoint` - :class:`SealUser` and the SGM-S :class:`GroupManagementServer`.
"""

from mckm.impl.roles.seal.endpoint import GroupManagementServer, SealUser
from mckm.impl.roles.seal.facts import SealFacts, UserKeys
from mckm.impl.roles.seal.identities import (
    MCX_HASHED_UID,
    TEL_URI_MONTHLY,
    Community,
    uid_scheme,
)
from mckm.impl.roles.seal.imessage import IdForm, read_imessage
from mckm.impl.roles.seal.keystore import KeyRecord, MemoryKeyStore

__all__ = ["MCX_HASHED_UID", "TEL_URI_MONTHLY", "Community", "GroupManagementServer",
           "IdForm", "KeyRecord", "MemoryKeyStore", "SealFacts", "SealUser", "UserKeys",
           "read_imessage", "uid_scheme"]
