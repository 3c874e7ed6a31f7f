"""kill -9 of a MIKEY-TICKET KMS replica in the middle of a resolve burst (issue 13), on SQLite
and PostgreSQL: a BSF and two ``mckm ticket kms-serve`` replicas of KMS A (one TPK file, one
``db``) as processes; the test process plays the UEs over HTTPS Ua (RFC 6043 4.2.3, TS 33.328
Annex A).  After the kill: the RAND of every resolve a client got a RESOLVE_RESP for is in the
shared replay table and is a replay at the surviving replica (MIKEY error 1); the survivor
accepts exactly the resolves the dead one did not store; each RAND is stored once."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mckm.impl.roles.bsf import BootstrapContext
from mckm.impl.roles.ticket.config import (
    BsfServerConfig,
    KmsServerConfig,
    context_of,
    contexts_from_json,
    contexts_to_json,
    write_private,
)
from mckm.impl.roles.ticket.endpoints import Initiator, Responder
from mckm.impl.roles.ticket.loopback import BSF_DOMAIN, fresh_context
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.roles.ticket.wire import ERROR, TicketView, error_numbers
from mckm.impl.store.open import open_kms_store
from mckm.impl.transport.https_ticket import TicketHttpClient, make_domain_ca
from mckm.impl.transport.ticket_http import RequestType, decode_body
from tests.e2e.processes import ready, spawn
from tests.e2e.test_ticket_processes import _ca_file, _identity_files, _stop

A = "kms.a.example"
ALICE, BOB = "sip:alice@a.example", "sip:bob@a.example"
RESOLVES = 24
BEFORE_KILL = 4
REPLAY = 1  # MIKEY error "Message replay" (RFC 6043 6.14 / RFC 3830 6.12): guard 'fresh'


@dataclass
class Ticketing:
    folder: Path
    procs: dict[str, subprocess.Popen[bytes]]
    ports: dict[str, int]
    ca_pem: bytes
    contexts: list[BootstrapContext] = field(default_factory=list)

    def client(self, replica: str) -> TicketHttpClient:
        return TicketHttpClient("127.0.0.1", self.ports[replica], ca_pem=self.ca_pem,
                                timeout=20)


@pytest.fixture
def ticketing(target: str, tmp_path: Path) -> Iterator[Ticketing]:
    """Two `kms-serve` processes of KMS A, each on its own port."""
    yield from _deploy(target, tmp_path, {"a1": 1, "a2": 1})


def _deploy(target: str, tmp_path: Path, servers: dict[str, int]) -> Iterator[Ticketing]:
    """A BSF and the `kms-serve` commands of KMS A named in ``servers``, each with its number
    of replica processes, sharing the TPK and the store ``target``."""
    d, now = tmp_path, ntp_now()
    cas = {u: make_domain_ca(u) for u in (A, BSF_DOMAIN)}
    ca_files = {u: _ca_file(d, ca) for u, ca in cas.items()}
    contexts = write_private(d / "contexts.json", contexts_to_json(
        fresh_context(u, now) for u in (ALICE, BOB)).encode(), "bootstrapping contexts")
    tpk = write_private(d / "tpk", bytes(range(32)), "the replicas' TPK")
    bsf_cert, bsf_key = _identity_files(d, cas[BSF_DOMAIN], "bsf")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["bsf"] = spawn(d, "bsf", "bsf-serve", BsfServerConfig(
            BSF_DOMAIN, bsf_cert, bsf_key, str(ca_files[BSF_DOMAIN]), {A: str(ca_files[A])},
            str(contexts), ready_file=str(d / "bsf.ready")).to_json())
        bsf = ready(d, "bsf", procs["bsf"])["port"]
        for name, processes in servers.items():
            cert, key = _identity_files(d, cas[A], name)
            procs[name] = spawn(d, name, "kms-serve", KmsServerConfig(
                A, cert, key, str(ca_files[A]), f"127.0.0.1:{bsf}", BSF_DOMAIN,
                str(ca_files[BSF_DOMAIN]), ready_file=str(d / f"{name}.ready"),
                tpk_file=str(tpk), db=target, processes=processes).to_json())
        ports = {name: ready(d, name, procs[name])["ua_port"] for name in servers}
        yield Ticketing(d, procs, ports, cas[A].cert_pem,
                        contexts_from_json(contexts.read_text()))
    finally:
        _stop(list(procs.values()))


def _resolve_inits(t: Ticketing, n: int) -> list[tuple[bytes, Responder]]:
    """``n`` tickets from replica a2, each transferred to Bob: his RESOLVE_INIT and his UE."""
    out = []
    with t.client("a2") as kms:
        for _ in range(n):
            now = ntp_now()
            alice = Initiator(ALICE, A, context_of(t.contexts, ALICE))
            resp = kms.send(RequestType.TICKET_REQUEST, alice.request_ticket(BOB, now=now))
            now = ntp_now()  # the KMS stamped TRs with its clock: a second may have begun
            transfer = alice.receive_request_resp(resp, now=now)
            bob = Responder(BOB, A, context_of(t.contexts, BOB))
            step = bob.receive_transfer_init(transfer, now=now)
            assert step.to_kms
            out.append((step.octets, bob))
    return out


def _rand(resolve_init: bytes) -> bytes:
    rand = TicketView.decode(resolve_init, expect="RESOLVE_INIT").get("randrr")
    assert isinstance(rand, bytes)
    return rand


def test_kill9_in_a_resolve_burst(ticketing: Ticketing, target: str) -> None:
    t = ticketing
    inits = _resolve_inits(t, RESOLVES)
    acknowledged: dict[int, bytes] = {}
    cut: list[int] = []
    lock = threading.Lock()
    queue = list(range(RESOLVES))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop(0)
            try:
                with t.client("a1") as kms:
                    answer = kms.send(RequestType.TICKET_RESOLVE, inits[i][0])
            except OSError:
                with lock:
                    cut.append(i)
                return
            with lock:
                acknowledged[i] = answer

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < BEFORE_KILL:
        assert all(th.is_alive() for th in threads) or queue, "the burst ended early"
        time.sleep(0.005)
    t.procs["a1"].kill()
    assert t.procs["a1"].wait(timeout=10) == -signal.SIGKILL
    for thread in threads:
        thread.join(timeout=30)
    assert cut, "the replica answered everything before the kill"
    for i, answer in acknowledged.items():  # a good RESOLVE_RESP: the keys Bob accepts
        inits[i][1].receive_resolve_resp(answer, now=ntp_now())

    store = open_kms_store(target)
    try:
        for i in acknowledged:
            assert store.replay_seen(_rand(inits[i][0])), i
        accepted_by_a2 = []
        with t.client("a2") as kms:
            for i, (resolve_init, _) in enumerate(inits):
                answer = kms.post(RequestType.TICKET_RESOLVE, resolve_init)
                message = decode_body(answer.body)  # TS 33.328 A.2: a refusal is a 200 too
                if message[1] != ERROR:  # the HDR's data type (RFC 3830 6.1)
                    accepted_by_a2.append(i)
                else:
                    assert error_numbers(message) == (REPLAY,), (i, answer.status)
        assert not set(accepted_by_a2) & set(acknowledged)
        # every RAND once: RESOLVES requests, RESOLVES resolves (a1's or a2's, never both)
        assert store.count("replay") == 2 * RESOLVES
        assert all(store.replay_seen(_rand(init)) for init, _ in inits)
    finally:
        store.close()
    assert t.procs["a2"].poll() is None and t.procs["bsf"].poll() is None


def test_one_kms_serve_of_two_processes_refuses_replays_across_them(target: str,
                                                                    tmp_path: Path) -> None:
    """`processes: 2` in the config: one Ua port, two replica processes sharing the replay
    table; each RESOLVE_INIT is resolved once and refused as a replay (MIKEY error 1) on a
    fresh connection, which the kernel may give to either replica."""
    deployment = _deploy(target, tmp_path, {"a2": 2})
    t = next(deployment)
    try:
        for resolve_init, bob in _resolve_inits(t, 6):
            with t.client("a2") as kms:
                bob.receive_resolve_resp(kms.send(RequestType.TICKET_RESOLVE, resolve_init),
                                         now=ntp_now())
            for _ in range(3):
                with t.client("a2") as kms:
                    again = kms.post(RequestType.TICKET_RESOLVE, resolve_init)
                assert error_numbers(decode_body(again.body)) == (REPLAY,)  # 200 OK, A.2
        children = Path(f"/proc/{t.procs['a2'].pid}/task/{t.procs['a2'].pid}/children")
        assert len(children.read_text().split()) >= 2  # the replicas (and the resource tracker)
    finally:
        deployment.close()


@pytest.mark.parametrize(("processes", "db", "tpk", "message"), [
    (2, None, "tpk", "fields processes, db, tpk_file"),
    (2, "kms.db", None, "fields processes, db, tpk_file"),
    (0, None, None, "field processes: a positive integer"),
])
def test_a_config_that_cannot_replicate_is_refused_by_field(
        processes: int, db: str | None, tpk: str | None, message: str) -> None:
    from mckm.impl.errors import UsageError
    from mckm.impl.roles.ticket.server import serve_kms

    config = KmsServerConfig(A, "c.pem", "k.pem", "ca.pem", "127.0.0.1:1", BSF_DOMAIN, "b.pem",
                             tpk_file=tpk, db=db, processes=processes)
    with pytest.raises(UsageError, match=message):
        serve_kms(config, on_ready=lambda line: None)
