"""Key material that never shows itself: :class:`Secret` and :func:`fingerprint`.

Every key mckm hands back (a SEAL key record's ``key``, a ticket exchange's MPKi and TGK, a KMS
master secret) is a :class:`Secret`: its ``repr`` and ``str`` show only a short SHA-256
fingerprint, so it can be logged and compared in a report without being revealed.  Call
:meth:`Secret.reveal` only where the value is used (to key a cipher), never to print it.
"""

from mckm.impl.redact import Secret, fingerprint

__all__ = ["Secret", "fingerprint"]
