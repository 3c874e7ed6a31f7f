"""The KMS response XML of TS 33.180 Annex D.3, with the D.1 security extension.

Layout (element names and order: TS 33.180 D.3 tables, cross-checked with two public
implementations; what is confirmed and what is chosen is listed in ``spec/skm-s.md``)::

    <SignedKmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">
      <KmsResponse Version="1.0.0" Id="kmsResponse">
        <UserUri/> <KmsUri/> <Time/> <ClientReqUrl/>
        <KmsMessage> KmsInit | KmsKeyProv | KmsCertCache </KmsMessage>
        <TrK-ID/> <Signature-ID/>
      </KmsResponse>
      <ds:Signature> HMAC-SHA256 over exclusive-C14N, Reference URI="#kmsResponse" </ds:Signature>
    </SignedKmsResponse>

User secret keys (SSK, RSK) are carried as ``xsi:type="EncKeyContentType"`` holding a W3C XML
Encryption ``xenc:EncryptedKey``: AES-256 key wrap under the TrK, RFC 3394 (``kw-aes256``) for
the 32-octet SSK and RFC 5649 (``kw-aes-256-pad``, XML Encryption 1.1) for the 257-octet RSK.
The PVT is public and carried as ``KeyContentType`` hexBinary.

The reader (:func:`read_response`) checks the signature first and reads only the element the
signature covers (no signature wrapping), then the addressing, then unwraps each key and has
the caller validate it before anything is returned.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from lxml import etree

from mckm.impl.crypto import keywrap
from mckm.impl.errors import DecodeError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.model import KmsCertificate, TransportKeys, UserKeySet

NS = "urn:3gpp:ns:mcsecKMSInterface:1.0"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: NS, "ds": DS, "xenc": XENC, "xsi": XSI}

RESPONSE_VERSION = "1.0.0"
CERTIFICATE_VERSION = "1.1.0"
KEY_SET_VERSION = "1.1.0"
RESPONSE_ID = "kmsResponse"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
KW_AES256 = "http://www.w3.org/2001/04/xmlenc#kw-aes256"
KW_AES256_PAD = "http://www.w3.org/2009/xmlenc11#kw-aes-256-pad"

PAYLOAD = "KmsResponse"
CLAUSE = "TS 33.180 D.1/D.3"

#: validators the reader calls before accepting keys: (KPAK, UID, SSK, PVT) and (Z, UID, RSK)
SskValidator = Callable[[bytes, bytes, int, bytes], None]
RskValidator = Callable[[bytes, bytes, bytes], None]
UidFunction = Callable[[str, str, int, int, int], bytes]

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def qname(name: str, ns: str = NS) -> str:
    return f"{{{ns}}}{name}"


def _sub(parent: Any, name: str, text: str | None = None, ns: str = NS) -> Any:
    element = etree.SubElement(parent, qname(name, ns))
    if text is not None:
        element.text = text
    return element


def xsd_datetime(unix_seconds: float) -> str:
    """xsd:dateTime in UTC with the ``Z`` designator."""
    return datetime.fromtimestamp(int(unix_seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(text: str, field: str) -> int:
    try:
        value = datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise DecodeError(f"not an xsd:dateTime in UTC: {text!r}", payload=PAYLOAD,
                          field=field) from exc
    return int(value.timestamp())


# -- building ------------------------------------------------------------------------------------


def _certificate(parent: Any, cert: KmsCertificate) -> None:
    """TS 33.180 D.3.2 KmsCertificate; Version and Role are attributes."""
    element = _sub(parent, "KmsCertificate")
    element.set("Version", CERTIFICATE_VERSION)
    element.set("Role", cert.role)
    _sub(element, "KmsUri", cert.kms_uri)
    _sub(element, "CertUri", cert.cert_uri)
    _sub(element, "Issuer", cert.issuer)
    _sub(element, "ValidFrom", xsd_datetime(cert.valid_from))
    _sub(element, "ValidTo", xsd_datetime(cert.valid_to))
    _sub(element, "Revoked", "true" if cert.revoked else "false")
    _sub(element, "UserIdFormat", cert.user_id_format)
    _sub(element, "UserKeyPeriod", str(cert.user_key_period))
    _sub(element, "UserKeyOffset", str(cert.user_key_offset))
    _sub(element, "PubEncKey", cert.pub_enc_key.hex().upper())
    _sub(element, "PubAuthKey", cert.pub_auth_key.hex().upper())
    _sub(element, "ParameterSet", str(cert.parameter_set))


def _encrypted_key(parent: Any, name: str, key: bytes, transport: TransportKeys) -> None:
    """A user secret key wrapped under the TrK as an xenc:EncryptedKey (TS 33.180 D.1)."""
    padded = len(key) % 8 != 0
    algorithm = KW_AES256_PAD if padded else KW_AES256
    kek = transport.trk.reveal()
    wrapped: bytes = keywrap.wrap_with_padding(kek, key) if padded else keywrap.wrap(kek, key)
    holder = _sub(parent, name)
    holder.set(qname("type", XSI), "EncKeyContentType")
    encrypted = _sub(holder, "EncryptedKey", ns=XENC)
    _sub(encrypted, "EncryptionMethod", ns=XENC).set("Algorithm", algorithm)
    _sub(_sub(encrypted, "KeyInfo", ns=DS), "KeyName", transport.trk_id, ns=DS)
    cipher_data = _sub(encrypted, "CipherData", ns=XENC)
    _sub(cipher_data, "CipherValue", base64.b64encode(wrapped).decode(), ns=XENC)


def _key_set(parent: Any, cert: KmsCertificate, key_set: UserKeySet,
             transport: TransportKeys) -> None:
    """TS 33.180 D.3.3 KmsKeySet."""
    element = _sub(parent, "KmsKeySet")
    element.set("Version", KEY_SET_VERSION)
    _sub(element, "KmsUri", cert.kms_uri)
    _sub(element, "CertUri", cert.cert_uri)
    _sub(element, "Issuer", cert.issuer)
    _sub(element, "UserUri", key_set.user_uri)
    _sub(element, "UserID", key_set.uid.hex())
    _sub(element, "ValidFrom", xsd_datetime(key_set.valid_from))
    _sub(element, "ValidTo", xsd_datetime(key_set.valid_to))
    _sub(element, "KeyPeriodNo", str(key_set.period_no))
    _sub(element, "Revoked", "false")
    _encrypted_key(element, "UserDecryptKey", key_set.rsk.reveal(), transport)
    _encrypted_key(element, "UserSigningKeySSK", key_set.ssk.reveal().to_bytes(32, "big"),
                   transport)
    pvt = _sub(element, "UserPubTokenPVT", key_set.pvt.hex().upper())
    pvt.set(qname("type", XSI), "KeyContentType")


@dataclass(frozen=True)
class ResponseHeader:
    """The addressing fields of Table D.3.1-1."""

    user_uri: str
    kms_uri: str
    time: float
    client_req_url: str


def build_response(header: ResponseHeader, transport: TransportKeys, *,
                   init: KmsCertificate | None = None,
                   key_sets: tuple[KmsCertificate, Sequence[UserKeySet]] | None = None,
                   cert_cache: tuple[int, Sequence[KmsCertificate]] | None = None) -> bytes:
    """A SignedKmsResponse carrying exactly one of KmsInit, KmsKeyProv or KmsCertCache."""
    if sum(x is not None for x in (init, key_sets, cert_cache)) != 1:
        raise ValueError("a KmsMessage carries exactly one response type")
    root = etree.Element(qname("SignedKmsResponse"), nsmap=NSMAP)
    response = _sub(root, "KmsResponse")
    response.set("Version", RESPONSE_VERSION)
    response.set("Id", RESPONSE_ID)
    _sub(response, "UserUri", header.user_uri)
    _sub(response, "KmsUri", header.kms_uri)
    _sub(response, "Time", xsd_datetime(header.time))
    _sub(response, "ClientReqUrl", header.client_req_url)
    message = _sub(response, "KmsMessage")
    if init is not None:
        body = _sub(message, "KmsInit")
        body.set("Version", RESPONSE_VERSION)
        _certificate(body, init)
    elif key_sets is not None:
        cert, sets = key_sets
        body = _sub(message, "KmsKeyProv")
        body.set("Version", RESPONSE_VERSION)
        for key_set in sets:
            _key_set(body, cert, key_set, transport)
    elif cert_cache is not None:
        number, certs = cert_cache
        body = _sub(message, "KmsCertCache")
        body.set("Version", RESPONSE_VERSION)
        body.set("CacheNum", str(number))
        for cert in certs:
            _certificate(body, cert)
    _sub(response, "TrK-ID", transport.trk_id)
    _sub(response, "Signature-ID", transport.ink_id)
    _sign(root, response, transport)
    return cast(bytes, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _c14n(element: Any) -> bytes:
    return cast(bytes, etree.tostring(element, method="c14n", exclusive=True, with_comments=False))


def _sign(root: Any, response: Any, transport: TransportKeys) -> None:
    """XML-DSig (detached sibling reference) with HMAC-SHA256 under the InK (TS 33.180 D.1)."""
    signature = _sub(root, "Signature", ns=DS)
    signed_info = _sub(signature, "SignedInfo", ns=DS)
    _sub(signed_info, "CanonicalizationMethod", ns=DS).set("Algorithm", EXC_C14N)
    _sub(signed_info, "SignatureMethod", ns=DS).set("Algorithm", HMAC_SHA256)
    reference = _sub(signed_info, "Reference", ns=DS)
    reference.set("URI", "#" + RESPONSE_ID)
    transforms = _sub(reference, "Transforms", ns=DS)
    _sub(transforms, "Transform", ns=DS).set("Algorithm", EXC_C14N)
    _sub(reference, "DigestMethod", ns=DS).set("Algorithm", SHA256)
    digest = hashlib.sha256(_c14n(response)).digest()
    _sub(reference, "DigestValue", base64.b64encode(digest).decode(), ns=DS)
    mac = hmac.new(transport.ink.reveal(), _c14n(signed_info), hashlib.sha256).digest()
    _sub(signature, "SignatureValue", base64.b64encode(mac).decode(), ns=DS)
    _sub(_sub(signature, "KeyInfo", ns=DS), "KeyName", transport.ink_id, ns=DS)


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KmsResponse:
    """A verified response: its addressing and the one message it carried."""

    header: ResponseHeader
    kind: str
    certificates: tuple[KmsCertificate, ...]
    key_sets: tuple[UserKeySet, ...]
    cache_num: int | None


def child(parent: Any, name: str, ns: str = NS) -> Any:
    found = parent.findall(qname(name, ns))
    if len(found) != 1:
        raise DecodeError(f"expected exactly one <{name}>, found {len(found)}",
                          payload=PAYLOAD, field=name)
    return found[0]


def child_text(parent: Any, name: str, ns: str = NS) -> str:
    text = child(parent, name, ns).text
    if text is None or not text.strip():
        raise DecodeError(f"<{name}> is empty", payload=PAYLOAD, field=name)
    return cast(str, text).strip()


def _int(parent: Any, name: str) -> int:
    text = child_text(parent, name)
    if not text.isdigit():
        raise DecodeError(f"<{name}> is not a non-negative integer: {text!r}",
                          payload=PAYLOAD, field=name)
    return int(text)


def _hex(parent: Any, name: str) -> bytes:
    try:
        return bytes.fromhex(child_text(parent, name))
    except ValueError as exc:
        raise DecodeError(f"<{name}> is not hexBinary", payload=PAYLOAD, field=name) from exc


def _b64(parent: Any, name: str, ns: str) -> bytes:
    try:
        return base64.b64decode(child_text(parent, name, ns), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"<{name}> is not base64", payload=PAYLOAD, field=name) from exc


def _algorithm(parent: Any, name: str, ns: str, expected: tuple[str, ...]) -> str:
    value = child(parent, name, ns).get("Algorithm")
    if value not in expected:
        raise VerifyError(f"{name} algorithm {value!r} is not one of {expected}", clause=CLAUSE)
    return cast(str, value)


def _verify_signature(root: Any, transport: TransportKeys) -> Any:
    """Check the ds:Signature and return the one KmsResponse element it covers."""
    signature = child(root, "Signature", DS)
    signed_info = child(signature, "SignedInfo", DS)
    _algorithm(signed_info, "CanonicalizationMethod", DS, (EXC_C14N,))
    _algorithm(signed_info, "SignatureMethod", DS, (HMAC_SHA256,))
    reference = child(signed_info, "Reference", DS)
    response = child(root, "KmsResponse")
    if reference.get("URI") != "#" + RESPONSE_ID or response.get("Id") != RESPONSE_ID:
        raise VerifyError("the signature does not reference the KmsResponse", clause=CLAUSE)
    transforms = child(reference, "Transforms", DS).findall(qname("Transform", DS))
    if [t.get("Algorithm") for t in transforms] != [EXC_C14N]:
        raise VerifyError("unexpected signature transforms", clause=CLAUSE)
    _algorithm(reference, "DigestMethod", DS, (SHA256,))
    key_name = child_text(child(signature, "KeyInfo", DS), "KeyName", DS)
    if key_name != transport.ink_id:
        raise VerifyError(f"signed with key {key_name!r}, expected InK {transport.ink_id!r}",
                          clause=CLAUSE)
    expected_mac = hmac.new(transport.ink.reveal(), _c14n(signed_info), hashlib.sha256).digest()
    if not hmac.compare_digest(expected_mac, _b64(signature, "SignatureValue", DS)):
        raise VerifyError("the response signature (HMAC-SHA256 under the InK) is wrong",
                          clause=CLAUSE)
    digest = hashlib.sha256(_c14n(response)).digest()
    if not hmac.compare_digest(digest, _b64(reference, "DigestValue", DS)):
        raise VerifyError("the signed KmsResponse was altered (digest mismatch)", clause=CLAUSE)
    return response


def _read_certificate(element: Any) -> KmsCertificate:
    revoked = child_text(element, "Revoked")
    if revoked not in ("true", "false"):
        raise DecodeError(f"<Revoked> is not a boolean: {revoked!r}", payload=PAYLOAD,
                          field="Revoked")
    return KmsCertificate(
        kms_uri=child_text(element, "KmsUri"),
        cert_uri=child_text(element, "CertUri"),
        issuer=child_text(element, "Issuer"),
        valid_from=_parse_datetime(child_text(element, "ValidFrom"), "ValidFrom"),
        valid_to=_parse_datetime(child_text(element, "ValidTo"), "ValidTo"),
        revoked=revoked == "true",
        user_key_period=_int(element, "UserKeyPeriod"),
        user_key_offset=_int(element, "UserKeyOffset"),
        pub_enc_key=_hex(element, "PubEncKey"),
        pub_auth_key=_hex(element, "PubAuthKey"),
        role=element.get("Role", ""),
        user_id_format=child_text(element, "UserIdFormat"),
        parameter_set=_int(element, "ParameterSet"),
    )


def _unwrap(key_set: Any, name: str, transport: TransportKeys) -> bytes:
    holder = child(key_set, name)
    if holder.get(qname("type", XSI)) != "EncKeyContentType":
        raise VerifyError(f"<{name}> is not protected by the TrK (EncKeyContentType required)",
                          clause=CLAUSE)
    encrypted = child(holder, "EncryptedKey", XENC)
    algorithm = _algorithm(encrypted, "EncryptionMethod", XENC, (KW_AES256, KW_AES256_PAD))
    trk_id = child_text(child(encrypted, "KeyInfo", DS), "KeyName", DS)
    if trk_id != transport.trk_id:
        raise VerifyError(f"<{name}> is wrapped under {trk_id!r}, not TrK {transport.trk_id!r}",
                          clause=CLAUSE)
    wrapped = _b64(child(encrypted, "CipherData", XENC), "CipherValue", XENC)
    kek = transport.trk.reveal()
    key: bytes = (keywrap.unwrap_with_padding(kek, wrapped) if algorithm == KW_AES256_PAD
                  else keywrap.unwrap(kek, wrapped))
    return key


@dataclass(frozen=True)
class KeyChecks:
    """What the reader needs to validate key sets before accepting them."""

    certificate: KmsCertificate
    uid: UidFunction
    validate_ssk: SskValidator
    validate_rsk: RskValidator


def _read_key_set(element: Any, header: ResponseHeader, transport: TransportKeys,
                  checks: KeyChecks) -> UserKeySet:
    cert = checks.certificate
    user_uri = child_text(element, "UserUri")
    if user_uri != header.user_uri or child_text(element, "KmsUri") != cert.kms_uri:
        raise VerifyError("KmsKeySet is for another user or KMS", clause=CLAUSE)
    period_no = _int(element, "KeyPeriodNo")
    uid = checks.uid(user_uri, cert.kms_uri, cert.user_key_period, cert.user_key_offset,
                     period_no)
    if _hex(element, "UserID") != uid:
        raise VerifyError("UserID is not the UID of UserUri for KeyPeriodNo",
                          clause="TS 33.180 F.2.1")
    rsk = _unwrap(element, "UserDecryptKey", transport)
    ssk_octets = _unwrap(element, "UserSigningKeySSK", transport)
    if len(ssk_octets) != 32:
        raise VerifyError("the SSK is not 32 octets", clause="RFC 6507 5.1.2")
    ssk = int.from_bytes(ssk_octets, "big")
    pvt = _hex(element, "UserPubTokenPVT")
    checks.validate_ssk(cert.pub_auth_key, uid, ssk, pvt)
    checks.validate_rsk(cert.pub_enc_key, uid, rsk)
    return UserKeySet(
        user_uri=user_uri,
        period_no=period_no,
        uid=uid,
        valid_from=_parse_datetime(child_text(element, "ValidFrom"), "ValidFrom"),
        valid_to=_parse_datetime(child_text(element, "ValidTo"), "ValidTo"),
        ssk=Secret(ssk),
        pvt=pvt,
        rsk=Secret(rsk),
    )


def parse_document(data: bytes) -> Any:
    """Parse XML safely (no DTD, no entities, no network); a clear DecodeError otherwise."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DecodeError("a DTD is not allowed in KMS XML", payload=PAYLOAD)
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"not well-formed XML: {exc}", payload=PAYLOAD) from exc


def read_response(data: bytes, transport: TransportKeys, *, user_uri: str, kms_uri: str,
                  client_req_url: str, checks: KeyChecks | None = None) -> KmsResponse:
    """Verify and read a SignedKmsResponse (the client side of TS 33.180 D.3).

    ``checks`` is required when the response may carry key sets: every key set is unwrapped
    with the TrK and its SSK and RSK validated before the response is returned.
    """
    root = parse_document(data)
    if root.tag != qname("SignedKmsResponse"):
        raise DecodeError(f"root element is {root.tag}, not SignedKmsResponse",
                          payload=PAYLOAD)
    response = _verify_signature(root, transport)
    header = ResponseHeader(
        user_uri=child_text(response, "UserUri"),
        kms_uri=child_text(response, "KmsUri"),
        time=_parse_datetime(child_text(response, "Time"), "Time"),
        client_req_url=child_text(response, "ClientReqUrl"),
    )
    if header.user_uri != user_uri:
        raise VerifyError(f"response is for {header.user_uri!r}, not {user_uri!r}",
                          clause=CLAUSE)
    if header.kms_uri != kms_uri:
        raise VerifyError(f"response is from KMS {header.kms_uri!r}, not {kms_uri!r}",
                          clause=CLAUSE)
    if header.client_req_url != client_req_url:
        raise VerifyError("ClientReqUrl is not the URL this client requested", clause=CLAUSE)
    if child_text(response, "TrK-ID") != transport.trk_id:
        raise VerifyError("TrK-ID names another transport key", clause=CLAUSE)
    message = child(response, "KmsMessage")
    bodies = list(message)
    if len(bodies) != 1 or not isinstance(bodies[0].tag, str):
        raise DecodeError("KmsMessage must carry exactly one response", payload=PAYLOAD,
                          field="KmsMessage")
    body = bodies[0]
    kind = etree.QName(body).localname
    certs: tuple[KmsCertificate, ...] = ()
    sets: tuple[UserKeySet, ...] = ()
    cache_num = None
    if kind == "KmsInit":
        certs = (_read_certificate(child(body, "KmsCertificate")),)
    elif kind == "KmsKeyProv":
        if checks is None:
            raise ValueError("reading key sets needs KeyChecks")
        sets = tuple(_read_key_set(e, header, transport, checks)
                     for e in body.findall(qname("KmsKeySet")))
    elif kind == "KmsCertCache":
        certs = tuple(_read_certificate(e) for e in body.findall(qname("KmsCertificate")))
        num = body.get("CacheNum", "0")
        if not num.isdigit():
            raise DecodeError("CacheNum is not an integer", payload=PAYLOAD, field="CacheNum")
        cache_num = int(num)
    else:
        raise DecodeError(f"unknown KmsMessage {kind!r}", payload=PAYLOAD, field="KmsMessage")
    return KmsResponse(header, kind, certs, sets, cache_num)
