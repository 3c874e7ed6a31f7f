"""What an IdM server is set up with: its users, its registered clients, the audiences and
lifetimes of its tokens (TS 33.180 5.1.2.1, B.3).

TS 33.180 5.1.2.1: the IdMS "shall be provisioned with the user's MC ID and MC service IDs" and
keeps the mapping between them; B.3: a client is registered with a client identifier and its
redirect URIs.  Passwords are kept as scrypt hashes (RFC 7914, :func:`hashlib.scrypt`), in the
form ``scrypt$N$r$p$<salt b64>$<hash b64>`` that :func:`hash_password` writes.

A configuration file is JSON::

    {"users": {"alice": {"password": "scrypt$16384$8$1$...$...",
                         "mcptt_id": "sip:alice@example.org"}},
     "clients": {"mcptt-client": {"redirect_uris": ["https://client.example/cb"]}},
     "mcptt_audience": "mcptt-server.example.org", "kms_audience": "kms.example.org",
     "token_lifetime": 3600}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mckm.impl.errors import UsageError

#: scrypt cost of new hashes (RFC 7914 2: N, r, p); 2**14 is the interactive-login figure
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_DKLEN = 32
#: the longest token lifetime a configuration may ask for (the KMS's maximum, one day)
MAX_TOKEN_LIFETIME = 86_400


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    """The stored form of ``password``: scrypt (RFC 7914) with a fresh 16-octet salt (``n``
    lower than :data:`SCRYPT_N` only for tests)."""
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=_DKLEN)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


@dataclass(frozen=True)
class PasswordHash:
    """A parsed ``scrypt$N$r$p$salt$hash`` (repr shows the parameters only)."""

    n: int
    r: int
    p: int
    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str, where: str) -> PasswordHash:
        parts = text.split("$")
        try:
            if len(parts) != 6 or parts[0] != "scrypt":
                raise ValueError
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt = base64.b64decode(parts[4], validate=True)
            digest = base64.b64decode(parts[5], validate=True)
        except (ValueError, binascii.Error) as exc:
            raise UsageError(f"{where}: not a scrypt$N$r$p$salt$hash password hash") from exc
        if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16 or n > 2**20 \
                or len(salt) < 8 or len(digest) < 16:
            raise UsageError(f"{where}: scrypt parameters out of range (N a power of two "
                             "up to 2**20, r 1-64, p 1-16, salt >= 8 and hash >= 16 octets)")
        return cls(n, r, p, salt, digest)

    def matches(self, password: str) -> bool:
        candidate = hashlib.scrypt(password.encode(), salt=self.salt, n=self.n, r=self.r,
                                   p=self.p, dklen=len(self.digest), maxmem=2**27)
        return hmac.compare_digest(candidate, self.digest)


#: what an unknown user's password is checked against, so that a wrong user name costs the
#: same scrypt as a wrong password
_NOBODY = PasswordHash.parse(hash_password("", salt=b"\0" * 16), "built-in")


@dataclass(frozen=True)
class User:
    """One user: the MC ID they log in with and their MCPTT ID (TS 33.180 5.1.2.1)."""

    mc_id: str
    mcptt_id: str
    password: PasswordHash


@dataclass(frozen=True)
class Client:
    """A registered client (TS 33.180 B.3): its client_id and redirect URIs."""

    client_id: str
    redirect_uris: frozenset[str]


@dataclass(frozen=True)
class IdmConfig:
    """The IdM's users, clients and token rules."""

    users: Mapping[str, User]
    clients: Mapping[str, Client]
    #: ``aud`` of the access token: the MCPTT server (seed 001 step 4)
    mcptt_audience: str = "mcptt-server"
    #: ``aud`` of the KMS access token: the KMS (seed 001 step 3b)
    kms_audience: str = "kms"
    #: seconds the tokens live (``expires_in``, TS 33.180 B.4.2.5)
    token_lifetime: int = 3600
    #: seconds an authorisation code lives (RFC 6749 4.1.2: "maximum ... of 10 minutes")
    code_lifetime: int = 60

    def authenticate(self, mc_id: str, password: str) -> User | None:
        """The user if ``password`` is theirs (constant work whether or not the user exists)."""
        user = self.users.get(mc_id)
        ok = (user.password if user else _NOBODY).matches(password)
        return user if ok and user is not None else None

    @classmethod
    def from_json(cls, data: Any, where: str) -> IdmConfig:
        """Read the JSON document of the module docstring; UsageError naming the field."""
        if not isinstance(data, dict):
            raise UsageError(f"{where}: not a JSON object")
        users: dict[str, User] = {}
        for name, entry in _object(data, "users", where).items():
            at = f"{where}: users.{name}"
            if not isinstance(entry, dict):
                raise UsageError(f"{at}: not an object")
            users[name] = User(name, _text(entry, "mcptt_id", at),
                               PasswordHash.parse(_text(entry, "password", at),
                                                  f"{at}.password"))
        clients: dict[str, Client] = {}
        for client_id, entry in _object(data, "clients", where).items():
            at = f"{where}: clients.{client_id}"
            uris = entry.get("redirect_uris") if isinstance(entry, dict) else None
            if not isinstance(uris, list) or not uris \
                    or not all(isinstance(u, str) and u for u in uris):
                raise UsageError(f"{at}.redirect_uris: not a list of URIs")
            clients[client_id] = Client(client_id, frozenset(uris))
        extra: dict[str, Any] = {}
        for name in ("mcptt_audience", "kms_audience"):
            if name in data:
                extra[name] = _text(data, name, where)
        for name, top in (("token_lifetime", MAX_TOKEN_LIFETIME), ("code_lifetime", 600)):
            if name in data:
                value = data[name]
                if not isinstance(value, int) or isinstance(value, bool) \
                        or not 1 <= value <= top:
                    raise UsageError(f"{where}: field {name}: {value!r} is not 1-{top} s")
                extra[name] = value
        return cls(users, clients, **extra)

    @classmethod
    def load(cls, path: Path) -> IdmConfig:
        """Read a configuration file (UsageError naming the file and the field)."""
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"{path}: not a readable UTF-8 JSON file ({exc})") from exc
        return cls.from_json(data, str(path))


def _object(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict) or not value:
        raise UsageError(f"{where}: field {name}: not a non-empty object")
    return value


def _text(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise UsageError(f"{where}: field {name}: not a non-empty string")
    return value
