"""A received InterKMM as the model's message (``mckm.models.procedures.interkmm``).

``body_octets`` is the SIP body's length; the other fields come from the body once it has
opened under the receiving hop's keyring (``mckm.impl.xmlprotect.interkmm.parse``: signatures
verified, then the parameters and the KMM decrypted).  The body is opened at most once, on the
first read, and its fields are read out once; a body that does not open gives no fields (None)
and keeps the error, which the facts ``ikmm_protected`` and ``ikmm_opens`` report to the guards
``protected`` and ``authentic``: nothing here refuses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mckm.impl.errors import MckmError
from mckm.impl.xmlprotect.interkmm import Received, parse
from mckm.impl.xmlprotect.keys import Keyring


class HopMessage:
    """An InterKMM received on one hop: the model's message ``name`` (``INTERKMM_CSK`` or
    ``INTERKMM_SPK``), the SIP Content-Type and body, and the keyring of the hop."""

    __slots__ = ("_fields", "_opened", "body", "content_type", "keys", "name")

    def __init__(self, name: str, content_type: str, body: bytes, keys: Keyring) -> None:
        self.name = name
        self.content_type = content_type
        self.body = bytes(body)
        self.keys = keys
        self._opened: Received | MckmError | None = None
        self._fields: dict[str, Any] | None = None

    @property
    def opened(self) -> Received | MckmError:
        """The opened InterKMM, or the error that stopped it."""
        if self._opened is None:
            try:
                self._opened = parse(self.content_type, self.body, keys=self.keys)
            except MckmError as exc:
                self._opened = exc
        return self._opened

    def get(self, field: str) -> Any:
        if field == "body_octets":
            return len(self.body)
        if field == "message":
            return self
        fields = self._fields
        if fields is None:
            fields = self._fields = self._read()
        return fields.get(field)

    def _read(self) -> dict[str, Any]:
        """The fields of the opened body (none when it did not open), read once: the guards
        ask for them many times."""
        received = self.opened
        if not isinstance(received, Received):
            return {}
        fields = {f.name: getattr(received.message, f.name)
                  for f in dataclasses.fields(received.message)}
        if fields["msg_id"] is not None:
            fields["msg_id"] = fields["msg_id"].encode("ascii")
        fields["xpk_id"] = received.xpk_id
        return fields

    def __repr__(self) -> str:  # the body holds the protected KMM: its size only
        return f"HopMessage({self.name!r}, {len(self.body)} octets)"
