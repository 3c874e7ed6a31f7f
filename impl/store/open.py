"""Open a KMS store named by a path or a URL (the ``--db`` of ``mckm kms``).

=============================================  ==========================================
``--db``                                       store
=============================================  ==========================================
``kms.db``, ``/var/lib/mckm/kms.db``           SQLite file (the embedded default)
``sqlite:///kms.db``, ``sqlite:////abs/k.db``  the same, as a URL (SQLAlchemy's form: the
                                               path follows the third slash)
``postgresql://user:pw@host:port/db``          PostgreSQL, for several KMS replicas (libpq's
                                               URI, also ``postgres://``; its query takes
                                               ``sslmode`` and the like)
=============================================  ==========================================

A store that cannot be opened (a file that is not SQLite, a server that cannot be reached, bad
credentials, an unknown scheme) is a :class:`~mckm.impl.errors.UsageError` with one line of
reason; an ``OSError`` of the file is left as it is (it names the file).  :func:`describe` is
how a target may be shown: a URL's password never reaches a message or a log line.
"""

from __future__ import annotations

import sqlite3

from mckm.impl.errors import UsageError
from mckm.impl.store.kms_store import KmsStore
from mckm.impl.store.sqlite_kms import SqliteKmsStore

SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def url_parts(url: str) -> tuple[str, list[str]]:
    """``url`` without its password (in the user info or as a ``password=`` query
    parameter), and the password strings it held."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    secrets = [password] if colon else []
    kept = []
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        if name.lower() == "password":
            secrets.append(value)
        else:
            kept.append(pair)
    location = f"{scheme}://{user}{at}{hostport}{slash}{path}"
    return location + ("?" + "&".join(kept) if kept else ""), [s for s in secrets if s]


def describe(target: str) -> str:
    """``target`` as it may be shown to people: a URL's password left out."""
    return url_parts(target)[0] if "://" in target else target


def open_kms_store(target: str) -> KmsStore:
    """The KMS store at ``target``: a path or ``sqlite:///path`` (SQLite), or a
    ``postgresql://`` URL."""
    if target.startswith(POSTGRES_SCHEMES):
        # imported here: a SQLite deployment never loads psycopg
        from mckm.impl.store.postgres_kms import PostgresKmsStore

        return PostgresKmsStore(target)
    if target.startswith(SQLITE_SCHEME):
        target = target.removeprefix(SQLITE_SCHEME)
    elif "://" in target:
        raise UsageError(f"{target.partition('://')[0]}:// is not a store URL: give a path, "
                         f"sqlite:///PATH or postgresql://...")
    if not target:
        raise UsageError(f"no file path after {SQLITE_SCHEME}")
    try:
        return SqliteKmsStore(target)
    except sqlite3.Error as exc:
        raise UsageError(str(exc)) from exc
