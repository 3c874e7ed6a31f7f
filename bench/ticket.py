"""MIKEY-TICKET resolves over real HTTPS on 127.0.0.1, and the load generator that drives them.

:func:`run_load` drives one KMS endpoint from a SECOND process (``multiprocessing`` spawn), so
the client's TLS and HTTP work does not share the server's interpreter lock; it is bounded in
request count and in time, and reports requests/s with p50/p99 latency in ms.

Registered load benchmarks (:mod:`mckm.bench.load`): ``ticket-resolve-one-kms`` and
``ticket-resolve-two-kms`` run the real roles (:mod:`mckm.impl.roles.ticket.loopback`: a BSF
over Zn and two KMS services, Ua and mutual-TLS Zk endpoints, in server threads of this
process); one ticket is fetched and one resolve checked end to end (both UEs hold the same
keys), then the load generator sends distinct RESOLVE_INIT_PSKs of that ticket (each has its
own RANDRr: the KMS's replay cache refuses a repeat) to the responder's KMS - KMS_A itself, or
KMS_B, which forwards each resolve to KMS_A over Zk.  A refused resolve fails the benchmark.
``python -m mckm.bench.ticket`` runs them, and the transport alone with a stub handler.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import json
import math
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from mckm.bench.load import FULL, LoadBudget, load_benchmark
from mckm.bench.registry import Operation, Result, benchmark
from mckm.impl.errors import DecodeError
from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.ticket_http import HttpRefusal, RequestType, response_message

if TYPE_CHECKING:
    from mckm.impl.roles.ticket.loopback import Loopback
    from mckm.impl.roles.ticket.server import KmsService


@dataclass(frozen=True)
class LoadSpec:
    """What the load generator sends, where, and its bounds (all picklable)."""

    host: str
    port: int
    messages: tuple[bytes, ...]  # sent round robin
    count: int  # requests timed, at most
    seconds: float  # time budget, at most
    requesttype: RequestType = RequestType.TICKET_RESOLVE
    ca_pem: bytes | None = None  # Ua: the server's CA
    trust: dict[str, bytes] | None = None  # Zk: domain -> CA the client trusts
    identity: TlsIdentity | None = field(default=None, repr=False)  # Zk: client certificate
    expect_domain: str | None = None
    warmup: int = 20
    connections: int = 1  # concurrent connections, one request in flight on each
    #: POSTs of any endpoint, (target, body, header fields), sent round robin instead of
    #: ``messages`` (e.g. the SKM-S's keyprov requests, :mod:`mckm.bench.kms`)
    requests: tuple[tuple[str, bytes, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class LoadResult:
    count: int
    errors: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    #: CPU seconds (user + system) the serving process spent per request during the load, when
    #: every server of the figure runs in that process (a figure less sensitive than the rate
    #: to what else the machine runs)
    server_cpu_ms: float | None = None
    #: CPU milliseconds the load generator spent per timed request (its TLS and HTTP work,
    #: on the same machine as the servers)
    client_cpu_ms: float | None = None

    @property
    def per_s(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def as_json(self, name: str) -> dict[str, object]:
        cpu = {key: round(value, 3) for key, value in (("server_cpu_ms", self.server_cpu_ms),
                                                       ("client_cpu_ms", self.client_cpu_ms))
               if value is not None}
        return {"name": name, "ops_per_s": round(self.per_s, 1), "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.p99_ms, 3), "count": self.count, "errors": self.errors,
                **cpu}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0 < q <= 1) of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def _generate(spec: LoadSpec, out: multiprocessing.connection.Connection) -> None:
    """Child process: warm up, then send from ``spec.connections`` connections (a thread each,
    one request in flight on each) until ``count`` requests or ``seconds``; send back results."""
    from mckm.impl.transport.https_ticket import DomainTrust, TicketHttpClient

    trust = DomainTrust(spec.trust) if spec.trust else None
    clients = [TicketHttpClient(spec.host, spec.port, ca_pem=spec.ca_pem, trust=trust,
                                identity=spec.identity, expect_domain=spec.expect_domain)
               for _ in range(spec.connections)]
    n = len(spec.requests or spec.messages)

    def send(client: TicketHttpClient, i: int) -> bool:
        """One request; True when it was served: a 200, and for a MIKEY message one that is
        not an Error message (a KMS refusal is a 200 too, TS 33.328 A.2)."""
        if spec.requests:
            target, body, headers = spec.requests[i % n]
            return client.exchange("POST", target, body, dict(headers)).status == 200
        answer = client.post(spec.requesttype, spec.messages[i % n])
        try:
            response_message(answer.status, answer.content_type, answer.body)
        except (HttpRefusal, DecodeError):
            return False
        return True

    for i in range(spec.warmup):
        send(clients[i % len(clients)], i)
    # the timed requests continue after the warm-up ones (a resolve must not be a replay);
    # next() on a shared itertools.count hands each message to exactly one connection
    order = itertools.count(spec.warmup)
    latencies: list[float] = []
    errors = [0]
    cpu_start = _cpu_s()
    start = time.perf_counter()
    deadline = start + spec.seconds

    def drive(client: TicketHttpClient) -> None:
        while True:
            i = next(order)
            if i >= spec.warmup + spec.count:
                return
            before = time.perf_counter()
            served = send(client, i)
            after = time.perf_counter()
            latencies.append(after - before)
            if not served:
                errors[0] += 1
            if after >= deadline:
                return

    threads = [threading.Thread(target=drive, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    cpu = _cpu_s() - cpu_start
    for client in clients:
        client.close()
    out.send((latencies, errors[0], elapsed, cpu))
    out.close()


def run_load(spec: LoadSpec) -> LoadResult:
    """Run the load generator in a second process; it is killed past ``seconds`` + 30 s.
    ``server_cpu_ms``: this process's CPU time per request (warm-up ones included) from the
    generator's start to its answer."""
    cpu_before = _cpu_s()
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_generate, args=(spec, send), name="mckm-ticket-load")
    child.start()
    send.close()
    try:
        if not receive.poll(spec.seconds + 30):
            raise TimeoutError("the load generator did not finish in time")
        latencies, errors, elapsed, client_cpu = receive.recv()
        cpu = _cpu_s() - cpu_before
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
    ordered = sorted(latencies)
    return LoadResult(len(ordered), errors, elapsed, 1000 * percentile(ordered, 0.50),
                      1000 * percentile(ordered, 0.99),
                      1000 * cpu / (len(ordered) + spec.warmup) if ordered else None,
                      1000 * client_cpu / len(ordered) if ordered else None)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- ticket resolves through the real roles ---------------------------------------------------

KMS_A, KMS_B = "kms.a.example", "kms.b.example"
ALICE, BOB_A, BOB_B = "sip:alice@a.example", "sip:bob@a.example", "sip:bob@b.example"
WARMUP = 20


@dataclass(frozen=True)
class IssuerTwin:
    """What a second process needs to run KMS_A itself (all picklable): its ticket protection
    key, TLS identity, the CAs of KMS_B and of the BSF, and where the BSF listens."""

    tpk: bytes = field(repr=False)
    identity: TlsIdentity = field(repr=False)
    peer_ca_pem: bytes
    bsf: tuple[str, int]
    bsf_ca_pem: bytes


def _serve_issuer(twin: IssuerTwin, out: multiprocessing.connection.Connection) -> None:
    """Child process: KMS_A (the ticket's issuer, KMS_I) with its Ua and Zk endpoints until
    SIGTERM; sends its Zk port once listening."""
    import signal

    from mckm.impl.roles.ticket.endpoints import Kms
    from mckm.impl.roles.ticket.loopback import BSF_DOMAIN
    from mckm.impl.roles.ticket.server import KmsService
    from mckm.impl.roles.ticket.zk import ZkPeer, trust_of
    from mckm.impl.roles.ticket.zn import RemoteBsf
    from mckm.impl.transport.https_bsf import BsfClient
    from mckm.impl.transport.https_ticket import DomainTrust

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    peers = [ZkPeer(KMS_B, twin.peer_ca_pem)]
    zn = BsfClient(*twin.bsf, trust=DomainTrust({BSF_DOMAIN: twin.bsf_ca_pem}),
                   identity=twin.identity, expect_domain=BSF_DOMAIN)
    kms = Kms(KMS_A, tpk=twin.tpk, bsf=RemoteBsf(zn), trust=trust_of(KMS_A, peers))
    with KmsService(kms, twin.identity, peers=peers) as service:
        assert service.zk is not None
        out.send(service.zk.port)
        out.close()
        while not stop.wait(0.2):
            pass


@contextmanager
def _issuer_apart(world: Loopback) -> Iterator[None]:
    """Move KMS_A into a process of its own: the in-process KMS_A stops (one KMS_A serves),
    a twin with its key and certificate starts, and KMS_B forwards over Zk to the twin."""
    twin = _twin_of(world)
    world.kms[KMS_A].stop()
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_serve_issuer, args=(twin, send), name="mckm-kms-a")
    child.start()
    send.close()
    try:
        if not receive.poll(60):
            raise TimeoutError("KMS_A's process did not start in time")
        forward = world.kms[KMS_B]
        forward.set_peer(replace(forward.peers[KMS_A], zk=("127.0.0.1", receive.recv())))
        yield
    finally:
        child.terminate()
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join()


def issuer_replica(twin: IssuerTwin, db: str, host: str, ua_port: int,
                   zk_port: int) -> KmsService:
    """One replica of KMS_A (a :data:`mckm.impl.transport.replicas.Build` once ``twin`` and
    ``db`` are bound): the replicas share their replay cache through the store ``db``."""
    from mckm.impl.roles.ticket.endpoints import Kms
    from mckm.impl.roles.ticket.loopback import BSF_DOMAIN
    from mckm.impl.roles.ticket.server import KmsService
    from mckm.impl.roles.ticket.zk import ZkPeer, trust_of
    from mckm.impl.roles.ticket.zn import RemoteBsf
    from mckm.impl.store.open import open_kms_store
    from mckm.impl.transport.https_bsf import BsfClient
    from mckm.impl.transport.https_ticket import DomainTrust

    peers = [ZkPeer(KMS_B, twin.peer_ca_pem)]
    zn = BsfClient(*twin.bsf, trust=DomainTrust({BSF_DOMAIN: twin.bsf_ca_pem}),
                   identity=twin.identity, expect_domain=BSF_DOMAIN)
    kms = Kms(KMS_A, tpk=twin.tpk, bsf=RemoteBsf(zn), trust=trust_of(KMS_A, peers),
              shared=open_kms_store(db))
    return KmsService(kms, twin.identity, peers=peers, host=host, ua_port=ua_port,
                      zk_port=zk_port, reuse_port=True)


def _twin_of(world: Loopback) -> IssuerTwin:
    from mckm.impl.roles.ticket.loopback import BSF_DOMAIN

    issuer = world.kms[KMS_A]
    tpk = issuer.kms.facts.tpk
    assert tpk is not None
    return IssuerTwin(tpk.reveal(), issuer.identity, world.cas[KMS_B].cert_pem,
                      (world.bsf.host, world.bsf.port), world.cas[BSF_DOMAIN].cert_pem)


@contextmanager
def issuer_replicas(world: Loopback, processes: int, db: str) -> Iterator[tuple[str, int]]:
    """KMS_A as ``processes`` replica processes on one Ua and one Zk port, sharing their
    replay cache through the store ``db`` (the in-process KMS_A stopped, KMS_B re-pointed to
    the replicas' Zk port); yields the Ua address."""
    from mckm.impl.transport.replicas import Replicas

    twin = _twin_of(world)
    world.kms[KMS_A].stop()
    with Replicas(functools.partial(issuer_replica, twin, db), processes,
                  ports=(0, 0)) as replicas:
        forward = world.kms[KMS_B]
        forward.set_peer(replace(forward.peers[KMS_A], zk=(replicas.host, replicas.ports[1])))
        yield replicas.host, replicas.ports[0]


def resolve_load(responder: str, budget: LoadBudget, connections: int = 1, *,
                 apart: bool = False, replicas: int = 0,
                 db_dir: str | None = None) -> LoadResult:
    """Resolves of one ticket for ``responder`` (at KMS_A or KMS_B) under load, from
    ``connections`` concurrent connections; with ``apart`` (two KMSs) KMS_A runs in a process
    of its own for the load, as two deployed KMSs would (each then has a core's worth of
    interpreter), else both KMSs are threads of this process.  With ``replicas`` (one KMS)
    KMS_A runs as that many replica processes sharing their replay cache through a SQLite
    store in a new directory under ``db_dir`` (each accepted RAND is one commit)."""
    from mckm.impl.roles.ticket.loopback import start_loopback
    from mckm.impl.roles.ticket.server import ntp_now
    from mckm.impl.roles.ticket.ue_http import fetch_ticket, resolve_ticket

    with start_loopback({ALICE: KMS_A, BOB_A: KMS_A, BOB_B: KMS_B}) as world:
        home = world.home[responder]
        alice, bob = world.initiator(ALICE), world.responder(responder)
        kms_i, kms_r = world.ua_client(KMS_A), world.ua_client(home)
        try:
            transfer_init = fetch_ticket(alice, kms_i, responder, now=ntp_now())
            transfer_resp, keys = resolve_ticket(bob, kms_r, transfer_init, now=ntp_now())
        finally:
            kms_i.close()
            kms_r.close()
        if alice.receive_transfer_resp(transfer_resp, now=ntp_now()) != keys:
            raise RuntimeError("the checked resolve gave the two UEs different keys")
        now = ntp_now()
        # one responder instance per message: a responder refuses a TRANSFER_INIT it has
        # already accepted (its replay cache), the KMS a RESOLVE_INIT it has served
        messages = tuple(world.responder(responder).receive_transfer_init(transfer_init,
                                                                          now=now).octets
                         for _ in range(budget.count + WARMUP))
        service = world.kms[home]
        spec = LoadSpec(service.ua.host, service.ua.port, messages, budget.count,
                        budget.seconds, ca_pem=world.cas[home].cert_pem, warmup=WARMUP,
                        connections=connections)
        if replicas and home == KMS_A:
            directory = tempfile.mkdtemp(prefix="mckm-bench-replay-", dir=db_dir)
            try:
                with issuer_replicas(world, replicas,
                                     os.path.join(directory, "replay.db")) as (host, port):
                    result = dataclasses.replace(  # the replicas' CPU is not this process's
                        run_load(dataclasses.replace(spec, host=host, port=port)),
                        server_cpu_ms=None)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
        elif apart and home != KMS_A:
            with _issuer_apart(world):  # KMS_A's CPU is not this process's
                result = dataclasses.replace(run_load(spec), server_cpu_ms=None)
        else:
            result = run_load(spec)
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.count} resolves were refused: "
                           "the figure would not be of resolves")
    return result


def _as_result(name: str, result: LoadResult) -> Result:
    cpu = {key: round(value, 3) for key, value in (("server_cpu_ms", result.server_cpu_ms),
                                                   ("client_cpu_ms", result.client_cpu_ms))
           if value is not None}
    return Result(name, result.per_s, 1, {"p50_ms": round(result.p50_ms, 3),
                                          "p99_ms": round(result.p99_ms, 3),
                                          "count": float(result.count), **cpu})


@load_benchmark("ticket-resolve-one-kms",
                "RESOLVE_INIT -> RESOLVE_RESP at the issuing KMS over HTTPS (load: 2nd process)")
def one_kms(budget: LoadBudget) -> Result:
    return _as_result("ticket-resolve-one-kms", resolve_load(BOB_A, budget))


@load_benchmark("ticket-resolve-two-kms",
                "RESOLVE_INIT at KMS_R, forwarded to KMS_I over mutual-TLS Zk (load: 2nd process)")
def two_kms(budget: LoadBudget) -> Result:
    return _as_result("ticket-resolve-two-kms", resolve_load(BOB_B, budget))


@load_benchmark("ticket-resolve-two-kms-apart",
                "As ticket-resolve-two-kms with KMS_I in a process of its own, as two deployed "
                "KMSs are (load: 3rd process)")
def two_kms_apart(budget: LoadBudget) -> Result:
    return _as_result("ticket-resolve-two-kms-apart", resolve_load(BOB_B, budget, apart=True))


def stub_request() -> Operation:
    """One POST of 200 octets to a Ua endpoint whose handler echoes it (the transport alone:
    TLS records, h11, the server's framing checks and response), on a kept-alive connection
    from a client in this process.  The server's threads are counted too; its acceptor's
    ticks add a few thousand instructions per operation under callgrind (its run is slow)."""
    import atexit

    from mckm.impl.transport.https_ticket import (
        TicketHttpClient,
        make_domain_ca,
        ua_endpoint,
    )
    from mckm.impl.transport.ticket_http import TicketHttpRequest, TicketHttpResponse

    def echo(request: TicketHttpRequest) -> TicketHttpResponse:
        return TicketHttpResponse.mikey(request.body)

    ca = make_domain_ca("kms-a.example")
    endpoint = ua_endpoint(echo, ca.issue("kms")).start()
    client = TicketHttpClient(endpoint.host, endpoint.port, ca_pem=ca.cert_pem)
    atexit.register(endpoint.stop)
    atexit.register(client.close)
    body = bytes(200)

    def op() -> object:
        answer = client.post(RequestType.TICKET_RESOLVE, body)
        if response_message(answer.status, answer.content_type, answer.body) != body:
            raise RuntimeError(f"the stub endpoint answered {answer.status}")
        return answer

    return op


benchmark("ticket-http-stub-request",
          "HTTPS transport alone: one 200-octet POST echoed on a kept-alive connection "
          "(client and server threads in one process)")(stub_request)


# -- the KMS role alone (sans-IO), for instruction counts per resolve ------------------------

#: distinct RESOLVE_INIT_PSKs built by the setup; they come round again after a fresh replay
#: cache (each would otherwise be refused as a replay)
ROLE_MESSAGES = 256


def _role_world(responder: str) -> tuple[dict[str, object], list[bytes], int]:
    """KMS_A and KMS_B as sans-IO roles (a Zn answer cached as :class:`RemoteBsf` caches it,
    from an in-process BSF), one ticket of ALICE for ``responder`` and ROLE_MESSAGES distinct
    RESOLVE_INIT_PSKs of it for ``responder``'s KMS."""
    from mckm.impl.roles.bsf import Bsf
    from mckm.impl.roles.ticket.endpoints import Initiator, Kms, Responder
    from mckm.impl.roles.ticket.loopback import fresh_context
    from mckm.impl.roles.ticket.server import ntp_now
    from mckm.impl.roles.ticket.zn import RemoteBsf
    from mckm.models.policy.trust import TrustRelation

    now = ntp_now()
    home = {ALICE: KMS_A, BOB_A: KMS_A, BOB_B: KMS_B}
    contexts = {uri: fresh_context(uri, now) for uri in home}
    bsf = Bsf()
    for context in contexts.values():
        bsf.provision(context)

    class _LocalZn:  # what BsfClient answers, without the socket
        def lookup(self, b_tid: str, naf_id: bytes) -> object:
            return bsf.lookup(b_tid, naf_id, now=now)

        def close(self) -> None:
            pass

    trust = TrustRelation.of([(KMS_A, KMS_B)], mutual=True)
    kms: dict[str, object] = {uri: Kms(uri, tpk=os.urandom(32),
                                       bsf=RemoteBsf(_LocalZn()),  # type: ignore[arg-type]
                                       trust=trust)
                              for uri in (KMS_A, KMS_B)}
    alice = Initiator(ALICE, KMS_A, contexts[ALICE])
    issuer = kms[KMS_A]
    assert isinstance(issuer, Kms)
    transfer_init = alice.receive_request_resp(
        issuer.receive_request(alice.request_ticket(responder, now=now), now=now), now=now)
    messages = [Responder(responder, home[responder], contexts[responder])
                .receive_transfer_init(transfer_init, now=now).octets
                for _ in range(ROLE_MESSAGES)]
    return kms, messages, now


def role_resolve(responder: str) -> Operation:
    """One RESOLVE_INIT_PSK through the KMS role(s), no transport: KMS_A alone (ONE_DOMAIN
    steps 4-7), or KMS_B's steps 4-7, KMS_A's Zk steps 8-10 and KMS_B's 11-12 (TWO_DOMAINS);
    the answer is checked to be a RESOLVE_RESP.  After ROLE_MESSAGES the replay caches start
    empty again (a few instructions, once per ROLE_MESSAGES operations)."""
    from mckm.impl.engine.replay import ReplayCache
    from mckm.impl.roles.ticket.endpoints import Forward, Kms
    from mckm.impl.roles.ticket.wire import TicketView, ZkLink

    kms, messages, now = _role_world(responder)
    kms_a, kms_r = kms[KMS_A], kms[KMS_B if responder == BOB_B else KMS_A]
    assert isinstance(kms_a, Kms) and isinstance(kms_r, Kms)
    to_a, to_b = ZkLink(KMS_B, True, KMS_A), ZkLink(KMS_A, True, KMS_B)
    turn = itertools.cycle(range(len(messages)))

    def op() -> object:
        i = next(turn)
        if i == 0:
            kms_a.replay_cache, kms_r.replay_cache = ReplayCache(), ReplayCache()
        out = kms_r.receive_resolve(messages[i], now=now)
        if isinstance(out, Forward):
            answer = kms_a.receive_zk_resolve(out.octets, to_a, now=now)
            out = kms_r.complete(out, answer, to_b, now=now)
        return TicketView.decode(out, expect="RESOLVE_RESP")

    return op


@benchmark("ticket-kms-resolve-one",
           "KMS role alone: RESOLVE_INIT_PSK -> RESOLVE_RESP at the issuing KMS (sans-IO)")
def role_resolve_one() -> Operation:
    return role_resolve(BOB_A)


@benchmark("ticket-kms-resolve-two",
           "KMS roles alone: KMS_R steps 4-7, KMS_I Zk 8-10, KMS_R 11-12 (sans-IO)")
def role_resolve_two() -> Operation:
    return role_resolve(BOB_B)


def https_resolve(responder: str) -> Operation:
    """One RESOLVE_INIT_PSK over HTTPS to ``responder``'s KMS (the loopback world's server
    threads; the client, a kept-alive :class:`TicketHttpClient`, in the calling thread); a
    refusal raises.  After ROLE_MESSAGES the KMSs' replay caches start empty again.  Under
    callgrind with ``--separate-threads=yes`` the calling thread is the client's side and the
    others the servers' (the KMSs, the BSF's acceptor)."""
    import atexit

    from mckm.impl.engine.replay import ReplayCache
    from mckm.impl.roles.ticket.loopback import start_loopback
    from mckm.impl.roles.ticket.server import ntp_now
    from mckm.impl.roles.ticket.ue_http import fetch_ticket

    world = start_loopback({ALICE: KMS_A, BOB_A: KMS_A, BOB_B: KMS_B})
    atexit.register(world.close)
    kms_i = world.ua_client(KMS_A)
    transfer_init = fetch_ticket(world.initiator(ALICE), kms_i, responder, now=ntp_now())
    kms_i.close()
    now = ntp_now()  # not before the KMS's clock stamped the ticket's start (TRs)
    messages = [world.responder(responder).receive_transfer_init(transfer_init, now=now).octets
                for _ in range(ROLE_MESSAGES)]
    client = world.ua_client(world.home[responder])
    atexit.register(client.close)
    turn = itertools.cycle(range(len(messages)))

    def op() -> object:
        i = next(turn)
        if i == 0:
            for service in world.kms.values():
                with service.lock:
                    service.kms.replay_cache = ReplayCache()
        return client.send(RequestType.TICKET_RESOLVE, messages[i])

    return op


@benchmark("ticket-resolve-https-one", "RESOLVE_INIT -> RESOLVE_RESP at the issuing KMS over "
           "HTTPS, client in this process (server threads)", instructions=False)
def https_resolve_one() -> Operation:
    return https_resolve(BOB_A)


@benchmark("ticket-resolve-https-two", "RESOLVE_INIT at KMS_R over HTTPS, forwarded over Zk, "
           "client in this process (server threads)", instructions=False)
def https_resolve_two() -> Operation:
    return https_resolve(BOB_B)


def main() -> None:
    """Ticket resolves through one and two KMSs, and the transport alone (stub handler)."""
    from mckm.impl.transport.https_ticket import make_domain_ca, ua_endpoint
    from mckm.impl.transport.ticket_http import TicketHttpRequest, TicketHttpResponse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--count", type=int, default=FULL.count)
    parser.add_argument("--seconds", type=float, default=FULL.seconds)
    parser.add_argument("--only", choices=["one-kms", "two-kms", "transport"], action="append")
    parser.add_argument("--connections", type=int, default=1,
                        help="concurrent connections of the load generator (default 1)")
    parser.add_argument("--replicas", type=int, default=0,
                        help="one-kms: KMS_A as N replica processes sharing a replay store")
    parser.add_argument("--db-dir", help="with --replicas: where the replay store goes "
                        "(default: the temp directory; /dev/shm: no fsync cost)")
    parser.add_argument("--apart", action="store_true",
                        help="two-kms: KMS_A in a process of its own (default: both KMSs in "
                        "this process)")
    args = parser.parse_args()
    only = set(args.only or ["one-kms", "two-kms", "transport"])
    budget = LoadBudget(args.count, args.seconds)
    for key, responder in (("one-kms", BOB_A), ("two-kms", BOB_B)):
        if key in only:
            result = resolve_load(responder, budget, args.connections, apart=args.apart,
                                  replicas=args.replicas, db_dir=args.db_dir)
            print(json.dumps({**result.as_json(f"ticket-resolve-{key}"),
                              "connections": args.connections,
                              **({"apart": True} if args.apart and key == "two-kms" else {}),
                              **({"replicas": args.replicas} if args.replicas
                                 and key == "one-kms" else {})}))
    if "transport" not in only:
        return

    def echo(request: TicketHttpRequest) -> TicketHttpResponse:
        return TicketHttpResponse.mikey(request.body)

    ca = make_domain_ca("kms-a.example")
    with ua_endpoint(echo, ca.issue("kms")) as endpoint:
        result = run_load(LoadSpec(endpoint.host, endpoint.port, (bytes(200),), args.count,
                                   args.seconds, ca_pem=ca.cert_pem,
                                   connections=args.connections))
    print(json.dumps({**result.as_json("ticket-http-transport-stub"),
                      "note": "stub echo handler: transport only, not a ticket resolve"}))


if __name__ == "__main__":
    main()
