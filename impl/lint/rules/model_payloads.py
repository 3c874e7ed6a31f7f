"""A payload list stated for a message must match the grammar: nothing extra, nothing missing.

A list of three or more payload names in RFC notation (``HDR, T, RAND, [IDRi], {SP}, SAKKE,
SIGN``) or in prose (``the HDR, T, RAND, SAKKE and SIGN payloads``) on a line that names a
message is compared with the message's presence rule in ``mckm.models.grammar.messages`` (for a
name a procedure model maps to another data type, that data type's rule: see
:func:`mckm.impl.lint.model_facts.payload_layout`).  Reported, citing the rule's clause and
notation:

* a payload the message cannot carry (error), e.g. a KEMAC in a MIKEY-SAKKE I_MESSAGE;
* when the list is the whole message (it starts with HDR) and one grammar rule applies: a
  payload the rule requires that the list leaves out (error), e.g. an I_MESSAGE without SIGN.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import payload_layout
from mckm.impl.lint.rules.message_name import NAME
from mckm.impl.lint.scan import lines_with
from mckm.models.grammar.namespaces import ID_ROLE, RAND_ROLE, TS_ROLE
from mckm.models.grammar.registry import BY_NAME

ID = "model-payloads"

_ITEM = r"(?:[\[{(]\s*)?[A-Za-z][A-Za-z_]*(?:\s*\|\s*[A-Za-z][A-Za-z_]*)*(?:\s*[\]})])?"
_LIST = re.compile(rf"{_ITEM}(?:\s*(?:,|,?\s+and)\s*{_ITEM}){{2,}}")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z_]*")


@lru_cache(maxsize=1)
def _role_base() -> dict[str, str]:
    """Role form -> payload (``IDRi`` -> ``IDR``), from the grammar's role name spaces."""
    out = {}
    for ns, base in ((ID_ROLE, "IDR"), (RAND_ROLE, "RANDR"), (TS_ROLE, "TR")):
        for v in ns.values:
            if v.name.isidentifier():
                out[v.name] = base
    return out


def base(name: str) -> str:
    """The payload a name stands for: a role form's (``IDRkms`` -> ``IDR``), an RFC 3830
    clause 3 suffix form's (``SIGNi`` -> ``SIGN``, ``IDr`` -> ``ID``), or the name itself."""
    if name in _role_base():
        return _role_base()[name]
    for suffix in ("kms", "i", "r"):
        stem = name.removesuffix(suffix)
        if stem != name and stem in BY_NAME:
            return stem
    return name


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    vocab = ctx.vocabulary
    text: str | None = None
    for ln in lines_with(doc, (",",)):
        line = doc.lines[ln - 1]
        messages = [m.group(1) for m in NAME.finditer(line) if m.group(1) in vocab.messages]
        if not messages:
            continue
        for lm in _LIST.finditer(line):
            names = _TOKEN.findall(lm.group())
            names = [n for n in names if n != "and"]
            if not all(n in vocab.payloads for n in names) or len(names) < 3:
                continue
            before = [m for m in NAME.finditer(line[: lm.start()]) if m.group(1) in vocab.messages]
            msg = before[-1].group(1) if before else messages[0]
            text = doc.text if text is None else text
            layout = payload_layout(msg, text, vocab)
            if not layout.allowed:
                continue
            allowed_bases = {base(p) for p in layout.allowed}
            where = f"{layout.clause}: {layout.notation}"
            for tm in _TOKEN.finditer(lm.group()):
                name = tm.group()
                if name == "and" or name in layout.allowed or (
                    name not in _role_base() and base(name) in allowed_bases and name == base(name)
                ):
                    continue
                yield finding(
                    doc, ID, "error", ln, lm.start() + tm.start() + 1,
                    f"{msg} cannot carry {name} ({where})", "drop it or name another message",
                )
            if len(layout.rules) == 1 and names[0] == "HDR":
                rule = layout.rules[0]
                listed = {base(n) for n in names}
                missing = [s.payload for s in rule.slots if s.min >= 1 and s.payload not in listed]
                if missing:
                    yield finding(
                        doc, ID, "error", ln, lm.start() + 1,
                        f"the payload list of {msg} leaves out {', '.join(missing)}, which "
                        f"{rule.clause} requires ({rule.structure})",
                        f"add {', '.join(missing)}",
                    )
