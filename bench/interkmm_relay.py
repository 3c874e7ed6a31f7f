"""InterKMM relay benchmark (seed 000): messages per second through the MCX server.

``interkmm-relay-1k`` (UDP) and ``interkmm-relay-64k`` (TCP: a 64 KiB KMM does not fit a
datagram, RFC 3261 18.1.1): a load generator in a second process sends MESSAGEs from the IWF,
each a protected InterKMM with its own msg-id (built before the timed region), ``in_flight`` at
a time, to the MCX server's IWF side.  The server (this process) runs the ``interkmm-iwf-to-ue``
model for each: size, verify both signatures and decrypt under the SPK, KMF ID, SPK-ID, replay
window and cache, affiliation, CSK; re-protects under the UE's CSK, sends the MESSAGE on to the
UE and answers 202 once the UE answered.  The UE is a SIP end point in the second process (the
server's peers are not the server's work) that answers 200 without opening (a sink: the figure
is the relay's); the last body it got is opened with the CSK after the run and must hold the
KMM.  Reports messages/s, p50 and p99 latency (the generator's, MESSAGE sent to 202 received),
this process's CPU time per message (``server_cpu_ms``: the MCX server alone) and the second
process's (``peers_cpu_ms``: the IWF's load and the UE's sink).

``interkmm-relay-step`` is the server's own work on one 1 KiB InterKMM without sockets
(:class:`~mckm.impl.roles.interkmm.Relay`: open under the SPK, guards, re-protect under the
CSK), in one thread, so ``mckm bench --instructions --only interkmm-relay-step`` counts it
under callgrind; the bodies are built in the setup, a pool of :data:`POOL` with distinct
msg-ids, and a fresh relay (an empty replay cache) takes over each time the pool starts again.
``interkmm-relay-sip`` counts the server's SIP work on one such message the same way (the
MESSAGE in, the onward MESSAGE out, the UE's 200 in, the 202 out; octets, no sockets).

Run alone: ``python -m mckm.bench.interkmm_relay [--kmm 1024] [--count N] [--in-flight K]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from mckm.bench.load import FULL, LoadBudget, load_benchmark
from mckm.bench.registry import Result, benchmark
from mckm.impl.redact import Secret
from mckm.impl.roles.interkmm import Directory, EndPoint, McxServer, Relay
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import (
    SipEndpoint,
    SipLoop,
    message_request,
    method_of,
    parse_message,
    response_to,
    top_via,
)
from mckm.impl.xmlprotect.interkmm import parse
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


def _iwf_bodies(spks: Keyring, kmm: bytes, count: int, now: int) -> list[tuple[str, bytes]]:
    """``count`` InterKMMs of ``kmm`` from the IWF for the user, each with its own msg-id, built
    as the IWF builds them (the model's originate step; nothing is sent)."""
    iwf = EndPoint("iwf", KMF, SPK_ID, spks, server=("127.0.0.1", 9))
    try:
        messages = [iwf.originate(kmm, peer=USER, now=now) for _ in range(count)]
    finally:
        iwf.close()
    return [(m.get("content_type"), m.get("body")) for m in messages]


def _peers(kmm_octets: int, count: int, seconds: float, in_flight: int, transport: str,
           conn: Connection) -> None:
    """The second process: the UE (a sink) and the IWF (the load), on one SIP loop.  Sends the
    UE's address, gets the server's IWF-side address, builds ``count`` InterKMMs, then on "go"
    sends them ``in_flight`` at a time and answers with the figures."""
    csks, spks = _rings()
    last: list[SipMessage] = []

    def sink(request: SipMessage, transport: str) -> tuple[int, str]:
        last[:] = [request]
        return 200, "OK"

    loop = SipLoop("peers")
    ue = SipEndpoint(sink, loop=loop, inline=True).start()
    client = SipEndpoint(loop=loop).start()
    try:
        conn.send(ue.address)
        to = conn.recv()
        kmm = os.urandom(kmm_octets)
        now = int(time.time()) + NTP_UNIX_OFFSET
        bodies = _iwf_bodies(spks, kmm, count, now)
        requests = [message_request(uri="sip:mcx-server", from_uri=f"sip:iwf@{KMF}",
                                    to_uri="sip:mcx-server", local=client.address,
                                    transport=transport, content_type=ct, body=body)
                    for ct, body in bodies]
        conn.send("ready")
        conn.recv()  # go
        cpu = time.process_time()
        figures = loop.run(_drive(client, requests, to, transport, in_flight, seconds))
        figures["peers_cpu_s"] = time.process_time() - cpu
        opened = parse(last[0].header("Content-Type") or "", last[0].body, keys=csks) \
            if last else None
        figures["delivered"] = opened is not None and opened.message.kmm == kmm and \
            opened.xpk_id == CSK_ID
    finally:
        client.close()
        ue.close()
        loop.close()
    conn.send(figures)


async def _drive(client: SipEndpoint, requests: list[SipMessage], to: tuple[str, int],
                 transport: str, in_flight: int, seconds: float) -> dict[str, Any]:
    """``in_flight`` client transactions at a time until the requests or the time run out."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = iter(range(len(requests)))
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        for n in next_index:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            response = await client.exchange(requests[n], to, transport=transport)
            latencies.append(time.perf_counter() - started)
            code = response.status or 0
            statuses[code] = statuses.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return {"latencies": latencies, "statuses": statuses,
            "elapsed": time.perf_counter() - started}


#: sipp as the UE (``--ue sipp``): answers each relayed MESSAGE 200, nothing else
SIPP_UE = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="mckm interkmm relay sink">
  <recv request="MESSAGE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def _sipp_ue(transport: str, count: int, workdir: str) -> tuple[subprocess.Popen[bytes],
                                                                 tuple[str, int]]:
    """sipp (Debian sip-tester) listening as the UE on a free loopback port, to take ``count``
    relayed MESSAGEs and exit 0 once each was answered."""
    kind = socket.SOCK_DGRAM if transport == "UDP" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scenario = os.path.join(workdir, "ue.xml")
    with open(scenario, "w", encoding="ascii") as f:
        f.write(SIPP_UE)
    sipp = shutil.which("sipp")
    if sipp is None:
        raise RuntimeError("--ue sipp: sipp (Debian package sip-tester) is not installed")
    process = subprocess.Popen(
        [sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", str(port), "-m", str(count),
         "-t", "u1" if transport == "UDP" else "t1", "-nostdin"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # sipp binds its socket
    if process.poll() is not None:
        raise RuntimeError(f"sipp ended at once: {process.stderr.read().decode()[:300]}"
                           if process.stderr else "sipp ended at once")
    return process, ("127.0.0.1", port)


def relay_load(kmm_octets: int, budget: LoadBudget, in_flight: int = 8,
               ue: str = "mckm") -> Result:
    """Messages through the MCX server (module docstring); ``ue="sipp"``: sipp is the UE, the
    external judge that every relayed MESSAGE arrived and was answered (all ``count`` are sent,
    the time budget ignored; ``sipp_per_s`` is count over the time from the first send to
    sipp's exit)."""
    transport = "UDP" if kmm_octets <= 4096 else "TCP"
    csks, spks = _rings()
    seconds = budget.seconds if ue == "mckm" else 3600.0
    context = multiprocessing.get_context("fork")  # before this process starts any thread
    conn, child = context.Pipe()
    process = context.Process(target=_peers, args=(
        kmm_octets, budget.count, seconds, in_flight, transport, child))
    server: McxServer | None = None
    sipp: subprocess.Popen[bytes] | None = None
    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as workdir:
        try:
            process.start()
            ue_address = _receive(conn, 60, process)
            if ue == "sipp":
                sipp, ue_address = _sipp_ue(transport, budget.count, workdir)
            server = McxServer(csks=csks, spks=spks, transport=transport,
                               ues={USER: ue_address}, iwfs={},
                               directory=_directory()).start()
            conn.send(server.iwf_side.address)
            if _receive(conn, 300, process) != "ready":
                raise RuntimeError("the load generator did not get ready")
            cpu, wall = time.process_time(), time.perf_counter()
            conn.send("go")
            answer = _receive(conn, seconds + 120, process)
            cpu = time.process_time() - cpu
            if sipp is not None:
                code = sipp.wait(60)
                extra = {"sipp_exit": code, "sipp_messages": budget.count,
                         "sipp_per_s": round(budget.count / (time.perf_counter() - wall), 1)}
            process.join(30)
        finally:
            if process.is_alive():
                process.kill()
            if sipp is not None and sipp.poll() is None:
                sipp.kill()
            if server is not None:
                server.close()
    latencies = sorted(answer["latencies"])
    statuses = answer["statuses"]
    if set(statuses) != {202} or not latencies:
        raise RuntimeError(f"relay answers: {statuses}")
    if ue == "sipp" and extra["sipp_exit"] != 0:
        raise RuntimeError(f"sipp as the UE ended with exit status {extra['sipp_exit']}")
    if ue == "mckm" and not answer["delivered"]:
        raise RuntimeError("the UE's last MESSAGE does not hold the KMM under its CSK")
    count = len(latencies)
    return Result(f"interkmm-relay-{'1k' if kmm_octets <= 4096 else '64k'}",
                  count / answer["elapsed"], 1, {
                      "p50_ms": round(1000 * statistics.median(latencies), 3),
                      "p99_ms": round(1000 * latencies[min(count - 1, int(0.99 * count))], 3),
                      "server_cpu_ms": round(1000 * cpu / count, 3),
                      "peers_cpu_ms": round(1000 * answer["peers_cpu_s"] / count, 3),
                      "messages": count, "in_flight": in_flight, "kmm_octets": kmm_octets,
                      **extra})


def _receive(conn: Connection, timeout: float, process: Any) -> Any:
    """The generator's next word; an error as soon as it has ended without one."""
    deadline = time.monotonic() + timeout
    while not conn.poll(0.2):
        if not process.is_alive() and not conn.poll(0):
            raise RuntimeError(f"the load generator ended (exit code {process.exitcode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the load generator did not answer within {timeout:g} s")
    return conn.recv()


@benchmark("interkmm-relay-step", "the MCX server's work on one 1 KiB InterKMM, no sockets: "
           "open under the SPK (2 signatures, 3 AES-GCM), guards, re-protect under the CSK")
def relay_step() -> Callable[[], object]:
    csks, spks = _rings()
    now = int(time.time()) + NTP_UNIX_OFFSET
    kmm = bytes(range(256)) * 4
    bodies = _iwf_bodies(spks, kmm, POOL, now)
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


@benchmark("interkmm-relay-sip", "the MCX server's SIP work on one relayed 1 KiB InterKMM, no "
           "sockets: parse the IWF's MESSAGE (transaction key), build the onward MESSAGE, parse "
           "the UE's 200, build the 202")
def relay_sip() -> Callable[[], object]:
    _, spks = _rings()
    now = int(time.time()) + NTP_UNIX_OFFSET
    iwf, server, ue = ("127.0.0.1", 5062), ("127.0.0.1", 5060), ("127.0.0.1", 5064)
    arriving, answers = [], []
    for content_type, body in _iwf_bodies(spks, bytes(1024), POOL, now):
        arriving.append(message_request(
            uri="sip:mcx-server", from_uri=f"sip:iwf@{KMF}", to_uri="sip:mcx-server", local=iwf,
            transport="UDP", content_type=content_type, body=body).encode())
        onward = message_request(uri="sip:ue", from_uri="sip:mcx-server", to_uri="sip:ue",
                                 local=server, transport="UDP", content_type=content_type,
                                 body=body)
        answers.append(response_to(onward, 200, "OK").encode())
    turn = 0

    def step() -> object:
        nonlocal turn
        request = parse_message(arriving[turn % POOL])
        top_via(request), method_of(request)  # the server transaction's key (RFC 3261 17.2.3)
        onward = message_request(uri="sip:ue", from_uri="sip:mcx-server", to_uri="sip:ue",
                                 local=ue, transport="UDP",
                                 content_type=request.header("Content-Type") or "",
                                 body=request.body).encode()
        parse_message(answers[turn % POOL])
        turn += 1
        return onward, response_to(request, 202, "Accepted").encode()

    return step


@load_benchmark("interkmm-relay-1k", "InterKMM relay, 1 KiB KMM over UDP: IWF -> MCX server "
                "(open under SPK, guards, re-protect under CSK) -> UE, answered 202 "
                "(the IWF's load and the UE: 2nd process, 8 in flight)")
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
    parser.add_argument("--ue", choices=("mckm", "sipp"), default="mckm",
                        help="the UE: mckm's SIP end point, or sipp as the external judge")
    args = parser.parse_args()
    result = relay_load(args.kmm, LoadBudget(args.count, args.seconds), args.in_flight, args.ue)
    print(json.dumps(result.as_json()))


if __name__ == "__main__":
    main()
