"""The identity a check compares must be the one the procedure model's guard compares.

A sentence that checks something ("verifies that ... matches", "checks the signature") about a
named identity ("the public identity of the initiator", "the recipient field (IDRr)") is matched
with the guards of the procedure models (``models/procedures``) at the step that receives the
message under discussion: the message named last in the clause, the role the sentence or its
step names (``The KMS``, ``KMS_R``, ``the receiving entity``).  Among those guards, the ones
that share a key word with the sentence (USS, signature, ticket, ...) and compare an identity
field are the check the sentence states; their fields' IDR roles (``IDRr``: Responder, from
the grammar's ID role name space) are what the base specification compares.  Reported (error):
a sentence naming only identities none of those guards compares, citing the guard, its
requirement, the step and procedure, and the procedure's clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.model_facts import SENTENCE, acting_roles, id_role_meaning, procedures
from mckm.impl.lint.rules.message_name import NAME
from mckm.impl.lint.scan import lines_with
from mckm.impl.lint.structure import structure

ID = "model-identity"

_CHECK = re.compile(r"\b(?:verif|check|match|compar|validat|authentic)\w*", re.I)
#: who an identity belongs to, as a contribution writes it -> the ID role meaning it names
_WHOSE = {"initiat": "Initiator", "originat": "Initiator", "respond": "Responder",
          "recipient": "Responder", "receiv": "Responder", "terminat": "Responder",
          "kms": "KMS"}
_PARTY = r"(initiat\w*|originat\w*|respond\w*|recipient|receiv\w*|terminat\w*|KMS)"
_IDENTITY = re.compile(
    rf"\b(?:identity|identities|URI|UID|ID)\s+of\s+the\s+{_PARTY}"
    rf"|\b{_PARTY}(?:\s+entity)?(?:'s|’s)\s+(?:public\s+)?(?:identity|URI|UID|ID)"
    rf"|\b{_PARTY}\s+field"
    r"|\b(IDR(?:i|r|kms))\b",
    re.I,
)
_STOP = frozenset({
    "the", "this", "that", "with", "from", "must", "does", "have", "which", "when", "into",
    "been", "only", "same", "message", "payload", "field", "identity", "identities", "checks",
    "check", "verify", "verifies", "match", "matches", "valid", "ticket",
})
#: stems of the parties themselves: they say whose identity, not which check
_PARTIES = frozenset({"kms", "init", "orig", "resp", "reci", "rece", "term", "idri", "idrr",
                      "idrk", "enti"})


@dataclass(frozen=True)
class GuardFacts:
    """A guard of a receive step, the ID roles it compares and its key words."""

    procedure: str
    clause: str
    step: str
    role: str
    message: str
    name: str
    requirement: str
    reason: str
    roles: frozenset[str]  # meanings: Initiator, Responder, KMS
    payloads: tuple[str, ...]  # IDRi, IDRr, ...
    words: frozenset[str]


def _stems(text: str) -> frozenset[str]:
    words = re.findall(r"[a-z]{3,}", text.lower())
    return frozenset(w[:4] for w in words if w not in _STOP) - _PARTIES


@lru_cache(maxsize=1)
def _guards() -> dict[str, tuple[GuardFacts, ...]]:
    """Message name (and the data type it is sent as) -> the identity guards of its receive
    steps, read from every procedure model."""
    from mckm.models.procedures.expr import field_names

    out: dict[str, list[GuardFacts]] = {}
    for proc in procedures():
        for step in proc.steps:
            if step.action != "receive":
                continue
            spec = proc.message(step.message)
            payload_of = {
                f: m.group(1)
                for f, path in spec.paths.items()
                if spec.fields.get(f) == "ident"
                and (m := re.search(r"id_role=(IDR\w+)\]", path)) is not None
            }
            for g in step.guards:
                fields = sorted(field_names(g.expr))
                payloads = tuple(payload_of[f] for f in fields if f in payload_of)
                if not payloads:
                    continue
                facts = GuardFacts(
                    proc.name, proc.clause, step.number, step.role, step.message, g.name,
                    g.requirement, g.reason,
                    frozenset(id_role_meaning(p) for p in payloads), payloads,
                    _stems(f"{g.name.replace('-', ' ')} {g.reason}"),
                )
                names = {step.message}
                if spec.layout is not None:
                    names.add(spec.layout.data_type)
                for n in names:
                    out.setdefault(n, []).append(facts)
    return {k: tuple(v) for k, v in out.items()}


def _named(text: str) -> set[str]:
    """The ID role meanings a sentence names."""
    out = set()
    for m in _IDENTITY.finditer(text):
        word = next(g for g in m.groups() if g)
        if word.upper().startswith("IDR"):
            meaning = id_role_meaning("IDR" + word[3:])
        else:
            meaning = next((v for k, v in _WHOSE.items() if word.lower().startswith(k)), "")
        if meaning:
            out.add(meaning)
    return out


def _subject(text: str) -> tuple[str, ...]:
    return acting_roles(text)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    candidates = lines_with(doc, ("erif", "heck", "atch", "ompar", "alidat", "uthentic"))
    if not candidates:
        return
    st = structure(doc)
    messages = ctx.vocabulary.messages
    step_of = {lb.line: lb for lb in st.labels if lb.kind in ("step", "number")}
    wanted = set(candidates)
    current: str | None = None
    clause = -2
    step_roles: tuple[str, ...] = ()
    for ln, line in enumerate(doc.lines, start=1):
        if st.clause_of_line[ln] != clause:
            clause, current, step_roles = st.clause_of_line[ln], None, ()
        if ln in step_of:
            step_roles = _subject(step_of[ln].rest)
        elif not step_roles and line.strip():
            step_roles = _subject(line)  # the step's text on the lines after its label
        named = [(m.start(), m.group(1)) for m in NAME.finditer(line) if m.group(1) in messages]
        if ln in wanted and (current is not None or named):
            yield from _check_line(doc, ln, line, current, named, step_roles)
        if named:
            current = named[-1][1]


def _check_line(
    doc: Document,
    ln: int,
    line: str,
    current: str | None,
    named_here: list[tuple[int, str]],
    step_roles: tuple[str, ...],
) -> Iterator[Finding]:
    """Check the sentences of one line; a message named earlier in the line is the one under
    discussion from there on (``named_here``: offset and name)."""
    for sent in SENTENCE.finditer(line):
        text = sent.group()
        if not _CHECK.search(text):
            continue
        message = next((n for at, n in reversed(named_here) if at < sent.end()), current)
        guards = _guards().get(message, ()) if message is not None else ()
        if not guards:
            continue
        named = _named(text)
        if not named:
            continue
        roles = _subject(text) or step_roles
        pool = [g for g in guards if not roles or g.role in roles]
        words = _stems(text)
        scored = [(len(g.words & words), g) for g in pool]
        best = max((s for s, _ in scored), default=0)
        if best == 0:
            continue
        chosen = [g for s, g in scored if s == best]
        compared = frozenset().union(*(g.roles for g in chosen))
        if named & compared:
            continue
        g = chosen[0]
        idm = _IDENTITY.search(text)
        col = sent.start() + (idm.start() if idm else 0) + 1
        said = " and ".join(sorted(named)).lower()
        want = ", ".join(f"{p} ({id_role_meaning(p)})" for p in g.payloads)
        yield finding(
            doc, ID, "error", ln, col,
            f"this check compares the {said}'s identity, but the model's guard {g.name} "
            f"({g.requirement}: {g.reason}) at step {g.step} of procedure {g.procedure}, where "
            f"the {g.role} receives {g.message}, compares {want} ({g.clause})",
            f"the {' or '.join(sorted(r.lower() for r in g.roles))}'s identity ({g.payloads[0]})",
        )
