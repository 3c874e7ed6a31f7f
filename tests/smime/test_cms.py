"""CMS AuthEnvelopedData with a KEKRecipientInfo (impl/smime/cms.py): round trips, and every
refusal names its field (RFC 5083 2.1/2.2, RFC 5084 3.2, RFC 5652 6.2.3, RFC 3565 2.3.2)."""

from __future__ import annotations

import pytest
from asn1crypto import algos, core
from asn1crypto import cms as asn1
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import DecodeError, MckmError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.smime import cms
from tests.smime.helpers import BODY, CEK, KEY_ID, regions

KEYS = {KEY_ID: CEK}
SIGNED_DATA = "1.2.840.113549.1.7.2"


def _edit(der: bytes, change: object) -> bytes:
    """Re-encode ``der`` after ``change(AuthEnvelopedData)`` (asn1crypto builds the DER)."""
    info = asn1.ContentInfo.load(der)
    data = info["content"]
    data.native  # noqa: B018  (parse all, so the edited value re-encodes)
    change(data)  # type: ignore[operator]
    inner = asn1.AuthEnvelopedData.load(data.untag().dump(force=True))
    return bytes(asn1.ContentInfo({"content_type": "authenticated_enveloped_data",
                                   "content": inner}).dump())


def test_round_trip_and_structure() -> None:
    """REQ-CEK-01, REQ-CEK-02, REQ-CEK-03, REQ-CEK-04, REQ-CEK-05: the structure of a protected
    body (KEKRecipientInfo v4 keyed by the Key ID; authEnvelopedData v0; AES-256-GCM,
    12-octet nonce, ICVlen 16, 16-octet mac; id-aes256-wrap without parameters, 40 octets;
    id-data, no authAttrs)."""
    der = cms.protect(BODY, KEY_ID, CEK)
    opened = cms.unprotect(der, KEYS)
    assert (opened.content, opened.content_type, opened.key_id) == (BODY, cms.ID_DATA, KEY_ID)
    info = asn1.ContentInfo.load(der)
    assert info["content_type"].dotted == cms.ID_CT_AUTH_ENVELOPED_DATA
    data = info["content"]
    assert data["version"].native == "v0"
    kekri = data["recipient_infos"][0].chosen
    assert data["recipient_infos"][0].name == "kekri"
    assert kekri["version"].native == "v4"
    assert kekri["kekid"]["key_identifier"].native == KEY_ID
    assert kekri["key_encryption_algorithm"]["algorithm"].dotted == cms.ID_AES256_WRAP
    assert isinstance(kekri["key_encryption_algorithm"]["parameters"], core.Void)
    assert len(kekri["encrypted_key"].native) == 40
    algorithm = data["auth_encrypted_content_info"]["content_encryption_algorithm"]
    assert algorithm["algorithm"].dotted == cms.ID_AES256_GCM
    params = cms.GCMParameters.load(algorithm["parameters"].dump())
    assert len(params["aes_nonce"].native) == 12 and params["aes_icvlen"].native == 16
    assert len(data["mac"].native) == 16
    assert isinstance(data["auth_attrs"], core.Void)  # id-data: none needed (RFC 5083 2.1)
    assert len(data["auth_encrypted_content_info"]["encrypted_content"].native) == len(BODY)


def test_fresh_content_key_and_nonce_each_time() -> None:
    """REQ-CEK-03: a fresh content key and nonce for each body."""
    one, two = cms.protect(BODY, KEY_ID, CEK), cms.protect(BODY, KEY_ID, CEK)
    assert one != two
    wrapped = [der[slice(r.start, r.stop)] for der in (one, two)
               for r in [regions(der)["wrapped key"]]]
    assert wrapped[0] != wrapped[1]
    assert cms.protect(BODY, KEY_ID, CEK, content_key=bytes(32), nonce=bytes(12)) == \
        cms.protect(BODY, KEY_ID, CEK, content_key=bytes(32), nonce=bytes(12))


def test_lookup_by_function_and_secret_cek() -> None:
    der = cms.protect(b"x", KEY_ID, Secret(CEK))
    assert cms.unprotect(der, lambda key_id: Secret(CEK) if key_id == KEY_ID else None) \
        .content == b"x"


def test_other_content_type_carries_auth_attrs() -> None:
    """REQ-CEK-05: a content type other than id-data travels with a content-type attribute in
    authAttrs, which must match."""
    der = cms.protect(b"inner", KEY_ID, CEK, content_type=SIGNED_DATA)
    data = asn1.ContentInfo.load(der)["content"]
    attrs = data["auth_attrs"]
    assert [a["type"].native for a in attrs] == ["content_type"]
    assert attrs[0]["values"][0].dotted == SIGNED_DATA
    assert cms.unprotect(der, KEYS).content_type == SIGNED_DATA
    # the attributes are authenticated: another content-type value is refused by the tag
    other = _edit(der, lambda d: d.__setitem__("auth_attrs", [
        {"type": "content_type", "values": ["enveloped_data"]}]))
    with pytest.raises(DecodeError, match="authAttrs"):
        cms.unprotect(other, KEYS)


def test_authattrs_are_the_aad() -> None:
    """A signing-time attribute added after protection changes the AAD: the tag fails.
    REQ-CEK-05, REQ-CEK-07: authAttrs are GCM's additional data."""
    der = cms.protect(b"inner", KEY_ID, CEK, content_type=SIGNED_DATA)
    added = _edit(der, lambda d: d["auth_attrs"].append(
        {"type": "signing_time", "values": [asn1.Time(name="utc_time",
                                                      value=core.UTCTime("500101000000Z"))]}))
    with pytest.raises(VerifyError, match="GCM tag"):
        cms.unprotect(added, KEYS)


def test_unknown_key_id_is_a_policy_refusal() -> None:
    der = cms.protect(BODY, KEY_ID, CEK)
    with pytest.raises(PolicyError, match="2c0f0a01") as caught:
        cms.unprotect(der, {b"\x99": CEK})
    assert caught.value.requirement == "REQ-CEK-06"


def test_wrong_cek_is_a_verify_error() -> None:
    """REQ-CEK-07: a wrong CEK is a VerifyError."""
    der = cms.protect(BODY, KEY_ID, CEK)
    with pytest.raises(VerifyError, match="RFC 3394"):
        cms.unprotect(der, {KEY_ID: bytes(32)})


def _kekri(**changes: object) -> object:
    """A change that replaces the KEKRecipientInfo by one with ``changes`` to its fields."""

    def change(data: asn1.AuthEnvelopedData) -> None:
        kekri = data["recipient_infos"][0].chosen
        fields = {name: kekri[name] for name in
                  ("version", "kekid", "key_encryption_algorithm", "encrypted_key")}
        fields.update(changes)
        data["recipient_infos"] = [asn1.RecipientInfo("kekri",
                                                      asn1.KEKRecipientInfo(fields))]

    return change


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.__setitem__("version", 2), "AuthEnvelopedData.version"),
    (_kekri(version=3), "recipientInfos[0].version"),
    (_kekri(key_encryption_algorithm={"algorithm": "aes128_wrap"}),
     "recipientInfos[0].keyEncryptionAlgorithm"),
    (_kekri(key_encryption_algorithm={"algorithm": "aes256_wrap", "parameters": core.Null()}),
     "recipientInfos[0].keyEncryptionAlgorithm.parameters"),
    (_kekri(encrypted_key=bytes(48)), "recipientInfos[0].encryptedKey"),
    (lambda d: d["auth_encrypted_content_info"].__setitem__(
        "content_encryption_algorithm",
        algos.EncryptionAlgorithm({"algorithm": "aes128_gcm",
                                   "parameters": cms.GCMParameters({"aes_nonce": bytes(12),
                                                                    "aes_icvlen": 16})})),
     "authEncryptedContentInfo.contentEncryptionAlgorithm"),
    (lambda d: d["auth_encrypted_content_info"].__setitem__(
        "content_encryption_algorithm",
        algos.EncryptionAlgorithm({"algorithm": "aes256_gcm",
                                   "parameters": cms.GCMParameters({"aes_nonce": bytes(8),
                                                                    "aes_icvlen": 16})})),
     "GCMParameters.aes-nonce"),
    (lambda d: d["auth_encrypted_content_info"].__setitem__(
        "content_encryption_algorithm",
        algos.EncryptionAlgorithm({"algorithm": "aes256_gcm",
                                   "parameters": cms.GCMParameters({"aes_nonce": bytes(12)})})),
     "GCMParameters.aes-ICVlen"),
    (lambda d: d.__setitem__("mac", bytes(12)), "AuthEnvelopedData.mac"),
    (lambda d: d["auth_encrypted_content_info"].__setitem__("encrypted_content", None),
     "authEncryptedContentInfo.encryptedContent"),
    (lambda d: d["auth_encrypted_content_info"].__setitem__("content_type", "signed_data"),
     "AuthEnvelopedData.authAttrs"),
    (lambda d: d.__setitem__("recipient_infos", []), "AuthEnvelopedData.recipientInfos"),
])
def test_each_profile_violation_names_its_field(change: object, field: str) -> None:
    """REQ-CEK-02 (versions, no recipientInfos), REQ-CEK-03 (algorithm, nonce, ICV length, mac
    length), REQ-CEK-04 (wrap algorithm, parameters, wrapped length), REQ-CEK-05 (another
    content type without authAttrs), REQ-CEK-07: each structural fault is a DecodeError
    naming its field."""
    bad = _edit(cms.protect(BODY, KEY_ID, CEK), change)
    with pytest.raises(DecodeError) as caught:
        cms.unprotect(bad, KEYS)
    assert caught.value.field == field, str(caught.value)
    assert caught.value.payload == cms.PAYLOAD


def test_trailing_octets_are_refused_with_their_offset() -> None:
    """REQ-CEK-07: octets after the ContentInfo are refused with their offset."""
    der = cms.protect(BODY, KEY_ID, CEK)
    with pytest.raises(DecodeError, match="2 trailing octet") as caught:
        cms.unprotect(der + b"\x00\x00", KEYS)
    assert caught.value.offset == len(der)


def test_other_outer_content_type_is_refused() -> None:
    """REQ-CEK-02: a ContentInfo of another type than id-ct-authEnvelopedData is refused."""
    der = bytes(asn1.ContentInfo({"content_type": "data",
                                  "content": core.OctetString(b"x")}).dump())
    with pytest.raises(DecodeError, match="id-ct-authEnvelopedData") as caught:
        cms.unprotect(der, KEYS)
    assert caught.value.field == "ContentInfo.contentType"


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x80", b"\x04\x01", b"garbage",
                                  b"\x30\x03\x06\x01\x00"])
def test_garbage_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        cms.unprotect(data, KEYS)


@settings(max_examples=300)
@given(st.data())
def test_a_flipped_bit_in_ciphertext_tag_or_wrapped_key_is_refused(data: st.DataObject) -> None:
    """REQ-CEK-07, REQ-CEK-09: an altered bit in the ciphertext, the tag or the wrapped key is a
    VerifyError (integrity is the authenticated encryption)."""
    der = cms.protect(BODY, KEY_ID, CEK, content_key=bytes(range(32)), nonce=bytes(12))
    where = regions(der)
    name = data.draw(st.sampled_from(sorted(where)))
    position = data.draw(st.sampled_from(where[name]))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(der)
    tampered[position] ^= 1 << bit
    with pytest.raises(VerifyError):
        cms.unprotect(bytes(tampered), KEYS)


@pytest.mark.parametrize("content_type", [cms.ID_DATA, SIGNED_DATA])
def test_every_single_bit_flip_is_a_named_refusal(content_type: str) -> None:
    """All 8 x len flips of a small body (with and without authAttrs): each is refused with
    DecodeError, PolicyError or VerifyError; none opens, nothing else escapes.
    REQ-CEK-07, REQ-CEK-09."""
    der = cms.protect(b"Content-Type: text/plain\r\n\r\nhi", KEY_ID, CEK,
                      content_key=bytes(range(32)), nonce=bytes(12), content_type=content_type)
    for position in range(len(der)):
        for bit in range(8):
            tampered = bytearray(der)
            tampered[position] ^= 1 << bit
            with pytest.raises(MckmError) as caught:
                cms.unprotect(bytes(tampered), KEYS)
            assert isinstance(caught.value, DecodeError | PolicyError | VerifyError)


def test_an_empty_version_integer_is_refused() -> None:
    """Found by the flip test: the version's length octet 01 -> 81 reads as a long-form length
    00, an empty INTEGER that asn1crypto takes for 0; X.690 8.3 needs one content octet.
    REQ-CEK-07: an empty INTEGER is refused."""
    der = cms.protect(b"x", KEY_ID, CEK)
    at = der.index(bytes.fromhex("020100")) + 1  # AuthEnvelopedData.version's length
    tampered = der[:at] + b"\x81" + der[at + 1:]
    with pytest.raises(DecodeError) as caught:
        cms.unprotect(tampered, KEYS)
    assert caught.value.field == "AuthEnvelopedData.version"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"cek": bytes(16)}, "256 bits"),
    ({"key_id": b""}, "Key ID"),
    ({"nonce": bytes(16)}, "nonce"),
    ({"content_key": bytes(16)}, "content key"),
    ({"content_type": "not an oid"}, "not an OID"),
])
def test_caller_mistakes_are_usage_errors(kwargs: dict[str, object], match: str) -> None:
    """REQ-CEK-01: a CEK that is not 256 bits, or an empty Key ID, is refused; REQ-CEK-03: a
    nonce or content key of another size is refused."""
    args: dict[str, object] = {"key_id": KEY_ID, "cek": CEK} | kwargs
    with pytest.raises(UsageError, match=match):
        cms.protect(BODY, **args)  # type: ignore[arg-type]


def test_no_key_material_in_reprs() -> None:
    der = cms.protect(BODY, KEY_ID, Secret(CEK))
    opened = cms.unprotect(der, KEYS)
    assert BODY.hex()[:16] not in repr(opened) and "mcptt" not in repr(opened)


@settings(max_examples=100)
@given(content=st.binary(max_size=3000), key_id=st.binary(min_size=1, max_size=64),
       cek=st.binary(min_size=32, max_size=32))
def test_round_trip_any_content_and_key_id(content: bytes, key_id: bytes, cek: bytes) -> None:
    der = cms.protect(content, key_id, cek)
    opened = cms.unprotect(der, {key_id: cek})
    assert (opened.content, opened.key_id) == (content, key_id)
    with pytest.raises(PolicyError):
        cms.unprotect(der, {key_id + b"\x00": cek})


def test_the_first_kekri_with_a_known_key_id_is_used_and_other_kinds_are_skipped() -> None:
    """REQ-CEK-02: what we write holds one KEKRecipientInfo (REQ-CEK-01: its kekid without
    date and other); a receiver skips a KeyTransRecipientInfo (another recipient's kind) and a
    KEKRecipientInfo with a Key ID it does not know, and uses the first one it knows: with
    the unknown one's Key ID known as well (under a wrong CEK), that one is used and fails."""
    der = cms.protect(BODY, KEY_ID, CEK)
    data = asn1.ContentInfo.load(der)["content"]
    assert len(data["recipient_infos"]) == 1
    kekid = data["recipient_infos"][0].chosen["kekid"]
    assert isinstance(kekid["date"], core.Void) and isinstance(kekid["other"], core.Void)
    other_id = b"\x00" * 4  # DER sorts a SET OF: this KEKRecipientInfo encodes before ours
    ktri = asn1.RecipientInfo("ktri", asn1.KeyTransRecipientInfo({
        "version": "v2", "rid": asn1.RecipientIdentifier("subject_key_identifier", b"\x01" * 20),
        "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
        "encrypted_key": bytes(256)}))

    def three(d: asn1.AuthEnvelopedData) -> None:
        ours = d["recipient_infos"][0].chosen
        unknown = asn1.KEKRecipientInfo({
            "version": "v4", "kekid": {"key_identifier": other_id},
            "key_encryption_algorithm": ours["key_encryption_algorithm"],
            "encrypted_key": bytes(40)})
        d["recipient_infos"] = [ktri, asn1.RecipientInfo("kekri", unknown),
                                asn1.RecipientInfo("kekri", ours)]

    edited = _edit(der, three)
    order = [(r.name, r.chosen["kekid"]["key_identifier"].native if r.name == "kekri" else None)
             for r in asn1.ContentInfo.load(edited)["content"]["recipient_infos"]]
    assert order == [("ktri", None), ("kekri", other_id), ("kekri", KEY_ID)]
    opened = cms.unprotect(edited, KEYS)
    assert (opened.content, opened.key_id) == (BODY, KEY_ID)
    with pytest.raises(VerifyError):
        cms.unprotect(edited, {other_id: bytes(32), KEY_ID: CEK})
