"""Zn as the KMS (NAF) sees it: the BSF reached over mutual TLS (TS 33.220 4.5.3, 4.4.9).

:class:`RemoteBsf` keeps each NafKeyAnswer until its key lifetime ends (project decision: a NAF
may use Ks_NAF for its lifetime, TS 33.220 4.5.3 *recalled*), so the two lookups a resolve makes
(NAF key, USS) cost one round trip per B-TID.  A BSF that cannot be reached is a gateway error
(``UPSTREAM_FAILED``): the role never decided.
"""

from __future__ import annotations

import ssl
import threading

from mckm.impl.errors import PolicyError, UpstreamError, UsageError
from mckm.impl.roles.bsf import BootstrapContext, Bsf, NafKeyAnswer
from mckm.impl.transport.https_bsf import BsfClient
from mckm.impl.transport.ticket_http import UPSTREAM_FAILED


class RemoteBsf(Bsf):
    """The KMS (NAF) view of a BSF reached over Zn; answers cached until their lifetime ends."""

    def __init__(self, client: BsfClient) -> None:
        super().__init__()
        self._client = client
        self._cache: dict[tuple[str, bytes], NafKeyAnswer] = {}
        self._lock = threading.Lock()
        self.lookups = 0  # Zn round trips made

    def provision(self, context: BootstrapContext) -> None:
        raise UsageError("a remote BSF is provisioned at the BSF, not at the KMS")

    def lookup(self, b_tid: str, naf_id: bytes, *, now: float) -> NafKeyAnswer:
        key = (b_tid, bytes(naf_id))
        with self._lock:
            answer = self._cache.get(key)
            if answer is not None and now < answer.expires_at:
                return answer
            try:
                answer = self._client.lookup(b_tid, naf_id)
            except (OSError, ssl.SSLError) as error:
                raise UpstreamError(f"the BSF could not be reached over Zn: "
                                    f"{type(error).__name__}", requirement="TS 33.220 4.5.3",
                                    http_status=UPSTREAM_FAILED) from None
            self.lookups += 1
            if now >= answer.expires_at:
                raise PolicyError(f"the BSF answered an expired context for {b_tid!r}",
                                  requirement="TS 33.220 4.5.3", http_status=404)
            self._cache[key] = answer
            return answer

    def close(self) -> None:
        self._client.close()


__all__ = ["RemoteBsf"]
