"""KMS (SKM-S) benchmarks: user key sets provisioned per second over real HTTPS.

``skms-provision-https``: each operation enrols a new user at the KMS (in process), sends one
``POST /keyprov/<uri>/<time>`` with an IdMS access token on a kept-alive TLS connection, built
and checked by the model's client (``ProvisioningClient``: the SKM-S model's client steps, whose
guards verify the InK signature and the addressing and unwrap the SSK and RSK with the TrK).
The server issues a fresh key set (ECCSI SSK+PVT, SAKKE RSK) and stores it in SQLite each time.  The
client's validation of the keys (a pairing for the RSK) is client cost and is not timed.
The server thread is a daemon, so it never outlives the process.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import functools
import itertools
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.bench.load import FULL, LoadBudget, load_benchmark
from mckm.bench.registry import Operation, Result, benchmark
from mckm.bench.ticket import LoadResult, LoadSpec, _as_result, run_load
from mckm.impl.crypto import uid
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.cli import TokenCheck, replica
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import (
    KmsClient,
    KmsHttpsServer,
    TlsIdentity,
    make_tls_identity,
)

KMS_URI = "kms.example.org"


def provision_https() -> Operation:
    directory = tempfile.mkdtemp(prefix="mckm-bench-kms-")
    atexit.register(shutil.rmtree, directory, True)
    store = SqliteKmsStore(os.path.join(directory, "kms.db"))
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1")).start()
    service.base_url = server.base_url
    client = KmsClient(server.host, server.port, server.identity.ca_pem, token="")
    accept_all = messages.KeyChecks(role.certificate, role.algorithms.uid,
                                    lambda *_: None, lambda *_: None)
    when = uid.unix_to_ntp(int(time.time())) << 32
    counter = itertools.count()

    def op() -> object:
        user = f"sip:bench{next(counter)}@example.org"
        transport = role.enrol(user)
        token = access_token.issue(idm, subject=user, scopes=(KMS_SCOPE,),
                                   issued_at=int(time.time()), lifetime=600)
        model_client = ProvisioningClient(user, role.config.kms_uri, transport,
                                          server.base_url, accept_all)
        now = int(time.time())
        request = model_client.request("keyprov", token=token, now=now,
                                       options={"user_uri": user, "ntp_time": when})
        status, body = client.post(request.path, request.body, token=token)
        if status != 200:
            raise RuntimeError(f"KMS answered {status}: {body[:200]!r}")
        return model_client.response("keyprov", body, now=now)["key_sets"]

    return op


benchmark("skms-provision-https",
          "SKM-S: one user key set (SSK, PVT, RSK) issued, stored and fetched over HTTPS",
          instructions=False)(provision_https)  # a server thread: counts follow the scheduler


# -- provisioning under load -------------------------------------------------------------------

@contextmanager
def _skms(db: str, idm_public_pem: bytes, identity: TlsIdentity,
          processes: int) -> Iterator[tuple[str, int, Callable[[], float]]]:
    """The SKM-S serving ``db``: ``processes`` replicas, or (0) a thread of this process;
    with the CPU seconds its process(es) used so far."""
    if processes:
        from mckm.impl.transport.replicas import Replicas

        tokens = TokenCheck(access_token.DEFAULT_AUDIENCE, public_pem=idm_public_pem)
        with Replicas(functools.partial(replica, db, KmsConfig(KMS_URI), tokens, identity),
                      processes) as replicas:
            yield replicas.host, replicas.port, replicas.cpu_seconds
        return
    role = KmsRole.open(SqliteKmsStore(db), KmsConfig(KMS_URI), standard())
    idm = serialization.load_pem_public_key(idm_public_pem)
    assert isinstance(idm, ec.EllipticCurvePublicKey)
    service = KmsService(role, access_token.TokenVerifier(idm), "")
    with KmsHttpsServer(service, identity) as server:
        service.base_url = server.base_url
        yield server.host, server.port, _own_cpu_seconds


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def provision_load(budget: LoadBudget, processes: int = 2, connections: int = 4,
                   warmup: int = 20, db_dir: str | None = None) -> LoadResult:
    """Keyprov requests of distinct enrolled users (each answered with a freshly issued and
    stored key set) under load; the SQLite store in a new directory under ``db_dir`` (default:
    the temp directory).  Each key set is one commit with ``synchronous = FULL`` (an fsync),
    so on a disk the figure is bounded by the fsync rate (one writer at a time); on a tmpfs
    (``/dev/shm``) it measures the server."""
    directory = tempfile.mkdtemp(prefix="mckm-bench-kms-load-", dir=db_dir)
    try:
        db = os.path.join(directory, "kms.db")
        role = KmsRole.open(SqliteKmsStore(db), KmsConfig(KMS_URI), standard())
        idm = ec.generate_private_key(ec.SECP256R1())
        idm_pem = idm.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
        identity = make_tls_identity("127.0.0.1")
        accept_all = messages.KeyChecks(role.certificate, role.algorithms.uid,
                                        lambda *_: None, lambda *_: None)
        when = uid.unix_to_ntp(int(time.time())) << 32
        with _skms(db, idm_pem, identity, processes) as (host, port, cpu_seconds):
            base_url = f"https://{host}:{port}"
            clients: list[ProvisioningClient] = []
            requests = []
            now = int(time.time())
            for n in range(1 + warmup + budget.count):
                user = f"sip:load{n}@example.org"
                model_client = ProvisioningClient(user, KMS_URI, role.enrol(user), base_url,
                                                  accept_all)
                token = access_token.issue(idm, subject=user, scopes=(KMS_SCOPE,),
                                           issued_at=now, lifetime=600)
                request = model_client.request("keyprov", token=token, now=now,
                                               options={"user_uri": user, "ntp_time": when})
                clients.append(model_client)
                requests.append((request.path, request.body,
                                 (("Content-Type", "application/xml"),
                                  ("Authorization", "Bearer " + token))))
            checker = KmsClient(host, port, identity.ca_pem, token="")
            try:  # the first answer checked by the model's client: keys issued and usable
                path, body, headers = requests[0]
                status, answer = checker.post(path, body, token=dict(headers)["Authorization"]
                                              .removeprefix("Bearer "))
            finally:
                checker.close()
            if status != 200 or not clients[0].response("keyprov", answer,
                                                        now=now)["key_sets"]:
                raise RuntimeError(f"the checked keyprov was answered {status}")
            cpu_before = cpu_seconds()
            result = run_load(LoadSpec(host, port, (), budget.count, budget.seconds,
                                       ca_pem=identity.ca_pem, warmup=warmup,
                                       connections=connections, requests=tuple(requests[1:])))
            cpu = cpu_seconds() - cpu_before
            result = dataclasses.replace(  # the servers' CPU time, whichever process they are
                result, server_cpu_ms=1000 * cpu / (result.count + warmup))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.count} keyprov requests were refused")
    return result


@load_benchmark("skms-provision-load",
                "SKM-S keyprov over HTTPS, 2 replica processes, 4 connections (load: 2nd process)")
def provision_under_load(budget: LoadBudget) -> Result:
    result = provision_load(budget)
    return _as_result("skms-provision-load", result)


def main() -> None:
    """SKM-S keyprov under load: replica processes, connections of the load generator."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--count", type=int, default=FULL.count)
    parser.add_argument("--seconds", type=float, default=FULL.seconds)
    parser.add_argument("--processes", type=int, default=2,
                        help="SKM-S replica processes (0: a server thread of this process)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db-dir", help="where the SQLite store goes (default: the temp "
                        "directory; /dev/shm: no fsync cost)")
    args = parser.parse_args()
    result = provision_load(LoadBudget(args.count, args.seconds), args.processes,
                            args.connections, db_dir=args.db_dir)
    print(json.dumps({**result.as_json("skms-provision-load"), "processes": args.processes,
                      "connections": args.connections, "db_dir": args.db_dir or "(temp)"}))


if __name__ == "__main__":
    main()
