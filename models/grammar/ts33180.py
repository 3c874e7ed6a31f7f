"""TS 33.180 (MC security) values carried by MIKEY-SAKKE messages.

TS 33.180 adds no payload layout of its own to the codec; what it adds are values in MIKEY
name spaces, kept with the rest in ``namespaces``: SAKKE ID scheme 2 (hashed UID, F.2.1),
GENERAL_EXT types 6 (SAKKE-to-self, E.5) and 7 (key parameters, E.6), and the IDR roles 8
(IDRuidi) and 9 (IDRuidr) that carry the initiator's and responder's UIDs in place of their MC
Service user IDs (identity hiding, E.7).  This module gathers them so that a reader of the 3GPP
profile finds them in one list; the codec reads the namespaces.
"""

from __future__ import annotations

from mckm.models.grammar.dsl import Value
from mckm.models.grammar.namespaces import GENERAL_EXT_TYPE, ID_ROLE, SAKKE_ID_SCHEME


def _pick(values: tuple[Value, ...], numbers: tuple[int, ...]) -> tuple[Value, ...]:
    return tuple(v for v in values if v.value in numbers)


#: (namespace name, values) that the 3GPP MC profile adds to MIKEY.
MC_ADDITIONS = (
    (ID_ROLE.name, _pick(ID_ROLE.values, (8, 9))),
    (GENERAL_EXT_TYPE.name, _pick(GENERAL_EXT_TYPE.values, (6, 7))),
    (SAKKE_ID_SCHEME.name, _pick(SAKKE_ID_SCHEME.values, (2,))),
)
