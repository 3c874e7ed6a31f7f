"""What a client meets at the IdM's door (REQ-IDM-01; TS 33.180 B.12): HTTPS only with TLS 1.2
or later, the issuer identifier is the server's own base URL, a path the IdM does not serve is
404 and a method a path does not take is 405 with ``Allow``; all over real sockets."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import warnings

import pytest

from mckm.impl.roles.idm.https import https_get
from mckm.impl.transport.https_kms import client_context
from tests.idm.conftest import World


def _request(world: World, method: str, path: str) -> tuple[int, str, bytes]:
    """Status, Allow field and body of one request over HTTPS."""
    conn = http.client.HTTPSConnection(world.idm.host, world.idm.port, timeout=10,
                                       context=client_context(world.idm.identity.ca_pem))
    try:
        conn.request(method, path, body=b"" if method == "POST" else None)
        response = conn.getresponse()
        return response.status, response.getheader("Allow") or "", response.read()
    finally:
        conn.close()


def test_the_issuer_is_the_https_base_url(world: World) -> None:
    """REQ-IDM-01: iss is the IdM's base URL, an https URL, in discovery and in the tokens'
    verifier."""
    status, body = https_get(world.idm.base_url + "/.well-known/openid-configuration",
                             world.idm.identity.ca_pem)
    discovery = json.loads(body)
    assert status == 200 and discovery["issuer"] == world.idm.base_url
    assert world.idm.base_url == f"https://{world.idm.host}:{world.idm.port}"
    assert all(discovery[k].startswith(world.idm.base_url + "/")
               for k in ("authorization_endpoint", "token_endpoint", "jwks_uri"))


@pytest.mark.parametrize("path", ["/", "/admin", "/jwks/extra", "/.well-known/x"])
def test_a_path_the_idm_does_not_serve_is_404(world: World, path: str) -> None:
    """REQ-IDM-01: an unknown path is 404 naming the requirement."""
    status, _, body = _request(world, "GET", path)
    assert status == 404 and b"REQ-IDM-01" in body


@pytest.mark.parametrize(("method", "path"), [("POST", "/jwks"), ("GET", "/token"),
                                              ("PUT", "/authorize"),
                                              ("DELETE", "/.well-known/openid-configuration")])
def test_a_method_a_path_does_not_take_is_405(world: World, method: str, path: str) -> None:
    """REQ-IDM-01: a method the path does not take is 405, with the methods it takes in
    Allow."""
    status, allowed, _ = _request(world, method, path)
    assert status == 405
    assert allowed and method not in allowed.split(", ")


def test_plain_http_gets_no_http_answer(world: World) -> None:
    """REQ-IDM-01: HTTPS only: a cleartext HTTP request on the IdM's port is never served."""
    with socket.create_connection((world.idm.host, world.idm.port), timeout=10) as plain:
        plain.sendall(b"GET /jwks HTTP/1.1\r\nHost: idm\r\nConnection: close\r\n\r\n")
        received = b""
        try:
            while chunk := plain.recv(4096):
                received += chunk
        except OSError:
            pass
    assert b"HTTP/1.1 200" not in received and b"keys" not in received


def test_tls_below_1_2_is_refused_for_its_version(world: World) -> None:
    """REQ-IDM-01: TLS 1.2 or later: a client offering at most TLS 1.1 (with ciphers and
    signatures that TLS 1.1 could use allowed) gets the protocol_version alert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=world.idm.identity.ca_pem.decode())
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection((world.idm.host, world.idm.port), timeout=10) as plain, \
            pytest.raises(ssl.SSLError) as caught:
        context.wrap_socket(plain, server_hostname=world.idm.host).close()
    assert "PROTOCOL_VERSION" in str(caught.value).upper(), caught.value
