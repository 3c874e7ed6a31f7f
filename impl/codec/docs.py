"""Sphinx pages generated from the grammar (``docs/generate.py`` calls :func:`render_pages`)."""

from __future__ import annotations

from mckm.impl.codec.describe import markdown_table, namespace_text
from mckm.models.grammar.dsl import all_structs
from mckm.models.grammar.messages import RULES
from mckm.models.grammar.registry import BY_NAME, structures
from mckm.models.grammar.ts33180 import MC_ADDITIONS


def render_pages() -> dict[str, str]:
    """``{"codec-payloads": ..., "codec-messages": ...}``: MyST pages with plain tables."""
    return {"codec-payloads": _payloads_page(), "codec-messages": _messages_page()}


def _payloads_page() -> str:
    out = ["# MIKEY payload grammars", "",
           "Generated from `models/grammar` (the same tables as `mckm codec describe NAME`). "
           "Bits are field widths; *variable* fields take their length from a length field or "
           "from the value of the field named in *allowed values*.", ""]
    shown: list[object] = []
    for name, payload in BY_NAME.items():
        number = "" if payload.number is None else f" (Next Payload {payload.number})"
        out += [f"## {name}{number}", "", f"{payload.spec.meaning}. Clause: {payload.clause}.",
                ""]
        for s in all_structs(payload.spec):
            if any(s is o for o in shown):
                continue
            shown.append(s)
            if s is not payload.spec:
                out += [f"### {s.name}", "", f"{s.meaning}. Clause: {s.clause}.", ""]
            out += [markdown_table(s), ""]
    rest = [s for s in structures() if all(s is not o for o in shown)]
    for s in rest:
        out += [f"## {s.name}", "", f"{s.meaning}. Clause: {s.clause}.", "", markdown_table(s),
                ""]
    return "\n".join(out)


def _messages_page() -> str:
    out = ["# MIKEY data types and presence rules", "",
           "Generated from `models/grammar/messages.py`. Notation: `[p]` optional, `{p}` zero "
           "or more, `(p)` one or more. HDR is always first; the codec checks these rules on "
           "decode and encode.", "",
           "| data type | name | clause | as written | after HDR | last payload | status |",
           "|---|---|---|---|---|---|---|"]
    for r in RULES:
        slots = ", ".join(s.text() for s in r.slots)
        extra = []
        if r.hdr:
            extra.append("HDR " + ", ".join(f"{k} in {list(v)}" for k, v in r.hdr.items()))
        if r.required_roles:
            extra.append(", ".join(f"{k} role {list(v)}" for k, v in r.required_roles.items()))
        if r.exclusive:
            extra.append("one of " + "; ".join("/".join(g) for g in r.exclusive))
        after = slots + ("; " + "; ".join(extra) if extra else "")
        cells = [str(r.data_type), r.name, r.clause, r.structure, after, " / ".join(r.last),
                 r.status]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out += ["", "## 3GPP MC additions (TS 33.180)", "",
            "| name space | value | name | clause | status |", "|---|---|---|---|---|"]
    for ns_name, values in MC_ADDITIONS:
        for v in values:
            out.append(f"| {ns_name} | {v.value} | {v.name} | {v.clause} | {v.status} |")
    out += ["", "## Name spaces", ""]
    seen: list[object] = []
    for s in structures():
        for info in s.infos:
            ns = info.namespace
            if ns is None or any(ns is o for o in seen):
                continue
            seen.append(ns)
            out += [f"### {ns.name} ({ns.bits} bits)", "", f"Clause: {ns.clause}.", "",
                    "| value | name | meaning | clause | status |", "|---|---|---|---|---|"]
            for v in ns.values:
                out.append(f"| {v.value} | {v.name} | {v.meaning or ' '} | {v.clause} | "
                           f"{v.status} |".replace("||", "| |"))
            out += ["", namespace_text(ns).rsplit("; ", 1)[1].capitalize() + ".", ""]
    return "\n".join(out)
