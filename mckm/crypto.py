"""The identity-based cryptography MIKEY-SAKKE and SEAL run on: the supported import path.

* :mod:`eccsi` -- ECCSI signatures (RFC 6507): ``kms_keypair``, ``issue_ssk``, ``sign``,
  ``verify``;
* :mod:`sakke` -- SAKKE key encapsulation (RFC 6508, parameter set 1 of RFC 6509):
  ``kms_master_key``, ``issue_rsk``, ``encapsulate``, ``derive``;
* the MIKEY-SAKKE UID (TS 33.180 F.2.1) and the NTP time it is keyed by (RFC 5905):
  :func:`mcx_uid`, :func:`key_period_no`, :func:`unix_to_ntp`, :func:`ntp_to_unix`.
"""

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.crypto.uid import key_period_no, mcx_uid, ntp_to_unix, unix_to_ntp

__all__ = ["eccsi", "key_period_no", "mcx_uid", "ntp_to_unix", "sakke", "unix_to_ntp"]
