"""The SGM-S's GMK distribution (seed 004 6.Y.1, TS 33.180 5.2.3) does what its caller asked:
the GMK given is the GMK every member holds, and the identity form asked for is the one on the
wire (URI form: IDR roles 1 and 2, RFC 6509 / TS 33.180 E.2).  Survivors of
``./dev mutate seal``."""

from __future__ import annotations

from mckm.impl.codec import decode
from mckm.impl.roles.seal import GroupManagementServer, IdForm, SealUser
from tests.e2e.seal_fixtures import NOW, kms

GMS, ALICE, BOB = "sip:sgms@example.org", "sip:alice@example.org", "sip:bob@example.org"


def _member(uri: str) -> SealUser:
    return SealUser(uri, kms().community, [kms().keys(uri)], group_servers=[GMS])


def test_the_gmk_given_is_the_gmk_every_member_holds_in_the_form_asked() -> None:
    gms = GroupManagementServer(GMS, kms().community, [kms().keys(GMS)])
    gmk = bytes(range(16))
    gmk_id, messages = gms.distribute_gmk([ALICE, BOB], now=NOW, gmk=gmk, id_form=IdForm.URI)
    for member, raw in messages.items():
        roles = sorted(p.id_role for p in decode(raw).all("IDR"))
        assert roles == [1, 2, 6, 7], f"{member}: not the URI form asked for"
        record = _member(member).receive(raw, now=NOW, sender_uri=None)
        assert record.sk_id == gmk_id and record.key.reveal() == gmk
