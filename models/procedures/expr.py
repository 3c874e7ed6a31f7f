"""The guard expression language: one tree, three readings.

A guard is a small expression over the received message (``Field``), the role's own variables
(``Self``), the procedure's policy values (``Policy``), the local clock (``Now``) and the crypto
facts (``SignedBy``, ``EncryptedTo``, ``Uid``, ``PeriodOf``: :class:`Apply` nodes of the
predicates declared once in :mod:`mckm.models.procedures.predicates`).  Each node has

- ``to_python(env)``: evaluated by the runtime (:mod:`mckm.impl.engine`) against a message, the
  role's state and a :class:`Facts` object (the real crypto, or a fake in the tests);
- ``to_z3(z)``: a z3 term over symbolic fields, with the crypto as uninterpreted predicates in
  the Dolev-Yao style: ``SignedBy(m, u)`` is true iff ``m`` carries a valid signature by ``u``'s
  key; the proofs assume nothing else about it (no forgery is modelled as "no other way to make
  the predicate true": the runtime's facts are the only witnesses);
- ``to_text()``: the row shown in the docs.

Types (declared by the model's message and role specs): ``int``, ``time`` (NTP seconds),
``key_id`` (an id of the key-id layout), ``ident`` (a URI), ``blob`` (opaque payload), ``uid``
and ``set[T]``.  ``Purpose(x)`` reads the purpose bits from the key-id layout in the policy
(``Policy key_id_layout``), never from constants typed here.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import z3

from mckm.models.policy.key_id import PURPOSE_FIELD, SK_ID, id_bits, purpose_of, slots
from mckm.models.procedures.predicates import (
    ENCRYPTED_TO,
    KEY_FITS,
    PERIOD_OF,
    SIGNED_BY,
    TRUSTED,
    UID,
    Predicate,
    SakkeFacts,
)

# --------------------------------------------------------------------------- runtime side


class MessageView(Protocol):
    """What a guard needs from a message: its name and its abstract fields (the engine's
    message protocol; a codec Message is adapted to it)."""

    @property
    def name(self) -> str: ...

    def get(self, field: str) -> Any: ...


class Facts(Protocol):
    """The facts object of a role: any object.  Each family of predicates reads it through the
    protocol its declarations make (:mod:`mckm.models.procedures.predicates`: ``SakkeFacts``,
    ``TicketFacts``)."""


@dataclass(frozen=True)
class Env:
    """Everything ``to_python`` may read."""

    message: MessageView
    vars: Mapping[str, Any]
    policy: Mapping[str, Any]
    now: int
    facts: Facts
    trusted: Callable[[str, str], bool] = lambda a, b: False


# --------------------------------------------------------------------------- z3 side


class Z3Reading:
    """Symbols of one step's z3 reading: fields of the message, role variables, now, policy.

    Sorts: ``Ident`` (URIs), ``UID``, ``Blob`` and ``Msg`` are uninterpreted; ints are z3 Int;
    sets are arrays to Bool.  ``with_policy`` gives a reading over the same symbols with other
    policy values (a mutant's guards next to the original's property).
    """

    def __init__(self, field_types: Mapping[str, str], var_types: Mapping[str, str],
                 policy: Mapping[str, Any]) -> None:
        self.Ident = z3.DeclareSort("Ident")
        self.UID = z3.DeclareSort("UID")
        self.Blob = z3.DeclareSort("Blob")
        self.Msg = z3.DeclareSort("Msg")
        self.field_types = dict(field_types)
        self.var_types = dict(var_types)
        self.policy = dict(policy)
        self.msg = z3.Const("msg", self.Msg)
        self.now = z3.Int("now")
        # the declared predicates' functions (models/procedures/predicates.py)
        self.uid = UID.function(self)
        self.period_of = PERIOD_OF.function(self)
        self.signed_by = SIGNED_BY.function(self)
        self.encrypted_to = ENCRYPTED_TO.function(self)
        self.trust = TRUSTED.function(self)
        self.fields = {n: z3.Const(f"field.{n}", self.sort(t)) for n, t in field_types.items()}
        self.vars = {n: z3.Const(f"self.{n}", self.sort(t)) for n, t in var_types.items()}

    def sort(self, type_name: str) -> z3.SortRef:
        if type_name.startswith("set[") and type_name.endswith("]"):
            return z3.ArraySort(self.sort(type_name[4:-1]), z3.BoolSort())
        table: dict[str, z3.SortRef] = {
            "int": z3.IntSort(), "time": z3.IntSort(), "key_id": z3.IntSort(),
            "ident": self.Ident, "uid": self.UID, "blob": self.Blob, "msg": self.Msg,
        }
        return table[type_name]

    def with_policy(self, policy: Mapping[str, Any]) -> Z3Reading:
        other = object.__new__(Z3Reading)
        other.__dict__.update(self.__dict__)
        other.policy = dict(policy)
        return other

    def domain(self) -> list[z3.BoolRef]:
        """Range facts of the typed symbols (times are non-negative, key ids fit the layout)."""
        nbits = id_bits(self.policy.get("key_id_layout", SK_ID))
        out: list[z3.BoolRef] = [self.now >= 0]
        for n, t in self.field_types.items():
            if t == "time":
                out.append(self.fields[n] >= 0)
            elif t == "key_id":
                out.append(z3.And(self.fields[n] >= 0, self.fields[n] < 2**nbits))
        return out


# --------------------------------------------------------------------------- the nodes


class Expr(abc.ABC):
    """Base of every node: frozen dataclasses whose Expr-valued attributes are the children.
    Each node has the three readings: the runtime, the z3 formula and the requirement text."""

    @abc.abstractmethod
    def to_python(self, env: Env) -> Any:
        """The value (or truth) of this node for a decoded message and a role's state."""

    @abc.abstractmethod
    def to_z3(self, z: Z3Reading) -> Any:
        """This node as a z3 term over the symbolic fields."""

    @abc.abstractmethod
    def to_text(self) -> str:
        """This node as text for the step tables of the docs."""

    def children(self) -> Iterator[Expr]:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Expr):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Expr))

    def walk(self) -> Iterator[Expr]:
        yield self
        for child in self.children():
            yield from child.walk()

    def transform(self, fn: Callable[[Expr], Expr | None]) -> Expr:
        """Rebuild bottom-up; ``fn`` returns a replacement node or None to keep it."""
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Expr):
                changes[f.name] = value.transform(fn)
            elif isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
                changes[f.name] = tuple(v.transform(fn) if isinstance(v, Expr) else v
                                        for v in value)
        node = self._rebuild(changes) if changes else self
        replaced = fn(node)
        return node if replaced is None else replaced

    def _rebuild(self, changes: dict[str, Any]) -> Expr:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def __str__(self) -> str:
        return self.to_text()


# ---- terms


@dataclass(frozen=True)
class Field(Expr):
    """A field of the message being processed (abstract name, mapped to a grammar path)."""

    name: str

    def to_python(self, env: Env) -> Any:
        return env.message.get(self.name)

    def to_z3(self, z: Z3Reading) -> Any:
        return z.fields[self.name]

    def to_text(self) -> str:
        return self.name


@dataclass(frozen=True)
class Self(Expr):
    """A variable of the role processing the message (its URI, key period, replay cache...)."""

    name: str

    def to_python(self, env: Env) -> Any:
        return env.vars[self.name]

    def to_z3(self, z: Z3Reading) -> Any:
        return z.vars[self.name]

    def to_text(self) -> str:
        return f"self.{self.name}"


@dataclass(frozen=True)
class Policy(Expr):
    """A value of the procedure's policy (replay window, ...); concrete in the z3 reading."""

    name: str

    def to_python(self, env: Env) -> Any:
        return env.policy[self.name]

    def to_z3(self, z: Z3Reading) -> Any:
        value = z.policy[self.name]
        if isinstance(value, str):  # a name (an InterKMM's direction): the Ident of skm_s.Lit
            return z3.Const(f"lit:{value}", z.Ident)
        return z3.IntVal(int(value))

    def to_text(self) -> str:
        return f"policy.{self.name}"


@dataclass(frozen=True)
class Now(Expr):
    """The receiving role's clock (NTP seconds), an input of ``feed``."""

    def to_python(self, env: Env) -> Any:
        return env.now

    def to_z3(self, z: Z3Reading) -> Any:
        return z.now

    def to_text(self) -> str:
        return "now"


@dataclass(frozen=True)
class Msg(Expr):
    """The whole message (what a signature covers)."""

    def to_python(self, env: Env) -> Any:
        return env.message

    def to_z3(self, z: Z3Reading) -> Any:
        return z.msg

    def to_text(self) -> str:
        return "message"


@dataclass(frozen=True)
class Purpose(Expr):
    """The purpose value of a key id, read with the policy's key-id layout."""

    key_id: Expr

    def to_python(self, env: Env) -> Any:
        return purpose_of(self.key_id.to_python(env), env.policy.get("key_id_layout", SK_ID))

    def to_z3(self, z: Z3Reading) -> Any:
        layout = z.policy.get("key_id_layout", SK_ID)
        slot = slots(layout)[PURPOSE_FIELD]
        bits = z3.Int2BV(self.key_id.to_z3(z), id_bits(layout))
        return z3.BV2Int(z3.Extract(slot.msb, slot.lsb, bits))

    def to_text(self) -> str:
        return f"purpose({self.key_id.to_text()})"


# ---- predicates


@dataclass(frozen=True)
class Eq(Expr):
    left: Expr
    right: Expr

    def to_python(self, env: Env) -> bool:
        return bool(self.left.to_python(env) == self.right.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        return self.left.to_z3(z) == self.right.to_z3(z)

    def to_text(self) -> str:
        return f"{self.left.to_text()} = {self.right.to_text()}"


@dataclass(frozen=True)
class Within(Expr):
    """``|value - around| <= window``."""

    value: Expr
    around: Expr
    window: Expr

    def to_python(self, env: Env) -> bool:
        return bool(abs(self.value.to_python(env) - self.around.to_python(env))
                    <= self.window.to_python(env))

    def to_z3(self, z: Z3Reading) -> Any:
        d = self.value.to_z3(z) - self.around.to_z3(z)
        w = self.window.to_z3(z)
        return z3.And(d <= w, -d <= w)

    def to_text(self) -> str:
        return f"|{self.value.to_text()} - {self.around.to_text()}| <= {self.window.to_text()}"


@dataclass(frozen=True)
class In(Expr):
    item: Expr
    collection: Expr

    def to_python(self, env: Env) -> bool:
        return self.item.to_python(env) in self.collection.to_python(env)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.Select(self.collection.to_z3(z), self.item.to_z3(z))

    def to_text(self) -> str:
        return f"{self.item.to_text()} in {self.collection.to_text()}"


@dataclass(frozen=True)
class NotIn(Expr):
    item: Expr
    collection: Expr

    def to_python(self, env: Env) -> bool:
        return self.item.to_python(env) not in self.collection.to_python(env)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.Not(z3.Select(self.collection.to_z3(z), self.item.to_z3(z)))

    def to_text(self) -> str:
        return f"{self.item.to_text()} not in {self.collection.to_text()}"


@dataclass(frozen=True)
class Inserted(Expr):
    """``collection`` with ``item`` added (if ``flag`` is given: only if it is non-zero) -- an
    effect's write, in ``VAR_WRITES``: e.g. a RAND joining a replay cache, a reusable ticket
    joining the responder's store.  With ``value``, a keyed store keeps it with the item (its
    ``with_entry``; a plain set keeps the item only, and the z3 reading is the set of items)."""

    collection: Expr
    item: Expr
    flag: Expr | None = None
    value: Expr | None = None

    def to_python(self, env: Env) -> Any:
        current = self.collection.to_python(env)
        if self.flag is not None and not self.flag.to_python(env):
            return current
        item = self.item.to_python(env)
        if self.value is not None and hasattr(current, "with_entry"):
            return current.with_entry(item, self.value.to_python(env))
        return current | {item}

    def to_z3(self, z: Z3Reading) -> Any:
        current = self.collection.to_z3(z)
        added = z3.Store(current, self.item.to_z3(z), True)
        return added if self.flag is None else z3.If(self.flag.to_z3(z) != 0, added, current)

    def to_text(self) -> str:
        added = f"{self.collection.to_text()} + {{{self.item.to_text()}}}"
        return added if self.flag is None else f"{added} if {self.flag.to_text()}"


@dataclass(frozen=True, repr=False)
class Apply(Expr):
    """A declared crypto, BSF or trust predicate applied to its arguments: its three readings
    are the declaration's (:mod:`mckm.models.procedures.predicates`)."""

    predicate: Predicate
    args: tuple[Expr, ...]
    param: str | None = None

    def to_python(self, env: Env) -> Any:
        values = [a.to_python(env) for a in self.args]
        return self.predicate.answer(env, values if self.param is None else [*values, self.param])

    def to_z3(self, z: Z3Reading) -> Any:
        return self.predicate.function(z, self.param)(*(a.to_z3(z) for a in self.args))

    def to_text(self) -> str:
        return self.predicate.render([a.to_text() for a in self.args], self.param)

    def __repr__(self) -> str:
        args = [repr(a) for a in self.args] + ([repr(self.param)] if self.param else [])
        return f"{self.predicate.python_name}({', '.join(args)})"


# The predicates' public names: each is its declaration, called to build an Apply node.
Uid = UID
PeriodOf = PERIOD_OF
SignedBy = SIGNED_BY
KeyFits = KEY_FITS
EncryptedTo = ENCRYPTED_TO
Trusted = TRUSTED


@dataclass(frozen=True)
class And(Expr):
    parts: tuple[Expr, ...]

    def __init__(self, *parts: Expr) -> None:
        object.__setattr__(self, "parts", tuple(parts))

    def _rebuild(self, changes: dict[str, Any]) -> Expr:
        return And(*changes["parts"])

    def to_python(self, env: Env) -> bool:
        return all(p.to_python(env) for p in self.parts)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.And([p.to_z3(z) for p in self.parts])

    def to_text(self) -> str:
        return " and ".join(f"({p.to_text()})" for p in self.parts)


@dataclass(frozen=True)
class Not(Expr):
    part: Expr

    def to_python(self, env: Env) -> bool:
        return not self.part.to_python(env)

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.Not(self.part.to_z3(z))

    def to_text(self) -> str:
        return f"not ({self.part.to_text()})"


@dataclass(frozen=True)
class TrueExpr(Expr):
    """Always true: what a dropped guard becomes."""

    def to_python(self, env: Env) -> bool:
        return True

    def to_z3(self, z: Z3Reading) -> Any:
        return z3.BoolVal(True)

    def to_text(self) -> str:
        return "true"


def field_names(expr: Expr) -> set[str]:
    """Message fields an expression reads."""
    return {n.name for n in expr.walk() if isinstance(n, Field)}


__all__ = [
    "And",
    "Apply",
    "EncryptedTo",
    "Env",
    "Eq",
    "Expr",
    "Facts",
    "Field",
    "In",
    "Inserted",
    "KeyFits",
    "MessageView",
    "Msg",
    "Not",
    "NotIn",
    "Now",
    "PeriodOf",
    "Policy",
    "Purpose",
    "SakkeFacts",
    "Self",
    "SignedBy",
    "TrueExpr",
    "Trusted",
    "Uid",
    "Within",
    "Z3Reading",
    "field_names",
]
