"""The presence rules of a MIKEY message's data type, checked on decode and on encode.

The rules are data (``models/grammar/messages.py``): per data type (RFC 3830 3, 5.1.2; RFC 6043
4.2, 5.4; RFC 6509 2.1; TS 33.180 E.5, E.6) the HDR field values allowed, which payloads may
appear and how often, which must be last, which exclude each other and which roles an ID payload
must carry.
"""

from __future__ import annotations

from mckm.impl.codec.model import Message
from mckm.models.grammar.messages import BY_DATA_TYPE, ROLE_FIELDS, MessageRule

_SLOTS = {r.data_type: {s.payload: s for s in r.slots} for r in BY_DATA_TYPE.values()}


def presence_problem(message: Message) -> tuple[str, int] | None:
    """(reason, payload index) if ``message`` breaks its data type's presence rules."""
    rule = BY_DATA_TYPE.get(message.data_type)
    if rule is None:
        return (f"data type {message.data_type} ({message.data_type_name}) has no model", -1)
    for fname, allowed in rule.hdr.items():
        if message.hdr.fields.get(fname) not in allowed:
            return (f"{_where(rule)} requires HDR {fname} in {list(allowed)}, got "
                    f"{message.hdr.fields.get(fname)}", -1)
    names = [p.name for p in message.payloads]
    counts: dict[str, int] = {}
    slots = _SLOTS[rule.data_type]
    for index, name in enumerate(names):
        slot = slots.get(name)
        if slot is None:
            return (f"{_where(rule)} does not allow a {name} payload", index)
        counts[name] = counts.get(name, 0) + 1
        if slot.max is not None and counts[name] > slot.max:
            return (f"{_where(rule)} allows at most {slot.max} {name} payload(s)", index)
        if slot.last_only and index != len(names) - 1:
            return (f"{_where(rule)} requires {name} to be the last payload", index)
    for slot in rule.slots:
        if counts.get(slot.payload, 0) < slot.min:
            need = "exactly" if slot.max == slot.min else "at least"
            return (f"{_where(rule)} requires {need} {slot.min} {slot.payload} payload(s), found "
                    f"{counts.get(slot.payload, 0)}", len(names) - 1)
    for group in rule.exclusive:
        if sum(1 for g in group if counts.get(g)) > 1:
            return (f"{_where(rule)} allows only one of {'|'.join(group)}", len(names) - 1)
    if not names or names[-1] not in rule.last:
        last = names[-1] if names else "HDR"
        return (f"{_where(rule)} requires {' or '.join(rule.last)} as the last payload, "
                f"found {last}",
                len(names) - 1)
    for pname, roles in rule.required_roles.items():
        role_field = ROLE_FIELDS[pname]
        # a list, not a set: on encode a role may still be missing or of any type here
        present = [p.fields.get(role_field) for p in message.payloads if p.name == pname]
        for role in roles:
            if role not in present:
                return (f"{_where(rule)} requires a {pname} payload with role {role}", -1)
    return None


def _where(rule: MessageRule) -> str:
    return f"{rule.name} (data type {rule.data_type}, {rule.clause})"
