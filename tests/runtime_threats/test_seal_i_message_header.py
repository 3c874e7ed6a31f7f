"""The HDR of the I_MESSAGE a SEAL initiator sends (RFC 6509 2.1, RFC 3830 6.1) has what the
published I_MESSAGEs of other implementations have: version 1, data type SAKKE (26), the V flag
0 (RFC 6509: no verification message) and PRF-HMAC-SHA-256; the CSB ID is the SK-ID
(REQ-SEAL-KD-03).  Judged against tests/data/vendor_vectors.json, not against our builder
(a survivor of ``./dev mutate engine``: the header's default V)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mckm.impl.codec import decode
from mckm.impl.roles.seal import IdForm, SealUser
from tests.e2e.seal_fixtures import NOW, kms

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"
FIELDS = ("version", "data_type", "v", "prf_func")


def _published_headers() -> set[tuple[int, ...]]:
    data = json.loads(VECTORS.read_text())
    return {tuple(getattr(decode(bytes.fromhex(v["i_message_hex"])).hdr, f) for f in FIELDS)
            for v in data["i_messages_published"]}


@pytest.mark.parametrize("form", [IdForm.UID, IdForm.URI])
def test_the_i_message_header_is_the_one_other_implementations_send(form: IdForm) -> None:
    published = _published_headers()
    assert len(published) == 1  # the vendors agree among themselves
    k = kms()
    alice = SealUser(ALICE, k.community, [k.keys(ALICE)])
    raw, sk_id = alice.send(BOB, "PCK", now=NOW, id_form=form)
    hdr = decode(raw).hdr
    assert tuple(getattr(hdr, f) for f in FIELDS) in published
    assert hdr.csb_id == sk_id
