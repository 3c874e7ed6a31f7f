"""The fuzz targets of mckm: one per parser the project has, each a function of the fuzzer's
octets that returns None, or raises on a bug.

A target's property: for any input the parser returns a result or raises the project's
documented error (``DecodeError`` for the wire codecs, ``UsageError`` for the lint readers),
nothing else; what it returns re-reads or re-encodes to the same thing; nothing hangs.

========  =======================================================================================
target    parser
========  =======================================================================================
codec     MIKEY ``decode`` (``impl/codec``), and ``encode`` of what decodes (canonical: the input)
sip       SIP/SDP carrier: ``sip.transfer_init_of`` / ``transfer_resp_of``, ``sdp_mikey``'s
          ``parse_sip``, ``sdp_of``, ``key_mgmt_attributes``, ``mikey_for_media``
kms-xml   KMS XML (TS 33.180 D.3.5): ``service.decode_request`` (body) and ``decode_response``,
          schema-validated
http      HTTP requests as the HTTPS server reads them (h11 and the server's framing
          refusals), then the KMS endpoint: ``KmsService.handle`` (path, query, bearer token,
          XML body).  The server's socket loop
          (``HttpsServer``'s private reading and writing) is not in the target
lint      the lint readers (``impl/lint/readers.py``): ``.txt``, ``.md`` and ``.docx`` files
cms       S/MIME (seed 001): ``smime.cms.unprotect`` (CMS AuthEnvelopedData, RFC 5083) with a
          known and an unknown Key ID, and ``smime.mime.der_of_body_part`` / ``read_entity``
interkmm  InterKMM (seed 000, TS 33.180 9.3): ``xmlprotect.interkmm.parse``, protected and clear
idm       the IdM's tokens and keys (TS 33.180 B): ``TokenVerifier.verify`` of a KMS access token
          (JWS, joserfc), ``JwksFetcher.refresh`` of the IdM's JWKS body then a token checked
          against it, and the ``/authorize`` query/body and ``/token`` body of ``IdmRole``
========  =======================================================================================

The only CMS (RFC 5652) the project parses is seed 001's AuthEnvelopedData (``cms``); certificates
reach it only as X.509 DER read by ``cryptography``.

Inputs are mutated from valid seeds (:mod:`tests.fuzz.seeded`).  The targets import no fuzzer:
``tests/fuzz/fuzz.py`` runs them under atheris, ``test_fuzz_smoke.py`` runs them briefly in the
test suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import h11

from mckm.impl.codec import decode, encode
from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.lint import readers
from mckm.impl.roles.kms import messages, service
from mckm.impl.roles.ticket import sip
from mckm.impl.transport import sdp_mikey
from tests.fuzz.seeded import mutated

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    """A fuzz target: its name, the function of one input and its seed inputs (made once,
    lazily: the KMS seeds need a KMS)."""

    name: str
    one_input: Callable[[bytes], None]
    seeds: Callable[[], Sequence[bytes]]


# ----------------------------------------------------------------------------------- MIKEY


@cache
def codec_seeds() -> tuple[bytes, ...]:
    from tests.codec.samples import sample_messages

    seeds = [encode(m) for m in sample_messages().values()]
    vendor = ROOT / "tests" / "data" / "vendor_vectors.json"
    if vendor.exists():
        data = json.loads(vendor.read_text())
        seeds += [bytes.fromhex(v["i_message_hex"]) for v in data["i_messages_published"]]
    return tuple(seeds)


def codec(data: bytes) -> None:
    """``decode`` returns a Message or raises DecodeError; a Message re-encodes to the input."""
    raw = mutated(data, codec_seeds())
    try:
        message = decode(raw)
    except DecodeError:
        return
    again = encode(message)
    if again != raw:
        raise AssertionError(f"not canonical: {raw.hex()} re-encodes as {again.hex()}")


# ----------------------------------------------------------------------------------- SIP / SDP

_TI = bytes([1, 14, 5, 0x81]) + bytes(60)


@cache
def sip_seeds() -> tuple[bytes, ...]:
    invite = sip.invite(_TI, from_uri="sip:alice@a.example", to_uri="sip:bob@b.example")
    ok = sip.answer(sip.transfer_init_of(invite)[0], bytes([1, 15, 5, 1]) + bytes(9))
    two_media = sdp_mikey.sdp_with_mikey(_TI, user="a", address="192.0.2.1", port=4000,
                                         session_id=1) + "m=audio 4002 RTP/AVP 0\r\n" \
        + sdp_mikey.key_mgmt_line(bytes([1, 14, 5, 0])) + "\r\n"
    return invite, ok, two_media.encode()


def sip_sdp(data: bytes) -> None:
    """The SIP readers return or raise DecodeError; what they return re-reads identically from
    the re-encoded SIP message; the SDP readers (on the octets as text) return or raise
    DecodeError, and agree with each other."""
    raw = mutated(data, sip_seeds())
    for reader in (sip.transfer_init_of, sip.transfer_resp_of):
        try:
            out = reader(raw)
        except DecodeError:
            continue
        again = reader(out[0].encode()) if isinstance(out, tuple) else out
        if again != out:
            raise AssertionError("a SIP message read twice gave different results")
    try:
        message = sdp_mikey.parse_sip(raw)
        if sdp_mikey.parse_sip(message.encode()) != message:
            raise AssertionError("a SIP message does not re-read as itself")
        sdp_mikey.sdp_of(message)
    except DecodeError:
        pass
    text = raw.decode("utf-8", "surrogateescape")
    try:
        found = sdp_mikey.key_mgmt_attributes(text)
    except DecodeError:
        return
    for media in range(3):
        try:
            chosen = sdp_mikey.mikey_for_media(text, media)
        except DecodeError:
            continue
        if not any(a.data == chosen and a.protocol == sdp_mikey.MIKEY for a in found):
            raise AssertionError("mikey_for_media chose data no attribute carries")


# ----------------------------------------------------------------------------------- KMS


@cache
def _kms() -> Any:
    """One KMS (tests.kms.skms_world: an in-memory KmsRole, real tokens) and its service."""
    from tests.kms.skms_world import BASE_URL, KMS_URI, USERS, world

    w = world()
    return w, service.KmsService(w.role, w.verifier, BASE_URL), BASE_URL, KMS_URI, USERS


def _kms_call(path: str, token: str, body: bytes = b"") -> bytes:
    _, svc, *_ = _kms()
    reply = svc.handle(service.HttpRequest("POST", service.BASE_PATH + path,
                                           {"authorization": "Bearer " + token}, body))
    if reply.status != 200:
        raise AssertionError(f"seed request {path} refused: {reply.status}")
    return bytes(reply.body)


@cache
def kms_xml_seeds() -> tuple[bytes, ...]:
    w, _, base_url, kms_uri, users = _kms()
    user = users[0]
    url = base_url + service.BASE_PATH + "/keyprov"
    plain = messages.build_request(user, kms_uri, 1_700_000_000, url)
    signed = messages.build_request(user, kms_uri, 1_700_000_000, url, w.transport[user],
                                    signed=True)
    token = w.tokens[user]
    return (plain, signed, _kms_call("/init", token), _kms_call("/keyprov", token, signed),
            _kms_call("/certcache", token))


def kms_xml(data: bytes) -> None:
    """``decode_request`` (the octets as a KmsRequest body) and ``decode_response`` (as a
    SignedKmsResponse) return a model message or raise DecodeError."""
    raw = mutated(data, kms_xml_seeds())
    request = service.HttpRequest("POST", service.BASE_PATH + "/keyprov", {}, raw)
    with contextlib.suppress(DecodeError):
        service.decode_request(request, "https://kms.example.org")
    with contextlib.suppress(DecodeError):
        service.decode_response("KEYPROV_RESPONSE", raw)


# ----------------------------------------------------------------------------------- HTTP


@cache
def http_seeds() -> tuple[bytes, ...]:
    w, _, _, _, users = _kms()
    token = w.tokens[users[0]]
    base = service.BASE_PATH
    signed = kms_xml_seeds()[1]

    def post(path: str, body: bytes = b"", extra: str = "") -> bytes:
        return (f"POST {base}{path} HTTP/1.1\r\nHost: kms.example.org\r\n"
                f"Authorization: Bearer {token}\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body

    chunked = (f"POST {base}/keyprov HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer {token}\r\n"
               f"Transfer-Encoding: chunked\r\n\r\n{len(signed):x}\r\n").encode() + signed \
        + b"\r\n0\r\n\r\n"
    return (post("/init"), post("/keyprov", signed), post("/keyprov/" + users[0]),
            post("/certcache/1") + post("/init", extra="Connection: close\r\n"), chunked,
            f"GET {base}/init?access_token={token} HTTP/1.0\r\n\r\n".encode())


def _requests(raw: bytes) -> list[tuple[h11.Request, bytes, bytes]]:
    """The whole requests h11 reads from ``raw`` as a server (then the end of the stream):
    (event, head octets, body); stops at the first one h11 refuses."""
    h = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
    h.receive_data(raw)
    h.receive_data(b"")
    out: list[tuple[h11.Request, bytes, bytes]] = []
    rest = raw
    try:
        while True:
            event = h.next_event()
            if not isinstance(event, h11.Request):
                return out
            head = rest[:len(rest) - len(h.trailing_data[0])]
            body = bytearray()
            while isinstance(part := h.next_event(), h11.Data):
                body += part.data
            if not isinstance(part, h11.EndOfMessage):
                return out
            out.append((event, head, bytes(body)))
            rest = h.trailing_data[0]
            h.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
            h.send(h11.EndOfMessage())
            h.start_next_cycle()
    except h11.ProtocolError:
        return out


def http(data: bytes) -> None:
    """The requests of one connection's octets as the HTTPS server reads them (h11, then the
    server's own framing refusals ``_framing_check``), each answered by the KMS endpoint
    (as ``KmsHttpsServer``'s handler: the target split at ``?``, then ``KmsService.handle``): the
    refusals are the server's (``_Refusal``), the endpoint answers a status below 500 (a 5xx is
    a role failure: ``KmsService`` answers decode errors 400 and refusals by the model's
    status), and nothing else escapes."""
    from mckm.impl.transport import http_server

    raw = mutated(data, http_seeds())
    _, svc, *_ = _kms()
    for event, head, body in _requests(raw):
        try:
            http_server._framing_check(event, head)
        except http_server._Refusal:
            return
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key, text = name.decode("ascii"), value.decode("iso-8859-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        path, _, query = event.target.decode("iso-8859-1").partition("?")
        reply = svc.handle(service.HttpRequest(event.method.decode("ascii"), path, headers, body,
                                               query))
        if reply.status >= 500:
            raise AssertionError(f"the KMS endpoint answered {reply.status}")


# ----------------------------------------------------------------------------------- lint

_SUFFIXES = (".txt", ".md", ".docx")


@cache
def lint_seeds() -> tuple[bytes, ...]:
    import docx

    document = docx.Document()
    document.add_heading("Key management", 1)
    document.add_paragraph("The KMS shall provide the RSK. See [1] and TS 33.180.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "SSK", "secret signing key"
    out = io.BytesIO()
    document.save(out)
    md = b"# Title\n\nThe UE shall use MIKEY.\n\n```\ncode\n```\n\xef\xbb\xbf caf\xc3\xa9\r\n"
    return (b"\x00" + md, b"\x01" + b"\xef\xbb\xbfA line\r\nAnother\rline\n\n" * 3,
            b"\x02" + out.getvalue(), b"\x00" + b"\xff\xfeA\x00B\x00\n\x00",
            b"\x01" + b"r\xe9sum\xe9 \x81\x8d line\n")


@cache
def _lint_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="mckm-fuzz-lint-"))


def lint(data: bytes) -> None:
    """Octet 0 of the (mutated) input picks the suffix, the rest is the file: the readers
    return Documents or raise UsageError (a file that cannot be read)."""
    raw = mutated(data, lint_seeds())
    suffix = _SUFFIXES[raw[0] % len(_SUFFIXES)] if raw else ".txt"
    path = _lint_dir() / ("input" + suffix)
    path.write_bytes(raw[1:])
    try:
        source = readers.open_source(path)
        whole = [d.lines for d in readers.iter_documents(source, part_chars=None)]
        parts = [line for d in readers.iter_documents(source, part_chars=40) for line in d.lines]
    except UsageError:
        return
    if [line for lines in whole for line in lines] != parts:
        raise AssertionError("the parts of a file are not its lines")


# ----------------------------------------------------------------------------------- CMS

_CMS_KEYS = {bytes.fromhex("2c0f0a01"): bytes(range(32))}


@cache
def cms_seeds() -> tuple[bytes, ...]:
    from mckm.impl.smime import cms, mime

    (key_id, cek), = _CMS_KEYS.items()
    der = mime.seal(b"<x/>", "application/vnd.3gpp.mcptt-info+xml", key_id, cek)
    typed = cms.protect(b"inner", key_id, cek, content_type="1.2.840.113549.1.7.2")
    return der, typed, mime.body_part(der), mime.entity("application/sdp", b"v=0\r\n")


def cms_parsers(data: bytes) -> None:
    """``unprotect`` returns the content or raises DecodeError, PolicyError (unknown Key ID) or
    VerifyError (key unwrap, GCM tag); content that opens re-protects and opens the same; the
    MIME readers return or raise DecodeError."""
    from mckm.impl.errors import PolicyError, VerifyError
    from mckm.impl.smime import cms, mime

    raw = mutated(data, cms_seeds())
    for keys in (_CMS_KEYS, {}):
        try:
            opened = cms.unprotect(raw, keys)
        except (DecodeError, PolicyError, VerifyError):
            continue
        (key_id, cek), = _CMS_KEYS.items()
        again = cms.unprotect(cms.protect(opened.content, key_id, cek,
                                          content_type=opened.content_type), _CMS_KEYS)
        if (again.content, again.content_type) != (opened.content, opened.content_type):
            raise AssertionError("opened content does not re-protect to itself")
    for reader in (mime.der_of_body_part, mime.read_entity):
        with contextlib.suppress(DecodeError):
            reader(raw)


# ------------------------------------------------------------------------------- InterKMM


@cache
def _interkmm_keys() -> Any:
    from mckm.impl.redact import Secret
    from mckm.impl.xmlprotect.keys import Keyring, Xpk

    return Keyring({0x2A5B3C4D: Xpk(Secret(bytes(range(16))), "sip:mcptt-alice@example.org")})


@cache
def interkmm_seeds() -> tuple[bytes, ...]:
    """``Content-Type`` LF body: a protected (CSK) and a clear InterKMM."""
    from mckm.impl.xmlprotect import interkmm

    message = interkmm.InterKmm("kmf.iwf.example.net", "sip:mcptt-alice@example.org",
                                b"\x01kmm\x00octets", "application/vnd.example.kmm")
    out = []
    for protection in (interkmm.Protection(_interkmm_keys(), 0x2A5B3C4D), None):
        content_type, body = interkmm.build(message, protection=protection)
        out.append(content_type.encode() + b"\n" + body)
    return tuple(out)


def interkmm_parser(data: bytes) -> None:
    """``interkmm.parse`` (XML encryption and signatures of TS 33.180 9.3 under the keys, or
    the clear form without) returns an InterKMM or raises DecodeError, PolicyError, VerifyError
    or UsageError (a protected one without keys); one that opens rebuilds and opens the same."""
    from mckm.impl.errors import PolicyError, UsageError, VerifyError
    from mckm.impl.xmlprotect import interkmm

    raw = mutated(data, interkmm_seeds())
    head, _, body = raw.partition(b"\n")
    content_type = head.decode("latin-1")
    for keys in (_interkmm_keys(), None):
        try:
            got = interkmm.parse(content_type, body, keys=keys)
        except (DecodeError, PolicyError, VerifyError, UsageError):
            continue
        protection = None if got.xpk_id is None else interkmm.Protection(keys, got.xpk_id)
        again = interkmm.parse(*interkmm.build(got.message, protection=protection), keys=keys)
        if again.message != got.message:
            raise AssertionError("an InterKMM that opens does not rebuild to itself")


# ----------------------------------------------------------------------------------- IdM

_IDM_NOW, _IDM_ISSUER = 1_700_000_000, "https://idm.example.org"
#: octet 0 of an idm input: what the rest is
_IDM_KINDS = ("token", "jwks", "authorize-query", "authorize-body", "token-body")


@cache
def _idm() -> Any:
    """One IdM role (tests/idm's configuration, a fixed clock) and a KMS access token it
    signed."""
    from mckm.impl.roles.idm.role import IdmRole
    from mckm.impl.roles.kms import access_token
    from mckm.impl.roles.kms.model import KMS_SCOPE
    from tests.idm.conftest import ALICE, KMS_AUD, idm_config

    role = IdmRole.create(idm_config(), _IDM_ISSUER, clock=lambda: float(_IDM_NOW))
    token = access_token.issue(role.keys.signer(), subject=ALICE, scopes=(KMS_SCOPE,),
                               issued_at=_IDM_NOW, lifetime=300, issuer=_IDM_ISSUER,
                               audience=KMS_AUD)
    return role, token, KMS_AUD


@cache
def idm_seeds() -> tuple[bytes, ...]:
    from urllib.parse import urlencode

    from tests.idm.conftest import CLIENT, PASSWORDS, REDIRECT, SCOPES

    role, token, _ = _idm()
    jwks = json.dumps(role.keys.jwks(float(_IDM_NOW))).encode()
    auth = {"client_id": CLIENT, "redirect_uri": REDIRECT, "response_type": "code",
            "scope": " ".join(SCOPES), "state": "s1", "acr_values": "3gpp:acr:password",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256"}
    login = urlencode({**auth, "username": "alice", "password": PASSWORDS["alice"]})
    redeem = urlencode({"grant_type": "authorization_code", "code": "c" * 43,
                        "client_id": CLIENT, "redirect_uri": REDIRECT,
                        "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"})
    return (b"\x00" + token.encode(), b"\x01" + jwks, b"\x02" + urlencode(auth).encode(),
            b"\x03" + login.encode(), b"\x04" + redeem.encode())


def idm(data: bytes) -> None:
    """Octet 0 picks what the rest is (:data:`_IDM_KINDS`): a KMS access token for
    ``TokenVerifier.verify`` (an AccessToken or PolicyError 401); the IdM's JWKS as
    ``JwksFetcher.refresh`` reads it from the IdM (a KeySet or PolicyError 503), then the IdM's
    token checked against it (an AccessToken or PolicyError 401); or the query or form body of
    the IdM's ``/authorize`` and ``/token`` (``IdmRole.handle``: never raises, no 5xx)."""
    from unittest import mock

    from mckm.impl.errors import PolicyError
    from mckm.impl.roles.idm import https as idm_https
    from mckm.impl.roles.idm.role import AUTHORIZE, TOKEN
    from mckm.impl.roles.kms import access_token

    raw = mutated(data, idm_seeds())
    if not raw:
        return
    kind, rest = _IDM_KINDS[raw[0] % len(_IDM_KINDS)], raw[1:]
    role, token, audience = _idm()
    if kind in ("token", "jwks"):
        keys: Any = role.keys.jwks(float(_IDM_NOW))
        if kind == "jwks":
            fetcher = idm_https.JwksFetcher(_IDM_ISSUER + "/jwks", b"")
            with mock.patch.object(idm_https, "https_get", return_value=(200, rest)):
                try:
                    fetcher.refresh()
                except PolicyError as refused:
                    if refused.http_status != 503:
                        raise AssertionError(f"JWKS refused with {refused.http_status}")\
                            from refused
                    return
            keys = fetcher
        verifier = access_token.TokenVerifier(keys, audience=audience, issuer=_IDM_ISSUER)
        text = token if kind == "jwks" else rest.decode("latin-1")
        try:
            verifier.verify(text, float(_IDM_NOW))
        except PolicyError as refused:
            if refused.http_status != 401:
                raise AssertionError(f"token refused with {refused.http_status}") from refused
        return
    method, path, query, body = {
        "authorize-query": ("GET", AUTHORIZE, rest.decode("latin-1"), b""),
        "authorize-body": ("POST", AUTHORIZE, "", rest),
        "token-body": ("POST", TOKEN, "", rest)}[kind]
    reply = role.handle(method, path, query, body, "application/x-www-form-urlencoded")
    if reply.status >= 500:
        raise AssertionError(f"the IdM answered {reply.status}")


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("codec", codec, codec_seeds),
    Target("sip", sip_sdp, sip_seeds),
    Target("kms-xml", kms_xml, kms_xml_seeds),
    Target("http", http, http_seeds),
    Target("lint", lint, lint_seeds),
    Target("cms", cms_parsers, cms_seeds),
    Target("interkmm", interkmm_parser, interkmm_seeds),
    Target("idm", idm, idm_seeds),
)}
