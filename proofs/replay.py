"""A z3 counterexample turned into a runtime world: the message, the role's variables, the time,
and facts that answer every declared predicate as the counterexample does.

:class:`ModelFacts` is generated from the declarations of
:mod:`mckm.models.procedures.predicates`: a fact ``f(x, y)`` is the declaration's z3 function
evaluated in the model on the z3 terms of ``x`` and ``y``.  Values go back to terms by type: an
element of an uninterpreted sort by its name, an int as itself, the step's own message as the
reading's ``msg`` (a message kept in a role variable by its name), a set as the z3 array it was
read from (:class:`ModelSet`; a set-valued fact answers one too).  So the engine sees exactly
the world z3 found, for every proof family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import z3

from mckm.impl.engine import DictMessage
from mckm.models.procedures.expr import Z3Reading
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.predicates import BY_FACT, Predicate


def value(model: z3.ModelRef, term: Any) -> Any:
    """A model value as Python: an int, or the element's name."""
    v = model.eval(term, model_completion=True)
    return v.as_long() if z3.is_int_value(v) else str(v)


class ModelSet(frozenset[Any]):
    """A set-valued role variable of a counterexample: its members, and the z3 array ``term``
    it was read from (what a fact on the set is evaluated on)."""

    term: Any

    def __new__(cls, members: Iterable[Any], term: Any) -> ModelSet:
        out = super().__new__(cls, members)
        out.term = term
        return out


class ModelFacts:
    """Every declared fact (``mac_by``, ``signed_by``, ``trusted``...) read off a z3 model for
    one step's reading ``z`` (see module docstring)."""

    def __init__(self, model: z3.ModelRef, z: Z3Reading) -> None:
        self.model, self.z = model, z

    def __getattr__(self, name: str) -> Callable[..., Any]:
        pred = BY_FACT.get(name)
        if pred is None:
            raise AttributeError(name)
        return lambda *args: self.answer(pred, *args)

    def answer(self, pred: Predicate, *args: Any) -> Any:
        """``pred``'s fact on ``args`` (values, and the static parameter last) in the model."""
        param = str(args[-1]) if pred.param is not None else None
        values = args[:-1] if pred.param is not None else args
        terms = [self.term(t, v) for (_, t), v in zip(pred.args, values, strict=True)]
        got = self.model.eval(pred.function(self.z, param)(*terms), model_completion=True)
        result = pred.result_type(param)
        if result == "bool":
            return bool(z3.is_true(got))
        if result.startswith("set["):
            return self.members(result[4:-1], got)
        return got.as_long() if z3.is_int_value(got) else str(got)

    def members(self, elem: str, array: Any) -> ModelSet:
        """A set-valued answer: the elements of the model (ints 0..63) the array holds."""
        candidates = ([z3.IntVal(i) for i in range(64)] if elem in ("int", "time", "key_id")
                      else self.model.get_universe(self.z.sort(elem)) or [])
        return ModelSet((value(self.model, c) for c in candidates if z3.is_true(
            self.model.eval(z3.Select(array, c), model_completion=True))), array)

    def term(self, type_name: str, v: Any) -> Any:
        """The z3 term a runtime value of ``type_name`` stands for."""
        z = self.z
        if type_name in ("int", "time", "key_id"):
            return z3.IntVal(int(v))
        if type_name == "msg" and not isinstance(v, str):
            return z.msg  # the step's own message
        if type_name.startswith("set["):
            if not isinstance(v, ModelSet):
                raise ValueError(f"a {type_name} not read from the counterexample")
            return v.term
        return self._elem(z.sort(type_name), v)

    def _elem(self, sort: z3.SortRef, name: Any) -> Any:
        for e in self.model.get_universe(sort) or []:
            if str(e) == str(name):
                return e
        return z3.Const(str(name), sort)


def concretize(model: z3.ModelRef, z: Z3Reading, step: Step, procedure: Procedure
               ) -> tuple[DictMessage, dict[str, Any], int]:
    """The counterexample as a message, the role's variables and the time."""
    fields = {n: value(model, c) for n, c in z.fields.items()}
    role_vars: dict[str, Any] = {}
    for name, type_name in procedure.role(step.role).vars.items():
        const = z.vars[name]
        if type_name.startswith("set["):
            elem = type_name[4:-1]
            candidates = ([model.eval(c, model_completion=True) for n, c in z.fields.items()
                           if z.field_types[n] == elem] if elem != "int" else
                          [z3.IntVal(i) for i in range(64)])
            role_vars[name] = ModelSet(
                (value(model, c) for c in candidates
                 if z3.is_true(model.eval(z3.Select(const, c), model_completion=True))), const)
        else:
            role_vars[name] = value(model, const)
    return DictMessage(step.message, fields), role_vars, int(value(model, z.now))


__all__ = ["ModelFacts", "ModelSet", "concretize", "value"]
