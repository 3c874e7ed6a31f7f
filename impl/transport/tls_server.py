"""A threading HTTP server behind TLS that serves in its own daemon thread (a context manager).

The one home of the start / stop / ``base_url`` life cycle shared by the SKM-S server
(:mod:`mckm.impl.transport.https_kms`) and the MIKEY-TICKET endpoints
(:mod:`mckm.impl.transport.https_ticket`); each builds its own ``ThreadingHTTPServer`` (handler,
TLS context) and hands it over.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from mckm.impl.transport.https_kms import TlsIdentity


class TlsHttpServer:
    """Serve ``httpd`` (whose socket is already TLS-wrapped) in a daemon thread."""

    def __init__(self, httpd: ThreadingHTTPServer, identity: TlsIdentity, host: str, *,
                 name: str, poll_interval: float = 0.5) -> None:
        self._httpd = httpd
        self.host = host
        self.port = int(httpd.server_address[1])
        self.identity = identity
        self._thread = threading.Thread(target=httpd.serve_forever, args=(poll_interval,),
                                        name=f"mckm-{name}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def _close_connections(self) -> None:
        """Close connections still open after the listener stopped (none kept by default)."""

    def stop(self) -> None:
        """Stop accepting, close what is still open and join the serving thread."""
        self._httpd.shutdown()
        self._close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
