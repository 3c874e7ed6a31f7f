"""The JSON files that configure a ticket KMS and the BSF processes, and the files they write:
bootstrapping contexts (provisioned to the BSF and to each UE), key material (owner-only) and the
ready file (``mckm ticket kms-serve`` / ``bsf-serve``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, UserSecuritySettings
from mckm.impl.roles.ticket.effects import DEFAULT_VALIDITY
from mckm.impl.store.private import create_private
from mckm.impl.transport.https_kms import TlsIdentity


def address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"address {text!r} is not host:port")
    return host, int(port)


def write_private(path: Path, data: bytes, what: str) -> Path:
    """Write ``data`` (key material) to ``path``, owner-only."""
    create_private(path, what)
    path.write_bytes(data)
    return path


def write_ready(path: Path, ports: Mapping[str, int]) -> None:
    """Write the ready file atomically (readers never see half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(ports)))
    os.replace(tmp, path)


# -- bootstrapping contexts (provisioned to the BSF and to each UE) ---------------------------

def contexts_to_json(contexts: Iterable[BootstrapContext]) -> str:
    """The provisioning file of ``contexts`` (holds Ks: write it owner-only)."""
    return json.dumps([{"b_tid": c.b_tid, "ks": c.ks.reveal().hex(), "rand": c.rand.hex(),
                        "impi": c.impi, "expires_at": c.expires_at,
                        "public_identities": list(c.uss.public_identities)} for c in contexts])


def contexts_from_json(text: str) -> list[BootstrapContext]:
    try:
        return [BootstrapContext(b_tid=str(o["b_tid"]), ks=Secret(bytes.fromhex(o["ks"])),
                                 rand=bytes.fromhex(o["rand"]), impi=str(o["impi"]),
                                 expires_at=float(o["expires_at"]),
                                 uss=UserSecuritySettings(tuple(o["public_identities"])))
                for o in json.loads(text)]
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"malformed bootstrapping contexts file: {error!r}") from None


def context_of(contexts: Iterable[BootstrapContext], uri: str) -> BootstrapContext:
    """The context whose USS lists ``uri``."""
    for c in contexts:
        if uri in c.uss.public_identities:
            return c
    raise UsageError(f"no bootstrapping context for {uri!r}")


@dataclass(frozen=True)
class PeerConfig:
    uri: str
    ca_file: str
    zk: str | None = None  # "host:port"
    trusted: bool = True


@dataclass(frozen=True)
class KmsServerConfig:
    """One KMS process: its URI (= TLS domain), its TLS certificate and key (issued by its
    domain CA), the BSF's Zn address and CA, its Zk peers, ports and the ready file."""

    uri: str
    cert_file: str
    key_file: str
    ca_file: str
    bsf: str  # "host:port"
    bsf_domain: str
    bsf_ca_file: str
    peers: tuple[PeerConfig, ...] = ()
    host: str = "127.0.0.1"
    ua_port: int = 0
    zk_port: int = 0
    ready_file: str | None = None
    tpk_file: str | None = None  # 32 octets; None: a fresh TPK for this run
    validity: int = DEFAULT_VALIDITY
    #: the store (``mckm kms --db`` forms) whose replay table replicas of this KMS share, so
    #: one refuses a message another accepted; None: the replay cache is in this process only
    db: str | None = None
    #: replica processes on the Ua (and Zk) ports (SO_REUSEPORT): more than one needs ``db``
    #: and ``tpk_file``, so that every replica refuses the others' replays and opens their
    #: tickets
    processes: int = 1

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> KmsServerConfig:
        try:
            obj = json.loads(text)
            obj["peers"] = tuple(PeerConfig(**p) for p in obj.get("peers", ()))
            return cls(**obj)
        except (ValueError, TypeError) as error:
            raise UsageError(f"malformed KMS config: {error}") from None


@dataclass(frozen=True)
class BsfServerConfig:
    """The BSF process: its TLS identity, the NAF (KMS) domains it serves and their CAs, the
    provisioned contexts file, port and ready file."""

    domain: str
    cert_file: str
    key_file: str
    ca_file: str
    naf_ca_files: dict[str, str]
    contexts_file: str
    host: str = "127.0.0.1"
    port: int = 0
    ready_file: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> BsfServerConfig:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as error:
            raise UsageError(f"malformed BSF config: {error}") from None


def tls_identity(cert_file: str, key_file: str, ca_file: str) -> TlsIdentity:
    return TlsIdentity(Path(cert_file).read_bytes(), Path(key_file).read_bytes(),
                       Path(ca_file).read_bytes())


__all__ = ["BsfServerConfig", "KmsServerConfig", "PeerConfig", "address", "context_of",
           "contexts_from_json", "contexts_to_json", "tls_identity", "write_private", "write_ready"]
