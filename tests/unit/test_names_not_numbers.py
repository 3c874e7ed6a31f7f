"""Names, not numbers: a namespace value is named in code (``ERROR_NO.INVALID_ID``), never typed
as its number, and a key-id width is read from the layout (``RANDOM_BITS``), never typed as 28.

The first tests check the attribute access itself (``models/grammar/dsl.py``).  The rest is a
scan of the tree (:func:`scan_source`) that fails on an integer literal used where a namespace
value is meant.

A *field* is a grammar field that carries a namespace (``data_type``, ``id_role``, ``ts_type``,
``error_no``, ``next_payload``, ... read from the grammar's ``FieldInfo.namespace``, so a new
namespaced field is covered without touching this test), plus the aliases in ``ALIASES`` that the
runtime uses for the same values (``mikey_error``, ``next_type``).  Too generic grammar names
(``type``, ``c``, ``kv``) are left out.  An int literal is flagged only when it is an assigned
value of that field's namespace (so an unassigned 99 used to test a refusal is not flagged), in:

1. a keyword argument named after a field: ``f(id_role=8)``;
2. a dict entry keyed by a field's name: ``{"ts_type": 0}``; a ``.get("ts_type", 0)`` default;
   a key into a mapping named after a field: ``BY_DATA_TYPE[26]``, ``by_id_role.get(8)``;
3. an assignment to a field: ``data_type = 26``, ``x.id_role = 3``, ``x["error_no"] = 7``; a
   parameter default ``def f(mikey_error=12)``;
4. a comparison with a field (``==``, ``!=``, ``in``, ``not in``, also ints inside a literal
   tuple, list or set): ``x.id_role == 8``, ``fields["ts_type"] in (0, 1)``,
   ``fields.get("next_payload") != 0``, ``int(f["data_type"]) == 26``;
5. a module- or class-level constant whose value equals a namespace value and whose name is that
   value's name (``IDRKMS = 3``, ``INVALID_DT = 11``, ``ERR_INVALID_ID = 7``,
   ``UNSPECIFIED = 12``; tuple assignments too): the upper-case name's ``_``-separated words
   equal the value identifier's words with the ``_`` removed, or end with them (an identifier
   of four letters or more, so ``MAX_T`` is not payload ``T``), or are their first two or more
   words, or all but a last ``ERROR``/``3GPP``;
6. a key-id width typed as a number: the literal ``RANDOM_BITS`` (28) or ``PURPOSE_BITS`` (4) as
   the argument of a ``randbits``/``getrandbits`` call, a shift amount or a power of two, or the
   literal random-part mask ``2**28 - 1``, in a statement that is about a key id (it calls
   ``encode_key_id``/``decode_key_id``/``purpose_of`` or names ``purpose``, ``random``,
   ``key_id``, ``sk_id``, ``gmk_id``, ``csb_id`` and the like).

Not flagged: ints in strings and comments, ints not assigned in the namespace, ints used for
anything not named as above (lengths, ports, counts, offsets).  ``models/`` is where the numbers
live and is not scanned, except ``models/procedures`` (a consumer of the namespaces).

Files being rewritten by their owners keep their current findings in ``ALLOWED`` (file and line
text, so a moved line still matches) until they are fixed; a finding not in it fails the suite.
"""

from __future__ import annotations

import ast
import pickle
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mckm.models.grammar import namespaces
from mckm.models.grammar.dsl import Namespace, Value, ident_of, stub_text
from mckm.models.grammar.namespaces import DATA_TYPE, ERROR_NO, ID_ROLE, TS_TYPE
from mckm.models.grammar.registry import structures
from mckm.models.policy import key_id

ROOT = Path(__file__).resolve().parents[2]


def test_values_by_attribute_equal_the_wire_numbers() -> None:
    assert ERROR_NO.INVALID_ID == ERROR_NO.value_of("Invalid ID") == 7
    assert DATA_TYPE.SAKKE == 26
    assert ID_ROLE.IDRKMS == 3
    assert TS_TYPE.NTP_UTC == 0
    assert ERROR_NO.name_of(ERROR_NO.UNSPECIFIED_ERROR) == "Unspecified error"
    assert f"{ID_ROLE.IDRKMSR}" == "7"  # formats as the int (JSON, logs, HTTP bodies)


def test_every_value_has_its_attribute() -> None:
    for ns in namespaces._namespaces().values():
        for v in ns.values:
            assert getattr(ns, v.identifier) == v.value
            assert getattr(ns, v.identifier).name == v.identifier


def test_a_misspelt_name_fails() -> None:
    with pytest.raises(AttributeError, match="INVALID_IDD"):
        ERROR_NO.INVALID_IDD  # type: ignore[attr-defined]  # noqa: B018


def test_identifier_rule() -> None:
    assert ident_of("Invalid ID") == "INVALID_ID"
    assert ident_of("IDRkms") == "IDRKMS"
    assert ident_of("NTP-UTC-32") == "NTP_UTC_32"
    assert ident_of("sender's FEC order") == "SENDERS_FEC_ORDER"
    assert ident_of("TGK+SALT") == "TGK_SALT"


def test_a_name_without_a_clean_identifier_needs_an_ident() -> None:
    with pytest.raises(ValueError, match="explicit ident"):
        Namespace("x", 8, "", (Value(1, "3GPP thing"),))
    with pytest.raises(ValueError, match="share an identifier"):
        Namespace("x", 8, "", (Value(1, "A-B"), Value(2, "A B")))
    assert Namespace("x", 8, "", (Value(1, "3GPP thing", ident="THING_3GPP"),)).THING_3GPP == 1


def test_namespaces_pickle() -> None:
    assert pickle.loads(pickle.dumps(ERROR_NO)).INVALID_TS == 1


def test_stub_is_generated_from_the_declarations() -> None:
    stub = ROOT / "models" / "grammar" / "namespaces.pyi"
    expected = stub_text(namespaces._namespaces(), namespaces._stub_doc())
    assert stub.read_text() == expected, (
        "namespaces.pyi is stale: run python -c 'from mckm.models.grammar.namespaces import "
        "write_stub; write_stub()'")


def test_key_id_widths_by_name() -> None:
    assert (key_id.PURPOSE_BITS, key_id.RANDOM_BITS, key_id.KEY_ID_BITS) == (4, 28, 32)


# --------------------------------------------------------------------------- the scan


SCANNED = ("impl", "proofs", "bench", "models/procedures")

_GENERIC = frozenset({"type", "c", "kv"})
ALIASES: dict[str, Namespace] = {
    "mikey_error": namespaces.ERROR_NO,  # PolicyError / Refusal / Guard attribute
    "next_type": namespaces.PAYLOAD_TYPE,  # the codec's chain walk
}


def _fields() -> dict[str, Namespace]:
    out: dict[str, Namespace] = {}
    for s in structures():
        for info in s.infos:
            if info.namespace is not None and info.name not in _GENERIC:
                out.setdefault(info.name, info.namespace)
    return {**out, **ALIASES}


FIELDS = _fields()
_NS_VAR = {id(ns): var for var, ns in namespaces._namespaces().items()}

_KEY_ID_CALLS = frozenset({"encode_key_id", "decode_key_id", "purpose_of"})
_KEY_ID_WORDS = re.compile(r"(^|_)(purpose|random|key_id|sk_id|gmk_id|guk_id|pck_id|csk_id|"
                           r"spk_id|xpk_id|csb_id)($|_)")
_WIDTHS = {key_id.RANDOM_BITS: "RANDOM_BITS", key_id.PURPOSE_BITS: "PURPOSE_BITS"}
_MASKS = {(1 << key_id.RANDOM_BITS) - 1: "(1 << RANDOM_BITS) - 1"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str  # the source line, stripped
    number: int
    name: str  # what should replace it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.number} -> {self.name}    | {self.text}"


def _int(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _ints(node: ast.AST) -> Iterator[tuple[ast.AST, int]]:
    """The int literals of ``node``: itself, or the elements of a literal tuple/list/set."""
    value = _int(node)
    if value is not None:
        yield node, value
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for elt in node.elts:
            if (v := _int(elt)) is not None:
                yield elt, v


def _field_of(node: ast.AST) -> str | None:
    """The field a reference names: ``x``, ``o.x``, ``d["x"]``, ``d.get("x")``, ``int(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int" \
            and len(node.args) == 1:
        return _field_of(node.args[0])
    name: str | None = None
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        name = node.slice.value if isinstance(node.slice.value, str) else None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant):
        name = node.args[0].value if isinstance(node.args[0].value, str) else None
    return name if name in FIELDS else None


def _keyed_by(node: ast.AST) -> str | None:
    """The field a mapping is keyed by, from its name: ``BY_DATA_TYPE``, ``self._by_id_role``."""
    name = node.id if isinstance(node, ast.Name) else node.attr \
        if isinstance(node, ast.Attribute) else ""
    match = re.fullmatch(r"_?by_(\w+)", name.lower())
    return match.group(1) if match and match.group(1) in FIELDS else None


def _words(ident: str) -> list[str]:
    return [w for w in ident.upper().split("_") if w]


def _names_value(const: str, ident: str) -> bool:
    """Rule 5: does the constant's name name the namespace value ``ident``?"""
    c, v = _words(const), _words(ident)
    if not c or not v:
        return False
    if "".join(c) == "".join(v):
        return True
    if len(c) > len(v) and c[-len(v):] == v:  # ERR_INVALID_ID; not MAX_T for T
        return len("".join(v)) >= 4
    if len(c) < len(v) and v[:len(c)] == c:  # UNSPECIFIED for UNSPECIFIED_ERROR
        return len(c) >= 2 or v[len(c):] in (["ERROR"], ["3GPP"])
    return False


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.found: dict[tuple[int, int, int], Finding] = {}
        self.stmt: ast.stmt | None = None

    def flag(self, node: ast.AST, number: int, name: str) -> None:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.found[(line, col, number)] = Finding(self.path, line, text, number, name)

    def value_for(self, field: str, node: ast.AST | None) -> None:
        if node is None:
            return
        ns = FIELDS[field]
        for lit, value in _ints(node):
            known = ns.by_value.get(value)
            if known is not None:
                self.flag(lit, value, f"{_NS_VAR[id(ns)]}.{known.identifier} ({field})")

    # rules 1-4 ----------------------------------------------------------------------------
    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg in FIELDS:
            self.value_for(node.arg, node.value)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and k.value in FIELDS:
                self.value_for(str(k.value), v)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and len(node.args) == 2 and (field := _field_of(node)):
            self.value_for(field, node.args[1])
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args \
                and (field := _keyed_by(node.func.value)):
            self.value_for(field, node.args[0])
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if (field := _keyed_by(node.value)) is not None:
            self.value_for(field, node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        fields = [f for f in map(_field_of, operands) if f]
        if fields:
            for operand in operands:
                if _field_of(operand) is None:
                    self.value_for(fields[0], operand)
        self.generic_visit(node)

    def visit_arguments(self, node: ast.arguments) -> None:
        positional = [*node.posonlyargs, *node.args]
        for arg, default in zip(positional[len(positional) - len(node.defaults):],
                                node.defaults, strict=True):
            if arg.arg in FIELDS:
                self.value_for(arg.arg, default)
        for arg, kw_default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
            if arg.arg in FIELDS:
                self.value_for(arg.arg, kw_default)
        self.generic_visit(node)

    def _assigned(self, targets: list[ast.expr], value: ast.AST | None) -> None:
        for target in targets:
            if (field := _field_of(target)) is not None and not isinstance(target, ast.Call):
                self.value_for(field, value)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assigned(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assigned([node.target], node.value)
        self.generic_visit(node)

    # rule 5 --------------------------------------------------------------------------------
    def constants(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                pairs: list[tuple[ast.expr, ast.expr]] = []
                for target in stmt.targets:
                    if isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple) \
                            and len(target.elts) == len(stmt.value.elts):
                        pairs += zip(target.elts, stmt.value.elts, strict=True)
                    else:
                        pairs.append((target, stmt.value))
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                pairs = [(stmt.target, stmt.value)]
            else:
                continue
            for target, value in pairs:
                number = _int(value)
                if not isinstance(target, ast.Name) or number is None \
                        or not target.id.isupper():
                    continue
                for var, ns in namespaces._namespaces().items():
                    known = ns.by_value.get(number)
                    if known is not None and _names_value(target.id, known.identifier):
                        self.flag(value, number, f"{var}.{known.identifier} ({target.id})")
                        break

    def visit_Module(self, node: ast.Module) -> None:
        self.constants(node.body)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.constants(node.body)
        self.generic_visit(node)

    # rule 6 --------------------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt) and not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.If | ast.For
                | ast.While | ast.With | ast.Try | ast.Module):
            self.widths(node)
        super().visit(node)

    def widths(self, stmt: ast.stmt) -> None:
        about_key_id = False
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Call):
                func = sub.func
                called = func.id if isinstance(func, ast.Name) else \
                    func.attr if isinstance(func, ast.Attribute) else ""
                about_key_id |= called in _KEY_ID_CALLS
            word = sub.id if isinstance(sub, ast.Name) else sub.attr \
                if isinstance(sub, ast.Attribute) else sub.arg \
                if isinstance(sub, ast.keyword) and sub.arg else ""
            about_key_id |= bool(_KEY_ID_WORDS.search(word.lower()))
        if not about_key_id:
            return
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Call) and len(sub.args) == 1:
                func = sub.func
                called = func.id if isinstance(func, ast.Name) else \
                    func.attr if isinstance(func, ast.Attribute) else ""
                if called.endswith("randbits") and (n := _int(sub.args[0])) in _WIDTHS:
                    self.flag(sub.args[0], n, f"key_id.{_WIDTHS[n]}")
            elif isinstance(sub, ast.BinOp) and (
                    isinstance(sub.op, ast.LShift | ast.RShift)
                    or (isinstance(sub.op, ast.Pow) and _int(sub.left) == 2)) \
                    and (n := _int(sub.right)) in _WIDTHS:
                self.flag(sub.right, n, f"key_id.{_WIDTHS[n]}")
            elif (n := _int(sub)) is not None and n in _MASKS:
                self.flag(sub, n, _MASKS[n])


def scan_source(source: str, path: str = "<snippet>") -> list[Finding]:
    """Every bare namespace number (and key-id width) in ``source``; see the module docs."""
    scanner = _Scanner(path, source.splitlines())
    scanner.visit(ast.parse(source))
    return sorted(scanner.found.values(), key=lambda f: (f.line, f.number))


def scan_tree(root: Path = ROOT) -> list[Finding]:
    out: list[Finding] = []
    for top in SCANNED:
        for file in sorted((root / top).rglob("*.py")):
            rel = file.relative_to(root).as_posix()
            out += scan_source(file.read_text(encoding="utf-8"), rel)
    return out


# ------------------------------------------------------------------ the temporary allow-list
#: Current findings in files their owners are rewriting right now (issue "One model owns the
#: wire"); each owner empties their part.  Keyed by file, then the stripped line text (several
#: findings on one line share an entry).  Nothing else may be added here: name the value instead.
ALLOWED: dict[str, tuple[str, ...]] = {
}


def _allowed(finding: Finding) -> bool:
    return finding.text in ALLOWED.get(finding.path, ())


def test_no_bare_namespace_number_in_the_tree() -> None:
    findings = scan_tree()
    new = [f for f in findings if not _allowed(f)]
    assert not new, "name these values (namespace attribute / key_id width), not numbers:\n" + \
        "\n".join(map(str, new))
    found = {(f.path, f.text) for f in findings}
    stale = [(path, text) for path, texts in ALLOWED.items() for text in texts
             if (path, text) not in found]
    if stale:  # fixed by their owner: the entry can go (not a failure while files move)
        warnings.warn("stale ALLOWED entries in test_names_not_numbers.py: "
                      + "; ".join(f"{p}: {t}" for p, t in stale), stacklevel=1)


# --------------------------------------------------------------------------- the scan can fail
FLAGGED = {
    "keyword": ("Refusal('x', mikey_error=12)", "ERROR_NO.UNSPECIFIED_ERROR"),
    "dict value": ('hdr = {"data_type": 26, "v": 0}', "DATA_TYPE.SAKKE"),
    "get default": ('t = fields.get("ts_type", 0)', "TS_TYPE.NTP_UTC"),
    "mapping key": ("rule = BY_DATA_TYPE[26]", "DATA_TYPE.SAKKE"),
    "attribute compare": ("ok = payload.id_role == 8", "ID_ROLE.IDRUIDI"),
    "compare in tuple": ('ntp = fields["ts_type"] in (0, 1)', "TS_TYPE.NTP"),
    "get compare": ('end = raw.get("next_payload") != 0', "PAYLOAD_TYPE.LAST_PAYLOAD"),
    "int() compare": ('sakke = int(f["data_type"]) == 26', "DATA_TYPE.SAKKE"),
    "reversed compare": ("if 3 == p.rand_role:\n    pass", "RAND_ROLE.RANDRKMS"),
    "assignment": ('fields["error_no"] = 7', "ERROR_NO.INVALID_ID"),
    "attribute assignment": ("p.s_type = 2", "S_TYPE.ECCSI"),
    "parameter default": ("def f(key_type: int = 6) -> None: ...", "KEY_TYPE.MPK"),
    "module constant": ("IDRKMS = 3", "ID_ROLE.IDRKMS"),
    "prefixed constant": ("ERR_INVALID_DT = 11", "ERROR_NO.INVALID_DT"),
    "shortened constant": ("A, UNSPECIFIED = 'a', 12", "ERROR_NO.UNSPECIFIED_ERROR"),
    "class constant": ("class E:\n    INVALID_TPPAR = 15", "ERROR_NO.INVALID_TPPAR"),
    "random bits": ("sk_id = encode_key_id(p, secrets.randbits(28))", "key_id.RANDOM_BITS"),
    "random keyword": ("send(random=rng.getrandbits(28))", "key_id.RANDOM_BITS"),
    "purpose shift": ("purpose = key_id >> 28", "key_id.RANDOM_BITS"),
    "random mask": ("random = sk_id & 0x0FFFFFFF", "(1 << RANDOM_BITS) - 1"),
}

PASSES = {
    "keyword": "Refusal('x', mikey_error=ERROR_NO.UNSPECIFIED_ERROR)",
    "dict value": 'hdr = {"data_type": DATA_TYPE.SAKKE, "v": 0, "n_cs": 1, "csb_id": 7}',
    "mapping key": "rule = BY_DATA_TYPE[DATA_TYPE.SAKKE]",
    "compare": 'ntp = fields["ts_type"] in (TS_TYPE.NTP_UTC, TS_TYPE.NTP)',
    "unassigned value": 'bad = {"data_type": 99}',  # a deliberately unknown value has no name
    "other fields": 'x = {"len": 16, "port": 8443, "count": 3, "version": 1}; y = p.n_cs == 2',
    "other constants": "MAX_T = 5\nPORT = 8\nSESSION = 3\nTIMEOUT = 12",
    "name constant": "IDRKMS = ID_ROLE.IDRKMS",
    "widths by name": "sk_id = encode_key_id(p, secrets.randbits(RANDOM_BITS))",
    "28 elsewhere": "days = 28\nx = y >> 28\nn = rng.getrandbits(28)",
    "strings": 's = "data type 26"  # id_role == 8',
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_scan_flags_a_bare_number(case: str) -> None:
    source, name = FLAGGED[case]
    found = scan_source(source)
    assert any(f.name.startswith(name) for f in found), found


@pytest.mark.parametrize("case", sorted(PASSES))
def test_scan_passes_names_and_unrelated_ints(case: str) -> None:
    assert scan_source(PASSES[case]) == []


def test_allow_list_is_not_a_loophole() -> None:
    source = "NTP_UTC = 0\n"
    flagged = scan_source(source, "impl/roles/ticket/effects.py")
    assert flagged and not any(_allowed(f) for f in flagged)  # the allow-list is empty
