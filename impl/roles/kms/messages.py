"""The KMS XML of TS 33.180 Annex D: requests (D.2.2), responses (D.3) and their security
extension (D.1: HMAC-SHA256 signatures, TrK key wrap).

The grammar is the XML schema of D.3.5 (``mckm.models.grammar.kms_xml``): every document built
here is validated against it before it leaves, and every document read is validated before any
of it is used.  Layout of a response::

    <SignedKmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">
      <KmsResponse Version="1.0.0" Id="kmsResponse">
        <UserUri/> <KmsUri/> <Time/> <ClientReqUrl/>
        <KmsMessage> KmsInit | KmsKeyProv | KmsCertCache </KmsMessage>
        <ext:TrK-ID/> <ext:Signature-ID/>      (D.3.5.3, the ##other slot of KmsResponseType)
      </KmsResponse>
      <ds:Signature> HMAC-SHA256, Reference URI="#kmsResponse" </ds:Signature>
    </SignedKmsResponse>

User secret keys (SSK, RSK) are ``xsi:type="EncKeyContentType"`` holding an ``xenc:EncryptedKey``:
AES-256 key wrap under the TrK, RFC 3394 (``kw-aes256``) for the 32-octet SSK and RFC 5649
(``kw-aes-256-pad``) for the 257-octet RSK.  The PVT is public and written as ``KeyContentType``
hexBinary; the reader also takes a wrapped PVT (the D.3.4.2 example wraps it).

Signatures (written and read): a ds:Signature beside the signed element (KmsResponse or
KmsRequest), one Reference to that element's ``Id``, exclusive C14N (inclusive C14N, the
examples' choice, is accepted on reading), SHA-256 digest, HMAC-SHA256 keyed with the user's InK
(D.2.2 / D.3.1: "When a signature is applied and the InK is present, the InK shall be used").
The verifier reads only the element the signature covers, so signature wrapping fails.
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
from mckm.impl.errors import DecodeError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.model import KmsCertificate, TransportKeys, UserKeySet
from mckm.models.grammar import kms_xml
from mckm.models.grammar.kms_xml import DS, EXT_NS, NS, XENC, XSI

NSMAP = {None: NS, "ext": EXT_NS, "ds": DS, "xenc": XENC, "xsi": XSI}

RESPONSE_VERSION = "1.0.0"
REQUEST_VERSION = "1.1.0"
CERTIFICATE_VERSION = "1.1.0"
KEY_SET_VERSION = "1.1.0"
RESPONSE_ID = "kmsResponse"
REQUEST_ID = "kmsRequest"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
INCL_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
KW_AES256 = "http://www.w3.org/2001/04/xmlenc#kw-aes256"
KW_AES256_PAD = "http://www.w3.org/2009/xmlenc11#kw-aes-256-pad"

PAYLOAD = "KmsResponse"
CLAUSE = "TS 33.180 D.1/D.3"
#: seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (RFC 5905 6)
NTP_UNIX_DELTA = 2208988800

#: validators the reader calls before accepting keys: (KPAK, UID, SSK, PVT) and (Z, UID, RSK)
SskValidator = Callable[[bytes, bytes, int, bytes], None]
RskValidator = Callable[[bytes, bytes, bytes], None]
UidFunction = Callable[[str, str, int, int, int], bytes]


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


def parse_datetime(text: str, field: str, payload: str = PAYLOAD) -> int:
    """Unix seconds of a schema-valid xsd:dateTime (any form: ``Z``, an offset, fractional
    seconds, or no zone, which D.3.4's examples use and which is read as UTC)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DecodeError(f"<{field}> is a dateTime outside what mckm reads: {text!r}",
                          payload=payload, field=field) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


# -- building ------------------------------------------------------------------------------------


def _certificate(parent: Any, cert: KmsCertificate) -> None:
    """TS 33.180 D.3.2.2 KmsCertificate, in the order of KmsCertificateType (D.3.5.1): CertUri
    comes before KmsUri; optional fields that are None are left out."""
    element = _sub(parent, "KmsCertificate")
    element.set("Version", CERTIFICATE_VERSION)
    if cert.role is not None:
        element.set("Role", cert.role)
    if cert.cert_uri is not None:
        _sub(element, "CertUri", cert.cert_uri)
    _sub(element, "KmsUri", cert.kms_uri)
    if cert.issuer is not None:
        _sub(element, "Issuer", cert.issuer)
    if cert.valid_from is not None:
        _sub(element, "ValidFrom", xsd_datetime(cert.valid_from))
    if cert.valid_to is not None:
        _sub(element, "ValidTo", xsd_datetime(cert.valid_to))
    _sub(element, "Revoked", "true" if cert.revoked else "false")
    _sub(element, "UserIdFormat", cert.user_id_format)
    _sub(element, "UserKeyPeriod", str(cert.user_key_period))
    _sub(element, "UserKeyOffset", str(cert.user_key_offset))
    _sub(element, "PubEncKey", cert.pub_enc_key.hex().upper())
    _sub(element, "PubAuthKey", cert.pub_auth_key.hex().upper())
    if cert.parameter_set is not None:
        _sub(element, "ParameterSet", str(cert.parameter_set))


def wrap_key(key: bytes, transport: TransportKeys) -> tuple[str, bytes]:
    """Transport-key protection of one key (TS 33.180 D.1): the algorithm URI and the AES-256
    key wrap under the TrK (RFC 3394, or RFC 5649 for lengths that are not multiples of 8)."""
    kek = transport.trk.reveal()
    if len(key) % 8 == 0 and len(key) >= 16:
        return KW_AES256, bytes(keywrap.wrap(kek, key))
    return KW_AES256_PAD, bytes(keywrap.wrap_with_padding(kek, key))


def _encrypted_key(parent: Any, name: str, key: bytes, transport: TransportKeys) -> None:
    """A user secret key wrapped under the TrK as an xenc:EncryptedKey (EncKeyContentType)."""
    algorithm, wrapped = wrap_key(key, transport)
    holder = _sub(parent, name)
    holder.set(qname("type", XSI), "EncKeyContentType")
    encrypted = _sub(holder, "EncryptedKey", ns=XENC)
    _sub(encrypted, "EncryptionMethod", ns=XENC).set("Algorithm", algorithm)
    _sub(_sub(encrypted, "KeyInfo", ns=DS), "KeyName", transport.trk_id, ns=DS)
    cipher_data = _sub(encrypted, "CipherData", ns=XENC)
    _sub(cipher_data, "CipherValue", base64.b64encode(wrapped).decode(), ns=XENC)


def _key_set(parent: Any, cert: KmsCertificate, key_set: UserKeySet,
             transport: TransportKeys) -> None:
    """TS 33.180 D.3.3.2 KmsKeySet; UserID is base64 (Table D.3.3.2-1)."""
    element = _sub(parent, "KmsKeySet")
    element.set("Version", KEY_SET_VERSION)
    _sub(element, "KmsUri", cert.kms_uri)
    if cert.cert_uri is not None:
        _sub(element, "CertUri", cert.cert_uri)
    if cert.issuer is not None:
        _sub(element, "Issuer", cert.issuer)
    _sub(element, "UserUri", key_set.user_uri)
    _sub(element, "UserID", base64.b64encode(key_set.uid).decode())
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


def _extensions(parent: Any, transport: TransportKeys) -> None:
    """TrK-ID and Signature-ID (D.3.5.3) at the end of the request or response (##other)."""
    _sub(parent, "TrK-ID", transport.trk_id, ns=EXT_NS)
    _sub(parent, "Signature-ID", transport.ink_id, ns=EXT_NS)


def build_response(header: ResponseHeader, transport: TransportKeys, *,
                   init: KmsCertificate | None = None,
                   key_sets: tuple[KmsCertificate, Sequence[UserKeySet]] | None = None,
                   cert_cache: tuple[int, Sequence[KmsCertificate]] | None = None,
                   error: tuple[int, str] | None = None) -> bytes:
    """A SignedKmsResponse carrying one of KmsInit, KmsKeyProv or KmsCertCache, schema-valid
    (D.3.5) and signed with the InK.  ``error`` (ErrorCode, ErrorMsg) adds a KmsError after
    the KmsMessage, or alone when no message type is given (D.3.1; the mckm KMS never sends
    one, its refusals are text/plain: this is for clients' tests)."""
    count = sum(x is not None for x in (init, key_sets, cert_cache))
    if count > 1 or (count == 0 and error is None):
        raise UsageError("a KmsMessage carries exactly one response type")
    root = etree.Element(qname("SignedKmsResponse"), nsmap=NSMAP)
    response = _sub(root, "KmsResponse")
    response.set("Version", RESPONSE_VERSION)
    response.set("Id", RESPONSE_ID)
    _sub(response, "UserUri", header.user_uri)
    _sub(response, "KmsUri", header.kms_uri)
    _sub(response, "Time", xsd_datetime(header.time))
    _sub(response, "ClientReqUrl", header.client_req_url)
    message = _sub(response, "KmsMessage") if count else None
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
    if error is not None:
        kms_error = _sub(response, "KmsError")
        _sub(kms_error, "ErrorCode", str(error[0]))
        _sub(kms_error, "ErrorMsg", error[1])
    _extensions(response, transport)
    sign(root, response, RESPONSE_ID, transport.ink.reveal(), transport.ink_id)
    kms_xml.validate(root, "SignedKmsResponse")
    return cast(bytes, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def build_request(user_uri: str, kms_uri: str, time: float, client_req_url: str,
                  transport: TransportKeys | None = None, *, signed: bool = False) -> bytes:
    """A KmsRequest (D.2.2), or with ``signed`` a SignedKmsRequest signed with the InK; with
    ``transport`` the TrK-ID and Signature-ID extensions are included (D.3.5.3)."""
    if signed and transport is None:
        raise UsageError("a signed request needs the user's transport keys")
    request = etree.Element(qname("KmsRequest"), nsmap=NSMAP)
    request.set("Version", REQUEST_VERSION)
    request.set("Id", REQUEST_ID)
    _sub(request, "UserUri", user_uri)
    _sub(request, "KmsUri", kms_uri)
    _sub(request, "Time", xsd_datetime(time))
    _sub(request, "ClientReqUrl", client_req_url)
    if transport is not None:
        _extensions(request, transport)
    root = request
    if signed and transport is not None:
        root = etree.Element(qname("SignedKmsRequest"), nsmap=NSMAP)
        root.append(request)
        sign(root, request, REQUEST_ID, transport.ink.reveal(), transport.ink_id)
    kms_xml.validate(root, "KmsRequest")
    return cast(bytes, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _c14n(element: Any, exclusive: bool = True) -> bytes:
    return cast(bytes, etree.tostring(element, method="c14n", exclusive=exclusive,
                                      with_comments=False))


def sign(root: Any, signed: Any, signed_id: str, key: bytes, key_name: str) -> None:
    """Append to ``root`` an XML-DSig over ``signed`` (detached sibling reference) with
    HMAC-SHA256 under ``key`` (TS 33.180 D.1)."""
    signature = _sub(root, "Signature", ns=DS)
    signed_info = _sub(signature, "SignedInfo", ns=DS)
    _sub(signed_info, "CanonicalizationMethod", ns=DS).set("Algorithm", EXC_C14N)
    _sub(signed_info, "SignatureMethod", ns=DS).set("Algorithm", HMAC_SHA256)
    reference = _sub(signed_info, "Reference", ns=DS)
    reference.set("URI", "#" + signed_id)
    transforms = _sub(reference, "Transforms", ns=DS)
    _sub(transforms, "Transform", ns=DS).set("Algorithm", EXC_C14N)
    _sub(reference, "DigestMethod", ns=DS).set("Algorithm", SHA256)
    digest = hashlib.sha256(_c14n(signed)).digest()
    _sub(reference, "DigestValue", base64.b64encode(digest).decode(), ns=DS)
    mac = hmac.new(key, _c14n(signed_info), hashlib.sha256).digest()
    _sub(signature, "SignatureValue", base64.b64encode(mac).decode(), ns=DS)
    _sub(_sub(signature, "KeyInfo", ns=DS), "KeyName", key_name, ns=DS)


# -- reading -------------------------------------------------------------------------------------


def children(parent: Any, name: str, ns: str = NS) -> list[Any]:
    return list(parent.findall(qname(name, ns)))


def child(parent: Any, name: str, ns: str = NS, payload: str = PAYLOAD) -> Any:
    found = children(parent, name, ns)
    if len(found) != 1:
        raise DecodeError(f"expected exactly one <{name}>, found {len(found)}",
                          payload=payload, field=name)
    return found[0]


def optional_text(parent: Any, name: str, ns: str = NS, payload: str = PAYLOAD) -> str | None:
    """The text of an optional child (None when absent; at most one may be present)."""
    found = children(parent, name, ns)
    if len(found) > 1:
        raise DecodeError(f"<{name}> appears {len(found)} times, at most once allowed",
                          payload=payload, field=name)
    return (found[0].text or "").strip() if found else None


def child_text(parent: Any, name: str, ns: str = NS, payload: str = PAYLOAD) -> str:
    return (child(parent, name, ns, payload).text or "").strip()


def _int(text: str, name: str, minimum: int = 0) -> int:
    value = int(text)  # schema-valid xsd:integer
    if value < minimum:
        raise DecodeError(f"<{name}> must be at least {minimum}, is {value}", payload=PAYLOAD,
                          field=name)
    return value


def _bool(text: str | None) -> bool:
    return text in ("true", "1")


def _b64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"<{name}> is not base64", payload=PAYLOAD, field=name) from exc


def decode_user_id(text: str) -> bytes:
    """UserID: base64 as Table D.3.3.2-1 says; 64 hex digits (a deployed KMS's form) are read
    too.  The two cannot be confused: a 32-octet UID is 44 base64 characters."""
    text = "".join(text.split())
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    return _b64(text, "UserID")


def xsi_type(element: Any) -> str | None:
    """The local name of ``element``'s xsi:type, resolved in the KMS namespace, or None."""
    value: str | None = element.get(qname("type", XSI))
    if value is None:
        return None
    prefix, _, local = value.strip().rpartition(":")
    if element.nsmap.get(prefix or None) != NS:
        raise DecodeError(f"xsi:type {value!r} is not a type of {NS}", payload=PAYLOAD,
                          field=etree.QName(element).localname)
    return local


@dataclass(frozen=True)
class SignatureCheck:
    """A signature's verdict: the signed element (when it holds) or the reason it does not."""

    element: Any | None
    key_name: str | None
    reason: str

    @property
    def holds(self) -> bool:
        return self.element is not None


def check_signature(root: Any, signed_name: str, keys: dict[str, bytes]) -> SignatureCheck:
    """Verify the ds:Signature of ``root`` over its one ``signed_name`` child with the HMAC key
    that the Signature-ID (or KeyName) names among ``keys`` (D.2.2, D.3.1).  Never raises for a
    bad signature: the verdict says why, and the caller's guard refuses."""
    def no(reason: str) -> SignatureCheck:
        return SignatureCheck(None, None, reason)

    signatures = children(root, "Signature", DS)
    signed = children(root, signed_name)
    if len(signatures) != 1 or len(signed) != 1:
        return no(f"expected one <{signed_name}> and one ds:Signature")
    signature, element = signatures[0], signed[0]
    signed_info = signature.find(qname("SignedInfo", DS))
    c14n = signed_info.find(qname("CanonicalizationMethod", DS)).get("Algorithm")
    method = signed_info.find(qname("SignatureMethod", DS))
    references = signed_info.findall(qname("Reference", DS))
    if c14n not in (EXC_C14N, INCL_C14N):
        return no(f"canonicalization {c14n!r} is not C14N or exclusive C14N")
    if method.get("Algorithm") != HMAC_SHA256:
        return no("the signature method is not HMAC-SHA256 (D.1)")
    length = method.find(qname("HMACOutputLength", DS))
    if length is not None and (length.text or "").strip() != "256":
        return no("HMACOutputLength is not 256 (D.1: a signature length of 256)")
    if len(references) != 1:
        return no("the signature must have exactly one Reference")
    reference = references[0]
    element_id = element.get("Id")
    if not element_id or reference.get("URI") != "#" + element_id:
        return no(f"the signature does not reference the {signed_name}")
    transforms = [t.get("Algorithm") for t in reference.iterfind(f".//{qname('Transform', DS)}")]
    if transforms not in ([], [EXC_C14N], [INCL_C14N]):
        return no("unexpected signature transforms")
    if reference.find(qname("DigestMethod", DS)).get("Algorithm") != SHA256:
        return no("the digest method is not SHA-256")
    names = {optional_text(element, "Signature-ID", EXT_NS)}
    key_info = signature.find(qname("KeyInfo", DS))
    if key_info is not None:
        names |= {(k.text or "").strip() for k in key_info.findall(qname("KeyName", DS))}
    names.discard(None)
    if len(names) != 1:
        return no("the Signature-ID and KeyName must name one key")
    (key_name,) = names
    key = keys.get(cast(str, key_name))
    if key is None:
        return no(f"signed with key {key_name!r}, not with this user's InK")
    try:
        mac = base64.b64decode("".join((signature.find(qname("SignatureValue", DS)).text
                                        or "").split()), validate=True)
        digest = base64.b64decode("".join((reference.find(qname("DigestValue", DS)).text
                                           or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return no("the signature or digest is not base64")
    inclusive_si = c14n == INCL_C14N
    expected = hmac.new(key, _c14n(signed_info, not inclusive_si), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        return no("the signature (HMAC-SHA256 under the InK) is wrong")
    exclusive = transforms != [INCL_C14N]
    if not hmac.compare_digest(hashlib.sha256(_c14n(element, exclusive)).digest(), digest):
        return no(f"the signed {signed_name} was altered (digest mismatch)")
    return SignatureCheck(element, cast(str, key_name), "")


def read_certificate(element: Any) -> KmsCertificate:
    """A schema-valid KmsCertificate (D.3.2.2), optional fields None when absent."""
    valid_from = optional_text(element, "ValidFrom")
    valid_to = optional_text(element, "ValidTo")
    parameter_set = optional_text(element, "ParameterSet")
    return KmsCertificate(
        kms_uri=child_text(element, "KmsUri"),
        cert_uri=optional_text(element, "CertUri"),
        issuer=optional_text(element, "Issuer"),
        valid_from=None if valid_from is None else parse_datetime(valid_from, "ValidFrom"),
        valid_to=None if valid_to is None else parse_datetime(valid_to, "ValidTo"),
        revoked=_bool(optional_text(element, "Revoked")),
        user_key_period=_int(child_text(element, "UserKeyPeriod"), "UserKeyPeriod", 1),
        user_key_offset=_int(child_text(element, "UserKeyOffset"), "UserKeyOffset"),
        pub_enc_key=bytes.fromhex(child_text(element, "PubEncKey")),
        pub_auth_key=bytes.fromhex(child_text(element, "PubAuthKey")),
        role=element.get("Role"),
        user_id_format=child_text(element, "UserIdFormat"),
        parameter_set=None if parameter_set is None else int(parameter_set),
    )


def _certificates(parent: Any) -> list[KmsCertificate]:
    """KmsCertificate and SignedKmsCertificate children, in document order (the certificate
    signatures of D.3.4.3 are covered by the response signature and not checked again)."""
    out = []
    for element in parent:
        if not isinstance(element.tag, str):
            continue
        if element.tag == qname("KmsCertificate"):
            out.append(read_certificate(element))
        elif element.tag == qname("SignedKmsCertificate"):
            out.append(read_certificate(child(element, "KmsCertificate")))
    return out


def unwrap_key(holder: Any, transport: TransportKeys, secret: bool) -> bytes:
    """The octets of a key element: KeyContentType hexBinary, or EncKeyContentType unwrapped
    with the TrK.  A secret key (SSK, RSK) in clear is refused (REQ-SKMS-32)."""
    name = etree.QName(holder).localname
    kind = xsi_type(holder)
    if kind == "KeyContentType":
        if secret:
            raise VerifyError(f"<{name}> is not protected by the TrK (EncKeyContentType "
                              "required for a secret key)", clause=CLAUSE)
        return bytes.fromhex("".join((holder.text or "").split()))
    if kind != "EncKeyContentType":
        raise DecodeError(f"<{name}> has xsi:type {kind!r}", payload=PAYLOAD, field=name)
    encrypted = child(holder, "EncryptedKey", XENC)
    method = encrypted.find(qname("EncryptionMethod", XENC))
    algorithm = None if method is None else method.get("Algorithm")
    if algorithm not in (KW_AES256, KW_AES256_PAD):
        raise VerifyError(f"<{name}> key wrap {algorithm!r} is not AES-256 key wrap",
                          clause=CLAUSE)
    key_info = encrypted.find(qname("KeyInfo", DS))
    trk_ids = [] if key_info is None else [
        (k.text or "").strip() for k in key_info.findall(qname("KeyName", DS))]
    if trk_ids and trk_ids != [transport.trk_id]:
        raise VerifyError(f"<{name}> is wrapped under {trk_ids}, not TrK {transport.trk_id!r}",
                          clause=CLAUSE)
    value = child(child(encrypted, "CipherData", XENC), "CipherValue", XENC).text or ""
    wrapped = _b64(value, "CipherValue")
    kek = transport.trk.reveal()
    if algorithm == KW_AES256 and len(wrapped) % 8 == 0 and len(wrapped) >= 24:
        try:
            return bytes(keywrap.unwrap(kek, wrapped))
        except VerifyError:
            pass  # a deployed KMS writes RFC 5649 under the kw-aes256 URI: try that too
    return bytes(keywrap.unwrap_with_padding(kek, wrapped))


@dataclass(frozen=True)
class KeyChecks:
    """What the reader needs to validate key sets before accepting them."""

    certificate: KmsCertificate
    uid: UidFunction
    validate_ssk: SskValidator
    validate_rsk: RskValidator


def _period_bounds(cert: KmsCertificate, period_no: int) -> tuple[int, int]:
    """Unix start and end of key period ``period_no`` (TS 33.180 F.2.1)."""
    start = period_no * cert.user_key_period + cert.user_key_offset - NTP_UNIX_DELTA
    return start, start + cert.user_key_period


def read_key_set(element: Any, user_uri: str, transport: TransportKeys,
                 checks: KeyChecks) -> UserKeySet:
    """A KmsKeySet (D.3.3.2) for ``user_uri``: addressing, UserID = UID(UserUri, KeyPeriodNo),
    keys unwrapped with the TrK and validated (RFC 6507 5.1.2, RFC 6508 6.1.2)."""
    cert = checks.certificate
    key_user = child_text(element, "UserUri")
    if key_user != user_uri or child_text(element, "KmsUri") != cert.kms_uri:
        raise VerifyError("KmsKeySet is for another user or KMS", clause=CLAUSE)
    if _bool(optional_text(element, "Revoked")):
        raise VerifyError("the KmsKeySet is revoked", clause="TS 33.180 D.3.3.2")
    period_no = _int(child_text(element, "KeyPeriodNo"), "KeyPeriodNo")
    uid = checks.uid(key_user, cert.kms_uri, cert.user_key_period, cert.user_key_offset,
                     period_no)
    if decode_user_id(child_text(element, "UserID")) != uid:
        raise VerifyError("UserID is not the UID of UserUri for KeyPeriodNo",
                          clause="TS 33.180 F.2.1")
    rsk = unwrap_key(child(element, "UserDecryptKey"), transport, secret=True)
    ssk_octets = unwrap_key(child(element, "UserSigningKeySSK"), transport, secret=True)
    if len(ssk_octets) != 32:
        raise VerifyError("the SSK is not 32 octets", clause="RFC 6507 5.1.2")
    ssk = int.from_bytes(ssk_octets, "big")
    pvt = unwrap_key(child(element, "UserPubTokenPVT"), transport, secret=False)
    checks.validate_ssk(cert.pub_auth_key, uid, ssk, pvt)
    checks.validate_rsk(cert.pub_enc_key, uid, rsk)
    start, end = _period_bounds(cert, period_no)
    valid_from = optional_text(element, "ValidFrom")
    valid_to = optional_text(element, "ValidTo")
    return UserKeySet(
        user_uri=key_user, period_no=period_no, uid=uid,
        valid_from=start if valid_from is None else parse_datetime(valid_from, "ValidFrom"),
        valid_to=end if valid_to is None else parse_datetime(valid_to, "ValidTo"),
        ssk=Secret(ssk), pvt=pvt, rsk=Secret(rsk))


def answer_element(response: Any) -> str | None:
    """What a KmsResponse answers (D.3.1): ``"KmsError"`` if it carries one (beside a
    KmsMessage or not), else the local name of its KmsMessage's one KMS-namespace child, ``""``
    without a KmsMessage, None for other KmsMessage content (another namespace, or none)."""
    if children(response, "KmsError"):
        return "KmsError"
    message = children(response, "KmsMessage")
    if not message:
        return ""
    bodies = [e for e in message[0] if isinstance(e.tag, str)]
    if len(bodies) != 1 or etree.QName(bodies[0]).namespace != NS:
        return None
    return str(etree.QName(bodies[0]).localname)


def message_body(response: Any) -> Any:
    """The one KmsInit, KmsKeyProv or KmsCertCache of a KmsResponse's KmsMessage (D.3.1)."""
    message = children(response, "KmsMessage")
    bodies = [e for e in (message[0] if message else ()) if isinstance(e.tag, str)]
    if len(bodies) != 1 or etree.QName(bodies[0]).namespace != NS:
        raise DecodeError("KmsMessage must carry one KmsInit, KmsKeyProv or KmsCertCache",
                          payload=PAYLOAD, field="KmsMessage")
    return bodies[0]


def certificates_of(body: Any) -> tuple[KmsCertificate, ...]:
    """The KMS certificates of a KmsInit or KmsCertCache (D.3.2)."""
    return tuple(_certificates(body))


def parse_document(data: bytes, payload: str = PAYLOAD) -> Any:
    """Parse and schema-validate KMS XML (``mckm.models.grammar.kms_xml.parse``)."""
    return kms_xml.parse(data, payload)
