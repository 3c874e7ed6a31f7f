"""The names a contribution may use for MIKEY messages, payloads and roles, and the domain glossary.

:func:`vocabulary` merges two sources:

* ``mckm.models.grammar``, when it exposes ``MESSAGE_NAMES`` (tuple of data-type names such as
  ``"RESOLVE_RESP"``), ``PAYLOAD_NAMES`` (tuple of payload names such as ``"IDRkms"``) and
  optionally ``MESSAGE_PAYLOADS`` (``{message: (notation, ...)}``) — read guardedly, so a grammar
  that is missing or mid-change only narrows the vocabulary;
* ``data/vocabulary.yaml`` (RFC 3830, RFC 6043, RFC 6509 names and payload lists).

:func:`glossary` reads ``data/glossary.yaml`` (3GPP/IETF abbreviations and domain terms of the
specifications mckm models, with their expansions) and ``data/tr21905_abbreviations.yaml`` (the
abbreviations of TR 21.905 clause 4, which every 3GPP specification imports by reference);
an entry of the first wins.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
_NOTATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Vocabulary:
    """Known names; ``structures[m]`` is the set of payloads any variant of message ``m`` holds."""

    messages: frozenset[str]
    payloads: frozenset[str]
    roles: frozenset[str]
    structures: dict[str, frozenset[str]] = field(default_factory=dict)
    notations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> frozenset[str]:
        return self.messages | self.payloads | self.roles


@dataclass(frozen=True)
class Glossary:
    """Abbreviation -> expansion, and lower-cased domain terms."""

    abbreviations: dict[str, str]
    terms: frozenset[str]

    def knows(self, token: str) -> bool:
        return token in self.abbreviations or token.lower() in self.terms


def _load_yaml(name: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (DATA / name).open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def _from_grammar() -> tuple[set[str], set[str], dict[str, tuple[str, ...]]]:
    """Names exposed by ``mckm.models.grammar``; empty if it is absent or incomplete."""
    try:
        grammar = importlib.import_module("mckm.models.grammar")
    except Exception:
        return set(), set(), {}
    messages = getattr(grammar, "MESSAGE_NAMES", ())
    payloads = getattr(grammar, "PAYLOAD_NAMES", ())
    layouts = getattr(grammar, "MESSAGE_PAYLOADS", {})
    ok_m = (
        {m for m in messages if isinstance(m, str)} if isinstance(messages, tuple | list) else set()
    )
    ok_p = (
        {p for p in payloads if isinstance(p, str)} if isinstance(payloads, tuple | list) else set()
    )
    ok_l: dict[str, tuple[str, ...]] = {}
    if isinstance(layouts, dict):
        for k, v in layouts.items():
            if isinstance(k, str) and isinstance(v, tuple | list):
                ok_l[k] = tuple(str(x) for x in v)
    return ok_m, ok_p, ok_l


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The merged vocabulary (computed once per process)."""
    data = _load_yaml("vocabulary.yaml")
    g_messages, g_payloads, g_layouts = _from_grammar()
    notations: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    for name, entry in data["messages"].items():
        notations[name] = tuple(entry["payloads"])
        sources[name] = entry.get("source", "")
    for name, layout in g_layouts.items():
        notations[name] = layout
        sources[name] = "mckm.models.grammar"
    for family, members in data.get("families", {}).items():
        notations[family] = tuple(n for m in members for n in notations.get(m, ()))
        sources[family] = ", ".join(sources.get(m, "") for m in members)
    structures = {
        m: frozenset(_NOTATION_NAME.findall(" ".join(variants)))
        for m, variants in notations.items()
    }
    return Vocabulary(
        messages=frozenset(notations) | frozenset(g_messages),
        payloads=frozenset(data["payloads"]) | frozenset(g_payloads),
        roles=frozenset(data.get("roles", ())),
        structures=structures,
        notations=notations,
        sources=sources,
    )


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The domain glossary (computed once per process)."""
    data = _load_yaml("glossary.yaml")
    vocabulary_21905 = _load_yaml("tr21905_abbreviations.yaml")
    source = vocabulary_21905["source"]
    abbreviations = {str(a): source for group in vocabulary_21905["abbreviations"] for a in group}
    abbreviations.update({str(k): str(v) for k, v in data["abbreviations"].items()})
    return Glossary(abbreviations, frozenset(str(t).lower() for t in data["terms"]))
