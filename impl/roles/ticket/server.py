"""A MIKEY-TICKET KMS as a network service: the sans-IO :class:`~.endpoints.Kms` role behind its
Ua and Zk HTTPS endpoints (TS 33.328 Annex A, seed 002 4.2.4) with its Zk peers (:mod:`.zk`) and
its Zn client (:mod:`.zn`), and the locks the role needs; plus the BSF Zn service.  Their
configuration files are :mod:`.config`.

* The Zk peer's verified TLS domain is the peer KMS URI: ``ZkLink(peer=request.peer.domain, ...)``.
* The role keeps a replay cache and the server runs a thread per connection: every role call
  holds :attr:`KmsService.lock`.  A two-KMS resolve (TWO_DOMAINS steps 4-12) takes the lock for
  ``receive_resolve``, releases it for the Zk round trip to KMS_I, and takes it again for
  ``complete``.
* Replicas of one KMS (the same URI and ``tpk_file``) share their replay cache through the
  store of the config's ``db`` (a path, ``sqlite:///PATH`` or ``postgresql://...``): a RAND one
  accepted is a replay at the others, and the database decides between two at once.
* A refusal is answered 200 OK with the RFC 6043 5.4 Error message (TS 33.328 A.2,
  REQ-TKT-HTTP-06); KMS_I's refusal over Zk reaches the responder with KMS_I's MIKEY error;
  KMS_I or the BSF unreachable is a 502 (A.3: the KMS erred).
* Time is NTP seconds from the wall clock (:func:`ntp_now`).

:func:`serve_kms` / :func:`serve_bsf` run one service in the calling process until SIGTERM or
SIGINT, writing a ready file (JSON: the bound ports) once listening; ``mckm ticket kms-serve`` /
``bsf-serve`` call them.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from mckm.impl.crypto.uid import unix_to_ntp
from mckm.impl.errors import DecodeError, MckmError, PolicyError, UsageError
from mckm.impl.roles.bsf import Bsf
from mckm.impl.roles.ticket.config import (
    BsfServerConfig,
    KmsServerConfig,
    address,
    contexts_from_json,
    tls_identity,
    write_ready,
)
from mckm.impl.roles.ticket.endpoints import Forward, Kms, error_reply
from mckm.impl.roles.ticket.wire import ZkLink
from mckm.impl.roles.ticket.zk import ZkPeer, ZkPool, trust_of, zk_refusal
from mckm.impl.roles.ticket.zn import RemoteBsf
from mckm.impl.store.kms_sql import KmsSql
from mckm.impl.store.open import describe, open_kms_store
from mckm.impl.transport.https_bsf import BsfClient, bsf_endpoint
from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.https_ticket import (
    DomainTrust,
    HttpsEndpoint,
    TicketHttpClient,
    ua_endpoint,
    zk_endpoint,
)
from mckm.impl.transport.replicas import Replicas
from mckm.impl.transport.ticket_http import (
    UPSTREAM_FAILED,
    HttpRefusal,
    RequestType,
    TicketHttpRequest,
    TicketHttpResponse,
    response_message,
    status_for,
)
from mckm.models.grammar.namespaces import ERROR_NO

Observer = Callable[[str], None]


def ntp_now() -> int:
    """Wall-clock time in NTP seconds (the roles' ``now``)."""
    return unix_to_ntp(int(time.time()))


class KmsService:
    """One KMS: the role, its Ua and Zk endpoints, Zk clients to peers and a Zn client.  A
    context manager; ``observer`` (if any) hears one line per hop (no keys, no bodies)."""

    def __init__(self, kms: Kms, identity: TlsIdentity, *, peers: Iterable[ZkPeer] = (),
                 host: str = "127.0.0.1", ua_port: int = 0, zk_port: int = 0,
                 clock: Callable[[], int] = ntp_now, observer: Observer | None = None,
                 reuse_port: bool = False) -> None:
        if reuse_port and kms.shared is None:
            raise UsageError("replicas of a KMS need a shared replay cache (config field db): "
                             "a replay sent to another replica would be accepted (REQ-TKT-11)")
        self.kms, self.identity, self.clock, self.observer = kms, identity, clock, observer
        self.lock = threading.Lock()
        self.peers = {p.uri: p for p in peers}
        # reuse_port: one of this KMS's replicas (mckm.impl.transport.replicas), sound only
        # with a shared replay cache (Kms(shared=...))
        self.ua: HttpsEndpoint = ua_endpoint(self.handle_ua, identity, host=host, port=ua_port,
                                             reuse_port=reuse_port)
        self.zk: HttpsEndpoint | None = None
        if self.peers:
            trust = DomainTrust({p.uri: p.ca_pem for p in self.peers.values()})
            self.zk = zk_endpoint(self.handle_zk, identity, trust, host=host, port=zk_port,
                                  reuse_port=reuse_port)
        self._zk_clients: dict[str, ZkPool] = {}
        self._clients_lock = threading.Lock()

    @property
    def ports(self) -> dict[str, int]:
        return {"ua_port": self.ua.port, **({"zk_port": self.zk.port} if self.zk else {})}

    def _say(self, line: str) -> None:
        if self.observer is not None:
            self.observer(line)

    # -- Ua
    def handle_ua(self, request: TicketHttpRequest) -> TicketHttpResponse:
        now = self.clock()
        try:
            if request.requesttype is RequestType.TICKET_REQUEST:
                with self.lock:
                    return TicketHttpResponse.mikey(self.kms.receive_request(request.body,
                                                                             now=now))
            with self.lock:
                out = self.kms.receive_resolve(request.body, now=now)
            if isinstance(out, Forward):
                out = self._forward(out, now)
            return TicketHttpResponse.mikey(out)
        except MckmError as error:
            return self._refuse(request.body, error, now)

    # -- Zk (this KMS as KMS_I)
    def handle_zk(self, request: TicketHttpRequest) -> TicketHttpResponse:
        now = self.clock()
        assert request.peer is not None  # the binding refuses Zk without one
        link = ZkLink(request.peer.domain, request.authenticated_peer, self.kms.uri)
        try:
            with self.lock:
                out = self.kms.receive_zk_resolve(request.body, link, now=now)
            return TicketHttpResponse.mikey(out)
        except MckmError as error:
            return self._refuse(request.body, error, now)

    def _refuse(self, raw: bytes, error: MckmError, now: int) -> TicketHttpResponse:
        """A refusal of the role: 200 OK with the Error message naming its MIKEY error (TS
        33.328 A.2); the binding's text refusal when ``raw`` has no HDR to answer, or for a
        failure of this KMS that names no MIKEY error (KMS_I or the BSF unreachable: 5xx,
        A.3)."""
        if getattr(error, "mikey_error", None) is None and status_for(error) >= 500:
            raise error
        reply = error_reply(raw, error, now=now)
        if reply is None:
            raise error
        return TicketHttpResponse.mikey(reply)

    def set_peer(self, peer: ZkPeer) -> None:
        """Replace where a peer KMS's Zk endpoint is and the CA its server certificate must
        chain to; its kept-alive Zk connections are closed.  The trust relation of the role and
        the Zk endpoint's client-certificate trust stay as built."""
        with self._clients_lock:
            self.peers[peer.uri] = peer
            old = self._zk_clients.pop(peer.uri, None)
        if old is not None:
            old.close()

    def _clients(self, to: str) -> ZkPool:
        peer = self.peers.get(to)
        if peer is None or peer.zk is None:
            raise PolicyError(f"no Zk address configured for {to!r}", requirement="REQ-TKT-16",
                              mikey_error=ERROR_NO.INVALID_TICKET, http_status=UPSTREAM_FAILED)
        host, port = peer.zk
        with self._clients_lock:
            clients = self._zk_clients.get(to)
            if clients is None:
                trust = DomainTrust({to: peer.ca_pem})
                clients = self._zk_clients[to] = ZkPool(
                    lambda: TicketHttpClient(host, port, trust=trust, identity=self.identity,
                                             expect_domain=to))
            return clients

    def _forward(self, forward: Forward, now: int) -> bytes:
        """TWO_DOMAINS steps 7-11: the RESOLVE_INIT to KMS_I over Zk (lock released), then
        ``complete`` with KMS_I's answer under the lock."""
        try:
            with self._clients(forward.to).client() as client:
                answer = client.post(RequestType.TICKET_RESOLVE, forward.octets)
                peer = client.server_peer
        except (OSError, ssl.SSLError) as error:
            self._say(f"{self.kms.uri} -> {forward.to} Zk: {type(error).__name__}")
            raise PolicyError(f"Zk to {forward.to} failed: {type(error).__name__}",
                              requirement="REQ-TKT-HTTP-11",
                              http_status=UPSTREAM_FAILED) from None
        hop = (f"{self.kms.uri} -> {forward.to} Zk ticketresolve RESOLVE_INIT "
               f"({len(forward.octets)} octets) -> {answer.status}")
        try:
            message = response_message(answer.status, answer.content_type, answer.body)
        except (HttpRefusal, DecodeError) as refusal:
            self._say(f"{hop}, refused: {refusal.reason}")
            raise zk_refusal(forward.to, refusal) from None
        self._say(f"{hop}, {len(message)} octets")
        assert peer is not None  # set by the mutual-TLS connect
        with self.lock:
            return self.kms.complete(forward, message,
                                     ZkLink(peer.domain, True, self.kms.uri), now=now)

    # -- life cycle
    def start(self) -> KmsService:
        self.ua.start()
        if self.zk is not None:
            self.zk.start()
        return self

    def stop(self) -> None:
        self.ua.stop()
        if self.zk is not None:
            self.zk.stop()
        with self._clients_lock:
            clients, self._zk_clients = list(self._zk_clients.values()), {}
        for c in clients:
            c.close()
        bsf = self.kms.facts.bsf
        if isinstance(bsf, RemoteBsf):
            bsf.close()
        if isinstance(self.kms.shared, KmsSql):  # the replicas' store, opened by build_kms
            self.kms.shared.close()

    def __enter__(self) -> KmsService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_kms(config: KmsServerConfig, observer: Observer | None = None,
              reuse_port: bool = False) -> KmsService:
    """The service a config describes (not started); ``reuse_port``: one of its replicas."""
    identity = tls_identity(config.cert_file, config.key_file, config.ca_file)
    peers = [ZkPeer(p.uri, Path(p.ca_file).read_bytes(),
                    address(p.zk) if p.zk else None, p.trusted) for p in config.peers]
    bsf_host, bsf_port = address(config.bsf)
    bsf = RemoteBsf(BsfClient(bsf_host, bsf_port, trust=DomainTrust(
        {config.bsf_domain: Path(config.bsf_ca_file).read_bytes()}), identity=identity,
        expect_domain=config.bsf_domain))
    tpk = Path(config.tpk_file).read_bytes() if config.tpk_file else os.urandom(32)
    shared = None
    if config.db is not None:
        try:
            shared = open_kms_store(config.db)
        except UsageError as exc:
            raise UsageError(f"field db ({describe(config.db)}): {exc}") from exc
    kms = Kms(config.uri, tpk=tpk, bsf=bsf, trust=trust_of(config.uri, peers),
              validity=config.validity, shared=shared)
    return KmsService(kms, identity, peers=peers, host=config.host, ua_port=config.ua_port,
                      zk_port=config.zk_port, observer=observer, reuse_port=reuse_port)


def kms_replica(config: KmsServerConfig, host: str, ua_port: int,
                zk_port: int = 0) -> KmsService:
    """One replica process of a KMS (a :data:`mckm.impl.transport.replicas.Build` once
    ``config`` is bound)."""
    return build_kms(replace(config, host=host, ua_port=ua_port, zk_port=zk_port, processes=1),
                     reuse_port=True)


def _run_until_signalled(ready_file: str | None, ports: Mapping[str, int],
                         on_ready: Callable[[str], None]) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if ready_file:
        write_ready(Path(ready_file), ports)
    on_ready("ready " + json.dumps(dict(ports)))
    while not stop.wait(0.2):
        pass


def serve_kms(config: KmsServerConfig, on_ready: Callable[[str], None] = print) -> None:
    """Run one KMS until SIGTERM/SIGINT (main thread of a process), as ``config.processes``
    replica processes when more than one."""
    if not isinstance(config.processes, int) or config.processes < 1:
        raise UsageError(f"field processes: a positive integer, not {config.processes!r}")
    if config.processes == 1:
        with build_kms(config) as service:
            _run_until_signalled(config.ready_file, service.ports, on_ready)
        return
    if config.db is None or config.tpk_file is None:
        raise UsageError("fields processes, db, tpk_file: replicas of a KMS share its replay "
                         "cache (db) and its TPK (tpk_file), or one would accept another's "
                         "replay (REQ-TKT-11) and refuse its tickets")
    ports = (config.ua_port, config.zk_port) if config.peers else (config.ua_port,)
    with Replicas(functools.partial(kms_replica, config), config.processes, config.host,
                  ports) as replicas:
        named = {"ua_port": replicas.ports[0],
                 **({"zk_port": replicas.ports[1]} if config.peers else {})}
        _run_until_signalled(config.ready_file, named, on_ready)


def serve_bsf(config: BsfServerConfig, on_ready: Callable[[str], None] = print) -> None:
    """Run the BSF Zn service until SIGTERM/SIGINT (main thread of a process)."""
    bsf = Bsf()
    for context in contexts_from_json(Path(config.contexts_file).read_text()):
        bsf.provision(context)
    trust = DomainTrust({d: Path(f).read_bytes() for d, f in config.naf_ca_files.items()})
    identity = tls_identity(config.cert_file, config.key_file, config.ca_file)
    with bsf_endpoint(bsf, identity, trust, host=config.host, port=config.port,
                      clock=lambda: float(ntp_now())) as endpoint:
        _run_until_signalled(config.ready_file, {"port": endpoint.port}, on_ready)


def refusal_text(error: HttpRefusal) -> str:
    """One line for a KMS refusal the UE received: status and MIKEY error numbers (a 200 OK
    carrying an Error message, TS 33.328 A.2), else status and reason."""
    if error.mikey_errors:
        return f"HTTP {error.status}, MIKEY error {list(error.mikey_errors)}"
    return f"HTTP {error.status}: {error.reason}"


__all__ = ["KmsService", "build_kms", "kms_replica", "ntp_now", "refusal_text", "serve_bsf",
           "serve_kms"]
