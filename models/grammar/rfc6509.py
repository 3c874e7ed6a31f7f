"""RFC 6509 (MIKEY-SAKKE) payload: SAKKE encapsulated data (clause 4.2).

RFC 6509 also adds the ECCSI signature type (S type 2, clause 4.3, in ``namespaces.S_TYPE``),
the IDR roles IDRkmsi/IDRkmsr (clause 4.4, ``namespaces.ID_ROLE``) and data type 26 (clause 4.1).
"""

from __future__ import annotations

from mckm.models.grammar.dsl import PayloadSpec, struct, uint, var_bytes
from mckm.models.grammar.namespaces import SAKKE_ID_SCHEME, SAKKE_PARAMS
from mckm.models.grammar.rfc6043 import next_payload

SAKKE = PayloadSpec("SAKKE", 26, struct(
    "SAKKE", "RFC 6509 4.2", "SAKKE encapsulated data payload",
    next_payload("RFC 6509 4.2"),
    uint("sakke_params", 8, "SAKKE parameter set", "RFC 6509 4.2", ns=SAKKE_PARAMS),
    uint("id_scheme", 8, "identifier scheme of the receiver's identity", "RFC 6509 4.2",
         ns=SAKKE_ID_SCHEME),
    var_bytes("sakke_data", "sakke_data_len", 16, "SAKKE Encapsulated Data R || H (273 octets "
              "for parameter set 1: R = 04 || x || y, 257 octets; H, 16 octets)",
              "RFC 6509 4.2; RFC 6508 4"),
))

PAYLOADS = (SAKKE,)
