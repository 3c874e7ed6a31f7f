"""Run conformance-vector files: parse each vector by its kind, compute, compare.

Every failure names the vector (index and kind), the first field that differs and, for octet
strings, the first differing octet; a malformed vector is a failure with the reason, never a
traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mckm.impl.errors import MckmError
from mckm.impl.vectors import (
    kinds_cms,  # noqa: F401  (registers cms-kek)
    kinds_mikey_sakke,  # noqa: F401  (registers mikey-sakke-process)
    kinds_xml,  # noqa: F401  (registers xml-protect)
)
from mckm.impl.vectors.kinds import KINDS, Field, Kind

_SCALAR = re.compile(r"(0[xX])?[0-9a-fA-F]+")


@dataclass(frozen=True)
class Outcome:
    """The result of one vector: ``failure`` is None when it passed."""

    source: str
    index: int
    kind: str
    failure: str | None

    def describe(self) -> str:
        return f"{self.source}: vector {self.index} ({self.kind}): {self.failure}"


def builtin_files() -> list[Path]:
    """The vector files shipped with mckm (RFC appendices and published vendor data)."""
    data = resources.files("mckm.impl.vectors") / "data"
    return sorted(Path(str(p)) for p in data.iterdir() if p.name.endswith(".json"))


def _parse(f: Field, raw: Any) -> Any:
    if f.type == "hex":
        if not isinstance(raw, str):
            raise ValueError(f"field {f.name!r} must be a hex string")
        try:
            return bytes.fromhex(raw)
        except ValueError:
            raise ValueError(f"field {f.name!r} is not valid hex") from None
    if f.type == "scalar":  # any length, as the RFCs print them: "0x34567", spaces allowed
        digits = "".join(raw.split()) if isinstance(raw, str) else ""
        if not _SCALAR.fullmatch(digits):
            raise ValueError(f"field {f.name!r} must be a hex number (0x allowed)")
        return int(digits, 16)
    if f.type == "text":
        if not isinstance(raw, str):
            raise ValueError(f"field {f.name!r} must be a string")
        return raw
    if f.type == "int":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueError(f"field {f.name!r} must be a non-negative integer")
        return raw
    if not isinstance(raw, bool):
        raise ValueError(f"field {f.name!r} must be true or false")
    return raw


def _format(f: Field, value: Any) -> Any:
    if f.type == "scalar":
        digits = f"{value:x}"
        return digits.zfill(max(64, len(digits) + len(digits) % 2))  # a P-256 scalar's 32 octets
    return value.hex() if f.type == "hex" else value


def _difference(f: Field, expected: Any, got: Any) -> str | None:
    if expected == got:
        return None
    if f.type == "hex":
        if len(expected) != len(got):
            return (f"field {f.name!r} differs: expected {len(expected)} octets, "
                    f"got {len(got)}")
        first = next(i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b)
        return (f"field {f.name!r} differs first at octet {first}: expected "
                f"{expected[first:first + 8].hex()}…, got {got[first:first + 8].hex()}…")
    return f"field {f.name!r} differs: expected {expected!r}, got {got!r}"


def run_vector(kind: Kind, vector: Mapping[str, Any]) -> str | None:
    """Check one vector; return the reason it fails, or None."""
    known = {f.name for f in kind.inputs + kind.outputs} | {"kind", "comment", "source"}
    unknown = sorted(set(vector) - known)
    if unknown:
        return f"unknown field(s) {', '.join(map(repr, unknown))}"
    inputs: dict[str, Any] = {}
    for f in kind.inputs:
        if f.name not in vector:
            if f.optional:
                continue
            return f"missing input field {f.name!r}"
        inputs[f.name] = _parse(f, vector[f.name])
    expected = {f.name: _parse(f, vector[f.name]) for f in kind.outputs if f.name in vector}
    if not expected:
        return "no expected output field (one of " + ", ".join(
            repr(f.name) for f in kind.outputs) + ")"
    try:
        got = kind.run(inputs)
    except MckmError as exc:
        return f"{type(exc).__name__}: {exc}"
    for f in kind.outputs:
        if f.name in expected:
            diff = _difference(f, expected[f.name], got[f.name])
            if diff:
                return diff
    return None


def check_document(document: Any, source: str) -> list[Outcome]:
    """Check every vector of a parsed vector file."""
    if not isinstance(document, dict) or not isinstance(document.get("vectors"), list):
        return [Outcome(source, 0, "?", 'not a vector file: expected {"vectors": [...]}')]
    outcomes = []
    for index, vector in enumerate(document["vectors"]):
        if not isinstance(vector, dict):
            outcomes.append(Outcome(source, index, "?", "a vector must be a JSON object"))
            continue
        name = vector.get("kind")
        k = KINDS.get(name) if isinstance(name, str) else None
        if k is None:
            reason = f"unknown kind {name!r} (known: {', '.join(sorted(KINDS))})"
            outcomes.append(Outcome(source, index, str(name), reason))
            continue
        try:
            failure = run_vector(k, vector)
        except ValueError as exc:
            failure = str(exc)
        outcomes.append(Outcome(source, index, k.name, failure))
    return outcomes


def check_files(paths: Iterable[Path]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            outcomes.append(Outcome(str(path), 0, "?", f"cannot read vector file: {exc}"))
            continue
        outcomes.extend(check_document(document, str(path)))
    return outcomes


def make_vectors(kind_name: str, *, seed: int, count: int) -> dict[str, Any]:
    """A vector file of ``count`` fresh vectors of one kind, deterministic in ``seed``."""
    import random

    k = KINDS[kind_name]
    rng = random.Random(seed)
    vectors = []
    for _ in range(count):
        values = k.make(rng)
        entry: dict[str, Any] = {"kind": k.name}
        for f in k.inputs + k.outputs:
            if f.name in values:
                entry[f.name] = _format(f, values[f.name])
        vectors.append(entry)
    return {"vectors": vectors}
