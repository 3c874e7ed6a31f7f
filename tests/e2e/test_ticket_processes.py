"""MIKEY-TICKET end to end over HTTPS between separate processes on 127.0.0.1 (seed 002 B.2.2.2 /
B.2.2.3; TS 33.328 Annex A): a BSF, KMS_A, KMS_B and KMS_C each run as ``mckm ticket
kms-serve|bsf-serve``; the initiator and the responder each run as ``ue-initiator`` /
``ue-responder``, the test carrying TRANSFER_INIT / TRANSFER_RESP between them (standing in for
SIP).  One KMS (both users at A) and two KMSs (responder at B, resolve forwarded to A over mutual
TLS Zk) complete with both UEs printing the same key fingerprint; a resolve through KMS_C, which
KMS_A does not trust, reaches the responder as KMS_A's MIKEY error over the network."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from mckm.impl.roles.ticket.config import (
    BsfServerConfig,
    KmsServerConfig,
    PeerConfig,
    contexts_to_json,
    write_private,
)
from mckm.impl.roles.ticket.loopback import BSF_DOMAIN, fresh_context
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.transport.https_ticket import DomainCa, make_domain_ca
from tests.e2e.processes import CLI, ready, spawn

A, B, C = "kms.a.example", "kms.b.example", "kms.c.example"
ALICE, BOB_A, BOB_B, CAROL = ("sip:alice@a.example", "sip:bob@a.example", "sip:bob@b.example",
                              "sip:carol@c.example")
HOME = {ALICE: A, BOB_A: A, BOB_B: B, CAROL: C}
LINE_TIMEOUT = 15.0
#: the error KMS_A's trusted-source guard answers (REQ-TKT-18, as the in-memory test asserts)
INVALID_ID = 7


@dataclass
class Net:
    dir: Path
    ports: dict[str, dict[str, int]]
    cas: dict[str, Path]


def _ca_file(d: Path, ca: DomainCa) -> Path:
    path = d / f"{ca.domain}.ca.pem"
    path.write_bytes(ca.cert_pem)
    return path


def _identity_files(d: Path, ca: DomainCa, name: str) -> tuple[str, str]:
    identity = ca.issue(name)
    cert = d / f"{ca.domain}.{name}.pem"
    cert.write_bytes(identity.cert_pem)
    key = write_private(d / f"{ca.domain}.{name}.key", identity.key_pem, "a TLS key")
    return str(cert), str(key)


def _stop(procs: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM every server still running; their exit statuses."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return [proc.returncode for proc in procs]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    d = tmp_path_factory.mktemp("ticket-net")
    cas = {u: make_domain_ca(u) for u in (A, B, C, BSF_DOMAIN)}
    ca_files = {u: _ca_file(d, ca) for u, ca in cas.items()}
    now = ntp_now()
    contexts = write_private(d / "contexts.json", contexts_to_json(
        fresh_context(u, now) for u in HOME).encode(), "bootstrapping contexts")
    bsf_cert, bsf_key = _identity_files(d, cas[BSF_DOMAIN], "bsf")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(spawn(d, "bsf", "bsf-serve", BsfServerConfig(
            BSF_DOMAIN, bsf_cert, bsf_key, str(ca_files[BSF_DOMAIN]),
            {u: str(ca_files[u]) for u in (A, B, C)}, str(contexts),
            ready_file=str(d / "bsf.ready")).to_json()))

        def kms_config(uri: str, bsf_port: int, peers: tuple[PeerConfig, ...]) -> str:
            cert, key = _identity_files(d, cas[uri], "kms")
            return KmsServerConfig(uri, cert, key, str(ca_files[uri]), f"127.0.0.1:{bsf_port}",
                                   BSF_DOMAIN, str(ca_files[BSF_DOMAIN]), peers,
                                   ready_file=str(d / f"{uri}.ready")).to_json()

        ports = {"bsf": ready(d, "bsf", procs[0])}
        # KMS_A (issuer): Zk peers B (trusted) and C (TLS accepted, no trust relation)
        procs.append(spawn(d, A, "kms-serve", kms_config(A, ports["bsf"]["port"], (
            PeerConfig(B, str(ca_files[B])), PeerConfig(C, str(ca_files[C]), trusted=False)))))
        ports[A] = ready(d, A, procs[-1])
        zk_a = f"127.0.0.1:{ports[A]['zk_port']}"
        for uri in (B, C):  # both trust A and forward resolves of A's tickets to it
            procs.append(spawn(d, uri, "kms-serve", kms_config(uri, ports["bsf"]["port"], (
                PeerConfig(A, str(ca_files[A]), zk=zk_a),))))
        for uri, proc in zip((B, C), procs[2:], strict=True):
            ports[uri] = ready(d, uri, proc)
        yield Net(d, ports, ca_files)
        assert _stop(procs) == [0] * len(procs), "a server did not stop cleanly on SIGTERM"
    finally:
        _stop(procs)


class Ue:
    """One UE process; its stdout lines read by a thread so every read has a timeout."""

    def __init__(self, net: Net, role: str, uri: str, *extra: str) -> None:
        kms = HOME[uri]
        self.proc = subprocess.Popen(
            [*CLI, f"ue-{role}", "--uri", uri, "--kms-uri", kms,
             "--kms", f"127.0.0.1:{net.ports[kms]['ua_port']}", "--kms-ca", str(net.cas[kms]),
             "--contexts", str(net.dir / "contexts.json"), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _pump(self, out: IO[str]) -> None:
        for line in out:
            self.lines.put(line.rstrip("\n"))

    def line(self) -> str:
        try:
            return self.lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"no output from {self.proc.args[3]} within {LINE_TIMEOUT} s")

    def tell(self, line: str | None) -> None:
        assert self.proc.stdin is not None
        if line is not None:
            self.proc.stdin.write(line + "\n")
        self.proc.stdin.close()

    def end(self) -> int:
        try:
            return self.proc.wait(timeout=LINE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def _exchange(net: Net, responder: str) -> tuple[str, str, int, int]:
    """Initiator Alice, ``responder``: the two last lines and the exit statuses."""
    alice = Ue(net, "initiator", ALICE, "--peer", responder)
    bob = Ue(net, "responder", responder)
    try:
        transfer_init = alice.line()
        assert transfer_init.startswith("TRANSFER_INIT "), transfer_init
        assert bytes.fromhex(transfer_init.split()[1]).startswith(b"INVITE " + responder.encode())
        bob.tell(transfer_init)
        answer = bob.line()
        if answer.startswith("TRANSFER_RESP "):
            assert bytes.fromhex(answer.split()[1]).startswith(b"SIP/2.0 200 OK\r\n")
            alice.tell(answer)
            bob_last = bob.line()
        else:
            alice.tell(None)
            bob_last = answer
        alice_last = alice.line()
        return alice_last, bob_last, alice.end(), bob.end()
    finally:
        for ue in (alice, bob):
            if ue.proc.poll() is None:
                ue.proc.kill()
                ue.proc.wait()


@pytest.mark.parametrize("responder", [BOB_A, BOB_B], ids=["one-kms", "two-kms"])
def test_ues_in_separate_processes_agree_on_the_keys(net: Net, responder: str) -> None:
    alice, bob, alice_rc, bob_rc = _exchange(net, responder)
    assert (alice_rc, bob_rc) == (0, 0), (alice, bob)
    assert alice.startswith("KEYS ") and bob.startswith("KEYS ")
    assert alice == bob
    assert len(alice.split()[1]) == 16  # a fingerprint, not a key


def test_fresh_runs_give_fresh_keys(net: Net) -> None:
    first, _, _, _ = _exchange(net, BOB_B)
    second, _, _, _ = _exchange(net, BOB_B)
    assert first.startswith("KEYS ") and second.startswith("KEYS ") and first != second


def test_kms_i_refuses_an_untrusted_kms_r_over_the_network(net: Net) -> None:
    alice, carol, alice_rc, carol_rc = _exchange(net, CAROL)
    assert carol_rc == 1 and alice_rc == 1  # a refusal (README: exit status)
    # TS 33.328 A.2: KMS_A's refusal is a 200 OK carrying a MIKEY Error message, carried on
    # by KMS_C to Carol the same way
    assert carol == f"REFUSED HTTP 200, MIKEY error [{INVALID_ID}]", carol
    assert alice == "REFUSED no TRANSFER_RESP received", alice
    # KMS_A and KMS_C keep serving: a trusted path still completes afterwards
    alice, bob, _, _ = _exchange(net, BOB_B)
    assert alice == bob and alice.startswith("KEYS ")


def test_server_output_holds_no_secret(net: Net) -> None:
    _exchange(net, BOB_B)
    secrets = [c["ks"] for c in json.loads((net.dir / "contexts.json").read_text())]
    for name in ("bsf", A, B, C):
        text = (net.dir / f"{name}.log").read_text(errors="replace")
        assert text.startswith("ready {"), text[:200]
        assert not any(s in text for s in secrets)
    assert os.stat(net.dir / "contexts.json").st_mode & 0o077 == 0


# -- the same services in one process: the demo and the load benchmark ------------------------


def test_demo_prints_the_hops_and_fingerprints_only() -> None:
    from mckm.impl.roles.ticket.demo import two_domain_exchange

    lines: list[str] = []
    assert two_domain_exchange(lines.append)
    text = "\n".join(lines)
    for hop in ("REQUEST_INIT_PSK", "REQUEST_RESP", "TRANSFER_INIT", "RESOLVE_INIT_PSK",
                "Zk ticketresolve RESOLVE_INIT", "RESOLVE_RESP", "TRANSFER_RESP"):
        assert hop in text, hop
    fingerprints = [line.split("fingerprint ")[1].split()[0] for line in lines
                    if "fingerprint" in line]
    assert len(fingerprints) == 2 and fingerprints[0] == fingerprints[1]
    assert "same keys" in text


def test_resolve_load_benchmarks_count_real_resolves() -> None:
    from mckm.bench.load import LOAD_REGISTRY, LoadBudget
    from mckm.bench.ticket import BOB_A, BOB_B, resolve_load

    assert {"ticket-resolve-one-kms", "ticket-resolve-two-kms"} <= set(LOAD_REGISTRY)
    for responder in (BOB_A, BOB_B):
        result = resolve_load(responder, LoadBudget(40, 5.0))
        assert result.errors == 0 and result.count == 40
        assert 0 < result.p50_ms <= result.p99_ms
