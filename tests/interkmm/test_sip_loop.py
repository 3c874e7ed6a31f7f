"""The SIP end points' event loop (impl/transport/sip_message.py, SipLoop): end points sharing
one loop, inline handlers that await a client transaction (how the MCX server relays), the
server transaction still absorbing retransmissions of such a request, a blocking call refused on
the loop's own thread, and close() ending the transactions still waiting."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from mckm.impl.errors import UsageError
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import SipEndpoint, SipLoop, message_request
from tests.interkmm.wire import status_of

T1 = 0.05


def _request(sender: SipEndpoint, body: bytes = b"hi", transport: str = "UDP") -> SipMessage:
    return message_request(uri="sip:bob@example.org", from_uri="sip:alice@example.org",
                           to_uri="sip:bob@example.org", local=sender.address,
                           transport=transport, content_type="text/plain", body=body)


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_an_inline_handler_relays_on_a_shared_loop(transport: str) -> None:
    """Two end points on one loop: the front's handler awaits a transaction of the back's to a
    third end point (in worker threads) and answers with what came back; the back's request
    carries the front's body, so the answer depends on both hops."""
    loop = SipLoop("test")
    far = SipEndpoint(lambda r, t: (200, f"far got {r.body.decode()} over {t}"), t1=T1)
    back = SipEndpoint(loop=loop, t1=T1)
    threads: list[str] = []

    async def relay(request: SipMessage, transport: str) -> tuple[int, str]:
        threads.append(threading.current_thread().name)
        answer = await back.exchange(_request(back, request.body.upper(), transport),
                                     far.address, transport=transport)
        return 202, f"relayed: {status_of(answer)[1]}"

    front = SipEndpoint(relay, loop=loop, inline=True, t1=T1)
    try:
        for node in (far, back, front):
            node.start()
        with SipEndpoint(t1=T1) as client:
            for word in (b"one", b"two"):
                response = client.send(_request(client, word, transport), front.address,
                                       transport=transport)
                assert status_of(response) == (
                    202, f"relayed: far got {word.upper().decode()} over {transport}")
        assert threads == ["test", "test"]  # on the shared loop's thread, not a worker
        assert front.handled == 2 and far.handled == 2
    finally:
        for node in (front, back, far):
            node.close()
        loop.close()


def test_a_slow_inline_handler_is_not_run_again_for_retransmissions() -> None:
    calls: list[float] = []

    async def slow(request: SipMessage, transport: str) -> tuple[int, str]:
        calls.append(time.monotonic())
        await asyncio.sleep(8 * T1)  # the client retransmits meanwhile (Timer E)
        return 200, "OK"

    seen: list[bytes] = []
    with SipEndpoint(slow, inline=True, t1=T1) as server, SipEndpoint(t1=T1) as client:
        server.tap = lambda raw, transport: seen.append(raw)
        assert status_of(client.send(_request(client), server.address)) == (200, "OK")
        assert len(seen) >= 3 and len(calls) == 1 and server.handled == 1


def test_a_failing_inline_handler_is_answered_500() -> None:
    def broken(request: SipMessage, transport: str) -> tuple[int, str]:
        raise ValueError("a bug")

    async def broken_later(request: SipMessage, transport: str) -> tuple[int, str]:
        raise ValueError("a bug")

    for handler in (broken, broken_later):
        with SipEndpoint(handler, inline=True, t1=T1) as server, SipEndpoint(t1=T1) as client:
            assert status_of(client.send(_request(client), server.address)) == \
                (500, "Server Internal Error")


def test_a_blocking_send_on_the_loop_thread_is_refused() -> None:
    """send() waits for the loop: from an inline handler (on the loop) it could never return."""
    errors: list[str] = []

    def handler(request: SipMessage, transport: str) -> tuple[int, str]:
        try:
            server.send(_request(server), server.address)
        except UsageError as exc:
            errors.append(str(exc))
            return 200, "refused"
        return 200, "sent"

    server = SipEndpoint(handler, inline=True, t1=T1)
    with server, SipEndpoint(t1=T1) as client:
        assert status_of(client.send(_request(client), server.address)) == (200, "refused")
    assert errors and "exchange" in errors[0]


def test_close_ends_a_transaction_still_waiting() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    client = SipEndpoint(t1=1.0).start()  # Timer F would be 64 s
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            client.send(_request(client), silent.getsockname())
        except BaseException as exc:  # what ended it is the point
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    started = time.monotonic()
    client.close()
    waiter.join(5)
    silent.close()
    assert time.monotonic() - started < 3
    assert len(outcome) == 1 and isinstance(outcome[0], OSError)
    with pytest.raises(UsageError, match="not running"):
        client.send(_request(client), ("127.0.0.1", 9))


def test_the_port_is_free_after_close_and_a_loop_can_be_shared_again() -> None:
    loop = SipLoop("reuse")
    first = SipEndpoint(lambda r, t: (200, "first"), loop=loop, t1=T1).start()
    address = first.address
    first.close()
    second = SipEndpoint(lambda r, t: (200, "second"), port=address[1], loop=loop,
                         t1=T1).start()
    try:
        with SipEndpoint(t1=T1) as client:
            assert status_of(client.send(_request(client), address)) == (200, "second")
    finally:
        second.close()
        loop.close()


def test_an_unreachable_udp_address_is_an_error_at_once() -> None:
    """The first send goes on the socket itself: an address no datagram can go to is an
    OSError for the caller (the MCX server answers 503), not a Timer F 64*T1 later."""
    with SipEndpoint(t1=1.0) as client:
        started = time.monotonic()
        with pytest.raises(OSError):
            client.send(_request(client), ("127.0.0.1", 0))
        assert time.monotonic() - started < 1.0
