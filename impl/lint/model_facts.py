"""What the model-aware lint rules read from ``models/``, each fact with the clause it cites.

Nothing here states a fact: every number, name, width and step is read from the grammar
(:mod:`mckm.models.grammar`: data types, payload types, error numbers, payload presence rules),
the policy (:mod:`mckm.models.policy`: key purposes and the SK-ID bit layout) or the procedure
models (:mod:`mckm.models.procedures.registry`).  The procedure models are imported on first
use only (they pull in z3), so a document that names no MIKEY message does not pay for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from mckm.models.grammar.dsl import Namespace, Value
from mckm.models.grammar.messages import RULES, MessageRule
from mckm.models.grammar.namespaces import DATA_TYPE, ERROR_NO, ID_ROLE, PAYLOAD_TYPE

if TYPE_CHECKING:
    from mckm.impl.lint.vocabulary import Vocabulary
    from mckm.models.procedures.model import Procedure, Step

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a sentence of a line, as the model rules read a statement: it ends at ``;`` or at a ``.``
#: that ends a word (not the dots of "e.g.", "i.e.", "6.Y.2" or "RFC 6509 4.1")
SENTENCE = re.compile(r"(?:[^.;]|\.(?=\S)|(?<=e\.g)\.|(?<=i\.e)\.)+(?:[.;]|$)")


def normal(name: str) -> str:
    """A name compared without case, spaces, hyphens or quotes ("Auth failure" = "auth-failure")."""
    return re.sub(r"[\s\-_'\"‘’“”.]+", "", name).casefold()


def cite(ns: Namespace, value: Value) -> str:
    """How a finding cites one namespace value: ``Error no 7 'Invalid ID' (RFC 3830 6.12)``."""
    return f"{ns.name} {value.value} '{value.name}' ({value.clause or ns.clause})"


def by_name(ns: Namespace, name: str) -> Value | None:
    """The value of ``ns`` called ``name`` (compared by :func:`normal`), or None."""
    return _names(ns).get(normal(name))


@cache
def _names(ns: Namespace) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for v in ns.values:
        out.setdefault(normal(v.name), v)
        if v.ident:
            out.setdefault(normal(v.ident), v)
    return out


def by_number(ns: Namespace, number: int) -> Value | None:
    return ns.by_value.get(number)


#: The namespaces a contribution states numbers of.
ERRORS, DATA_TYPES, PAYLOAD_TYPES = ERROR_NO, DATA_TYPE, PAYLOAD_TYPE


def rule_payloads(rule: MessageRule) -> frozenset[str]:
    """The payload names a grammar presence rule's notation lists (``HDR, T, [IDRi], ...``)."""
    return frozenset(_NAME.findall(rule.structure))


def grammar_rule(data_type: str) -> MessageRule | None:
    """The grammar's presence rule of the data type called ``data_type`` (``SAKKE``)."""
    for r in RULES:
        if r.name == data_type:
            return r
    return None


@dataclass(frozen=True)
class ModelMessage:
    """A message name as a procedure model uses it, and the grammar rule of its data type."""

    name: str
    procedure: str
    rule: MessageRule


#: The modules of the procedure models whose messages are MIKEY (grammar ``mikey: ...``): the
#: only ones with IDR identities, data types and key ids.  Importing these two instead of the
#: whole registry halves the cost (the CEK and InterKMM models pull in XML and HTTP code);
#: tests/lint/test_model_rules.py checks that the registry holds no other MIKEY procedure.
MIKEY_PROCEDURE_MODULES = (
    "mckm.models.procedures.seal_key_distribution",
    "mckm.models.procedures.mikey_ticket",
)


@lru_cache(maxsize=1)
def procedures() -> tuple[Procedure, ...]:
    """The MIKEY procedure models (imported on first use), in registry order."""
    import importlib

    found: list[Procedure] = []
    for name in MIKEY_PROCEDURE_MODULES:
        module = importlib.import_module(name)
        found.extend(getattr(module, "PROCEDURES", None) or (module.PROCEDURE,))
    return tuple(found)


@lru_cache(maxsize=1)
def model_messages() -> dict[str, tuple[ModelMessage, ...]]:
    """Message name -> the grammar rules the procedure models give it where the name is not a
    data type's own (``I_MESSAGE`` in the SEAL model is data type ``SAKKE``, RFC 6509 2.1)."""
    out: dict[str, list[ModelMessage]] = {}
    for proc in procedures():
        for msg in proc.messages:
            if msg.layout is None or msg.layout.data_type == msg.name:
                continue
            rule = grammar_rule(msg.layout.data_type)
            if rule is not None and all(m.rule is not rule for m in out.get(msg.name, [])):
                out.setdefault(msg.name, []).append(ModelMessage(msg.name, proc.name, rule))
    return {k: tuple(v) for k, v in out.items()}


def id_role_meaning(payload: str) -> str:
    """Who an IDR role form names, from the ID role namespace (``IDRi`` -> ``Initiator``)."""
    v = by_name(ID_ROLE, payload)
    return v.meaning if v is not None else ""


def message_steps(name: str) -> list[tuple[Procedure, Step]]:
    """The steps of the MIKEY procedure models that send or receive the message ``name`` (by its
    model name, or the data type it is sent as: ``RESOLVE_INIT_PSK`` is ``RESOLVE_INIT``)."""
    out: list[tuple[Procedure, Step]] = []
    for proc in procedures():
        names = {m.name for m in proc.messages
                 if m.name == name or (m.layout is not None and m.layout.data_type == name)}
        out.extend((proc, s) for s in proc.steps if s.message in names)
    return out


def flow_note(received: str, sent: str) -> str:
    """What the models say of a step receiving ``received`` after one that sent ``sent``: who
    receives ``sent`` next, and where ``received`` is sent; empty if the models know neither."""
    parts = []
    for proc, step in message_steps(sent):
        if step.action == "receive":
            parts.append(f"{sent} is received by the {step.role} at step {step.number} of "
                         f"{proc.name}")
            break
    senders = [(p, s) for p, s in message_steps(received) if s.action == "send"]
    if senders:
        proc, step = senders[0]
        parts.append(f"{received} is sent by the {step.role} to the {step.peer} at step "
                     f"{step.number} of {proc.name}")
    if not parts:
        return ""
    clauses = "; ".join(dict.fromkeys(p.clause for p, _ in message_steps(sent) + senders))
    return "in the model, " + " and ".join(parts) + f" ({clauses})"


@dataclass(frozen=True)
class PayloadLayout:
    """The payloads a message may hold (``allowed``), the clause and notation saying so, and the
    grammar rules when they are known exactly (``rules``; empty for a vocabulary union)."""

    allowed: frozenset[str]
    clause: str
    notation: str
    rules: tuple[MessageRule, ...] = ()


#: data type names: such a name is its own grammar rule
DATA_TYPE_NAMES = frozenset(v.name for v in DATA_TYPE.values)


def payload_layout(msg: str, text: str, vocab: Vocabulary) -> PayloadLayout:
    """What message ``msg`` may carry in a document whose text is ``text``.

    A data type's own name is its grammar rule.  A name that a procedure model maps to another
    data type (``I_MESSAGE`` of the SEAL model is the MIKEY-SAKKE data type ``SAKKE``, RFC 6509
    2.1) takes that data type's rule when the text names the data type; otherwise every variant
    the vocabulary lists counts (RFC 3830 I_MESSAGEs carry a KEMAC, the SAKKE one does not)."""
    rules: list[MessageRule] = []
    if msg in DATA_TYPE_NAMES:
        rule = grammar_rule(msg)
        rules = [rule] if rule is not None else []
    else:
        rules = [m.rule for m in model_messages().get(msg, ()) if _mentions(text, m.rule.name)]
    if rules:
        allowed = frozenset().union(*(rule_payloads(r) for r in rules))
        clause = "; ".join(f"{r.clause}, data type {r.name}" for r in rules)
        return PayloadLayout(allowed, clause, " | ".join(r.structure for r in rules), tuple(rules))
    return PayloadLayout(vocab.structures.get(msg, frozenset()), vocab.sources.get(msg, ""),
                         " | ".join(vocab.notations.get(msg, ())))


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None


#: the acting party a sentence or step starts with -> the model role names it may stand for
#: (how contributions name the roles of the MIKEY procedure models)
_SUBJECT = re.compile(
    r"^\s*(?:\d+[a-z]?[.):]?\s*)?(?:the\s+)?(KMS_[IR]|KMS|responder|initiator|receiving entity|"
    r"receiver|recipient|initiating entity)\b", re.I)
_ROLE_WORDS = {"kms_i": ("kms_i",), "kms_r": ("kms_r",), "kms": ("kms", "kms_i", "kms_r"),
               "responder": ("responder",), "initiator": ("initiator",),
               "initiating entity": ("initiator",),
               "receiving entity": ("receiver", "responder"),
               "receiver": ("receiver", "responder"), "recipient": ("receiver", "responder")}


def acting_roles(text: str) -> tuple[str, ...]:
    """The model roles the party ``text`` starts with may be (``The KMS`` -> kms, kms_i, kms_r);
    empty if it names none."""
    return acting_party(text)[1]


def acting_party(text: str) -> tuple[str, tuple[str, ...]]:
    """The party ``text`` starts with, as written, and the model roles it may be."""
    m = _SUBJECT.match(text)
    return (m.group(1), _ROLE_WORDS.get(m.group(1).lower(), ())) if m else ("", ())


def receivers(name: str) -> list[tuple[Procedure, Step]]:
    """The receive steps of message ``name`` in the MIKEY procedure models, a branch (a step
    with a ``when``) after the steps it branches from."""
    found = [(p, s) for p, s in message_steps(name) if s.action == "receive"]
    return sorted(found, key=lambda ps: ps[1].when is not None)
