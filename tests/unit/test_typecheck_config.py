"""The mypy configuration in pyproject.toml does what it says: --strict for ``mckm.impl.*``.

``strict = true`` in a per-module override is not scoped to its modules (mypy turns the strict
flags on for every module), so pyproject lists the flags one by one.  These tests hold that list
to mypy's own --strict, run mypy with the configuration as it stands on a throw-away module named
``mckm.impl.probe`` beside one outside ``mckm.impl``, and check that plain mypy, run from the
checkout with no MYPYPATH, follows ``mckm.*`` imports into the real modules.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mypy.main import define_options

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
STRICT_MODULES = "mckm.impl.*"

# Code that plain mypy accepts and --strict rejects, with the error code --strict reports.
STRICT_ONLY_ERRORS = {
    "no-untyped-def": "def f(x):\n    return x\n",
    "type-arg": "def f(x: list) -> int:\n    return len(x)\n",
    "no-any-return": "from typing import Any\n\n\ndef f(x: Any) -> int:\n    return x\n",
}
CLEAN = "def f(x: int) -> int:\n    return x\n"


def _mypy_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads(PYPROJECT.read_text())["tool"]["mypy"]
    return config


def _strict_override() -> dict[str, Any]:
    found = [o for o in _mypy_config().get("overrides", []) if STRICT_MODULES in o["module"]]
    assert len(found) == 1, found
    override: dict[str, Any] = found[0]
    return override


def _run_mypy(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT),
         "--cache-dir", str(cwd / ".mypy_cache"), "--no-error-summary", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away ``mckm.impl`` package and a module ``outside`` beside it (one mypy cache)."""
    root = tmp_path_factory.mktemp("typecheck")
    (root / "mckm" / "impl").mkdir(parents=True)
    (root / "mckm" / "__init__.py").write_text("")
    (root / "mckm" / "impl" / "__init__.py").write_text("")
    return root


def test_the_listed_flags_are_mypys_strict() -> None:
    """Override plus global section set exactly the flags --strict sets, to the same values."""
    _, _, strict = define_options()
    override = _strict_override()
    assert "strict" not in override
    config = {**_mypy_config(), **override}
    listed = {dest: config.get(dest) for dest, _ in strict}
    assert listed == dict(strict)


def test_no_strict_flag_is_set_outside_the_override() -> None:
    """The global section holds only the strict flags mypy refuses per module."""
    _, _, strict = define_options()
    global_section = _mypy_config()
    set_globally = {dest for dest, _ in strict if dest in global_section}
    assert set_globally == {"warn_redundant_casts"}


@pytest.mark.parametrize("code", sorted(STRICT_ONLY_ERRORS))
def test_strict_only_error_fails_in_mckm_impl_and_not_outside(tree: Path, code: str) -> None:
    source = STRICT_ONLY_ERRORS[code]
    (tree / "mckm" / "impl" / "probe.py").write_text(source)
    (tree / "outside.py").write_text(source)
    result = _run_mypy(tree, "mckm/impl/probe.py", "outside.py")
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors, result.stdout
    assert all(line.startswith("mckm/impl/probe.py:") for line in errors), errors
    assert any(line.endswith(f"[{code}]") for line in errors), errors


def test_the_same_module_passes_when_typed(tree: Path) -> None:
    (tree / "mckm" / "impl" / "probe.py").write_text(CLEAN)
    result = _run_mypy(tree, "mckm/impl/probe.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_mypy_follows_mckm_imports_into_the_checkout(tmp_path: Path) -> None:
    """From the checkout root, with no MYPYPATH, ``mckm.impl.crypto.sakke`` is the real module."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from mckm.impl.crypto.sakke import hash_to_integer_range\n\n"
        "wrong: str = hash_to_integer_range(b'', 7)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT),
         "--cache-dir", str(tmp_path / ".mypy_cache"), "--no-error-summary", str(probe)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'has type "int", variable has type "str"' in result.stdout, result.stdout
