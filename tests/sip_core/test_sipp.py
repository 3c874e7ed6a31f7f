"""sipp (Debian sip-tester) as the UE, judging our SIP core and MCPTT server: it sends REGISTER
and then a PUBLISH carrying a real access token from the real IdM in an mcptt-info body, and
checks the answers: 200 with the Contact it registered, then 200 with SIP-ETag and a service
authorisation profile naming the token's MCPTT ID (its own regular expressions, ``check_it``);
with an expired token it must get 403 Invalid Access Token, and nothing is bound."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from mckm.impl.roles.sip_core.body import mcptt_info
from mckm.models.procedures import sip_registration as model
from tests.conftest import require_tool
from tests.idm.conftest import ALICE
from tests.sip_core.conftest import IMPU_ALICE, World

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="mckm sip core uac">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <{impu}>;tag=[pid]SIPpTag00[call_number]
      To: <{impu}>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Max-Forwards: 70
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Expires: 600
      Content-Length: 0

    ]]>
  </send>
  <recv response="200">
    <action>
      <ereg regexp="Contact: &lt;sip:sipp@[^&gt;]+&gt;;expires=600" search_in="msg" check_it="true"
            assign_to="contact"/>
      <log message="REGISTERED [$contact]"/>
    </action>
  </recv>
  <send retrans="500">
    <![CDATA[
      PUBLISH sip:mcptt-server@[remote_ip] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <{impu}>;tag=[pid]SIPpTag00[call_number]
      To: <{impu}>
      Call-ID: [call_id]
      CSeq: 2 PUBLISH
      Max-Forwards: 70
      Event: poc-settings
      Expires: 3600
      Content-Type: {content_type}
      Content-Length: [len]

{body}
    ]]>
  </send>
  <recv response="{status}">
    <action>
{checks}
    </action>
  </recv>
</scenario>
"""

ACCEPTED = """      <ereg regexp="SIP-ETag: [0-9a-f]+" search_in="msg" check_it="true"
            assign_to="etag"/>
      <ereg regexp="&lt;mcptt-id&gt;{mcptt_id}&lt;/mcptt-id&gt;" search_in="body" check_it="true"
            assign_to="who"/>
      <ereg regexp="&lt;impu&gt;{impu}&lt;/impu&gt;" search_in="body" check_it="true"
            assign_to="impu"/>
      <log message="PROFILE [$etag] [$who] [$impu]"/>"""
REFUSED = """      <ereg regexp="SIP/2.0 403 Invalid Access Token" search_in="msg" check_it="true"
            assign_to="line"/>
      <ereg regexp="Warning: 399 [^\\r\\n]*expired" search_in="msg" check_it="true"
            assign_to="warn"/>
      <log message="REFUSED [$line] [$warn]"/>"""


def _scenario(token: str, status: int, checks: str) -> str:
    body = mcptt_info(token).decode("ascii")
    assert "\r" not in body  # sipp makes every line end CRLF
    return (SCENARIO.replace("{impu}", IMPU_ALICE).replace("{content_type}", model.MCPTT_INFO_TYPE)
            .replace("{body}", body).replace("{status}", str(status))
            .replace("{checks}", checks.replace("{mcptt_id}", re.escape(ALICE))
                     .replace("{impu}", re.escape(IMPU_ALICE))))


def _run(sipp: str, scenario: Path, world: World, transport: str) -> subprocess.CompletedProcess[
        bytes]:
    host, port = world.core.address
    mode = ["-t", "t1"] if transport == "TCP" else []
    return subprocess.run([sipp, "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0",
                           *mode, "-nostdin", "-timeout", "20", "-timeout_error",
                           f"{host}:{port}"], capture_output=True, timeout=60,
                          cwd=scenario.parent)


def test_sipp_registers_and_publishes_a_real_token(world: World, tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    scenario = tmp_path / "uac.xml"
    scenario.write_text(_scenario(world.access_token(), 200, ACCEPTED))
    result = _run(sipp, scenario, world, "UDP")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    binding = world.server.bindings()[ALICE]
    assert binding.impu == IMPU_ALICE and binding.session.startswith("sip:sipp@127.0.0.1:")


def test_sipp_over_tcp(world: World, tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    scenario = tmp_path / "uac.xml"
    scenario.write_text(_scenario(world.access_token(), 200, ACCEPTED))
    result = _run(sipp, scenario, world, "TCP")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert world.server.bindings()[ALICE].impu == IMPU_ALICE


def test_sipp_with_an_expired_token_gets_403(world: World, tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    now = int(time.time())
    scenario = tmp_path / "uac.xml"
    scenario.write_text(_scenario(world.sign(iat=now - 120, nbf=now - 120, exp=now - 1), 403,
                                  REFUSED))
    result = _run(sipp, scenario, world, "UDP")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert world.server.registered() == {IMPU_ALICE}
    assert world.server.bindings() == {}
