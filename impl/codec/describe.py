"""Field tables generated from the grammar: ``mckm codec describe NAME`` and the Sphinx pages.

Both read the same :class:`~mckm.models.grammar.dsl.FieldInfo` declarations, so the table a
user prints and the one the site shows cannot differ.
"""

from __future__ import annotations

from mckm.impl.errors import UsageError
from mckm.models.grammar.dsl import FieldInfo, Namespace, StructSpec, all_structs
from mckm.models.grammar.messages import BY_DATA_TYPE, MessageRule
from mckm.models.grammar.namespaces import DATA_TYPE
from mckm.models.grammar.registry import BY_NAME

HEADER = ("field", "bits", "meaning", "allowed values", "clause")


def allowed_text(info: FieldInfo) -> str:
    if info.namespace is not None:
        return namespace_text(info.namespace)
    if info.kind == "choice" and info.cases is not None:
        return "; ".join(f"{k}: {'nothing' if v is None else v.name}"
                         for k, v in info.cases.items())
    if info.kind == "optional" and info.sub is not None:
        return f"see {info.sub.name}"
    if info.fixed_sizes and info.key:
        unit = "bits" if info.kind == "uint" else "octets"
        return f"{unit} by {info.key}: " + ", ".join(f"{k}: {v}"
                                                     for k, v in info.fixed_sizes.items())
    if info.len_bits:
        return f"0..{(1 << info.len_bits) - 1} octets"
    if info.derived:
        return "computed on encode"
    return info.allowed or ""


def namespace_text(ns: Namespace) -> str:
    parts = [f"{v.value} {v.name}" + ("" if v.status == "verified" else f" [{v.status}]")
             for v in ns.values]
    tail = "other values: error (layout unknown)" if ns.unknown == "error" else \
        "other values: decoded as unassigned"
    return "; ".join(parts) + f"; {tail}"


def rows(spec: StructSpec) -> list[tuple[str, str, str, str, str]]:
    return [(i.name, i.bits, i.meaning, allowed_text(i), i.clause) for i in spec.infos]


def names() -> list[str]:
    return [*BY_NAME, *(r.name for r in BY_DATA_TYPE.values())]


def markdown_table(spec: StructSpec) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows(spec):
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def rule_text(rule: MessageRule) -> str:
    slots = ", ".join(s.text() for s in rule.slots)
    lines = [f"data type {rule.data_type} ({rule.name}), {rule.clause} [{rule.status}]",
             f"  as written: {rule.structure}",
             f"  after HDR: {slots}",
             f"  last payload: {' | '.join(rule.last)}"]
    if rule.exclusive:
        lines.append("  at most one of: " + "; ".join("|".join(g) for g in rule.exclusive))
    if rule.hdr:
        lines.append("  HDR: " + ", ".join(f"{k} in {list(v)}" for k, v in rule.hdr.items()))
    if rule.required_roles:
        lines.append("  roles: " + ", ".join(f"{k} role {list(v)}"
                                              for k, v in rule.required_roles.items()))
    return "\n".join(lines)


def describe(name: str) -> str:
    """Plain-text field table of a payload (HDR, T, IDR, ...) or presence rule of a data type
    (by name, e.g. ``SAKKE``/``I_MESSAGE``, or number)."""
    key = name.strip()
    if key.upper() in ("I_MESSAGE", "MIKEY-SAKKE"):
        key = "26"
    spec = BY_NAME.get(key) or BY_NAME.get(key.upper())
    if spec is not None and not key.isdigit():
        blocks = [_text_table(s) for s in all_structs(spec.spec)]
        if spec.name == "SAKKE":
            blocks.append(rule_text(BY_DATA_TYPE[DATA_TYPE.SAKKE]))
        return "\n\n".join(blocks)
    for rule in BY_DATA_TYPE.values():
        if key == str(rule.data_type) or key.upper() == rule.name.upper():
            return rule_text(rule)
    raise UsageError(f"unknown payload or data type {name!r}; known: {', '.join(names())}; "
                     f"data types: {', '.join(DATA_TYPE.name_of(d) for d in BY_DATA_TYPE)}")


def _text_table(spec: StructSpec) -> str:
    body = rows(spec)
    widths = [max(len(h), *(min(len(r[i]), 60) for r in body)) for i, h in enumerate(HEADER)]
    out = [f"{spec.name} ({spec.clause}): {spec.meaning}"]
    out.append("  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)))
    for r in body:
        out.append("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out)
