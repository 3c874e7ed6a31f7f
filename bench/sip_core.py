"""SIP core and MCPTT server benchmarks (seed 001 steps 1, 2 and 4).

``sip-publish-check``: the MCPTT server's handling of one forwarded service authorisation
PUBLISH, in process, no sockets: the request read into the model's message (mcptt-info body
parsed), the six guards of step 10 (the access token verified against a JWKS by joserfc), the
binding, the 200 with its profile body.  ``sip-register-publish-udp``: a UE's REGISTER and
PUBLISH through the SIP core over loopback UDP: three SIP transactions (REGISTER, the
third-party REGISTER, the forwarded PUBLISH inside the UE's), every role run by the engine.

An access token is accepted once (REQ-SIPREG-06), so each operation empties the server's
record of tokens presented before presenting the same token again: the check itself still
runs every time.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

from cryptography.hazmat.primitives.asymmetric import ec

from mckm.bench.registry import Operation, benchmark
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.sip_core import McpttSipServer, SipCore, SipUe
from mckm.impl.roles.sip_core.body import mcptt_info
from mckm.impl.transport import sip_message
from mckm.models.procedures import sip_registration as model

_AUD, _ISS = "mcptt.example.org", "https://idm.example.org"
_ALICE, _IMPU = "sip:alice@example.org", "sip:+4911111@ims.example.org"
#: servers and sockets of the current setup, closed when the next setup starts (one benchmark
#: per interpreter, so at most one is open)
_OPEN = ExitStack()


def _world() -> tuple[McpttSipServer, str]:
    idm = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    token = access_token.sign(idm, {"iss": _ISS, "aud": _AUD, "sub": _ALICE, "mcptt_id": _ALICE,
                                    "scope": model.SERVICE_SCOPE, "iat": now,
                                    "exp": now + 3600})
    verifier = access_token.TokenVerifier(idm.public_key(), audience=_AUD, issuer=_ISS)
    return McpttSipServer(verifier, core_uri=""), token


def _forget_tokens(server: McpttSipServer) -> None:
    with server.state.lock:
        server.state.vars["tokens_used"] = {}


def publish_check() -> Operation:
    _OPEN.close()
    server, token = _world()
    _OPEN.callback(server.close)
    core = ("127.0.0.1", 5999)
    server.trust_core(core, "sip:scscf@127.0.0.1:5999")
    register = sip_message.request("REGISTER", server.uri, from_uri="sip:scscf@127.0.0.1:5999",
                            to_uri=_IMPU, local=core, transport="UDP",
                            headers=(("Contact", "<sip:scscf@127.0.0.1:5999>"),
                                     ("Expires", "86400")))
    assert server._on_request(register, "UDP").start == "SIP/2.0 200 OK"
    publish = sip_message.request("PUBLISH", server.uri, from_uri=_IMPU, to_uri=_IMPU, local=core,
                           transport="UDP", headers=(
                               ("Event", model.EVENT), ("P-Asserted-Identity", f"<{_IMPU}>"),
                               ("Contact", "<sip:ue@127.0.0.1:6000>"),
                               ("Content-Type", model.MCPTT_INFO_TYPE)),
                           body=mcptt_info(token))

    def op() -> None:
        _forget_tokens(server)
        response = server._on_request(publish, "UDP")
        assert response.start == "SIP/2.0 200 OK", response.start

    return op


def register_publish_udp() -> Operation:
    _OPEN.close()
    server, token = _world()
    server.start()
    _OPEN.callback(server.close)
    core = SipCore({_IMPU}, server=server.address).start()
    _OPEN.callback(core.close)
    server.trust_core(core.address, core.uri)
    ue = SipUe(_IMPU, _ALICE, core=core.address).start()
    _OPEN.callback(ue.close)

    def op() -> None:
        _forget_tokens(server)
        ue.machine.state = "idle"
        assert ue.register().status == 200
        outcome = ue.publish(token)
        assert outcome.status == 200, outcome.reason

    return op


benchmark("sip-publish-check", "MCPTT server: one forwarded PUBLISH with an access token "
          "(read, 6 guards, joserfc verify, bind, 200 with profile), no sockets")(publish_check)
benchmark("sip-register-publish-udp", "UE REGISTER + PUBLISH through the SIP core over "
          "loopback UDP (3 SIP transactions, all roles engine-run)",
          instructions=False)(register_publish_udp)
