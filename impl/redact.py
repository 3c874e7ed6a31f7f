"""Key material never appears in a repr, a str or a log: secrets are wrapped and redacted.

``Secret`` holds bytes or an integer; its ``repr``/``str`` show only a short SHA-256
fingerprint, so a key can be told apart from another in a report without being revealed.
"""

from __future__ import annotations

import hashlib
from typing import Generic, TypeVar

T = TypeVar("T", bytes, int)


def fingerprint(data: bytes | int, length: int = 8) -> str:
    """Short public fingerprint of a secret: the first ``length`` hex digits of SHA-256."""
    if isinstance(data, int):
        data = data.to_bytes(max(1, (data.bit_length() + 7) // 8), "big")
    return hashlib.sha256(data).hexdigest()[:length]


class Secret(Generic[T]):
    """A secret value (bytes or int) whose textual forms are redacted."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value: T = value

    def reveal(self) -> T:
        """The secret itself; call only where the value is used, never to print it."""
        value: T = self._value
        return value

    def __repr__(self) -> str:
        return f"Secret(<redacted sha256:{fingerprint(self._value)}>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> str:
        raise TypeError("secrets are not pickled")
