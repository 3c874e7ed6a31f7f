"""Map the design card's top-level folders into the one importable package ``mckm``.

``mckm`` itself is an implicit namespace package: ``mckm.impl`` is ``impl/``, ``mckm.models`` is
``models/``, ``mckm.proofs`` is ``proofs/`` and ``mckm.bench`` is ``bench/``.  Every folder below
them that has an ``__init__.py`` is a sub-package, found here so that no list is kept by hand.
"""

from pathlib import Path

from setuptools import setup

ROOTS = ("impl", "models", "proofs", "bench")
HERE = Path(__file__).parent


def _packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for root in ROOTS:
        for init in sorted((HERE / root).rglob("__init__.py")):
            rel = init.parent.relative_to(HERE)
            found["mckm." + ".".join(rel.parts)] = rel.as_posix()
    return found


PACKAGES = _packages()
setup(packages=list(PACKAGES), package_dir=PACKAGES)
