"""Key purpose tags (the value in a key id's purpose field) and how a deployment adds one.

The default table is data, ``data/key_purposes.yaml`` (TS 33.180's purpose values; seed 004
names none for SEAL, see spec/seal-key-distribution.md).  :data:`PURPOSES` is loaded from it once;
:func:`register_purpose` and :func:`load_purposes` let a deployment add a purpose at run time.
The width a value must fit is read from the key-id layout (:mod:`mckm.models.policy.key_id`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import construct as c
import yaml

from mckm.impl.errors import UsageError
from mckm.models.policy.key_id import PURPOSE_FIELD, SK_ID, slots

DEFAULT_TABLE = Path(__file__).with_name("data") / "key_purposes.yaml"


@dataclass(frozen=True)
class Purpose:
    """One purpose tag: short name (``PCK``), value in the purpose field, meaning, status."""

    name: str
    value: int
    meaning: str = ""
    status: str = "project"


class PurposeRegistry:
    """Purpose name <-> value, refusing values that do not fit the layout or that collide."""

    def __init__(self, layout: c.Construct = SK_ID) -> None:
        self.layout = layout
        self._by_name: dict[str, Purpose] = {}
        self._by_value: dict[int, Purpose] = {}

    @property
    def width(self) -> int:
        return int(slots(self.layout)[PURPOSE_FIELD].width)

    def register(self, purpose: Purpose) -> Purpose:
        """Add ``purpose``; a name or value already taken, or a value too wide, is a UsageError."""
        if not 0 <= purpose.value < 1 << self.width:
            raise UsageError(f"purpose {purpose.name}: value {purpose.value} does not fit the "
                             f"{self.width}-bit purpose field")
        if purpose.name in self._by_name:
            raise UsageError(f"purpose {purpose.name} is already registered")
        if purpose.value in self._by_value:
            taken = self._by_value[purpose.value].name
            raise UsageError(f"purpose value {purpose.value} is already {taken}")
        self._by_name[purpose.name] = purpose
        self._by_value[purpose.value] = purpose
        return purpose

    def load(self, path: Path) -> None:
        """Register every entry of a YAML table shaped like ``data/key_purposes.yaml``."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for row in data["purposes"]:
            self.register(Purpose(str(row["name"]), int(row["value"]),
                                  str(row.get("meaning", "")), str(row.get("status", "project"))))

    def by_name(self, name: str) -> Purpose:
        try:
            return self._by_name[name]
        except KeyError:
            raise UsageError(f"unknown key purpose {name!r}") from None

    def by_value(self, value: int) -> Purpose | None:
        return self._by_value.get(value)

    def values(self) -> frozenset[int]:
        return frozenset(self._by_value)

    def __iter__(self) -> Iterator[Purpose]:
        return iter(sorted(self._by_value.values(), key=lambda p: p.value))

    def __len__(self) -> int:
        return len(self._by_value)

    def copy(self, layout: c.Construct | None = None) -> PurposeRegistry:
        """A registry with the same entries (optionally over another layout, for mutants)."""
        other = PurposeRegistry(self.layout if layout is None else layout)
        for p in self:
            other.register(p)
        return other


def default_registry() -> PurposeRegistry:
    """A fresh registry holding the default table."""
    reg = PurposeRegistry()
    reg.load(DEFAULT_TABLE)
    return reg


#: The process-wide registry the models and runtime use.
PURPOSES = default_registry()


def register_purpose(name: str, value: int, meaning: str = "") -> Purpose:
    """Register a deployment-defined purpose in :data:`PURPOSES`."""
    return PURPOSES.register(Purpose(name, value, meaning, "deployment"))


def load_purposes(path: Path) -> None:
    """Register a deployment's purpose table (YAML, same shape as the default) in PURPOSES."""
    PURPOSES.load(path)
