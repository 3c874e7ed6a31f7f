"""The TS 33.328 Annex A binding and the KMS Ua/Zk HTTPS endpoints, with a stub handler standing
in for the KMS role: binding round trips (A.2: /keymanagement, base64 bodies, other URI
parameters ignored, a MIKEY Error message in a 200 OK read as the refusal it names), status
mapping, mutual TLS with per-domain CAs on Zk
(no certificate, untrusted CA, mismatched domain claim refused; a trusted peer's domain reaches
the handler), Zk only ticketresolve, malformed requests answered without a traceback, threads
stopped cleanly, and the BSF Zn service."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest

from mckm.impl.codec import Message, Payload
from mckm.impl.errors import DecodeError, EncodeError, PolicyError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings
from mckm.impl.roles.ticket.wire import build_error
from mckm.impl.roles.ticket.zk import ZkPool
from mckm.impl.transport.https_bsf import BsfClient, bsf_endpoint
from mckm.impl.transport.https_kms import make_tls_identity
from mckm.impl.transport.https_ticket import (
    DomainCa,
    DomainTrust,
    HttpsEndpoint,
    TicketHttpClient,
    make_domain_ca,
    ua_endpoint,
    zk_endpoint,
)
from mckm.impl.transport.ticket_http import (
    DEFAULT_PATH,
    MIKEY_CONTENT_TYPE,
    BindingError,
    HttpRefusal,
    MikeyErrorAnswer,
    PeerIdentity,
    ReferencePoint,
    RequestType,
    TicketHttpRequest,
    TicketHttpResponse,
    decode_body,
    dispatch,
    encode_body,
    parse_request,
    request_headers,
    request_target,
    response_message,
    status_for,
)

A, B, ROGUE = "kms-a.example", "kms-b.example", "rogue.example"
MSG = bytes.fromhex("0110") + bytes(range(40))  # the transport does not look inside
B64 = encode_body(MSG)
KM = "/keymanagement"  # the Request-URI path of TS 33.328 A.2


def _error_message(*errors: int) -> bytes:
    """An RFC 6043 5.4 Error message (HDR, T, ERR...) answering a message with HDR only."""
    hdr = Payload("HDR", {"version": 1, "data_type": 0, "v": 0, "prf_func": 0,
                          "csb_id": 0x01020304, "n_cs": 0, "cs_id_map_type": 1,
                          "cs_id_map_info": None})
    return build_error(Message(hdr, []), now=0xE0000000, errors=errors)


@pytest.fixture(scope="module")
def cas() -> dict[str, DomainCa]:
    return {d: make_domain_ca(d) for d in (A, B, ROGUE)}


class Recorder:
    """A stub KMS role: records what reached it, answers with a marker and the body."""

    def __init__(self) -> None:
        self.seen: list[TicketHttpRequest] = []
        self.lock = threading.Lock()

    def __call__(self, request: TicketHttpRequest) -> TicketHttpResponse:
        with self.lock:
            self.seen.append(request)
        if request.body == b"decode-error":
            raise DecodeError("bad payload", offset=3, payload="TICKET")
        if request.body == b"crash":
            raise RuntimeError("secret-internal-detail")
        if request.body == b"refuse":
            return TicketHttpResponse.mikey(_error_message(7, 12))
        tag = (request.peer.domain if request.peer else "none").encode()
        return TicketHttpResponse.mikey(request.requesttype.value.encode() + b"|" + tag + b"|"
                                        + request.body)


# -- the pure binding ------------------------------------------------------------------------

def _parse(method: str = "POST", target: str = KM + "?requesttype=ticketresolve",
           ctype: str = MIKEY_CONTENT_TYPE, body: bytes = B64,
           rp: ReferencePoint = ReferencePoint.UA, peer: PeerIdentity | None = None,
           ) -> TicketHttpRequest:
    return parse_request(method, target, {"content-type": ctype}, body, reference_point=rp,
                         peer=peer)


@pytest.mark.parametrize("requesttype", list(RequestType))
def test_binding_round_trip(requesttype: RequestType) -> None:
    """REQ-TKT-HTTP-02 (the configured path), REQ-TKT-HTTP-03 (requesttype ticketrequest or
    ticketresolve), REQ-TKT-HTTP-05 (Content-Type application/mikey)."""
    target = request_target(requesttype, "/kms")
    headers = {k.lower(): v for k, v in request_headers(B64).items()}
    request = parse_request("POST", target, headers, B64, reference_point=ReferencePoint.UA,
                            path="/kms")
    assert (request.requesttype, request.body, request.peer) == (requesttype, MSG, None)
    assert target == f"/kms?requesttype={requesttype.value}"
    assert headers["content-type"] == "application/mikey"
    assert response_message(200, "application/mikey", encode_body(b"resp")) == b"resp"
    # A.2: "Request-URI takes the form of /keymanagement?requesttype=ticketrequest"
    assert request_target(requesttype) == f"/keymanagement?requesttype={requesttype.value}"
    assert DEFAULT_PATH == KM


@pytest.mark.parametrize(("kwargs", "status", "words"), [
    ({"method": "GET"}, 405, "POST"),
    ({"target": "/other?requesttype=ticketresolve"}, 404, "no KMS resource"),
    ({"target": "/?requesttype=ticketresolve"}, 404, "no KMS resource"),
    ({"target": KM}, 400, "requesttype"),
    ({"target": KM + "?x=1"}, 400, "requesttype"),
    ({"target": KM + "?requesttype=ticketreq"}, 400, "unknown requesttype"),
    ({"target": KM + "?requesttype=ticketresolve&requesttype=ticketrequest"}, 400,
     "exactly once"),
    ({"target": KM + "?requesttype=%ff"}, 400, "requesttype"),
    ({"ctype": "application/octet-stream"}, 415, "application/mikey"),
    ({"body": b""}, 400, "MIKEY message"),
    ({"rp": ReferencePoint.ZK}, 403, "mutually authenticated"),
    ({"rp": ReferencePoint.ZK, "target": KM + "?requesttype=ticketrequest",
      "peer": PeerIdentity(B, "CN=x")}, 403, "not allowed on Zk"),
])
def test_binding_refusals(kwargs: dict[str, object], status: int, words: str) -> None:
    """REQ-TKT-HTTP-01 (GET 405), REQ-TKT-HTTP-02 (another path, the root too, 404),
    REQ-TKT-HTTP-03 (missing, unknown, repeated or undecodable requesttype 400),
    REQ-TKT-HTTP-04 (ticketrequest on Zk 403), REQ-TKT-HTTP-05 (another media type 415, an
    empty body 400), REQ-TKT-HTTP-11 (Zk without an authenticated peer 403)."""
    with pytest.raises(BindingError) as caught:
        _parse(**kwargs)  # type: ignore[arg-type]
    assert caught.value.http_status == status and words in str(caught.value)
    assert caught.value.requirement and caught.value.requirement.startswith("REQ-TKT-HTTP-")


@pytest.mark.parametrize("target", [
    KM + "?requesttype=ticketresolve&ue=alice&x=",
    KM + "?lang=en&requesttype=ticketresolve",
    KM + "?requesttype=ticketresolve&flag",
    KM + "?requesttype=ticketresolve&x=%ff",
])
@pytest.mark.parametrize("rp", list(ReferencePoint))
def test_other_uri_parameters_are_ignored(target: str, rp: ReferencePoint) -> None:
    """REQ-TKT-HTTP-03: A.2 lets the UE "add additional URI parameters to the Request-URI":
    the request is served on Ua and on Zk, as if they were absent."""
    request = _parse(target=target, rp=rp, peer=PeerIdentity(B, "CN=x"))
    assert (request.requesttype, request.body) == (RequestType.TICKET_RESOLVE, MSG)


@pytest.mark.parametrize(("body", "offset"), [
    (MSG, 0),                       # the binary message itself (0x01 is not base64)
    (B64 + b" ", len(B64)),         # a space
    (B64[:8] + b"\t" + B64[8:], 8),  # a tab
    (B64[:8] + b"\r" + B64[8:], 8),  # a CR without its LF
    (B64.replace(b"+", b"-").replace(b"/", b"_") if b"+" in B64 or b"/" in B64
     else b"AQ-_", None),          # the URL-safe alphabet (RFC 4648 5)
    (b"AQ", None),                  # padding missing
    (b"AQ==AQ==", None),            # data after the padding
    (b"====", None),                # padding alone
    (b"\r\n", None),               # line breaks only: no message
])
def test_body_must_be_base64(body: bytes, offset: int | None) -> None:
    """REQ-TKT-HTTP-05: the body is a base64 MIKEY message (A.2; RFC 4648 4 alphabet, padding
    required); anything else is 400 naming the message-body and, for a stray octet, its
    offset."""
    with pytest.raises(BindingError) as caught:
        _parse(body=body)
    assert caught.value.http_status == 400 and "message-body" in str(caught.value)
    if offset is not None:
        assert f"offset {offset}," in str(caught.value), caught.value


def test_body_line_breaks_are_tolerated() -> None:
    """REQ-TKT-HTTP-05: CRLF and LF line breaks, as MIME base64 writes them, are skipped."""
    for sep in (b"\r\n", b"\n"):
        folded = sep.join(B64[i:i + 8] for i in range(0, len(B64), 8)) + sep
        assert _parse(body=folded).body == MSG
    assert decode_body(B64) == MSG and decode_body(b"AQID") == b"\x01\x02\x03"


def test_zk_ticketresolve_with_peer_passes_peer() -> None:
    peer = PeerIdentity(B, "O=kms-b.example,CN=kms")
    request = _parse(rp=ReferencePoint.ZK, peer=peer)
    assert request.peer == peer and request.authenticated_peer


@pytest.mark.parametrize(("error", "status"), [
    (DecodeError("x", offset=1), 400),
    (VerifyError("mac"), 403),
    (PolicyError("no such user"), 403),
    (PolicyError("gone", http_status=404), 404),
    (EncodeError("cannot build"), 400),
])
def test_status_mapping(error: Exception, status: int) -> None:
    """REQ-TKT-HTTP-06: a role's refusal maps to its status, text/plain naming the error."""
    assert status_for(error) == status  # type: ignore[arg-type]

    def handler(_: TicketHttpRequest) -> TicketHttpResponse:
        raise error

    response = dispatch(handler, "POST", KM + "?requesttype=ticketrequest",
                        {"content-type": MIKEY_CONTENT_TYPE}, B64,
                        reference_point=ReferencePoint.UA)
    assert response.status == status and response.content_type.startswith("text/plain")
    assert type(error).__name__.encode() in response.body


def test_handler_bug_is_500_without_details(caplog: pytest.LogCaptureFixture) -> None:
    """REQ-TKT-HTTP-06: an unexpected exception is 500 internal error, logged by type only."""
    recorder = Recorder()
    with caplog.at_level(logging.ERROR):
        response = dispatch(recorder, "POST", KM + "?requesttype=ticketrequest",
                            {"content-type": MIKEY_CONTENT_TYPE}, encode_body(b"crash"),
                            reference_point=ReferencePoint.UA)
    assert (response.status, response.body) == (500, b"internal error\n")
    assert "secret-internal-detail" not in caplog.text and "Traceback" not in caplog.text


def test_client_side_refusal_keeps_status() -> None:
    """REQ-TKT-HTTP-07: a non-200, or a 200 of another media type, is an HttpRefusal."""
    with pytest.raises(HttpRefusal) as caught:
        response_message(403, "text/plain; charset=utf-8", b"PolicyError: no\n")
    assert caught.value.status == 403 and "no" in str(caught.value)
    with pytest.raises(HttpRefusal):
        response_message(200, "text/plain", b"not mikey")
    with pytest.raises(DecodeError, match="KMS answer is not base64"):
        response_message(200, MIKEY_CONTENT_TYPE, MSG)  # a binary answer


def test_a_200_carrying_an_error_message_is_the_refusal_it_names() -> None:
    """REQ-TKT-HTTP-06/07: A.2 answers a refusal 200 OK with a base64 MIKEY Error message
    (RFC 3830 6.12): the client raises MikeyErrorAnswer with its error numbers; a RESP whose
    data type is not Error is the answer."""
    error = _error_message(7, 12)
    with pytest.raises(MikeyErrorAnswer) as caught:
        response_message(200, MIKEY_CONTENT_TYPE, encode_body(error))
    refusal = caught.value
    assert (refusal.status, refusal.mikey_errors, refusal.mikey_error) == (200, (7, 12), 7)
    assert refusal.body == error and "[7, 12]" in str(refusal)
    assert isinstance(refusal, HttpRefusal)
    assert response_message(200, MIKEY_CONTENT_TYPE, B64) == MSG


# -- over HTTPS ------------------------------------------------------------------------------

@pytest.fixture()
def deployment(cas: dict[str, DomainCa]) -> Iterator[tuple[HttpsEndpoint, HttpsEndpoint,
                                                          Recorder]]:
    """KMS A: a Ua endpoint and a Zk endpoint trusting domain B only."""
    recorder = Recorder()
    identity = cas[A].issue("kms.kms-a.example")
    with ua_endpoint(recorder, identity) as ua, \
            zk_endpoint(recorder, identity, DomainTrust.of(cas[B])) as zk:
        yield ua, zk, recorder


def _zk_client(zk: HttpsEndpoint, cas: dict[str, DomainCa], own: DomainCa,
               **kwargs: object) -> TicketHttpClient:
    return TicketHttpClient(zk.host, zk.port, trust=DomainTrust.of(cas[A]),
                            identity=own.issue("kms." + own.domain), expect_domain=A,
                            **kwargs)  # type: ignore[arg-type]


def test_ua_round_trip_and_keep_alive(deployment: tuple[HttpsEndpoint, HttpsEndpoint,
                                                        Recorder],
                                      cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-04 (Ua accepts both request types), REQ-TKT-HTTP-09 (one kept-alive
    connection), REQ-TKT-HTTP-10 (the role gets peer None on Ua)."""
    ua, _, recorder = deployment
    with TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem) as client:
        first = client.send(RequestType.TICKET_REQUEST, MSG)
        sock = client._sock
        second = client.send(RequestType.TICKET_RESOLVE, MSG[::-1])
        assert sock is not None and client._sock is sock  # the same kept-alive connection
    assert first == b"ticketrequest|none|" + MSG
    assert second == b"ticketresolve|none|" + MSG[::-1]
    assert [r.reference_point for r in recorder.seen] == [ReferencePoint.UA] * 2


def test_zk_trusted_peer_domain_reaches_handler(deployment: tuple[HttpsEndpoint, HttpsEndpoint,
                                                                  Recorder],
                                                cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-12: the peer's domain is that of the CA that issued its certificate; the
    role gets PeerIdentity(domain, subject); the client sees the server's domain."""
    _, zk, recorder = deployment
    with _zk_client(zk, cas, cas[B]) as client:
        answer = client.send(RequestType.TICKET_RESOLVE, MSG)
        assert client.server_peer is not None and client.server_peer.domain == A
    assert answer == b"ticketresolve|kms-b.example|" + MSG
    (seen,) = recorder.seen
    assert seen.peer is not None and seen.peer.domain == B and "kms.kms-b.example" in \
        seen.peer.subject and seen.reference_point is ReferencePoint.ZK


def test_zk_refuses_ticketrequest(deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
                                  cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-04: ticketrequest on Zk is 403 over the wire; the role is not called."""
    _, zk, recorder = deployment
    with _zk_client(zk, cas, cas[B]) as client:
        answer = client.post(RequestType.TICKET_REQUEST, MSG)
    assert answer.status == 403 and b"not allowed on Zk" in answer.body
    assert recorder.seen == []


def test_zk_refuses_peer_without_certificate(deployment: tuple[HttpsEndpoint, HttpsEndpoint,
                                                               Recorder],
                                             cas: dict[str, DomainCa]) -> None:
    _, zk, recorder = deployment
    with TicketHttpClient(zk.host, zk.port, ca_pem=cas[A].cert_pem) as client, \
            pytest.raises(OSError):
        client.send(RequestType.TICKET_RESOLVE, MSG)
    assert recorder.seen == []


def test_zk_refuses_untrusted_domain_ca(deployment: tuple[HttpsEndpoint, HttpsEndpoint,
                                                          Recorder],
                                       cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-11 (a certificate of an untrusted CA fails the handshake), REQ-TKT-HTTP-13
    (the server's own domain is not in its trust set unless configured)."""
    _, zk, recorder = deployment
    # the server's own domain A is not in its Zk trust either: only B is a trusted peer
    for own in (cas[ROGUE], cas[A]):
        with _zk_client(zk, cas, own) as client, pytest.raises(OSError):
            client.send(RequestType.TICKET_RESOLVE, MSG)
    assert recorder.seen == []


def test_zk_refuses_domain_claim_of_another_ca(deployment: tuple[HttpsEndpoint, HttpsEndpoint,
                                                                 Recorder],
                                               cas: dict[str, DomainCa]) -> None:
    """A certificate signed by B's CA that claims to belong to domain A gets 403
    (REQ-TKT-HTTP-12)."""
    _, zk, recorder = deployment
    liar = DomainCa(A, cas[B].cert_pem, cas[B]._key)
    with _zk_client(zk, cas, liar) as client:
        answer = client.post(RequestType.TICKET_RESOLVE, MSG)
    assert answer.status == 403 and b"claims domain" in answer.body
    assert recorder.seen == []


def test_client_checks_server_domain(deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
                                     cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-12: with expect_domain the Zk client refuses a server of another domain."""
    _, zk, _ = deployment
    client = TicketHttpClient(zk.host, zk.port, trust=DomainTrust.of(cas[A]),
                              identity=cas[B].issue("kms.b"), expect_domain=B)
    with client, pytest.raises(PolicyError, match=r"expected 'kms-b\.example'"):
        client.send(RequestType.TICKET_RESOLVE, MSG)


def test_errors_over_the_wire(deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
                              cas: dict[str, DomainCa]) -> None:
    """Over the wire: REQ-TKT-HTTP-01 (GET and HEAD 405 with Allow: POST), REQ-TKT-HTTP-03
    (unknown requesttype 400), REQ-TKT-HTTP-05 (another media type 415), REQ-TKT-HTTP-06 (a
    DecodeError is 400 naming payload and offset, a handler bug 500 internal error)."""
    ua, _, _ = deployment
    with TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem) as client:
        decode = client.post(RequestType.TICKET_RESOLVE, b"decode-error")
        crash = client.post(RequestType.TICKET_RESOLVE, b"crash")
        wrong_method = client.exchange("GET", KM + "?requesttype=ticketresolve", b"", {})
        head = client.exchange("HEAD", KM + "?requesttype=ticketresolve", b"", {})
        octets = client.exchange("POST", KM + "?requesttype=ticketresolve", B64,
                                 {"Content-Type": "application/octet-stream"})
        unknown = client.exchange("POST", KM + "?requesttype=nope", B64, request_headers(B64))
    assert decode.status == 400 and b"offset 3, payload TICKET" in decode.body
    assert (crash.status, crash.body) == (500, b"internal error\n")
    assert wrong_method.status == 405 and ("Allow", "POST") in wrong_method.headers
    assert head.status == 405 and head.body == b""
    assert octets.status == 415 and unknown.status == 400


def test_a2_over_the_wire(deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
                          cas: dict[str, DomainCa]) -> None:
    """TS 33.328 A.2 at the Ua endpoint: the request and the answer bodies are base64
    (REQ-TKT-HTTP-05/06), a binary body is 400 naming its offset, the root path 404
    (REQ-TKT-HTTP-02), other URI parameters are served (REQ-TKT-HTTP-03), and a refusal is 200
    OK with a MIKEY Error message that the client reports with its error numbers."""
    ua, _, recorder = deployment
    with TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem) as client:
        served = client.post(RequestType.TICKET_RESOLVE, MSG)
        binary = client.exchange("POST", KM + "?requesttype=ticketresolve", MSG,
                                 request_headers(MSG))
        root = client.exchange("POST", "/?requesttype=ticketresolve", B64, request_headers(B64))
        extra = client.exchange("POST", KM + "?requesttype=ticketresolve&ue=1&trace", B64,
                                request_headers(B64))
        refused = client.post(RequestType.TICKET_RESOLVE, b"refuse")
        with pytest.raises(MikeyErrorAnswer) as caught:
            client.send(RequestType.TICKET_RESOLVE, b"refuse")
    assert served.status == 200 and served.content_type == MIKEY_CONTENT_TYPE
    assert served.body == encode_body(b"ticketresolve|none|" + MSG)
    assert binary.status == 400 and b"not base64" in binary.body and b"offset 0," in binary.body
    assert root.status == 404
    assert (extra.status, extra.body) == (200, served.body)
    assert (refused.status, refused.content_type) == (200, MIKEY_CONTENT_TYPE)
    assert decode_body(refused.body) == _error_message(7, 12)
    assert caught.value.mikey_errors == (7, 12)
    assert [r.body for r in recorder.seen] == [MSG, MSG, b"refuse", b"refuse"]


def test_the_a2_example_request_is_served(
        deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
        cas: dict[str, DomainCa]) -> None:
    """The request of TS 33.328 A.2's example, octet for octet in its head (Host the full KMS
    URI, User-Agent, From, Date), with a base64 body: 200 OK, application/mikey, base64."""
    ua, _, recorder = deployment
    head = (b"POST /keymanagement?requesttype=ticketrequest HTTP/1.1\r\n"
            b"Host: kms.operator.example:1234\r\nContent-Type: application/mikey\r\n"
            b"Content-Length: %d\r\nUser-Agent: KMSAgent; Release-9 3gpp-gba\r\n"
            b"From: alice@operator.example\r\nDate: Fri, 31 Dec 1999 23:59:59 GMT\r\n"
            b"Connection: close\r\n\r\n" % len(B64))
    answer = _raw(ua, cas[A].cert_pem, head + B64)
    status_line, rest = answer.split(b"\r\n", 1)
    fields, body = rest.split(b"\r\n\r\n", 1)
    assert status_line == b"HTTP/1.1 200 OK", answer[:200]
    assert b"content-type: application/mikey" in fields.lower()
    assert decode_body(body) == b"ticketrequest|none|" + MSG
    assert [r.body for r in recorder.seen] == [MSG]


def _raw(endpoint: HttpsEndpoint, ca_pem: bytes, data: bytes) -> bytes:
    context = ssl.create_default_context(cadata=ca_pem.decode())
    with socket.create_connection((endpoint.host, endpoint.port), timeout=5) as plain, \
            context.wrap_socket(plain, server_hostname=endpoint.host) as tls:
        tls.sendall(data)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


RESOLVE = b"POST /keymanagement?requesttype=ticketresolve HTTP/1.1\r\n"


@pytest.mark.parametrize(("data", "status"), [
    (b"POST / extra HTTP/1.1\r\n\r\n", b"400"),
    (RESOLVE + b"Host: kms\r\n" + b"X: y\r\n" * 200 + b"\r\n", b"431"),
    (RESOLVE + b"Host: kms\r\nContent-Length: x\r\n\r\n", b"400"),
    (RESOLVE + b"Content-Length: 0\r\n\r\n", b"400"),  # no Host (RFC 9112 3.2)
    (RESOLVE + b"Host: kms\r\nContent-Length: 99999999\r\n\r\n", b"413"),
    (b"BREW /keymanagement?requesttype=ticketresolve HTTP/1.1\r\nHost: kms\r\n"
     b"Connection: close\r\n\r\n",
     b"501"),
])
def test_malformed_requests_get_a_status_never_a_traceback(
        deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder], cas: dict[str, DomainCa],
        data: bytes, status: bytes) -> None:
    """REQ-TKT-HTTP-05 (an invalid Content-Length 400, a body over the limit 413),
    REQ-TKT-HTTP-09 (bad request line 400, too many fields 431, no Host 400, unknown method
    501) at the Ua endpoint."""
    ua, _, recorder = deployment
    answer = _raw(ua, cas[A].cert_pem, data)
    assert answer.split(b" ", 2)[1] == status
    assert b"Traceback" not in answer and recorder.seen == []


def test_log_names_no_body(deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
                           cas: dict[str, DomainCa], caplog: pytest.LogCaptureFixture) -> None:
    """REQ-TKT-HTTP-08: the log names requesttype and status, never the body."""
    ua, _, _ = deployment
    with caplog.at_level(logging.DEBUG, logger="mckm"), \
            TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem) as client:
        client.send(RequestType.TICKET_RESOLVE, MSG)
    assert "requesttype=ticketresolve -> 200" in caplog.text
    assert MSG.hex() not in caplog.text and repr(MSG) not in caplog.text


def test_stop_closes_kept_alive_connections_and_joins_threads(cas: dict[str, DomainCa]) -> None:
    before = threading.active_count()
    identity = cas[A].issue("kms")
    endpoint = ua_endpoint(Recorder(), identity).start()
    client = TicketHttpClient(endpoint.host, endpoint.port, ca_pem=cas[A].cert_pem)
    client.send(RequestType.TICKET_RESOLVE, MSG)  # leaves a kept-alive connection open
    assert threading.active_count() >= before + 2
    started = time.monotonic()
    endpoint.stop()
    assert time.monotonic() - started < 3
    assert threading.active_count() == before
    with pytest.raises(OSError):
        socket.create_connection((endpoint.host, endpoint.port), timeout=1).close()
    client.close()


def test_domain_trust_rejects_ambiguous_cas(cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-12: CA subjects must differ, checked when the trust set is built."""
    with pytest.raises(ValueError, match="same subject"):
        DomainTrust({A: cas[A].cert_pem, "other.example": cas[A].cert_pem})
    with pytest.raises(ValueError, match="lower-case DNS name"):
        make_domain_ca("Bad Domain")


# -- BSF Zn ----------------------------------------------------------------------------------

def test_bsf_zn_over_mutual_tls(cas: dict[str, DomainCa]) -> None:
    bsf = Bsf()
    context = BootstrapContext("btid-1@bsf.kms-a.example", Secret(bytes(range(32))),
                               bytes(16), "impi@kms-a.example", 2e9,
                               UserSecuritySettings(("sip:bob@kms-a.example",)))
    bsf.provision(context)
    bsf_identity = make_domain_ca("bsf.kms-a.example")
    with bsf_endpoint(bsf, bsf_identity.issue("bsf"), DomainTrust.of(cas[A]),
                      clock=lambda: 1e9) as zn, \
            BsfClient(zn.host, zn.port, trust=DomainTrust.of(bsf_identity),
                      identity=cas[A].issue("kms"), expect_domain=bsf_identity.domain) as kms:
        answer = kms.lookup(context.b_tid, b"kms.kms-a.example")
        with pytest.raises(HttpRefusal) as unknown:
            kms.lookup("nobody", b"kms.kms-a.example")
        bad = kms.exchange("POST", "/zn", b"{not json", {})
        wrong = kms.exchange("POST", "/zn", json.dumps({"btid": 1, "naf_id": ""}).encode(), {})
    assert answer.ks_naf == Secret(context.ue_ks_naf(b"kms.kms-a.example"))
    assert answer.uss.public_identities == ("sip:bob@kms-a.example",)
    assert unknown.value.status == 404
    assert bad.status == 400 and b"not JSON" in bad.body
    assert wrong.status == 400 and b"btid" in wrong.body


def test_bsf_refuses_nafs_of_untrusted_domains(cas: dict[str, DomainCa]) -> None:
    bsf_ca = make_domain_ca("bsf.kms-a.example")
    with bsf_endpoint(Bsf(), bsf_ca.issue("bsf"), DomainTrust.of(cas[A])) as zn, \
            BsfClient(zn.host, zn.port, trust=DomainTrust.of(bsf_ca),
                      identity=cas[ROGUE].issue("kms")) as rogue, \
            pytest.raises((OSError, http.client.HTTPException)):
        rogue.lookup("btid", b"naf")


def test_plain_tls_identity_still_serves_ua(cas: dict[str, DomainCa]) -> None:
    """Ua needs only a server certificate: the SKM-S helper identity works as well."""
    identity = make_tls_identity()
    with ua_endpoint(Recorder(), identity) as ua, \
            TicketHttpClient(ua.host, ua.port, ca_pem=identity.ca_pem) as client:
        assert client.send(RequestType.TICKET_REQUEST, b"x") == b"ticketrequest|none|x"


def test_client_reconnects_once_when_the_server_closed_a_kept_alive_connection(
        deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
        cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-09: a client whose kept-alive connection the server closed reconnects and
    sends the request once more."""
    ua, _, recorder = deployment
    with TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem) as client:
        client.send(RequestType.TICKET_RESOLVE, MSG)
        ua.close_idle_connections()  # the server drops the idle connection
        time.sleep(0.05)
        assert client.send(RequestType.TICKET_RESOLVE, b"again") == b"ticketresolve|none|again"
    assert len(recorder.seen) == 2


@pytest.mark.parametrize("connections", [1, 3])
def test_load_generator_in_a_second_process(cas: dict[str, DomainCa], connections: int) -> None:
    """The bench skeleton: bounded in count, latencies ordered, every answer a 200; with several
    connections each message is sent exactly once."""
    from mckm.bench.ticket import LoadSpec, run_load

    recorder = Recorder()
    messages = tuple(b"m%d" % i for i in range(62))
    with zk_endpoint(recorder, cas[A].issue("kms"), DomainTrust.of(cas[B])) as zk:
        result = run_load(LoadSpec(zk.host, zk.port, messages, count=60, seconds=20,
                                   trust={A: cas[A].cert_pem}, identity=cas[B].issue("kms-b"),
                                   expect_domain=A, warmup=2, connections=connections))
    assert (result.count, result.errors) == (60, 0)
    assert 0 < result.p50_ms <= result.p99_ms and result.per_s > 0
    assert sorted(r.body for r in recorder.seen) == sorted(messages)


def test_load_generator_counts_a_mikey_error_answer_as_an_error(
        cas: dict[str, DomainCa]) -> None:
    """A KMS refusal is a 200 OK too (TS 33.328 A.2): the load generator counts an answer
    carrying a MIKEY Error message as an error, not as a served request."""
    from mckm.bench.ticket import LoadSpec, run_load

    with ua_endpoint(Recorder(), cas[A].issue("kms")) as ua:
        result = run_load(LoadSpec(ua.host, ua.port, (b"refuse", b"m"), count=10, seconds=20,
                                   ca_pem=cas[A].cert_pem, warmup=0))
    assert (result.count, result.errors) == (10, 5)


def test_zk_pool_lends_one_client_per_thread(
        deployment: tuple[HttpsEndpoint, HttpsEndpoint, Recorder],
        cas: dict[str, DomainCa]) -> None:
    """Four threads (as KMS_R handler threads would) share one ZkPool over Zk; at most ``idle``
    clients stay open afterwards."""
    _, zk, recorder = deployment
    pool = ZkPool(lambda: _zk_client(zk, cas, cas[B]), idle=2)
    answers: list[bytes] = []

    def work(i: int) -> None:
        for j in range(5):
            with pool.client() as client:
                answers.append(client.send(RequestType.TICKET_RESOLVE, b"%d-%d" % (i, j)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(pool._idle) <= 2
    pool.close()
    assert sorted(answers) == sorted(b"ticketresolve|kms-b.example|%d-%d" % (i, j)
                                     for i in range(4) for j in range(5))
    assert not pool._idle and len(recorder.seen) == 20
