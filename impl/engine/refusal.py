"""The engine's refusal: a :class:`~mckm.impl.errors.PolicyError` that also names the step.

A message the model does not allow in the current state, a field that is missing or of the wrong
type, or a guard that does not hold, is refused with :class:`StepRefused`.  It carries the
procedure, the state, the step (when one applied), the guard, the clause, the requirement id and
the MIKEY error number (RFC 3830 6.12) that a role answers with.
"""

from __future__ import annotations

from mckm.impl.errors import PolicyError
from mckm.models.grammar.namespaces import ERROR_NO

#: RFC 3830 6.12 / RFC 6043 6.9 error names, read from the grammar's Error no namespace.
MIKEY_ERROR_NAMES = {value: v.name for value, v in ERROR_NO.by_value.items()}


class StepRefused(PolicyError):
    """A message refused by a role machine, naming where in the model it was refused."""

    def __init__(
        self,
        reason: str,
        *,
        procedure: str,
        state: str,
        message: str,
        clause: str,
        requirement: str,
        mikey_error: int | None,
        step: str | None = None,
        guard: str | None = None,
    ) -> None:
        self.procedure = procedure
        self.state = state
        self.message_name = message
        self.clause = clause
        self.step = step
        self.guard = guard
        where = f"{procedure} step {step}" if step else f"{procedure} in state {state!r}"
        by = f" by guard {guard!r}" if guard else ""
        err = ""
        if mikey_error is not None:
            err = f"; MIKEY error {mikey_error} {MIKEY_ERROR_NAMES.get(mikey_error, '')}".rstrip()
        super().__init__(f"{where}: {message} refused{by}: {reason} ({clause}{err})",
                         requirement=requirement, mikey_error=mikey_error)
