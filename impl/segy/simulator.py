"""Run a SeGy approach's model operation by operation and count what it costs.

The simulator plays the SeGy of one :class:`~mckm.models.segy.approaches.Approach` for ``N``
external users over ``K`` key periods.  Every message of every operation goes through
:meth:`Run.send`, which counts it at the server it reaches, opens a TLS connection the first time
an identity (or the interconnection) talks to a server, and stores what the message leaves the
SeGy holding.  The events, in order:

1. the approach's one-off operations;
2. per external user ``u``: the identity that represents it (``u`` itself, or the single shared
   identity), created with the per-identity operations the first time it is seen; then the
   user's ``groups-per-user`` groups (user ``u``'s ``i``-th group is ``(u * m + i) mod G``),
   each joined with the per-membership operations the first time its (identity, group) pair
   is seen, and affiliated at the MCX server;
3. per key period: the calls of the mix (each external user receives ``private`` private calls;
   each group with an external member carries ``group`` group calls, delivered once per
   affiliated identity over per-identity connections, once per group over an interconnection),
   then the rollover to the next key period (the per-period operations of each identity and
   each membership).

The closed forms of :mod:`mckm.impl.segy.closed_form` are derived independently; a test
compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mckm.impl.errors import UsageError
from mckm.models.segy.approaches import Approach
from mckm.models.segy.operations import ADDRESSING as _ADDRESSING
from mckm.models.segy.operations import GROUP_CALL as _GROUP_CALL
from mckm.models.segy.operations import MC_SERVERS, Operation
from mckm.models.segy.operations import PRIVATE_CALL as _PRIVATE

#: the counts, in the order tables show them, with what each is
METRICS: dict[str, str] = {
    "idm_messages": "messages to the MC domain's IdM",
    "kms_messages": "messages to the MC domain's KMS",
    "gms_messages": "messages with the MC domain's GMS (joins and GMK deliveries)",
    "mcx_messages": "messages with the MC domain's MCX servers (CSK uploads, calls)",
    "tls_connections": "TLS connections from the SeGy to MC domain servers",
    "internal_messages": "messages inside the SeGy's own domain (its IdM and KMS)",
    "addressing_messages": "in-band identities of external users sent to the IWF",
    "identities": "identities the SeGy holds",
    "key_sets": "KMS key sets (SSK, PVT, RSK) the SeGy holds",
    "csks": "CSKs the SeGy holds",
    "group_joins": "group joins the SeGy makes",
    "gmks": "GMKs the SeGy holds",
    "rollover_per_period": "messages of one key-period rollover (mean over the periods)",
    "state": "entries the SeGy keeps (identities, tokens, key sets, GMKs, CSKs, SPKs, "
             "master secrets)",
}

#: role -> metric its messages are counted in
_COUNTED_AT = {"idm": "idm_messages", "kms": "kms_messages", "gms": "gms_messages",
               "mcx": "mcx_messages", "own_idm": "internal_messages",
               "own_kms": "internal_messages", "iwf": "addressing_messages"}


@dataclass(frozen=True)
class Mix:
    """The call mix and group layout: per key period, ``private`` private calls to each
    external user and ``group`` calls in each group with an external member; each external
    user is in ``groups_per_user`` groups."""

    private: int = 1
    group: int = 1
    groups_per_user: int = 2

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``private=1,group=1,groups-per-user=2`` (any subset, non-negative integers)."""
        values: dict[str, int] = {}
        names = {"private": "private", "group": "group", "groups-per-user": "groups_per_user"}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in names:
                raise UsageError(f"--mix: {part!r} is not one of {', '.join(names)} = number")
            if not value.strip().isdigit():
                raise UsageError(f"--mix: {key.strip()} must be a non-negative integer, "
                                 f"not {value.strip()!r}")
            values[names[key.strip()]] = int(value)
        return cls(**values)


def check_sizes(users: int, groups: int, periods: int, mix: Mix) -> None:
    if users < 1 or groups < 1 or periods < 1:
        raise UsageError("--users, --groups and --key-periods must be at least 1")
    if mix.groups_per_user > groups:
        raise UsageError(f"--mix groups-per-user={mix.groups_per_user} exceeds --groups "
                         f"{groups}: a user cannot join more groups than there are")


class Run:
    """One simulation of one approach (module docstring)."""

    def __init__(self, approach: Approach) -> None:
        self.approach = approach
        self.counts: dict[str, int] = dict.fromkeys(METRICS, 0)
        self.connections: set[tuple[object, str]] = set()
        self.held: dict[str, set[object]] = {}
        self.identities: set[int] = set()
        self.memberships: set[tuple[int, int]] = set()
        self.affiliated: dict[int, set[int]] = {}  # MCX server: group -> identities
        self._channel = {server: ("sip" if server == "mcx" else "http")
                         for server in MC_SERVERS}

    def send(self, identity: int, operation: Operation, key: object = None) -> int:
        """Every message of ``operation`` for ``identity``; returns how many were sent."""
        for msg in operation.messages:
            self.counts[_COUNTED_AT[msg.to]] += 1
            mode = self.approach.connection.get(msg.to)
            if mode is not None:
                conn = ((identity, msg.to) if mode == "per-identity"
                        else ("interconnection", self._channel[msg.to]))
                if conn not in self.connections:
                    self.connections.add(conn)
                    self.counts["tls_connections"] += 1
            if msg.obtains:
                self.held.setdefault(msg.obtains, set()).add(
                    identity if key is None else (identity, key))
        return len(operation.messages)

    def identity_of(self, user: int) -> int:
        return user if self.approach.identities == "per-user" else 0

    def enrol(self, user: int, groups: Iterable[int]) -> None:
        identity = self.identity_of(user)
        if identity not in self.identities:
            self.identities.add(identity)
            for op in self.approach.per_identity:
                self.send(identity, op)
        for g in groups:
            if (identity, g) in self.memberships:
                continue
            self.memberships.add((identity, g))
            self.counts["group_joins"] += 1
            self.affiliated.setdefault(g, set()).add(identity)
            for op in self.approach.per_membership:
                self.send(identity, op, g)

    def calls(self, users: int, mix: Mix) -> None:
        for user in range(users):
            identity = self.identity_of(user)
            for _ in range(mix.private):
                self.send(identity, _PRIVATE)
                if not self.approach.transparent:
                    self.send(identity, _ADDRESSING)
        per_identity = self.approach.connection["mcx"] == "per-identity"
        for members in self.affiliated.values():
            for _ in range(mix.group):
                for identity in (members if per_identity else (min(members),)):
                    self.send(identity, _GROUP_CALL)

    def rollover(self) -> int:
        sent = 0
        for identity in self.identities:
            for op in self.approach.per_period_identity:
                sent += self.send(identity, op)
        for identity, g in self.memberships:
            for op in self.approach.per_period_membership:
                sent += self.send(identity, op, g)
        return sent

    def finish(self, periods: int) -> dict[str, int]:
        c = self.counts
        c["identities"] = len(self.identities)
        c["key_sets"] = len(self.held.get("key-set", ()))
        c["csks"] = len(self.held.get("csk", ()))
        c["gmks"] = len(self.held.get("gmk", ()))
        tokens = len(self.held.get("access-token", ())) + len(self.held.get("partner-token", ()))
        spks = len(self.approach.holding("spk"))
        masters = len(self.approach.holding("kms-master")) + len(
            self.approach.holding("idm-signing-key"))
        c["state"] = c["identities"] + tokens + c["key_sets"] + c["gmks"] + c["csks"] + spks \
            + masters
        c["rollover_per_period"] //= periods
        return c


def simulate(approach: Approach, users: int, groups: int, periods: int, mix: Mix
             ) -> dict[str, int]:
    """The counts of :data:`METRICS` for ``approach`` (module docstring for the events)."""
    check_sizes(users, groups, periods, mix)
    run = Run(approach)
    for op in approach.once:
        run.send(0, op)
    m = mix.groups_per_user
    for user in range(users):
        run.enrol(user, ((user * m + i) % groups for i in range(m)))
    for _ in range(periods):
        run.calls(users, mix)
        run.counts["rollover_per_period"] += run.rollover()
    return run.finish(periods)
