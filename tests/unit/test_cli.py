"""The mckm command line: help lists every sub-command, and each one loads."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mckm.impl.cli import COMMANDS, main


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_vectors_check_builtin_prints_the_closing_line() -> None:
    result = CliRunner().invoke(main, ["vectors", "check", "--builtin"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-1].endswith(" passed, 0 failed")


def test_vectors_check_fails_on_a_bad_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text('{"vectors": [{"kind": "eccsi-verify"}]}')
    result = CliRunner().invoke(main, ["vectors", "check", str(bad)])
    assert result.exit_code == 1
    assert "0 passed, 1 failed" in result.output
    assert "missing input field" in result.output
