"""A wheel install imports ``mckm`` with every sub-package, and nothing else at the top level."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_the_package_and_imports(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("mckm-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "site")
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"mckm"}
    assert "mckm/impl/crypto/ec.py" in names
    assert "mckm/impl/vectors/data/rfc6507.json" in names
    assert not any(n.startswith("mckm/tests") for n in names)
    probe = (
        "import mckm.impl.cli, mckm.impl.vectors.runner as r, mckm.bench.registry;"
        "import sys; p = r.builtin_files(); assert p, p;"
        "assert all('site' in str(x) for x in p), p; print(mckm.impl.cli.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}, check=True,
    )
    assert str(tmp_path / "site") in out.stdout
