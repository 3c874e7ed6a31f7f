"""Load generator for the MIKEY-TICKET KMS endpoints over real HTTPS (skeleton).

:func:`run_load` drives one KMS endpoint from a SECOND process (``multiprocessing`` spawn), so
the client's TLS and HTTP work does not share the server's interpreter lock; it is bounded in
request count and in time, and reports requests/s with p50/p99 latency in ms.

Nothing is registered with ``mckm bench`` here: ``ticket-resolve-one-kms`` and
``ticket-resolve-two-kms`` must time the real Kms role (RESOLVE_INIT verified, RESOLVE_RESP
built, and for two KMSs the Zk hop), and registering them with a stub handler would publish a
fake figure.  They are to be registered when the roles land.  Until then
``python -m mckm.bench.ticket`` measures the transport alone against a stub echo handler and
says so in its output.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import time
from dataclasses import dataclass, field

from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.ticket_http import RequestType


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


@dataclass(frozen=True)
class LoadResult:
    count: int
    errors: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float

    @property
    def per_s(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def as_json(self, name: str) -> dict[str, object]:
        return {"name": name, "ops_per_s": round(self.per_s, 1), "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.p99_ms, 3), "count": self.count, "errors": self.errors}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0 < q <= 1) of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def _generate(spec: LoadSpec, out: multiprocessing.connection.Connection) -> None:
    """Child process: warm up, then send until ``count`` or ``seconds``; send back results."""
    from mckm.impl.transport.https_ticket import DomainTrust, TicketHttpClient

    trust = DomainTrust(spec.trust) if spec.trust else None
    client = TicketHttpClient(spec.host, spec.port, ca_pem=spec.ca_pem, trust=trust,
                              identity=spec.identity, expect_domain=spec.expect_domain)
    n = len(spec.messages)
    for i in range(spec.warmup):
        client.post(spec.requesttype, spec.messages[i % n])
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    deadline = start + spec.seconds
    for i in range(spec.count):
        before = time.perf_counter()
        answer = client.post(spec.requesttype, spec.messages[i % n])
        after = time.perf_counter()
        latencies.append(after - before)
        errors += answer.status != 200
        if after >= deadline:
            break
    elapsed = time.perf_counter() - start
    client.close()
    out.send((latencies, errors, elapsed))
    out.close()


def run_load(spec: LoadSpec) -> LoadResult:
    """Run the load generator in a second process; it is killed past ``seconds`` + 30 s."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_generate, args=(spec, send), name="mckm-ticket-load")
    child.start()
    send.close()
    try:
        if not receive.poll(spec.seconds + 30):
            raise TimeoutError("the load generator did not finish in time")
        latencies, errors, elapsed = receive.recv()
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
    ordered = sorted(latencies)
    return LoadResult(len(ordered), errors, elapsed, 1000 * percentile(ordered, 0.50),
                      1000 * percentile(ordered, 0.99))


def main() -> None:
    """Transport-only figure: a Ua endpoint with a stub echo handler, load from a 2nd process."""
    from mckm.impl.transport.https_ticket import make_domain_ca, ua_endpoint
    from mckm.impl.transport.ticket_http import TicketHttpRequest, TicketHttpResponse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    def echo(request: TicketHttpRequest) -> TicketHttpResponse:
        return TicketHttpResponse.mikey(request.body)

    ca = make_domain_ca("kms-a.example")
    with ua_endpoint(echo, ca.issue("kms")) as endpoint:
        result = run_load(LoadSpec(endpoint.host, endpoint.port, (bytes(200),), args.count,
                                   args.seconds, ca_pem=ca.cert_pem))
    print(json.dumps({**result.as_json("ticket-http-transport-stub"),
                      "note": "stub echo handler: transport only, not a ticket resolve"}))


if __name__ == "__main__":
    main()
