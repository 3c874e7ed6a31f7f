"""Identities in MIKEY-TICKET messages (REQ-TKT-MSG-04): the model's message specs make IDRi and
IDRkms fields of REQUEST_INIT_PSK, so a KMS refuses a request without one as missing that field
(MIKEY error 12), and one that names another party by the step's guard (error 7); RFC 6043 5.5's
"identity known by other means" is never used.  Real octets through the sans-IO KMS."""

from __future__ import annotations

import pytest

from mckm.impl.codec import decode, encode
from mckm.impl.engine import StepRefused
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings
from mckm.impl.roles.ticket.endpoints import Initiator, Kms
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.wire import TicketView, build
from mckm.models.grammar.namespaces import DATA_TYPE, ERROR_NO, ID_ROLE

from .world import ALICE, BOB, KMS_I, KMS_R, TPK

NOW = 3_900_000_000
CONTEXT = BootstrapContext("btid-a@bsf.example.org", Secret(bytes(range(32))), bytes(range(16)),
                           "impi-alice", NOW + 3600, UserSecuritySettings((ALICE,)))


def _kms() -> Kms:
    bsf = Bsf()
    bsf.provision(CONTEXT)
    return Kms(KMS_I, tpk=TPK, bsf=bsf)


def _request() -> bytes:
    """Alice's REQUEST_INIT_PSK to her KMS, as her UE builds it."""
    return Initiator(ALICE, KMS_I, CONTEXT).request_ticket(BOB, now=NOW)


def _refusal(raw: bytes) -> StepRefused:
    with pytest.raises(StepRefused) as info:
        _kms().receive_request(raw, now=NOW)
    return info.value


def test_the_request_as_built_is_answered() -> None:
    """REQ-TKT-MSG-04: the control: Alice's request names IDRi and IDRkms and is answered."""
    assert decode(_kms().receive_request(_request(), now=NOW)).data_type == \
        DATA_TYPE.REQUEST_RESP


@pytest.mark.parametrize(("role", "field"), [(ID_ROLE.IDRI, "idri"), (ID_ROLE.IDRKMS, "idrkms")])
def test_a_request_without_an_identity_is_refused_as_missing_it(role: int, field: str) -> None:
    """REQ-TKT-MSG-04: REQUEST_INIT_PSK without IDRi or IDRkms is refused as missing that field,
    MIKEY error 12, before any MAC is computed without it."""
    message = decode(_request())
    message.payloads = [p for p in message.payloads
                        if not (p.name == "IDR" and p.fields["id_role"] == role)]
    refused = _refusal(encode(message))
    assert f"field {field} is missing" in str(refused)
    assert refused.mikey_error == ERROR_NO.UNSPECIFIED_ERROR


@pytest.mark.parametrize(("change", "guard"), [({"idrkms": KMS_R}, "addressed-kms"),
                                               ({"idri": "sip:carol@a.example.org"}, "uss-match")])
def test_a_request_naming_another_party_is_refused_by_its_guard(
    change: dict[str, str], guard: str
) -> None:
    """REQ-TKT-MSG-04: a request MACed under the right key (so both sides append the same
    identities) but naming another KMS, or a user outside the B-TID's USS, is refused by the
    step's addressing guard with MIKEY error 7 (REQ-TKT-MSG-11: wrong or unknown identity)."""
    sent = TicketView.decode(_request(), expect="REQUEST_INIT")
    values = {f: sent.get(f) for f in ("t", "randri", "idri", "idrkms", "tp", "idrpsk")}
    hdr = {k: sent.message.hdr.fields[k] for k in ("csb_id", "prf_func")}
    psk = CONTEXT.ue_ks_naf(naf_id(KMS_I))
    same = build("REQUEST_INIT", values, inkey=psk, hdr=hdr)
    answer = _kms().receive_request(same.raw, now=NOW)  # rebuilt unchanged: answered
    assert decode(answer).data_type == DATA_TYPE.REQUEST_RESP
    refused = _refusal(build("REQUEST_INIT", {**values, **change}, inkey=psk, hdr=hdr).raw)
    assert f"guard '{guard}'" in str(refused)
    assert refused.mikey_error == ERROR_NO.INVALID_ID
