"""Every grammar compiles with no interpreted fall-back; compiled and interpreted parse and
build agree on values drawn from the grammar itself; sizes agree."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.codec.grammars import converter
from mckm.impl.codec.strategies import fields_strategy
from mckm.models.grammar.dsl import StructSpec
from mckm.models.grammar.registry import BY_NAME, structures

STRUCTS = structures()


def _norm(value: object) -> object:
    """Containers as plain dicts/lists (construct's bookkeeping keys such as _io dropped)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _with_next(spec: StructSpec, fields: dict[str, object]) -> dict[str, object]:
    names = {i.name for i in spec.infos}
    return {**fields, "next_payload": 0} if "next_payload" in names else dict(fields)


@pytest.mark.parametrize("spec", STRUCTS, ids=lambda s: s.name)
def test_compiles_without_fallback(spec: StructSpec) -> None:
    source = spec.grammar.compile().source
    generated = source.split("linkedbuilders = {}", 1)[1]
    assert "linkedparsers[" not in generated, f"{spec.name}: parse not compiled"
    assert "linkedbuilders[" not in generated, f"{spec.name}: build not compiled"


@pytest.mark.parametrize("spec", STRUCTS, ids=lambda s: s.name)
def test_compiled_equals_interpreted(spec: StructSpec) -> None:
    compiled = spec.grammar.compile()

    @settings(max_examples=40, deadline=None)
    @given(fields_strategy(spec))
    def check(fields: dict[str, object]) -> None:
        obj = _with_next(spec, fields)
        built = spec.grammar.build(obj)
        assert compiled.build(obj) == built
        parsed = spec.grammar.parse(built)
        assert _norm(compiled.parse(built)) == _norm(parsed)  # every field, derived ones too
        assert converter(spec)(parsed) == fields  # the parse gives back what was built
        stream = io.BytesIO(built + b"\xff")
        spec.grammar.parse_stream(stream)
        assert stream.tell() == len(built)  # consumes exactly its own octets
        if not any(i.kind != "uint" or i.fixed_sizes for i in spec.infos):
            assert spec.grammar.sizeof() == len(built)

    check()


def test_every_payload_number_is_registered_once() -> None:
    numbers = [p.number for p in BY_NAME.values() if p.number is not None]
    assert len(numbers) == len(set(numbers))
    assert {"HDR", "T", "RAND", "IDR", "SAKKE", "SIGN", "KEMAC", "KEY_DATA", "V", "SP", "ERR",
            "GENERAL_EXT", "TICKET", "TP", "TR", "RANDR", "ID", "CERT", "CHASH", "PKE",
            "DH"} <= set(BY_NAME)


@given(st.data())
@settings(max_examples=20, deadline=None)
def test_fields_strategy_respects_widths(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(STRUCTS))
    fields = data.draw(fields_strategy(spec))
    for info in spec.infos:
        if info.kind == "uint" and info.in_object and info.max_bits and not info.fixed_sizes:
            assert 0 <= fields[info.name] < 1 << info.max_bits


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=24))
def test_sp_params_check_agrees_with_the_sp_param_grammar(params: bytes) -> None:
    """REQ-CODEC-09: the SP policy params check accepts exactly what the (type, length, value)
    grammar parses.
    """
    from mckm.impl.codec.policy_params import sp_param_list, sp_params_problem

    try:
        sp_param_list(params)
        parses = True
    except ValueError:
        parses = False
    assert (sp_params_problem(params) is None) == parses
