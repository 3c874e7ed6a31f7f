"""MIKEY base ticket (RFC 6043 Appendix A): seal / open round trip, positional THDR, tamper."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.codec import Payload
from mckm.impl.codec.chains import decode_chain
from mckm.impl.crypto.mikey_prf import PrfFunc
from mckm.impl.errors import PolicyError, VerifyError
from mckm.impl.roles.ticket import base_ticket as B
from mckm.impl.roles.ticket.keys import split_mpk

from .world import MPK, TPK, contents, policy, tgk, ticket


def test_round_trip_and_mpk_split() -> None:
    """REQ-TKT-MSG-09: a sealed base ticket opens under its TPK to the MPK and keys, and MPKi /
    MPKr come from the MPK.
    """
    t = ticket()
    opened = B.open_ticket(t, lambda ident: TPK if ident == b"tpk-2025" else b"")
    c = contents()
    assert opened.mpk == c.mpk and opened.session_keys == c.session_keys
    assert (opened.thdr_data, opened.tpk_id, opened.rand) == (b"kms-a", b"tpk-2025", c.rand)
    assert opened.mpki_mpkr(1) == split_mpk(MPK, rand=c.rand, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert opened.mpki(1) == opened.mpki_mpkr(1)[0] != opened.mpki_mpkr(1)[1]
    assert "redacted" in repr(opened)


def test_thdr_is_positional_and_chains_the_rest() -> None:
    """REQ-TKT-MSG-10: Ticket Data begins with THDR, whose Next Payload is the First Payload of
    the chain decode_chain reads; REQ-TKT-MSG-09: T, RAND, KEMAC, IDRpsk, V.
    """
    data = ticket().fields["ticket_data"]
    thdr_data, chain = B.read_ticket_data(data)
    assert thdr_data == b"kms-a"
    assert data[0] == 5  # THDR's Next Payload names T, the first payload after THDR
    assert [p.name for p in chain] == ["T", "RAND", "KEMAC", "IDR", "V"]
    assert decode_chain(data[:1] + data[3 + len(b"kms-a"):]) == chain
    kemac = chain[2]
    assert kemac.fields["mac_alg"] == 0 and kemac.fields["encr_alg"] == 3


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_flipped_bit_in_covered_octets_is_refused(data: st.DataObject) -> None:
    """REQ-TKT-MSG-09: any flipped bit of the Ticket Data is refused."""
    t = ticket()
    td = bytearray(t.fields["ticket_data"])
    i = data.draw(st.integers(0, len(td) - 1))
    td[i] ^= 1 << data.draw(st.integers(0, 7))
    bad = Payload("TICKET", {**t.fields, "ticket_data": bytes(td)})
    with pytest.raises((VerifyError, PolicyError)):
        B.open_ticket(bad, lambda _: TPK)


def test_policy_is_covered_but_initiator_data_is_not() -> None:
    """REQ-TKT-MSG-09: the ticket's V covers the policy (error 0 when changed) but not the
    Initiator Data.
    """
    t = ticket()
    with pytest.raises(VerifyError) as err:
        B.open_ticket(Payload("TICKET", {**t.fields, "j": 0}), lambda _: TPK)
    assert err.value.mikey_error == 0
    B.open_ticket(Payload("TICKET", {**t.fields, "initiator_data": b"\x00"}), lambda _: TPK)


def test_wrong_tpk_and_wrong_type() -> None:
    """REQ-TKT-MSG-09, REQ-TKT-MSG-11: a wrong TPK does not verify; another Ticket Type is error
    14.
    """
    with pytest.raises(VerifyError):
        B.open_ticket(ticket(), lambda _: bytes(32))
    with pytest.raises(PolicyError) as err:
        B.open_ticket(Payload("TICKET", {**ticket().fields, "ticket_type": 2}), lambda _: TPK)
    assert err.value.mikey_error == 14


def test_garbage_ticket_data_is_invalid_ticket() -> None:
    """REQ-TKT-MSG-09, REQ-TKT-MSG-11: Ticket Data that does not parse is error 14 (Invalid
    TICKET).
    """
    for junk in (b"", b"\x05\x00", b"\x05\x00\x09abc", b"\x63\x00\x00"):
        with pytest.raises(PolicyError) as err:
            B.open_ticket(Payload("TICKET", {**ticket().fields, "ticket_data": junk}),
                          lambda _: TPK)
        assert err.value.mikey_error == 14


def test_first_key_must_be_mpk() -> None:
    """REQ-TKT-MSG-09: the ticket's KEMAC begins with the MPK."""
    c = contents()
    bad = B.TicketContents(mpk=tgk(), session_keys=(), ts_type=0, ts_value=1, rand=c.rand)
    with pytest.raises(Exception, match="MPK"):
        B.seal_ticket(policy(), bad, tpk=TPK, encr_alg=1, mac_alg=1)
