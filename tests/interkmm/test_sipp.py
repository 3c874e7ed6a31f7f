"""sipp (Debian sip-tester) as the judge of the InterKMM relay's SIP: as a UAC it sends our MCX
server a MESSAGE whose body is a protected InterKMM (built here under Alice's CSK, carried in
the scenario) and must get 202; as a UAS it plays the IWF, answers the relayed MESSAGE 200, and
logs the body it received, which must be protected under the SPK and open to the KMM.

sipp rewrites every line end of a scenario message to CRLF, so the body given to it must have
no bare LF: the InterKMM is assembled here from the xmlprotect primitives with CRLF after each
XML declaration, then signed (a second producer next to ``interkmm.build``)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from pathlib import Path

from mckm.impl.transport.sip_message import parse_message
from mckm.impl.xmlprotect.encryption import encrypt_octets, protect
from mckm.impl.xmlprotect.interkmm import (
    KMF_ID,
    MCPTT_ID,
    PROTECTED_KMM_TYPE,
    SIGNALLING_TYPE,
    SIGNATURES_TYPE,
    parse,
)
from mckm.impl.xmlprotect.keys import Keyring
from mckm.impl.xmlprotect.signature import sign_bodies
from tests.conftest import require_tool
from tests.interkmm.wire import ntp_now
from tests.interkmm.world import ALICE, CSK_ALICE, KMF, SPK, world

UAC = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="mckm interkmm uac">
  <send retrans="500">
    <![CDATA[
      MESSAGE sip:mcx-server SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:ue@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:mcx-server>
      Call-ID: [call_id]
      CSeq: 1 MESSAGE
      Max-Forwards: 70
      Content-Type: {content_type}
      Content-Length: [len]

{body}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="202"/>
</scenario>
"""

UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="mckm interkmm uas">
  <recv request="MESSAGE">
    <action>
      <ereg regexp="Content-Type: (multipart/mixed[^\\r\\n]*)" search_in="msg" check_it="true"
            assign_to="whole,ctype"/>
      <log message="CTYPE [$ctype]"/>
      <log message="MATCHED [$whole]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def _crlf_xml(document: bytes) -> bytes:
    return document.replace(b"?>\n", b"?>\r\n", 1)


def crlf_interkmm(kmm: bytes, keys: Keyring, xpk_id: int) -> tuple[str, bytes]:
    """A protected InterKMM with no bare LF (module docstring)."""
    signalling = (f"<?xml version='1.0' encoding='UTF-8'?>\r\n"
                  f'<interkmm xmlns="urn:mckm:interkmm"><kmf-id>{KMF}</kmf-id>'
                  f"<mcptt-id>{ALICE}</mcptt-id><direction>ue-to-iwf</direction>"
                  f"<msg-id>{secrets.token_hex(16)}</msg-id>"
                  f"<sent>{ntp_now()}</sent></interkmm>").encode()
    signalling = _crlf_xml(protect(signalling, (KMF_ID, MCPTT_ID), xpk_id=xpk_id, keys=keys))
    kmm_part = _crlf_xml(encrypt_octets(kmm, "application/octet-stream", xpk_id=xpk_id,
                                        keys=keys))
    ids = ["sig-1@sipp.test", "kmm-1@sipp.test"]
    signatures = _crlf_xml(sign_bodies({ids[0]: signalling, ids[1]: kmm_part}, xpk_id=xpk_id,
                                       keys=keys))
    boundary = "interkmm-" + secrets.token_hex(8)
    out = b""
    for media, cid, body in ((SIGNALLING_TYPE, ids[0], signalling),
                             (PROTECTED_KMM_TYPE, ids[1], kmm_part),
                             (SIGNATURES_TYPE, None, signatures)):
        out += f"--{boundary}\r\nContent-Type: {media}\r\n".encode()
        out += f"Content-ID: <{cid}>\r\n".encode() if cid else b""
        out += b"\r\n" + body + b"\r\n"
    out += f"--{boundary}--".encode()
    assert b"\n" not in out.replace(b"\r\n", b"")
    return f'multipart/mixed; boundary="{boundary}"', out


def _run(sipp: str, scenario: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[
        bytes]:
    return subprocess.run([sipp, "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1",
                           "-nostdin", "-timeout", "20", "-timeout_error", *args],
                          capture_output=True, timeout=60, cwd=cwd)


def test_sipp_uac_sends_a_protected_interkmm_and_gets_202(tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    kmm = b"sipp-kmm:" + os.urandom(300).hex().encode()
    with world() as w:
        content_type, body = crlf_interkmm(kmm, w.csks, CSK_ALICE)
        # our own reading of the body first: what sipp carries opens under Alice's CSK
        assert parse(content_type, body + b"\r\n", keys=w.csks).message.kmm == kmm
        scenario = tmp_path / "uac.xml"
        scenario.write_text(UAC.replace(
            "{content_type}", content_type).replace("{body}", body.replace(b"\r\n", b"\n")
                                                    .decode("ascii")))
        host, port = w.server.ue_side.address
        result = _run(sipp, scenario, ["-p", "0", f"{host}:{port}"], tmp_path)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        (got,) = w.iwf.delivered
        assert (got.kmm, got.mcptt_id, got.kmf_id) == (kmm, ALICE, KMF)


def test_sipp_uas_as_the_iwf_answers_the_relayed_message_200(tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    kmm = b"to-sipp:" + os.urandom(200)
    with world() as w:
        scenario = tmp_path / "uas.xml"
        scenario.write_text(UAS)
        log = tmp_path / "uas.log"
        port = _free_udp_port()
        w.server.iwfs[KMF] = ("127.0.0.1", port)
        process = subprocess.Popen(
            [sipp, "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1", "-p", str(port),
             "-nostdin", "-timeout", "20", "-timeout_error", "-trace_msg", "-message_file",
             str(tmp_path / "messages.log"), "-trace_logs", "-log_file", str(log)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        try:
            outcome = w.alice.send_kmm(kmm, peer=KMF)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, out[-2000:] + err[-2000:]
        assert (outcome.status, outcome.reason) == (202, "Accepted")
        # the relayed MESSAGE as sipp received it: protected under the SPK, no KMM in clear
        trace = (tmp_path / "messages.log").read_bytes()
        assert kmm not in trace and ALICE.encode() not in trace and KMF.encode() not in trace
        ctypes = re.findall(r"^CTYPE (.*)$", log.read_text(), re.MULTILINE)
        assert ctypes and ctypes[0].startswith("multipart/mixed")
        opened = _opened_from_trace(trace, w.spks)
        assert opened == (kmm, SPK)


def _opened_from_trace(trace: bytes, keys: Keyring) -> tuple[bytes, int | None]:
    """The first received message of sipp's -trace_msg file, by the octet count sipp states
    ("UDP message received [N] bytes :", a blank line, then the N octets), opened."""
    m = re.search(rb"message received \[(\d+)\] bytes :\n\n", trace)
    assert m is not None, trace[:200]
    message = trace[m.end():m.end() + int(m[1])]
    parsed = parse_message(message)
    received = parse(parsed.header("Content-Type") or "", parsed.body, keys=keys)
    return received.message.kmm, received.xpk_id


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
