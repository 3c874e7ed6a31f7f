"""MIKEY message grammars (RFC 3830, RFC 6043, RFC 6509, TS 33.180), one module per document.

The names a contribution may use for MIKEY messages and payloads are read from here by
``mckm lint`` (rule ``message-name``): ``MESSAGE_NAMES`` (the data types that have a
presence rule), ``PAYLOAD_NAMES`` (payloads and the role forms of IDR, RANDR and TR) and
``MESSAGE_PAYLOADS`` (each message's payload list in its clause's own notation).
"""

from __future__ import annotations

from mckm.models.grammar.messages import RULES
from mckm.models.grammar.namespaces import ID_ROLE, RAND_ROLE, TS_ROLE
from mckm.models.grammar.registry import BY_NAME


def _role_forms() -> tuple[str, ...]:
    return tuple(v.name for ns in (ID_ROLE, RAND_ROLE, TS_ROLE) for v in ns.values
                 if v.name.isidentifier())


#: data-type names with a presence rule (REQUEST_INIT_PSK, RESOLVE_RESP, SAKKE, ...).
MESSAGE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES if r.name.isidentifier())
#: payload names (HDR, KEMAC, ...) and role forms (IDRkms, RANDRr, TRe, ...).
PAYLOAD_NAMES: tuple[str, ...] = tuple(BY_NAME) + _role_forms()
#: message name -> its payload list as the defining clause writes it.
MESSAGE_PAYLOADS: dict[str, tuple[str, ...]] = {
    r.name: (r.structure,) for r in RULES if r.name.isidentifier()
}
