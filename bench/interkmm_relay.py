"""InterKMM relay benchmark (seed 000): messages per second through the MCX server.

``interkmm-relay-1k`` (UDP) and ``interkmm-relay-64k`` (TCP: a 64 KiB KMM does not fit a
datagram, RFC 3261 18.1.1): a load generator in a second process sends MESSAGEs from the IWF,
each a protected InterKMM with its own msg-id (built before the timed region), ``in_flight`` at
a time, to the MCX server's IWF side.  The server (this process) runs the ``interkmm-iwf-to-ue``
model for each: size, verify both signatures and decrypt under the SPK, KMF ID, SPK-ID, replay
window and cache, affiliation, CSK; re-protects under the UE's CSK, sends the MESSAGE on to the
UE and answers 202 once the UE answered.  The UE here is a SIP end point that answers 200
without opening (a sink: the figure is the relay's); the last body it got is opened with the CSK
after the run and must hold the KMM.  Reports messages/s, p50 and p99 latency (the generator's,
MESSAGE sent to 202 received) and this process's CPU time per message (server and sink).

``interkmm-relay-step`` is the server's own work on one 1 KiB InterKMM without sockets
(:class:`~mckm.impl.roles.interkmm.Relay`: open under the SPK, guards, re-protect under the
CSK), in one thread, so ``mckm bench --instructions --only interkmm-relay-step`` counts it
under callgrind; the bodies are built in the setup, a pool of :data:`POOL` with distinct
msg-ids, and a fresh relay (an empty replay cache) takes over each time the pool starts again.

Run alone: ``python -m mckm.bench.interkmm_relay [--kmm 1024] [--count N] [--in-flight K]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from mckm.bench.load import FULL, LoadBudget, load_benchmark
from mckm.bench.registry import Result, benchmark
from mckm.impl.redact import Secret
from mckm.impl.roles.interkmm import Directory, McxServer, Relay
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import SipEndpoint, message_request
from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build, parse
from mckm.impl.xmlprotect.keys import Keyring, Xpk

USER, KMF = "sip:alice@mcx.example", "kmf.iwf.example"
CSK_ID, SPK_ID = 0x2A5B3C4D, 0x3123ABCD
NTP_UNIX_OFFSET = 2_208_988_800
#: bodies built for interkmm-relay-step (each msg-id is accepted once per relay)
POOL = 256


def _directory() -> Directory:
    return Directory({USER: CSK_ID, KMF: SPK_ID}, frozenset({KMF}), frozenset({USER}))


def _rings() -> tuple[Keyring, Keyring]:
    csks = Keyring({CSK_ID: Xpk(Secret(bytes(range(16))), USER)})
    spks = Keyring({SPK_ID: Xpk(Secret(bytes(range(16, 32))), USER)})
    for ring, key in ((csks, CSK_ID), (spks, SPK_ID)):
        ring.keys_for(key, "bench")  # F.1.4 derivations outside the timed region
    return csks, spks


def _generator(to: tuple[str, int], kmm_octets: int, count: int, seconds: float,
               in_flight: int, transport: str, out: Any, ready: Any, go: Any) -> None:
    """The second process: build ``count`` InterKMMs, then send them ``in_flight`` at a time."""
    _, spks = _rings()
    kmm = os.urandom(kmm_octets)
    now = int(time.time()) + NTP_UNIX_OFFSET
    client = SipEndpoint(workers=1).start()
    bodies = [build(InterKmm(KMF, USER, kmm, "application/octet-stream", f"{n:032x}", now),
                    protection=Protection(spks, SPK_ID)) for n in range(count)]
    requests = [message_request(uri="sip:mcx-server", from_uri=f"sip:iwf@{KMF}",
                                to_uri="sip:mcx-server", local=client.address,
                                transport=transport, content_type=ct, body=body)
                for ct, body in bodies]
    ready.set()
    go.wait()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    next_index = iter(range(count))
    deadline = time.monotonic() + seconds

    def worker() -> None:
        for n in next_index:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            response = client.send(requests[n], to, transport=transport)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                code = response.status or 0
                statuses[code] = statuses.get(code, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    client.close()
    out.put({"latencies": latencies, "statuses": statuses, "elapsed": elapsed,
             "kmm": kmm})


def relay_load(kmm_octets: int, budget: LoadBudget, in_flight: int = 8) -> Result:
    """Messages through the MCX server (module docstring)."""
    transport = "UDP" if kmm_octets <= 4096 else "TCP"
    csks, spks = _rings()
    last: list[SipMessage] = []

    def sink(request: SipMessage, transport: str) -> tuple[int, str]:
        last[:] = [request]
        return 200, "OK"

    ue = SipEndpoint(sink).start()
    server = McxServer(csks=csks, spks=spks, transport=transport, ues={USER: ue.address},
                       iwfs={}, directory=_directory())
    server.start()
    context = multiprocessing.get_context("fork")
    out, ready, go = context.Queue(), context.Event(), context.Event()
    process = context.Process(target=_generator, args=(
        server.iwf_side.address, kmm_octets, budget.count, budget.seconds, in_flight,
        transport, out, ready, go))
    try:
        process.start()
        if not ready.wait(300):
            raise RuntimeError("the load generator did not get ready")
        cpu = time.process_time()
        go.set()
        answer = out.get(timeout=budget.seconds + 120)
        cpu = time.process_time() - cpu
        process.join(30)
    finally:
        if process.is_alive():
            process.kill()
        server.close()
        ue.close()
    latencies = sorted(answer["latencies"])
    statuses = answer["statuses"]
    if set(statuses) != {202} or not latencies:
        raise RuntimeError(f"relay answers: {statuses}")
    opened = parse(last[0].header("Content-Type") or "", last[0].body, keys=csks)
    if opened.message.kmm != answer["kmm"] or opened.xpk_id != CSK_ID:
        raise RuntimeError("the UE's last MESSAGE does not hold the KMM under its CSK")
    count = len(latencies)
    return Result(f"interkmm-relay-{'1k' if kmm_octets <= 4096 else '64k'}",
                  count / answer["elapsed"], 1, {
                      "p50_ms": round(1000 * statistics.median(latencies), 3),
                      "p99_ms": round(1000 * latencies[min(count - 1, int(0.99 * count))], 3),
                      "server_cpu_ms": round(1000 * cpu / count, 3),
                      "messages": count, "in_flight": in_flight, "kmm_octets": kmm_octets})


@benchmark("interkmm-relay-step", "the MCX server's work on one 1 KiB InterKMM, no sockets: "
           "open under the SPK (2 signatures, 3 AES-GCM), guards, re-protect under the CSK")
def relay_step() -> Callable[[], object]:
    csks, spks = _rings()
    now = int(time.time()) + NTP_UNIX_OFFSET
    kmm = bytes(range(256)) * 4
    bodies = [build(InterKmm(KMF, USER, kmm, "application/octet-stream", f"{n:032x}", now),
                    protection=Protection(spks, SPK_ID)) for n in range(POOL)]
    relay = Relay(csks=csks, spks=spks, directory=_directory())
    turn = 0

    def step() -> object:
        nonlocal relay, turn
        if turn == POOL:
            relay, turn = Relay(csks=csks, spks=spks, directory=_directory()), 0
        content_type, body = bodies[turn]
        turn += 1
        return relay.process("iwf", content_type, body, now=now)

    return step


@load_benchmark("interkmm-relay-1k", "InterKMM relay, 1 KiB KMM over UDP: IWF -> MCX server "
                "(open under SPK, guards, re-protect under CSK) -> UE, answered 202 "
                "(load: 2nd process, 8 in flight)")
def relay_1k(budget: LoadBudget) -> Result:
    return relay_load(1024, budget)


@load_benchmark("interkmm-relay-64k", "InterKMM relay, 64 KiB KMM over TCP (as relay-1k)")
def relay_64k(budget: LoadBudget) -> Result:
    return relay_load(64 * 1024, LoadBudget(min(budget.count, 400), budget.seconds))


def main() -> None:
    """Messages through the MCX server: KMM size, count, seconds, messages in flight."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--kmm", type=int, default=1024)
    parser.add_argument("--count", type=int, default=FULL.count)
    parser.add_argument("--seconds", type=float, default=FULL.seconds)
    parser.add_argument("--in-flight", type=int, default=8)
    args = parser.parse_args()
    result = relay_load(args.kmm, LoadBudget(args.count, args.seconds), args.in_flight)
    print(json.dumps(result.as_json()))


if __name__ == "__main__":
    main()
