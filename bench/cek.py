"""CEK service benchmark (seed 001): CEKs issued per second over HTTPS with token validation.

``cek-issue-https``: the load generator (a second process, ``connections`` kept-alive TLS
connections, one request in flight on each) posts ``/cek/v1/issue`` for a fresh SIP session
each time, with an ES256 KMS access token of one of eight users.  The KMS (a server thread of
this process) runs the ``cek-management`` model for each: the token verified against the
IdM's key (signature, iss, aud, exp, scope, subject), a 256-bit CEK and Key ID created and
stored in SQLite (one commit, ``synchronous = FULL``), pushed to the MCPTT server's endpoint
(mutual TLS, a kept-alive connection; the endpoint, another server thread of this process, runs
its own model step), and answered.  Reports ops/s, p50 and p99 latency, and the CPU time per
request of this process (KMS and MCPTT server together) and of the generator.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from contextlib import ExitStack

from cryptography.hazmat.primitives.asymmetric import ec

from mckm.bench.load import FULL, LoadBudget, load_benchmark
from mckm.bench.registry import Result
from mckm.bench.ticket import LoadResult, LoadSpec, _as_result, run_load
from mckm.impl.roles.cek.https import CekClient, CekHttpsServer, CekPki, PushEndpoint, Pusher
from mckm.impl.roles.cek.service import BASE_PATH, CekService
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.store.sqlite_kms import SqliteKmsStore

KMS_ID, SERVER_ID = "https://kms.example.org", "https://mcptt.example.org"
USERS = 8


def issue_load(budget: LoadBudget, connections: int = 4, warmup: int = 20,
               db_dir: str | None = None) -> LoadResult:
    """CEK issues under load (module docstring); the store in a new directory under
    ``db_dir`` (default: the temp directory; ``/dev/shm``: no fsync cost)."""
    directory = tempfile.mkdtemp(prefix="mckm-bench-cek-", dir=db_dir)
    idm = ec.generate_private_key(ec.SECP256R1())
    pki = CekPki.create()
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, True)
        store = SqliteKmsStore(os.path.join(directory, "kms.db"))
        stack.callback(store.close)
        server = stack.enter_context(PushEndpoint(pki.issue(SERVER_ID), pki.cert_pem, KMS_ID))
        pusher = Pusher(pki.issue(KMS_ID), pki.cert_pem)
        stack.callback(pusher.close)
        service = CekService(store, access_token.TokenVerifier(idm.public_key()), pusher,
                             server.base_url)
        kms = stack.enter_context(CekHttpsServer(service, pki.issue(KMS_ID)))
        now = int(time.time())
        tokens = [access_token.issue(idm, subject=f"sip:user{u}@example.org",
                                     scopes=(KMS_SCOPE,), issued_at=now, lifetime=600)
                  for u in range(USERS)]
        requests = []
        for n in range(1 + warmup + budget.count):
            user = n % USERS
            body = json.dumps({"user": f"sip:user{user}@example.org",
                               "session": f"sip:call-{n}@example.org"}).encode()
            requests.append((f"{BASE_PATH}/issue", body,
                             (("Content-Type", "application/json"),
                              ("Authorization", "Bearer " + tokens[user]))))
        checker = CekClient(kms.host, kms.port, pki.cert_pem)
        try:  # the first issue checked: a CEK, and the MCPTT server holds it
            _target, body, headers = requests[0]
            status, answer = checker.post("issue", dict(headers)["Authorization"][7:], body)
        finally:
            checker.close()
        if status != 200 or json.loads(answer)["key_id"] not in server.keyring.key_ids():
            raise RuntimeError(f"the checked issue was answered {status}: {answer[:200]!r}")
        result = run_load(LoadSpec(kms.host, kms.port, (), budget.count, budget.seconds,
                                   ca_pem=pki.cert_pem, warmup=warmup,
                                   connections=connections, requests=tuple(requests[1:])))
        stored = store.count("cek")
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.count} CEK issues were refused")
    if stored < result.count:
        raise RuntimeError(f"{stored} CEKs stored for {result.count} issues")
    return result


@load_benchmark("cek-issue-https",
                "CEK issue over HTTPS: KMS access token checked, CEK stored, pushed to the "
                "MCPTT server over mutual TLS (load: 2nd process, 4 connections)")
def issue_under_load(budget: LoadBudget) -> Result:
    return _as_result("cek-issue-https", issue_load(budget))


def main() -> None:
    """CEK issues under load: connections of the load generator, where the store lives."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--count", type=int, default=FULL.count)
    parser.add_argument("--seconds", type=float, default=FULL.seconds)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db-dir", help="where the SQLite store goes (default: the temp "
                        "directory; /dev/shm: no fsync cost)")
    args = parser.parse_args()
    result = issue_load(LoadBudget(args.count, args.seconds), args.connections,
                        db_dir=args.db_dir)
    print(json.dumps({**result.as_json("cek-issue-https"), "connections": args.connections,
                      "db_dir": args.db_dir or "(temp)"}))


if __name__ == "__main__":
    main()
