"""``mckm codec export``: the command, and the Kaitai Struct export read from the grammars.

Every field of every structure and every name-space value appears in the ``.ksy`` with its
clause; a field added to a copy of a grammar appears in every export format (through
``FORMATS``, without touching an exporter); bad options are one-line errors with exit 2.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.codec import export as export_module
from mckm.impl.codec.export import FORMATS
from mckm.impl.codec.export_ksy import FILE_NAME, document, enum_id, render, type_id
from mckm.models.grammar import registry
from mckm.models.grammar.dsl import Part, struct, uint


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["codec", "export", *args])


def _available() -> list[str]:
    out = []
    for fmt, module in FORMATS.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        out.append(fmt)
    return out


def test_cli_writes_the_ksy(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    result = _run("--format", "ksy", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(out / FILE_NAME)]
    ksy = yaml.safe_load((out / FILE_NAME).read_text())
    assert ksy["meta"]["id"] == "mckm_mikey" and ksy == document()


@pytest.mark.parametrize("args, words", [
    (("--format", "pdf", "--out", "x"), "'pdf' is not one of"),
    (("--format", "ksy"), "Missing option '--out'"),
])
def test_cli_usage_errors_are_one_line(args: tuple[str, ...], words: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_cli_refuses_a_file_as_out_dir(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep")
    result = _run("--format", "ksy", "--out", str(target))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert target.read_text() == "keep"


def test_a_missing_exporter_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setitem(FORMATS, "ksy", "mckm.impl.codec.export_nothing_here")
    result = _run("--format", "ksy", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "no exporter" in result.output and "export_nothing_here" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_every_field_and_value_is_exported_with_its_clause() -> None:
    ksy = document()
    for spec in registry.structures():
        attrs = {a["id"]: a for a in ksy["types"][type_id(spec)]["seq"]}
        for info in spec.infos:
            assert info.name in attrs, f"{spec.name}.{info.name}"
            assert info.clause in attrs[info.name]["doc"], f"{spec.name}.{info.name}"
            if info.namespace is not None:
                assert attrs[info.name]["enum"] == enum_id(info.namespace)
                enum = ksy["enums"][enum_id(info.namespace)]
                assert {v.value for v in info.namespace.values} == set(enum)
                for v in info.namespace.values:
                    assert v.clause in enum[v.value]["doc"]
    chain = ksy["types"]["payload"]["seq"][0]["type"]["cases"]
    assert len(chain) == len([p for p in registry.PAYLOADS
                              if p.name not in registry.NESTED_ONLY])


def test_3gpp_additions_are_in_the_export() -> None:
    enums = document()["enums"]
    assert enums["id_role"][8]["id"] == "idruidi" and enums["id_role"][9]["id"] == "idruidr"
    assert "TS 33.180 E.7" in enums["id_role"][8]["doc"]
    assert enums["general_extension_type"][7]["id"] == "key_parameters_3gpp"
    assert "TS 33.180 E.6" in enums["general_extension_type"][7]["doc"]
    assert enums["sakke_id_scheme"][2]["id"] == "mcx_hashed_uid_3gpp"
    assert "generic_id_entry" in document()["types"]


def test_an_added_field_appears_in_every_export(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the TR grammar with one more field, put in TR's place: every exporter that is
    installed shows it, and the ksy types it from the declaration (width, doc with clause)."""
    spec = registry.BY_NAME["TR"].spec
    grown = struct(spec.name, spec.clause, spec.meaning,
                   Part(list(spec.grammar.subcons), list(spec.infos)),
                   uint("added_by_test", 16, "a field a test added", "test clause 9.9"))
    for attr in ("infos", "grammar", "_compiled"):
        monkeypatch.setattr(spec, attr, getattr(grown, attr))
    formats = _available()
    assert "ksy" in formats
    for fmt in formats:
        text = "".join(export_module.renderer(fmt)().values())
        assert "added_by_test" in text, fmt
    attrs = {a["id"]: a for a in yaml.safe_load(render()[FILE_NAME])["types"]["tr"]["seq"]}
    assert attrs["added_by_test"]["type"] == "u2"
    assert "test clause 9.9" in attrs["added_by_test"]["doc"]


def test_the_site_attaches_every_installed_export(tmp_path: Path) -> None:
    """docs/generate.py writes each installed format's files and a download link to each,
    which docs/implementers.md includes."""
    from tests.docs.site import generate

    generate.write_exports(tmp_path)
    links = (tmp_path / "downloads.inc").read_text().splitlines()
    for fmt in _available():
        for name, text in export_module.renderer(fmt)().items():
            assert (tmp_path / fmt / name).read_text() == text
            assert f"{{download}}`{name} </_generated/exports/{fmt}/{name}>`" in "".join(links)
    page = (Path(generate.__file__).parent / "implementers.md").read_text()
    assert "_generated/exports/downloads.inc" in page
