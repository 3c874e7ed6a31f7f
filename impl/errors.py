"""One exception family for mckm, each carrying the specification reference it enforces.

Two sides, as in h11: the peer sent something wrong (``DecodeError``, ``VerifyError``,
``PolicyError``) or the caller misused the API (``UsageError``).  Where the specification names
a wire error (a MIKEY ERR payload code, RFC 3830 6.12 / RFC 6043 6.9, or an HTTP status), the
exception carries it so that a role can answer with exactly that error.
"""

from __future__ import annotations


class MckmError(Exception):
    """Base of every error mckm raises on purpose."""

    #: MIKEY error number (RFC 3830 Table 6.12 / RFC 6043 Table 6.14), when one applies.
    mikey_error: int | None = None


class UsageError(MckmError, ValueError):
    """The caller passed arguments the API cannot accept (a local mistake, not the peer's)."""


class DecodeError(MckmError, ValueError):
    """Bytes that do not parse: names the byte offset, the payload, the field and the reason."""

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        payload: str | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.offset = offset
        self.payload = payload
        self.field = field
        where = []
        if offset is not None:
            where.append(f"offset {offset}")
        if payload:
            where.append(f"payload {payload}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)


class EncodeError(MckmError, ValueError):
    """A message object that cannot be encoded (a presence rule or a field range is broken)."""


class VerifyError(MckmError):
    """A cryptographic check failed (signature, MAC, key validation, point validation)."""

    def __init__(self, reason: str, *, clause: str | None = None, mikey_error: int | None = None):
        self.reason = reason
        self.clause = clause
        self.mikey_error = mikey_error
        super().__init__(f"{reason} ({clause})" if clause else reason)


class StoreError(MckmError):
    """A store refused a write that would break its own integrity, or failed: a local fault, not
    a protocol decision (a model guard refuses such a message first); nothing is kept."""


class PolicyError(MckmError):
    """A requirement of the specification was not met; names the requirement id or clause."""

    def __init__(
        self,
        reason: str,
        *,
        requirement: str | None = None,
        mikey_error: int | None = None,
        http_status: int | None = None,
    ) -> None:
        self.reason = reason
        self.requirement = requirement
        self.mikey_error = mikey_error
        self.http_status = http_status
        super().__init__(f"{reason} [{requirement}]" if requirement else reason)


class UpstreamError(PolicyError):
    """A party this one must ask (the BSF over Zn) could not be asked: no verdict on the
    message, so a guard that needed the answer raises it instead of refusing (the KMS answers a
    gateway error, TS 33.328 A.3, not a MIKEY refusal)."""
