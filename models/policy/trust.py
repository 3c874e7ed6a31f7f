"""Trust relations between KMS domains (TS 33.328 B.2.2.3 / RFC 6043 10: KMS_R may forward a
ticket resolve to KMS_I over Zk only if it trusts it; hop-by-hop).

A relation is a set of directed pairs ``(a, b)``: "``a`` trusts ``b``".  Guards read it through
the ``Trusted(a, b)`` expression; the z3 reading is the closed-world predicate of
:meth:`TrustRelation.z3_predicate`, so a proof about a trust chain and the runtime share one table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrustRelation:
    """Directed trust between KMS URIs; not reflexive or symmetric unless stated."""

    pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]], *, mutual: bool = False) -> TrustRelation:
        edges = set(pairs)
        if mutual:
            edges |= {(b, a) for a, b in edges}
        return cls(frozenset(edges))

    def trusts(self, a: str, b: str) -> bool:
        return (a, b) in self.pairs

    def without(self, a: str, b: str) -> TrustRelation:
        """The relation with one pair removed (a mutant)."""
        return TrustRelation(self.pairs - {(a, b)})

    def z3_predicate(self, ident_of: Any) -> Any:
        """A z3 ``Bool`` function ``Trust(x, y)`` over the ``Ident`` sort that is true exactly on
        the pairs (``ident_of`` maps a URI to its z3 constant)."""
        import z3

        def trust(x: Any, y: Any) -> Any:
            return z3.Or([z3.And(x == ident_of(a), y == ident_of(b)) for a, b in sorted(self.pairs)]
                         or [z3.BoolVal(False)])
        return trust
