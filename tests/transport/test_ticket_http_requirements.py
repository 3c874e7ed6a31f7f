"""The points of the Ua/Zk binding (spec/ticket-http.md) that the binding and server tests in
``tests/interop/test_ticket_https.py`` leave open, over real TLS sockets with a stub role: TLS
below 1.2 refused on Ua and Zk (REQ-TKT-HTTP-10), a 200 without a MIKEY body is a refusal
(REQ-TKT-HTTP-07), what a log line holds (REQ-TKT-HTTP-08), TCP_NODELAY on both sides
(REQ-TKT-HTTP-09) and the domain a certificate carries (REQ-TKT-HTTP-12)."""

from __future__ import annotations

import logging
import socket
import ssl
import warnings
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

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
    HttpRefusal,
    RequestType,
    TicketHttpRequest,
    TicketHttpResponse,
    encode_body,
    request_headers,
    request_target,
)

A, B = "kms-a.example", "kms-b.example"
USER = b"sip:alice-identity@a.example"
MSG = bytes.fromhex("0110") + USER + bytes(range(24))


def _role(request: TicketHttpRequest) -> TicketHttpResponse:
    """A stub KMS role: an empty MIKEY answer for the body ``empty``, else the body back."""
    return TicketHttpResponse.mikey(b"" if request.body == b"empty" else request.body)


@pytest.fixture(scope="module")
def cas() -> dict[str, DomainCa]:
    return {d: make_domain_ca(d) for d in (A, B)}


@pytest.fixture(scope="module")
def endpoints(cas: dict[str, DomainCa]) -> Iterator[tuple[HttpsEndpoint, HttpsEndpoint]]:
    identity = cas[A].issue("kms.kms-a.example")
    with ua_endpoint(_role, identity) as ua, \
            zk_endpoint(_role, identity, DomainTrust.of(cas[B])) as zk:
        yield ua, zk


def _old_tls_client(ca_pem: bytes) -> ssl.SSLContext:
    """A client offering TLS 1.0 and 1.1 only, with every cipher and signature they could use
    allowed (security level 0), so that only the server's floor can refuse it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=ca_pem.decode())
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


@pytest.mark.parametrize("reference_point", ["ua", "zk"])
def test_tls_below_1_2_is_refused_for_its_version(
        endpoints: tuple[HttpsEndpoint, HttpsEndpoint], cas: dict[str, DomainCa],
        reference_point: str) -> None:
    """REQ-TKT-HTTP-10 (Ua is TLS 1.2+), and Zk the same (REQ-TKT-HTTP-11): a TLS 1.1 client
    gets the protocol_version alert, before any certificate is asked for."""
    endpoint = endpoints[0] if reference_point == "ua" else endpoints[1]
    context = _old_tls_client(cas[A].cert_pem)
    with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as plain, \
            pytest.raises(ssl.SSLError) as caught:
        context.wrap_socket(plain, server_hostname=endpoint.host).close()
    assert "PROTOCOL_VERSION" in str(caught.value).upper(), caught.value


def test_ua_serves_a_client_without_a_certificate(
        endpoints: tuple[HttpsEndpoint, HttpsEndpoint], cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-10: Ua authenticates the server only: a client with no certificate is
    served, and the role sees no peer."""
    ua, _ = endpoints
    client = TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem)
    with client:
        assert client.send(RequestType.TICKET_REQUEST, MSG) == MSG


def test_a_200_without_a_mikey_body_is_a_refusal(
        endpoints: tuple[HttpsEndpoint, HttpsEndpoint], cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-07: the client takes only 200 + application/mikey + a non-empty body; a
    200 application/mikey with an empty body is an HttpRefusal keeping status and body."""
    ua, _ = endpoints
    client = TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem)
    with client:
        with pytest.raises(HttpRefusal) as caught:
            client.send(RequestType.TICKET_RESOLVE, b"empty")
        assert (caught.value.status, caught.value.body) == (200, b"")
        assert client.send(RequestType.TICKET_RESOLVE, MSG) == MSG  # the control


def test_the_log_names_the_exchange_and_the_peer_domain_never_a_value(
        endpoints: tuple[HttpsEndpoint, HttpsEndpoint], cas: dict[str, DomainCa],
        caplog: pytest.LogCaptureFixture) -> None:
    """REQ-TKT-HTTP-08: a Zk exchange from domain B and a refused one (415) are logged with
    endpoint, method, requesttype, status and the peer's domain; no body, no header value
    (one carries a marker) and no user identity (the body names one) is in the log."""
    _, zk = endpoints
    marker = "header-value-marker-7f3a"
    client = TicketHttpClient(zk.host, zk.port, trust=DomainTrust.of(cas[A]),
                              identity=cas[B].issue("kms.kms-b.example"), expect_domain=A)
    with caplog.at_level(logging.DEBUG, logger="mckm"), client:
        target = request_target(RequestType.TICKET_RESOLVE)
        body = encode_body(MSG)
        good = client.exchange("POST", target, body,
                               {**request_headers(body), "X-Trace": marker})
        refused = client.exchange("POST", target, body, {"Content-Type": "text/" + marker})
    assert (good.status, refused.status) == (200, 415)
    lines = [r.getMessage() for r in caplog.records if "requesttype=ticketresolve" in
             r.getMessage()]
    assert len(lines) == 2, caplog.text
    for line, status in zip(lines, ("200", "415"), strict=True):
        assert "POST" in line and f"-> {status}" in line and B in line, line
    for secret in (marker, USER.decode(), "alice-identity", MSG.hex(), repr(MSG),
                   body.decode()):
        assert secret not in caplog.text, secret


def test_both_sides_set_tcp_nodelay(endpoints: tuple[HttpsEndpoint, HttpsEndpoint],
                                    cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-09: TCP_NODELAY on both sides of a kept-alive connection: the client's
    socket, and every connection the server holds open."""
    ua, _ = endpoints
    client = TicketHttpClient(ua.host, ua.port, ca_pem=cas[A].cert_pem)
    with client:
        client.send(RequestType.TICKET_RESOLVE, MSG)
        assert client._sock is not None
        assert client._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        held = [conn.sock for conn in list(ua._conns.values())]
        assert held, "the server holds the kept-alive connection"
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0 for s in held)


def test_a_domain_certificate_names_its_domain(cas: dict[str, DomainCa]) -> None:
    """REQ-TKT-HTTP-12: a certificate of a domain's CA carries O=<domain> and the SAN URI
    urn:mckm:kms-domain:<domain>, and is issued by that domain's CA."""
    for domain, ca in cas.items():
        cert = x509.load_pem_x509_certificate(ca.issue("kms." + domain).cert_pem)
        organisation = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        assert [a.value for a in organisation] == [domain]
        uris = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.UniformResourceIdentifier)
        assert uris == [f"urn:mckm:kms-domain:{domain}"]
        assert cert.issuer == x509.load_pem_x509_certificate(ca.cert_pem).subject
