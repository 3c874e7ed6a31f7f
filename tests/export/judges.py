"""The third-party judges of the Kaitai Struct export: the Kaitai Struct compiler (npm
``kaitai-struct-compiler``, a library driven by ``ksc_compile.js`` under node), the
``kaitaistruct`` Python runtime and g++.

Like ``tests.conftest.require_tool``: a judge that is missing skips the test on a developer
machine and fails it under CI (``CI=true``), where ``.ci/run`` installs the compiler into
``build/node`` (``npm install --prefix build/node``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mckm.impl.codec.export import export
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = Path(os.environ.get("MCKM_NODE_MODULES", ROOT / "build" / "node" / "node_modules"))
COMPILE_JS = Path(__file__).with_name("ksc_compile.js")
CPP_RUNTIME = Path(__file__).with_name("cpp_runtime")


def _missing(what: str) -> None:
    message = f"third-party judge {what} is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: .ci/run must install it)")
    pytest.skip(message)


def require_compiler() -> str:
    """node, with kaitai-struct-compiler and js-yaml in :data:`NODE_MODULES`."""
    node = require_tool("node")
    for package in ("kaitai-struct-compiler", "js-yaml"):
        if not (NODE_MODULES / package / "package.json").is_file():
            _missing(f"npm package {package!r} (in {NODE_MODULES})")
    return node


def require_kaitai_runtime() -> None:
    if importlib.util.find_spec("kaitaistruct") is None:
        _missing("Python package 'kaitaistruct'")


def export_ksy(out: Path) -> list[Path]:
    """Run the export the way a user does (``mckm codec export --format ksy``'s function)."""
    return [p for p in export("ksy", out) if p.suffix == ".ksy"]


def compile_ksy(target: str, ksy: list[Path], out: Path) -> list[Path]:
    """Compile with the Kaitai Struct compiler; the files it wrote (a compile error fails)."""
    node = require_compiler()
    result = subprocess.run([node, str(COMPILE_JS), target, str(out), *map(str, ksy)],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert result.returncode == 0, f"kaitai-struct-compiler ({target}): {result.stderr}"
    return [out / name for name in result.stdout.split()]


def load_python(files: list[Path], name: str) -> ModuleType:
    """Import the generated Python module ``name`` from ``files``."""
    require_kaitai_runtime()
    path = next(p for p in files if p.name == f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"ksy_generated_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
