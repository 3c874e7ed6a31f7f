"""mckm: the one importable package of the executable 3GPP mission-critical key-management spec.

The design card's top-level folders stay where they are; this folder maps them into ``mckm`` with
relative symbolic links that git stores, so plain tools (``python -c "import mckm"`` from the
checkout root, mypy, IDEs) follow ``mckm.*`` without any path set-up:

- ``mckm.impl`` is ``impl/``: the runtime (crypto, codec, engine, roles; RFC 6507/6508/6509,
  RFC 6043, TS 33.180, TS 33.328, TS 33.434);
- ``mckm.models`` is ``models/``: grammars, procedure models and policies;
- ``mckm.proofs`` is ``proofs/``: the z3 proofs of the models' invariants;
- ``mckm.bench`` is ``bench/``: the benchmarks behind ``mckm bench``.

A wheel build copies the linked folders' contents, so an installed ``mckm`` has no links.

The supported import paths for a library user do not go through ``impl``: :mod:`mckm.codec`,
:mod:`mckm.seal`, :mod:`mckm.ticket`, :mod:`mckm.interkmm`, :mod:`mckm.crypto` and
:mod:`mckm.secret` (its :class:`Secret` is also ``mckm.Secret``).
"""

from importlib.metadata import PackageNotFoundError, version

from mckm.impl.redact import Secret

try:
    __version__: str = version("mckm")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["Secret", "__version__"]
