"""A received InterKMM as the model's message (``mckm.models.procedures.interkmm``).

``body_octets`` is the SIP body's length; the other fields come from the body once it has
opened under the receiving hop's keyring (``mckm.impl.xmlprotect.interkmm.parse``: signatures
verified, then the parameters and the KMM decrypted).  The body is opened at most once, on the
first read; a body that does not open gives no fields (None) and keeps the error, which the
facts ``ikmm_protected`` and ``ikmm_opens`` report to the guards ``protected`` and
``authentic``: nothing here refuses.
"""

from __future__ import annotations

from typing import Any

from mckm.impl.errors import MckmError
from mckm.impl.xmlprotect.interkmm import Received, parse
from mckm.impl.xmlprotect.keys import Keyring


class HopMessage:
    """An InterKMM received on one hop: the model's message ``name`` (``INTERKMM_CSK`` or
    ``INTERKMM_SPK``), the SIP Content-Type and body, and the keyring of the hop."""

    __slots__ = ("_opened", "body", "content_type", "keys", "name")

    def __init__(self, name: str, content_type: str, body: bytes, keys: Keyring) -> None:
        self.name = name
        self.content_type = content_type
        self.body = bytes(body)
        self.keys = keys
        self._opened: Received | MckmError | None = None

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
        received = self.opened
        if not isinstance(received, Received):
            return None
        if field == "xpk_id":
            return received.xpk_id
        value = getattr(received.message, field, None)
        if field == "msg_id" and value is not None:
            return value.encode("ascii")
        return value

    def __repr__(self) -> str:  # the body holds the protected KMM: its size only
        return f"HopMessage({self.name!r}, {len(self.body)} octets)"
