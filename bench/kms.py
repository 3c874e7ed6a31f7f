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

import atexit
import itertools
import os
import shutil
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric import ec

from mckm.bench.registry import Operation, benchmark
from mckm.impl.crypto import uid
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity


def provision_https() -> Operation:
    directory = tempfile.mkdtemp(prefix="mckm-bench-kms-")
    atexit.register(shutil.rmtree, directory, True)
    store = SqliteKmsStore(os.path.join(directory, "kms.db"))
    role = KmsRole.open(store, KmsConfig("kms.example.org"), standard())
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
