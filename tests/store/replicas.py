"""Real ``mckm kms serve`` replicas on one store, and a burst of provisioning clients over HTTPS
(TS 33.180 D.2 keyprov, the model's client) for the fault tests."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.crypto import uid
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys, UserKeySet
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.store.kms_store import KmsStore
from mckm.impl.store.open import open_kms_store
from mckm.impl.transport.https_kms import KmsClient
from mckm.models.procedures import skm_s

KMS_URI = "kms.example.org"
CONFIG = KmsConfig(KMS_URI)  # the default key period: 30 days, no boundary inside a test
READY_TIMEOUT = 30.0
_LISTENING = re.compile(rb"listening on https://127\.0\.0\.1:(\d+)/")

#: what a client holds of one key set, and what the store must hold unchanged
KeyMaterial = tuple[str, int, bytes, int, bytes, bytes]


def material(key_set: UserKeySet) -> KeyMaterial:
    return (key_set.user_uri, key_set.period_no, key_set.uid, key_set.ssk.reveal(),
            key_set.pvt, key_set.rsk.reveal())


def cli() -> list[str]:
    script = Path(sys.executable).with_name("mckm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from mckm.impl.cli import main; main()"]


@dataclass
class Replica:
    """One ``mckm kms serve`` process."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    port: int = 0
    ca_pem: bytes = b""

    def kill9(self) -> int:
        self.proc.kill()  # SIGKILL: no handler, no clean-up, open transactions cut
        return self.proc.wait(timeout=10)


@dataclass
class Deployment:
    """A store holding a community and enrolled users, an IdMS key, and the replicas on it."""

    folder: Path
    target: str
    users: dict[str, TransportKeys]
    idm: ec.EllipticCurvePrivateKey
    idm_file: Path
    #: the client's checks of key sets against the community's KMS certificate (D.3)
    checks: messages.KeyChecks | None = None
    replicas: list[Replica] = field(default_factory=list)

    def spawn(self, name: str, processes: int = 1) -> Replica:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*cli(), "kms", "serve", "--db", self.target, "--port", "0",
                 "--kms-uri", KMS_URI, "--idm-key", str(self.idm_file),
                 "--ca-out", str(self.folder / f"{name}-ca.pem"),
                 "--processes", str(processes)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        replica = Replica(name, proc, log)
        self.replicas.append(replica)
        return replica

    def ready(self, replica: Replica) -> Replica:
        deadline = time.monotonic() + READY_TIMEOUT
        while (found := _LISTENING.search(replica.log.read_bytes())) is None:
            if replica.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"replica {replica.name} did not start (exit {replica.proc.poll()})"
                            f":\n{replica.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        replica.port = int(found.group(1))
        replica.ca_pem = (self.folder / f"{replica.name}-ca.pem").read_bytes()
        return replica

    def stop(self) -> None:
        for replica in self.replicas:
            if replica.proc.poll() is None:
                replica.proc.terminate()
        for replica in self.replicas:
            try:
                replica.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                replica.kill9()

    def client(self, replica: Replica, user: str) -> KmsClient:
        token = access_token.issue(self.idm, subject=user, scopes=(KMS_SCOPE,),
                                   issued_at=int(time.time()), lifetime=600)
        return KmsClient("127.0.0.1", replica.port, replica.ca_pem, token, timeout=20)

    def keyprov(self, replica: Replica, user: str, at: float | None = None,
                checks: messages.KeyChecks | None = None) -> list[KeyMaterial]:
        """One keyprov over HTTPS (the current and next period, or the period holding the Unix
        time ``at``): what the client accepted (after ``checks`` of the keys against a KMS
        certificate, D.3); an OSError if the replica did not answer."""
        http = self.client(replica, user)
        try:
            client = ProvisioningClient(user, KMS_URI, self.users[user], http.base_url,
                                        checks or self.checks)
            options: dict[str, object] = {"user_uri": user}
            if at is not None:
                options["ntp_time"] = uid.unix_to_ntp(int(at)) << 32
            request = client.request("keyprov", token=http.token, now=int(time.time()),
                                     body=skm_s.BODY_SIGNED, options=options)
            status, body = http.post(request.path, request.body)
            assert status == 200, (status, body[:300])
            got = client.response("keyprov", body, now=int(time.time()))["key_sets"]
            return [material(k) for k in got]
        finally:
            http.close()

    def open_store(self) -> KmsStore:
        return open_kms_store(self.target)


def deploy(folder: Path, target: str, users: Iterable[str]) -> Deployment:
    """Create the community and enrol ``users`` in the store at ``target`` (as ``mckm kms
    enrol`` does; no users: the store is left empty, the replicas create the community), and
    write an IdMS key for the replicas."""
    enrolled: dict[str, TransportKeys] = {}
    checks = None
    if users := list(users):
        store = open_kms_store(target)
        try:
            role = KmsRole.open(store, CONFIG, standard())
            enrolled = {user: role.enrol(user) for user in users}
            checks = key_checks(role, rsk=False)
        finally:
            store.close()
    idm = ec.generate_private_key(ec.SECP256R1())
    idm_file = folder / "idm.pem"
    idm_file.write_bytes(idm.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    idm_file.chmod(0o600)
    return Deployment(folder, target, enrolled, idm, idm_file, checks)


def key_checks(role: KmsRole, *, rsk: bool = True) -> messages.KeyChecks:
    """What a client checks key sets with: ``role``'s KMS certificate and IBC algorithms.
    ``rsk=False`` leaves out the RSK's pairing check (about 0.1 s each; the bursts check the
    UID and the SSK/PVT against the KPAK, which a key set of another community fails too)."""
    a = role.algorithms
    return messages.KeyChecks(role.certificate, a.uid, a.validate_ssk,
                              a.validate_rsk if rsk else _unchecked)


def _unchecked(z_pub: bytes, identity: bytes, rsk: bytes) -> None:
    """No RSK check (see :func:`key_checks`)."""


@dataclass
class Burst:
    """``threads`` clients provisioning ``users`` against one replica until it dies."""

    deployment: Deployment
    replica: Replica
    users: list[str]
    at: float | None = None
    acknowledged: dict[str, list[KeyMaterial]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    #: answers other than 200 (none expected: a fault is a dead connection, never a refusal)
    errors: list[str] = field(default_factory=list)
    #: what each failed request met (a reset, a closed connection, ...)
    causes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, threads: int) -> Burst:
        queue = list(self.users)

        def work() -> None:
            while True:
                with self._lock:
                    if not queue:
                        return
                    user = queue.pop(0)
                try:
                    got = self.deployment.keyprov(self.replica, user, self.at)
                except (OSError, http.client.HTTPException) as exc:  # died under this request
                    with self._lock:
                        self.failed.append(user)
                        self.causes.append(f"{user}: {exc!r}")
                    return
                except Exception as exc:  # a refusal, or keys the client does not accept
                    with self._lock:
                        self.errors.append(f"{user}: {exc}")
                    return
                with self._lock:
                    self.acknowledged[user] = got

        self._threads = [threading.Thread(target=work) for _ in range(threads)]
        for thread in self._threads:
            thread.start()
        return self

    def wait_for(self, acknowledged: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < acknowledged:
            assert time.monotonic() < deadline, f"the burst stalled: {self.causes}"
            time.sleep(0.005)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=30)
