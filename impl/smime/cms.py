"""CMS AuthEnvelopedData (RFC 5083) with one KEKRecipientInfo, for seed 001's CEK.

A SIP body is protected as RFC 5652 ``ContentInfo`` -> ``AuthEnvelopedData`` (RFC 5083 2.1):

* a fresh 256-bit content-authenticated-encryption key encrypts the content with AES-256-GCM
  (RFC 5084 3.2: ``id-aes256-GCM``, ``GCMParameters`` with a 12-octet nonce and a 16-octet ICV);
* the seed's CEK is CMS's key-encryption key: a ``KEKRecipientInfo`` (RFC 5652 6.2.3, version 4)
  whose ``kekid.keyIdentifier`` is the seed's Key ID carries the content key wrapped with
  ``id-aes256-wrap`` (RFC 3394; RFC 3565 2.3.2: parameters absent);
* ``authAttrs``, when present, are authenticated as GCM's associated data, DER-encoded with the
  SET OF tag (RFC 5083 2.2); they must be present, with a content-type attribute, when the
  content type is not id-data (RFC 5083 2.1).

The structures are asn1crypto's (``asn1crypto.cms``); ``GCMParameters`` (RFC 5084 3.2), which it
does not declare, is declared here with its core classes.  :func:`unprotect` reads what
``openssl cms -encrypt -aes-256-gcm -secretkey -secretkeyid`` writes, DER or streamed BER.
Every refusal names the field: :class:`DecodeError` (structure, version, algorithm, length),
:class:`PolicyError` (no recipient with a known Key ID, REQ-CEK-06), :class:`VerifyError` (the
wrapped key or the GCM tag does not verify: a tampered body or a wrong CEK).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos, cms, core, parser
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mckm.impl.crypto import keywrap
from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret

#: RFC 5083 1.1 id-ct-authEnvelopedData; RFC 5652 4 id-data; RFC 5652 11.1 id-contentType.
ID_CT_AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23"
ID_DATA = "1.2.840.113549.1.7.1"
#: RFC 5084 3.2 id-aes256-GCM; RFC 3565 2.3.2 id-aes256-wrap.
ID_AES256_GCM = "2.16.840.1.101.3.4.1.46"
ID_AES256_WRAP = "2.16.840.1.101.3.4.1.45"

AUTH_ENVELOPED_VERSION = 0  # RFC 5083 2.1: "It MUST be set to 0."
KEKRI_VERSION = 4  # RFC 5652 6.2.3: "version is the syntax version number. It shall always be 4."
CEK_OCTETS = 32  # seed 001 7.x.2: "The CEK is a 256-bit symmetric key"
CONTENT_KEY_OCTETS = 32  # AES-256-GCM
NONCE_OCTETS = 12  # RFC 5084 3.2: a 12-octet nonce is RECOMMENDED; the profile requires it
ICV_OCTETS = 16  # the profile's ICV length (RFC 5084 3.2 allows 12..16)

PAYLOAD = "CMS AuthEnvelopedData"

KeyLookup = Mapping[bytes, bytes | Secret[bytes]] | Callable[[bytes], bytes | Secret[bytes] | None]


class GCMParameters(core.Sequence):  # type: ignore[misc]  # asn1crypto has no types
    """RFC 5084 3.2: ``GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen
    AES-GCM-ICVlen DEFAULT 12 }``."""

    _fields = [  # noqa: RUF012  (asn1crypto's declaration style)
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"default": 12}),
    ]


@dataclass(frozen=True)
class Opened:
    """What :func:`unprotect` recovered: the content, its CMS content type, the Key ID used."""

    content: bytes = field(repr=False)
    content_type: str
    key_id: bytes


# The constant parts, built once (asn1crypto keeps their encoding).
_V0, _V4 = cms.CMSVersion(AUTH_ENVELOPED_VERSION), cms.CMSVersion(KEKRI_VERSION)
_DATA, _AUTH_ENVELOPED = cms.ContentType(ID_DATA), cms.ContentType(ID_CT_AUTH_ENVELOPED_DATA)
_AES256_WRAP = cms.KeyEncryptionAlgorithm({"algorithm": ID_AES256_WRAP})
_AES256_GCM = algos.EncryptionAlgorithmId(ID_AES256_GCM)
_ICV = core.Integer(ICV_OCTETS)


def _secret_bytes(value: bytes | Secret[bytes], what: str) -> bytes:
    raw = value.reveal() if isinstance(value, Secret) else value
    if not isinstance(raw, bytes | bytearray):
        raise UsageError(f"{what} must be bytes, not {type(raw).__name__}")
    return bytes(raw)


def _auth_attrs(content_type: str) -> cms.CMSAttributes:
    return cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [cms.ContentType(content_type)]}),
    ])


def _aad(attrs: cms.CMSAttributes | None) -> bytes:
    """RFC 5083 2.2: the DER of authAttrs with the EXPLICIT SET OF tag, or nothing."""
    if attrs is None:
        return b""
    return bytes(attrs.untag().dump())


def protect(content: bytes, key_id: bytes, cek: bytes | Secret[bytes], *,
            content_type: str = ID_DATA, content_key: bytes | Secret[bytes] | None = None,
            nonce: bytes | None = None) -> bytes:
    """RFC 5083 2.2: the DER ``ContentInfo`` of an AuthEnvelopedData over ``content``.

    ``key_id`` and ``cek`` are seed 001's Key ID and CEK (KEKRecipientInfo, RFC 5652 6.2.3).
    ``content_type`` is the CMS content type (an OID; id-data for a MIME entity, RFC 8551
    3.1); another type adds the content-type authenticated attribute (RFC 5083 2.1).
    ``content_key`` and ``nonce`` are drawn fresh unless given (test vectors fix them).
    """
    if not isinstance(content, bytes | bytearray):
        raise UsageError(f"the content must be bytes, not {type(content).__name__}")
    if not isinstance(key_id, bytes | bytearray) or not key_id:
        raise UsageError("the Key ID must be non-empty bytes (kekid.keyIdentifier)")
    kek = _secret_bytes(cek, "the CEK")
    if len(kek) != CEK_OCTETS:
        raise UsageError(f"the CEK is {CEK_OCTETS} octets (256 bits, seed 001 7.x.2), "
                         f"got {len(kek)}")
    key = os.urandom(CONTENT_KEY_OCTETS) if content_key is None else \
        _secret_bytes(content_key, "the content key")
    if len(key) != CONTENT_KEY_OCTETS:
        raise UsageError(f"the AES-256-GCM content key is {CONTENT_KEY_OCTETS} octets, "
                         f"got {len(key)}")
    iv = os.urandom(NONCE_OCTETS) if nonce is None else bytes(nonce)
    if len(iv) != NONCE_OCTETS:
        raise UsageError(f"the GCM nonce is {NONCE_OCTETS} octets (RFC 5084 3.2), got {len(iv)}")
    try:
        oid = ID_DATA if content_type == ID_DATA else cms.ContentType(content_type).dotted
    except ValueError:
        raise UsageError(f"content type {content_type!r} is not an OID") from None
    attrs = None if oid == ID_DATA else _auth_attrs(oid)
    sealed = AESGCM(key).encrypt(iv, bytes(content), _aad(attrs) or None)
    ciphertext, tag = sealed[:-ICV_OCTETS], sealed[-ICV_OCTETS:]
    recipient = cms.RecipientInfo("kekri", cms.KEKRecipientInfo({
        "version": _V4,
        "kekid": cms.KEKIdentifier({"key_identifier": core.OctetString(bytes(key_id))}),
        "key_encryption_algorithm": _AES256_WRAP,
        "encrypted_key": core.OctetString(keywrap.wrap(kek, key)),
    }))
    algorithm = algos.EncryptionAlgorithm({
        "algorithm": _AES256_GCM,
        "parameters": GCMParameters({"aes_nonce": core.OctetString(iv), "aes_icvlen": _ICV}),
    })
    # passed on as parsed octets: a built one is re-encoded at every level above it (asn1crypto
    # 1.5 re-checks its DEFAULT field each time), a quarter of protect's time
    algorithm = algos.EncryptionAlgorithm.load(algorithm.dump())
    data: dict[str, Any] = {
        "version": _V0,
        "recipient_infos": cms.RecipientInfos([recipient]),
        "auth_encrypted_content_info": cms.EncryptedContentInfo({
            "content_type": _DATA if attrs is None else cms.ContentType(oid),
            "content_encryption_algorithm": algorithm,
            "encrypted_content": ciphertext,
        }),
        "mac": core.OctetString(tag),
    }
    if attrs is not None:
        data["auth_attrs"] = attrs
    info = cms.ContentInfo({"content_type": _AUTH_ENVELOPED,
                            "content": cms.AuthEnvelopedData(data)})
    return bytes(info.dump())


# ------------------------------------------------------------------------------- reading


def _bad(reason: str, field_name: str, offset: int | None = None) -> DecodeError:
    return DecodeError(reason, offset=offset, payload=PAYLOAD, field=field_name)


#: what asn1crypto raises on octets that do not parse as the declared structure (it parses
#: lazily, on first access of a field)
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


class _Reader:
    """Field access that turns asn1crypto's parse errors into a DecodeError naming the field
    being read (asn1crypto parses a field when it is first accessed)."""

    def __init__(self) -> None:
        self.field = "ContentInfo"

    def at(self, field_name: str) -> _Reader:
        self.field = field_name
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        if exc is not None and isinstance(exc, _ASN1_ERRORS) and \
                not isinstance(exc, DecodeError | UsageError):
            raise _bad(f"does not parse: {exc}", self.field) from None


def _integer(value: Any, field_name: str) -> Any:
    """An INTEGER's value, refused unless its contents are the one minimal encoding (X.690
    8.3: one or more octets, no redundant leading octet); asn1crypto reads an empty INTEGER as
    0, which would let a changed length octet pass as version 0."""
    native = value.native
    canonical = type(value)(native).contents if native is not None else None
    if value.contents != canonical:
        raise _bad(f"INTEGER contents {value.contents.hex() or 'empty'} are not a valid "
                   "encoding (X.690 8.3.2)", field_name)
    return native


def _lookup(keys: KeyLookup, key_id: bytes) -> bytes | None:
    found = keys.get(key_id) if isinstance(keys, Mapping) else keys(key_id)
    return None if found is None else _secret_bytes(found, "a CEK")


def _outer(der: bytes) -> cms.ContentInfo:
    if not isinstance(der, bytes | bytearray):
        raise UsageError(f"the CMS object must be bytes, not {type(der).__name__}")
    try:
        _, _, _, header, contents, trailer = parser.parse(bytes(der))
    except _ASN1_ERRORS as exc:
        raise _bad(f"not BER/DER: {exc}", "ContentInfo", 0) from None
    consumed = len(header) + len(contents) + len(trailer)
    if consumed != len(der):
        raise _bad(f"{len(der) - consumed} trailing octet(s) after the ContentInfo",
                   "ContentInfo", consumed)
    with _Reader().at("ContentInfo.contentType"):
        info = cms.ContentInfo.load(bytes(der))
        kind = info["content_type"].dotted
    if kind != ID_CT_AUTH_ENVELOPED_DATA:
        raise _bad(f"content type {kind}, expected id-ct-authEnvelopedData "
                   f"{ID_CT_AUTH_ENVELOPED_DATA} (RFC 5083 1.1)", "ContentInfo.contentType")
    return info


def _gcm_parameters(algorithm: Any, read: _Reader) -> tuple[bytes, int]:
    where = "authEncryptedContentInfo.contentEncryptionAlgorithm"
    with read.at(where):
        oid = algorithm["algorithm"].dotted
        raw = algorithm["parameters"]
    if oid != ID_AES256_GCM:
        raise _bad(f"content encryption algorithm {oid}, expected id-aes256-GCM "
                   f"{ID_AES256_GCM} (RFC 5084 3.2)", where)
    if isinstance(raw, core.Void):
        raise _bad("GCMParameters absent (RFC 5084 3.2)", where + ".parameters")
    with read.at(where + ".parameters"):
        params = raw.parse(GCMParameters)
        nonce = params["aes_nonce"].native
        icv = _integer(params["aes_icvlen"], "GCMParameters.aes-ICVlen")
    if len(nonce) != NONCE_OCTETS:
        raise _bad(f"{len(nonce)}-octet nonce, the profile requires {NONCE_OCTETS} (RFC 5084 3.2)",
                   "GCMParameters.aes-nonce")
    if icv != ICV_OCTETS:
        raise _bad(f"ICV length {icv}, the profile requires {ICV_OCTETS} (RFC 5084 3.2 allows "
                   "12..16)", "GCMParameters.aes-ICVlen")
    return nonce, icv


def _content_key(recipients: Any, keys: KeyLookup, read: _Reader) -> tuple[bytes, bytes]:
    """The Key ID and unwrapped content key of the first KEKRecipientInfo with a known Key
    ID (RFC 5652 6.2.3); other recipient kinds are another recipient's."""
    seen: list[str] = []
    for index in range(len(recipients)):
        where = f"recipientInfos[{index}]"
        with read.at(where):
            choice = recipients[index]
            if choice.name != "kekri":
                continue
            kekri = choice.chosen
            version = _integer(kekri["version"], f"{where}.version")
        if version != "v4":
            raise _bad(f"version {version}, KEKRecipientInfo version is {KEKRI_VERSION} "
                       "(RFC 5652 6.2.3)", f"{where}.version")
        with read.at(f"{where}.kekid"):
            key_id = kekri["kekid"]["key_identifier"].native
        seen.append(key_id.hex())
        kek = _lookup(keys, key_id)
        if kek is None:
            continue
        with read.at(f"{where}.keyEncryptionAlgorithm"):
            algorithm = kekri["key_encryption_algorithm"]
            oid, parameters = algorithm["algorithm"].dotted, algorithm["parameters"]
        if oid != ID_AES256_WRAP:
            raise _bad(f"key encryption algorithm {oid}, expected id-aes256-wrap "
                       f"{ID_AES256_WRAP} (RFC 3565 2.3.2)", f"{where}.keyEncryptionAlgorithm")
        if not isinstance(parameters, core.Void):
            raise _bad("parameters present; RFC 3565 2.3.2 says they MUST be absent",
                       f"{where}.keyEncryptionAlgorithm.parameters")
        if len(kek) != CEK_OCTETS:
            raise UsageError(f"the CEK for Key ID {key_id.hex()} is {len(kek)} octets, "
                             f"expected {CEK_OCTETS}")
        with read.at(f"{where}.encryptedKey"):
            wrapped = kekri["encrypted_key"].native
        if len(wrapped) != CONTENT_KEY_OCTETS + 8:
            raise _bad(f"{len(wrapped)} octets; a wrapped AES-256 key is "
                       f"{CONTENT_KEY_OCTETS + 8} (RFC 3394 2.2.1)", f"{where}.encryptedKey")
        return key_id, keywrap.unwrap(kek, wrapped)
    known = ", ".join(seen) if seen else "none"
    raise PolicyError(f"no KEKRecipientInfo with a known Key ID (Key IDs in the message: "
                      f"{known})", requirement="REQ-CEK-06")


def unprotect(der: bytes, keys: KeyLookup) -> Opened:
    """RFC 5083 2.2 / RFC 5084 3.2: open a protected body; ``keys`` maps a Key ID to its CEK
    (a mapping or a function returning None for an unknown Key ID).

    Returns the content only after the GCM tag verified over the ciphertext and authAttrs.
    """
    info = _outer(der)
    read = _Reader()
    with read.at("ContentInfo.content"):
        data = info["content"]
        if not isinstance(data, cms.AuthEnvelopedData):
            raise _bad("content is not an AuthEnvelopedData", "ContentInfo.content")
    with read.at("AuthEnvelopedData.version"):
        version = _integer(data["version"], "AuthEnvelopedData.version")
    if version != "v0":
        raise _bad(f"version {version}, AuthEnvelopedData version MUST be "
                   f"{AUTH_ENVELOPED_VERSION} (RFC 5083 2.1)", "AuthEnvelopedData.version")
    with read.at("AuthEnvelopedData.recipientInfos"):
        recipients = data["recipient_infos"]
        count = len(recipients)
    if count == 0:
        raise _bad("no RecipientInfo (RFC 5083 2.1: at least one)",
                   "AuthEnvelopedData.recipientInfos")
    with read.at("AuthEnvelopedData.authEncryptedContentInfo"):
        eci = data["auth_encrypted_content_info"]
        content_type = eci["content_type"].dotted
        algorithm = eci["content_encryption_algorithm"]
    nonce, icv = _gcm_parameters(algorithm, read)
    with read.at("authEncryptedContentInfo.encryptedContent"):
        ciphertext = eci["encrypted_content"].native
    if ciphertext is None:
        raise _bad("encryptedContent absent (detached content is not supported)",
                   "authEncryptedContentInfo.encryptedContent")
    with read.at("AuthEnvelopedData.authAttrs"):
        attrs = data["auth_attrs"]
        attrs = None if isinstance(attrs, core.Void) else attrs
        declared = _declared_content_type(attrs)
    with read.at("AuthEnvelopedData.mac"):
        mac = data["mac"].native
        if not isinstance(data["unauth_attrs"], core.Void):
            data["unauth_attrs"].native  # noqa: B018  (parsed, then ignored: RFC 5083 2.1)
    if len(mac) != icv:
        raise _bad(f"{len(mac)}-octet MAC, aes-ICVlen says {icv} (RFC 5084 3.2)",
                   "AuthEnvelopedData.mac")
    if content_type != ID_DATA and declared != content_type:
        raise _bad(f"content type {content_type} needs authAttrs with a content-type "
                   f"attribute of the same value (RFC 5083 2.1), found {declared}",
                   "AuthEnvelopedData.authAttrs")
    key_id, content_key = _content_key(recipients, keys, read)
    try:
        content = AESGCM(content_key).decrypt(nonce, ciphertext + mac, _aad(attrs) or None)
    except InvalidTag:
        raise VerifyError("the GCM tag does not verify: the body, its authAttrs or the "
                          "wrapped key was altered, or the CEK is wrong",
                          clause="RFC 5084 3.2 / RFC 5083 2.2") from None
    return Opened(content, content_type, key_id)


def _declared_content_type(attrs: cms.CMSAttributes | None) -> str | None:
    """The value of the single content-type attribute (RFC 5652 11.1), if there is one."""
    if attrs is None:
        return None
    values = [a["values"] for a in attrs if a["type"].dotted == "1.2.840.113549.1.9.3"]
    if len(values) != 1 or len(values[0]) != 1:
        return None
    declared: str = values[0][0].dotted
    return declared


__all__ = ["ID_AES256_GCM", "ID_AES256_WRAP", "ID_CT_AUTH_ENVELOPED_DATA", "ID_DATA",
           "GCMParameters", "KeyLookup", "Opened", "protect", "unprotect"]
