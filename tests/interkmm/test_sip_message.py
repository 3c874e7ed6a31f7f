"""The SIP MESSAGE transport (RFC 3261, RFC 3428) on loopback: strict parsing with errors naming
the field, Timer E retransmission and Timer F over UDP (17.1.2), a server transaction that
absorbs retransmissions (17.2.2), 400 / 405 answers."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import DecodeError
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import (
    SipEndpoint,
    SipTimeout,
    message_request,
    parse_message,
)
from tests.interkmm.wire import status_of

GOOD = (b"MESSAGE sip:bob@example.org SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
        b"Max-Forwards: 70\r\nTo: <sip:bob@example.org>\r\n"
        b"From: <sip:alice@example.org>;tag=49583\r\nCall-ID: a84b4c76e66710@pc33\r\n"
        b"CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")


def test_a_good_message_parses() -> None:
    message = parse_message(GOOD)
    assert message.is_request and message.body == b"hello"
    assert message.header("CSeq") == "1 MESSAGE"


@pytest.mark.parametrize("change,field", [
    ((b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n", b""), "Via"),
    ((b"branch=z9hG4bK776asdhds", b"branch=776asdhds"), "Via"),
    ((b"CSeq: 1 MESSAGE", b"CSeq: 1 INVITE"), "CSeq"),
    ((b"Content-Length: 5", b"Content-Length: 6"), "Content-Length"),
    ((b"Content-Length: 5\r\n", b""), "Content-Length"),
    ((b"Max-Forwards: 70\r\n", b""), "Max-Forwards"),
    ((b"Call-ID: a84b", b" Call-ID: a84b"), "header"),  # a folded line
    ((b"MESSAGE sip:bob@example.org SIP/2.0", b"MESSAGE bob SIP/2.0"), "start-line"),
    ((b"\r\n\r\nhello", b"\r\nhello"), "headers"),
])
def test_bad_messages_name_the_field(change: tuple[bytes, bytes], field: str) -> None:
    with pytest.raises(DecodeError) as caught:
        parse_message(GOOD.replace(*change))
    assert caught.value.field == field and caught.value.payload == "SIP"


def _request(sender: SipEndpoint, transport: str = "UDP", method: str = "MESSAGE"
             ) -> SipMessage:
    request = message_request(uri="sip:bob@example.org", from_uri="sip:alice@example.org",
                              to_uri="sip:bob@example.org", local=sender.address,
                              transport=transport, content_type="text/plain", body=b"hi")
    if method != "MESSAGE":
        request = SipMessage(request.start.replace("MESSAGE", method, 1), tuple(
            (k, v.replace("MESSAGE", method)) for k, v in request.headers), request.body)
    return request


def test_udp_retransmissions_are_absorbed_by_the_server_transaction() -> None:
    """The handler takes 8*T1: the client retransmits (Timer E) and the server's transaction
    answers each retransmission without running the handler again."""
    seen: list[bytes] = []

    def slow(request: SipMessage, transport: str) -> tuple[int, str]:
        time.sleep(0.4)
        return 200, "OK"

    with SipEndpoint(slow, t1=0.05) as server, SipEndpoint(t1=0.05) as client:
        server.tap = lambda raw, transport: seen.append(raw)
        response = client.send(_request(client), server.address)
        time.sleep(0.3)  # the retransmissions still in flight are answered from the cache
        assert status_of(response) == (200, "OK")
        assert len(seen) >= 3  # sent at 0, T1, 3*T1 ... before the answer
        assert server.handled == 1


def test_timer_f_ends_an_unanswered_udp_transaction() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    silent.settimeout(0.1)
    got: list[bytes] = []

    def drain() -> None:
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                got.append(silent.recv(65535))
            except TimeoutError:
                continue

    reader = threading.Thread(target=drain)
    reader.start()
    with SipEndpoint(t1=0.01, t2=0.04) as client:
        started = time.monotonic()
        with pytest.raises(SipTimeout, match="Timer F"):
            client.send(_request(client), silent.getsockname())
        assert 0.6 <= time.monotonic() - started < 1.5  # 64*T1
    reader.join()
    silent.close()
    # E: 0, 10, 30, 70 ms, then every T2=40 ms until 640 ms: about 18 sends
    assert 10 <= len(got) <= 20 and len(set(got)) == 1


def test_a_bad_request_is_answered_400_naming_the_field_and_another_method_405() -> None:
    with SipEndpoint(lambda r, t: (200, "OK"), t1=0.05) as server, \
            SipEndpoint(t1=0.05) as client:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(2)
        sock.sendto(GOOD.replace(b"CSeq: 1 MESSAGE", b"CSeq: 1 INVITE"), server.address)
        answer = parse_message(sock.recv(65535))
        sock.close()
        assert answer.start.startswith("SIP/2.0 400 Bad Request (CSeq:")
        assert status_of(client.send(_request(client, method="OPTIONS"), server.address)) \
            == (405, "Method Not Allowed")
        assert server.handled == 0


def test_tcp_carries_messages_back_to_back_on_one_connection() -> None:
    with SipEndpoint(lambda r, t: (200, t), t1=0.05) as server, SipEndpoint(t1=0.05) as client:
        for _ in range(3):
            response = client.send(_request(client, "TCP"), server.address, transport="TCP")
            assert status_of(response) == (200, "TCP")
        assert server.handled == 3


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_parsing_is_total(data: st.DataObject) -> None:
    """Any octets, or the good message with one octet changed, cut or inserted: a message or a
    DecodeError, nothing else."""
    kind = data.draw(st.sampled_from(["random", "flip", "cut", "insert"]))
    if kind == "random":
        raw = data.draw(st.binary(max_size=400))
    else:
        at = data.draw(st.integers(0, len(GOOD) - 1))
        octet = bytes([data.draw(st.integers(0, 255))])
        raw = {"flip": GOOD[:at] + octet + GOOD[at + 1:], "cut": GOOD[:at],
               "insert": GOOD[:at] + octet + GOOD[at:]}[kind]
    with contextlib.suppress(DecodeError):
        parse_message(raw)


def test_a_closed_tcp_connection_is_opened_again() -> None:
    with SipEndpoint(t1=0.05) as client:
        first = SipEndpoint(lambda r, t: (200, "first"), t1=0.05).start()
        address = first.address
        assert status_of(client.send(_request(client, "TCP"), address, transport="TCP")) == \
            (200, "first")
        first.close()
        time.sleep(0.2)  # the client's reader sees the end of the stream
        second = SipEndpoint(lambda r, t: (200, "second"), port=address[1], t1=0.05).start()
        try:
            assert status_of(client.send(_request(client, "TCP"), address,
                                         transport="TCP")) == (200, "second")
        finally:
            second.close()
