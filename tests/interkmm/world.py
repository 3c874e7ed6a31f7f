"""An InterKMM deployment on loopback: the IWF, the MCX server and two UEs (alice is affiliated
for interworking, bob is not), with their CSKs and SPKs, over UDP or TCP.  Keys are made up for
the test (CSK-IDs with purpose tag 2, SPK-IDs with tag 3, TS 33.180 Annex G)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mckm.impl.redact import Secret
from mckm.impl.roles.interkmm import Directory, EndPoint, McxServer
from mckm.impl.xmlprotect.keys import Keyring, Xpk

ALICE, BOB = "sip:alice@mcx.example", "sip:bob@mcx.example"
CAROL = "sip:carol@mcx.example"  # affiliated for interworking, but no CSK at the server
KMF = "kmf.iwf.example"
CSK_ALICE, CSK_BOB, SPK = 0x2A5B3C4D, 0x2B000001, 0x3123ABCD
T1 = 0.05  # Timer T1 shortened for the tests (Timer F = 3.2 s)


def ring(*entries: tuple[int, str]) -> Keyring:
    return Keyring({i: Xpk(Secret(os.urandom(16)), mc) for i, mc in entries})


@dataclass
class World:
    server: McxServer
    iwf: EndPoint
    alice: EndPoint
    bob: EndPoint
    csks: Keyring
    spks: Keyring


@contextmanager
def world(transport: str = "UDP") -> Iterator[World]:
    csks = ring((CSK_ALICE, ALICE), (CSK_BOB, BOB))
    spks = ring((SPK, ALICE))  # F.1.4 P0: the interworking user's MC ID (spec/interkmm.md)
    alice_keys = Keyring({CSK_ALICE: csks[CSK_ALICE]})
    bob_keys = Keyring({CSK_BOB: csks[CSK_BOB]})
    directory = Directory({ALICE: CSK_ALICE, BOB: CSK_BOB, KMF: SPK}, frozenset({KMF}),
                          frozenset({ALICE, CAROL}))
    server = McxServer(csks=csks, spks=spks, directory=directory, ues={}, iwfs={},
                       transport=transport, t1=T1).start()
    ue_dir = Directory({KMF: 0}, frozenset({KMF}))
    iwf = EndPoint("iwf", KMF, SPK, spks, server=server.iwf_side.address, t1=T1).start()
    alice = EndPoint("ue", ALICE, CSK_ALICE, alice_keys, server=server.ue_side.address,
                     directory=ue_dir, t1=T1).start()
    bob = EndPoint("ue", BOB, CSK_BOB, bob_keys, server=server.ue_side.address,
                   directory=ue_dir, t1=T1).start()
    server.ues.update({ALICE: alice.address, BOB: bob.address})
    server.iwfs[KMF] = iwf.address
    try:
        yield World(server, iwf, alice, bob, csks, spks)
    finally:
        for node in (alice, bob, iwf, server):
            node.close()
