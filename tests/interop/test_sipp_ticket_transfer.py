"""sipp as the judge of the SIP carrier of the Ticket Transfer: sipp (UAC) sends an INVITE whose
SDP offer carries Alice's TRANSFER_INIT in ``a=key-mgmt:mikey``; our responder (a UDP UAS
around :mod:`mckm.impl.roles.ticket.sip` and the Responder end point, with its KMS in memory)
resolves the ticket and answers 200 OK with TRANSFER_RESP in the SDP answer; sipp must accept the
200 OK, pull the attribute out of its body with its own regular expression, ACK and BYE.  What
sipp extracted, fed to Alice, gives her the keys Bob holds."""

from __future__ import annotations

import base64
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

from mckm.impl.roles.ticket import sip
from mckm.impl.transport.sdp_mikey import SipMessage, parse_sip, sdp_with_mikey
from tests.conftest import require_tool
from tests.e2e.ticket_fixtures import BOB, NOW, world

KMS = "kms.a.example"

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="mckm ticket transfer">
  <send retrans="500">
    <![CDATA[
      INVITE sip:bob@b.example SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@a.example>;tag=[pid]SIPpTag00[call_number]
      To: <sip:bob@b.example>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:alice@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

{sdp}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="a=key-mgmt:mikey ([A-Za-z0-9+/=]+)" search_in="body" check_it="true"
            assign_to="whole,b64"/>
      <log message="TRANSFER_RESP [$b64]"/>
      <log message="MATCHED [$whole]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK sip:bob@b.example SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@a.example>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      BYE sip:bob@b.example SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@a.example>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""


class Uas(threading.Thread):
    """Bob's UDP side: INVITE -> resolve -> 200 OK with TRANSFER_RESP; ACK noted; BYE -> 200."""

    def __init__(self, on_invite: Any) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.on_invite = on_invite
        self.seen: list[str] = []
        self.errors: list[str] = []
        self.answers: dict[str, bytes] = {}  # Call-ID -> 200 OK (resent on a retransmission)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                raw, peer = self.sock.recvfrom(65_535)
            except TimeoutError:
                continue
            try:
                self._handle(raw, peer)
            except Exception as exc:  # reported by the test, never swallowed
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def _handle(self, raw: bytes, peer: tuple[str, int]) -> None:
        method = raw.split(b" ", 1)[0].decode("ascii", "replace")
        self.seen.append(method)
        if method == "INVITE":
            request, _ = sip.transfer_init_of(raw)
            call = request.header("Call-ID") or ""
            if call not in self.answers:
                self.answers[call] = self.on_invite(raw)
            self.sock.sendto(self.answers[call], peer)
        elif method == "BYE":
            bye = parse_sip(raw)
            ok = SipMessage("SIP/2.0 200 OK", tuple(
                (k, v) for k, v in bye.headers
                if k.lower() in ("via", "from", "to", "call-id", "cseq")), b"")
            self.sock.sendto(ok.encode(), peer)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)
        self.sock.close()


def test_sipp_carries_the_ticket_transfer(tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    w = world(bob_kms=KMS)
    kms = w.kms[KMS]
    ri = w.alice.request_ticket(BOB, now=NOW)
    transfer_init = w.alice.receive_request_resp(kms.receive_request(ri, now=NOW), now=NOW)
    bob_keys: list[Any] = []

    def on_invite(raw: bytes) -> bytes:
        request, ti = sip.transfer_init_of(raw)
        resolve = w.bob.receive_transfer_init(ti, now=NOW)
        answer = kms.receive_resolve(resolve.octets, now=NOW)
        assert isinstance(answer, bytes)
        transfer_resp, keys = w.bob.receive_resolve_resp(answer, now=NOW)
        bob_keys.append(keys)
        return sip.answer(request, transfer_resp)

    sdp = sdp_with_mikey(transfer_init, user="-", address="127.0.0.1", port=49170,
                         session_id=1).replace("\r\n", "\n").rstrip("\n")
    scenario = tmp_path / "transfer.xml"
    scenario.write_text(SCENARIO.replace("{sdp}", sdp))
    log = tmp_path / "actions.log"
    uas = Uas(on_invite)
    uas.start()
    try:
        result = subprocess.run(
            [sipp, "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0",
             "-nostdin", "-timeout", "20", "-timeout_error", "-trace_logs",
             "-log_file", str(log), f"127.0.0.1:{uas.port}"],
            capture_output=True, timeout=60, cwd=tmp_path)
    finally:
        uas.stop()
    assert not uas.errors, uas.errors
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert uas.seen[0] == "INVITE" and "ACK" in uas.seen and "BYE" in uas.seen, uas.seen
    extracted = [line.split(" ", 1)[1].strip() for line in log.read_text().splitlines()
                 if line.startswith("TRANSFER_RESP ")]
    assert len(extracted) == 1, log.read_text()
    alice_keys = w.alice.receive_transfer_resp(base64.b64decode(extracted[0]), now=NOW)
    assert bob_keys == [alice_keys]
