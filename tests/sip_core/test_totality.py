"""h2-style totality of the MCPTT server's SIP handling, in memory: any REGISTER or PUBLISH
(headers of any value, the core's path or another, a token valid, expired, for another audience
or absent, a body of any form) is answered with 200 or with the SIP answer of a guard of the
model (or 400 for a request it cannot read), never an exception, and a refused request changes
nothing the server holds."""

from __future__ import annotations

import copy
import time

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mckm.impl.roles.kms import access_token
from mckm.impl.roles.sip_core import McpttSipServer
from mckm.impl.roles.sip_core.body import mcptt_info
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.models.procedures import sip_registration as model

IDM = ec.generate_private_key(ec.SECP256R1())
AUD, ISS = "mcptt.example.org", "https://idm.example.org"
ALICE, IMPU = "sip:alice@example.org", "sip:+4911111@ims.example.org"
CORE, CORE_URI = ("127.0.0.1", 5999), "sip:scscf@127.0.0.1:5999"
NOW = int(time.time())


def _token(audience: str = AUD, exp: int = NOW + 600, scope: str = model.SERVICE_SCOPE) -> str:
    return access_token.sign(IDM, {"iss": ISS, "aud": audience, "sub": ALICE,
                                   "mcptt_id": ALICE, "scope": scope, "iat": NOW - 10,
                                   "exp": exp})


TOKENS = st.sampled_from([_token(), _token(audience="kms"), _token(exp=NOW - 1),
                          _token(scope="openid"), "", "a.b.c"])
TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
URIS = st.one_of(st.just(IMPU), st.just(CORE_URI), st.just("sip:other@127.0.0.1"), TEXT)
VIAS = st.sampled_from([f"{CORE[0]}:{CORE[1]}", "127.0.0.1:6000"])
ANSWERS = {*model.SIP_ANSWERS.values(), model.UNEXPECTED_ANSWER, model.OK}


def _server() -> McpttSipServer:
    server = McpttSipServer(access_token.TokenVerifier(IDM.public_key(), audience=AUD,
                                                       issuer=ISS), core_uri=CORE_URI)
    server.trust_core(CORE, CORE_URI)
    return server


SERVER = _server()


def _request(method: str, via: str, headers: dict[str, str], body: bytes) -> SipMessage:
    return SipMessage(f"{method} sip:mcptt@127.0.0.1 SIP/2.0", (
        ("Via", f"SIP/2.0/UDP {via};branch=z9hG4bK1234"), ("Max-Forwards", "70"),
        ("Call-ID", "c@x"), ("CSeq", f"1 {method}"),
        *((k, v) for k, v in headers.items())), body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["REGISTER", "PUBLISH"]), via=VIAS,
       headers=st.fixed_dictionaries({}, optional={
           "From": URIS.map(lambda u: f"<{u}>;tag=1"), "To": URIS.map(lambda u: f"<{u}>"),
           "P-Asserted-Identity": URIS.map(lambda u: f"<{u}>"),
           "Contact": URIS.map(lambda u: f"<{u}>"),
           "Expires": st.one_of(st.integers(0, 10**6).map(str), TEXT),
           "Event": st.sampled_from([model.EVENT, "presence", ""]),
           "Content-Type": st.sampled_from([model.MCPTT_INFO_TYPE, "text/plain"])}),
       body=st.one_of(TOKENS.map(lambda t: mcptt_info(t) if t else b""), st.binary(max_size=40),
                      st.just(b"<!DOCTYPE x [<!ENTITY a 'b'>]><mcpttinfo/>")))
def test_every_request_is_answered_and_a_refusal_changes_nothing(
        method: str, via: str, headers: dict[str, str], body: bytes) -> None:
    """REQ-SIPREG-09: every answer is 200, a guard's SIP answer or 400; a refusal changes
    nothing."""
    with SERVER.state.lock:
        before = copy.deepcopy(SERVER.state.vars)
    response = SERVER._on_request(_request(method, via, headers, body), "UDP")
    status, reason = response.start.split(" ", 2)[1:]
    assert (int(status), reason) in ANSWERS
    if int(status) != 200:
        assert SERVER.state.vars == before
