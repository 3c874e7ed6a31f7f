"""Seed 000 in `mckm demo`: a KMM from the IWF to a UE through the MCX server, and the UE's
answer back, over SIP MESSAGE on loopback UDP.

Each hop is printed with its protection (the XPK-ID and the algorithms of TS 33.180 9.3.4 and
9.3.5) and its size as captured at the receiving socket, with a check that neither the KMM nor
the parameters are in clear on it; never a key.  The keys are made up for the demo (a CSK-ID
with purpose tag 2, an SPK-ID with tag 3, TS 33.180 Annex G).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from mckm.impl.redact import Secret, fingerprint
from mckm.impl.roles.interkmm import Directory, EndPoint, McxServer
from mckm.impl.xmlprotect.keys import Keyring, Xpk
from mckm.impl.xmlprotect.names import AES128_GCM, HMAC_SHA256

UE, KMF = "sip:alice@mcx.example", "kmf.iwf.example"
CSK_ID, SPK_ID = 0x2A5B3C4D, 0x3123ABCD
PROTECTION = f"{AES128_GCM.rsplit('#', 1)[1]} + {HMAC_SHA256.rsplit('#', 1)[1]} signatures"


def interkmm_exchange(echo: Callable[[str], object]) -> bool:
    """IWF -> MCX server -> UE, then UE -> MCX server -> IWF; True if both KMMs arrived
    unchanged and no hop carried them or the parameters in clear."""
    csk, spk = Xpk(Secret(os.urandom(16)), UE), Xpk(Secret(os.urandom(16)), UE)
    server = McxServer(csks=Keyring({CSK_ID: csk}), spks=Keyring({SPK_ID: spk}),
                       directory=Directory({UE: CSK_ID, KMF: SPK_ID}, frozenset({KMF}),
                                           frozenset({UE})),
                       ues={}, iwfs={}, transport="UDP").start()
    iwf = ue = None
    try:
        iwf = EndPoint("iwf", KMF, SPK_ID, Keyring({SPK_ID: spk}),
                       server=server.iwf_side.address).start()
        ue = EndPoint("ue", UE, CSK_ID, Keyring({CSK_ID: csk}), server=server.ue_side.address,
                      directory=Directory({KMF: 0}, frozenset({KMF}))).start()
        server.ues[UE], server.iwfs[KMF] = ue.address, iwf.address
        ok = True
        for label, sender, receiver, peer, hops in (
                ("IWF -> UE", iwf, ue, UE, ((server.iwf_side, SPK_ID), (ue.sip, CSK_ID))),
                ("UE -> IWF", ue, iwf, KMF, ((server.ue_side, CSK_ID), (iwf.sip, SPK_ID)))):
            kmm = f"KMM {label} ".encode() + os.urandom(256)
            captured: list[list[bytes]] = [[], []]
            for (side, _), seen in zip(hops, captured, strict=True):
                side.tap = lambda raw, transport, seen=seen: seen.append(raw)
            outcome = sender.send_kmm(kmm, peer=peer)
            got = receiver.delivered[-1] if receiver.delivered else None
            arrived = got is not None and got.kmm == kmm
            echo(f"  {label}: KMM of {len(kmm)} octets, sha256:{fingerprint(kmm)}; MCX server "
                 f"answered {outcome.status} {outcome.reason}; arrived unchanged: {arrived}")
            for n, ((_, xpk_id), seen) in enumerate(zip(hops, captured, strict=True), 1):
                clear = any(kmm[-32:] in raw or UE.encode() in raw or KMF.encode() in raw
                            for raw in seen)
                echo(f"    hop {n}: SIP MESSAGE over UDP, {sum(map(len, seen))} octets, "
                     f"{'CSK' if xpk_id == CSK_ID else 'SPK'}-ID {xpk_id:#010x}, {PROTECTION}; "
                     f"KMM or parameters in clear: {clear}")
                ok = ok and bool(seen) and not clear
            ok = ok and arrived and outcome.status == 202
        return ok
    finally:
        for node in (ue, iwf):
            if node is not None:
                node.close()
        server.close()
