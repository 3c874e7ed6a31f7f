"""The conformance-vector page of the site, generated from the kind registry."""

from __future__ import annotations

from mckm.impl.vectors.kinds import KINDS, Field
from mckm.impl.vectors.runner import builtin_files


def _fields(fields: tuple[Field, ...]) -> str:
    return ", ".join(f"`{f.name}`{' (optional)' if f.optional else ''} ({f.type})" for f in fields)


def render_pages() -> dict[str, str]:
    lines = [
        "# Conformance vectors",
        "",
        "`mckm vectors check FILE.json` runs a vector file and prints `N passed, M failed`",
        "(exit status 1 if any failed, naming each failure and the first differing field);",
        "`mckm vectors make KIND --seed S --count N` writes fresh vectors, deterministic in the",
        "seed. A file is `{\"vectors\": [{\"kind\": ..., <fields>}, ...]}`: octet strings are hex",
        "(points uncompressed, 04 || x || y; identities are the exact octets that are hashed),",
        "URIs are text, periods are integers.",
        "",
        "| kind | clause | inputs | expected |",
        "|---|---|---|---|",
    ]
    for k in KINDS.values():
        lines.append(f"| `{k.name}` | {k.clause} | {_fields(k.inputs)} | {_fields(k.outputs)} |")
    lines += ["", "Files shipped with mckm (`mckm vectors check --builtin`):", ""]
    lines += [f"- `{p.name}`" for p in builtin_files()]
    return {"vectors": "\n".join(lines) + "\n"}
