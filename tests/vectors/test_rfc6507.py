"""RFC 6507 (ECCSI) test data, every value bit-exact, and vendor key material.

* Appendix A of RFC 6507: KPAK from KSAK, (SSK, PVT) from v, HS, J, r, HE, s', s, the
  signature, and on verification Y and J; both the traced RFC procedures (plain reference
  arithmetic) and the fast paths (tables, caches) must give exactly these octets.
* Vendor data (Streamwide sw_mikey_sakke, "Streamwide Test Vectors (v5)", as collected in the
  project's reference/vendor_vectors.json): four (SSK, PVT) pairs issued by one KMS for
  TS 33.180 UIDs validate against that KMS's KPAK with identity = the 32 UID octets, and the
  ECCSI signatures of four published I_MESSAGEs verify.
"""

from __future__ import annotations

import hashlib

import pytest

from mckm.impl.crypto import eccsi
from mckm.impl.crypto.p256 import P256
from mckm.impl.errors import UsageError, VerifyError


def _h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def _i(text: str) -> int:
    return int("".join(text.split()), 16)


# RFC 6507 Appendix A, transcribed group by group as printed.
P = _i("FFFFFFFF 00000001 00000000 00000000 00000000 FFFFFFFF FFFFFFFF FFFFFFFF")
B = _i("5AC635D8 AA3A93E7 B3EBBD55 769886BC 651D06B0 CC53B0F6 3BCE3C3E 27D2604B")
Q = _i("FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551")
G = _h("04 6B17D1F2 E12C4247 F8BCE6E5 63A440F2 77037D81 2DEB33A0 F4A13945 D898C296"
       "4FE342E2 FE1A7F9B 8EE7EB4A 7C0F9E16 2BCE3357 6B315ECE CBB64068 37BF51F5")
KSAK = 0x12345
KPAK = _h("04 50D4670B DE75244F 28D2838A 0D25558A 7A72686D 4522D4C8 273FB644 2AEBFA93"
          "DBDD3755 1AFD263B 5DFD617F 3960C65A 8C298850 FF99F203 66DCE7D4 367217F4")
ID = b"2011-02\0tel:+447700900123\0"
ID_HEX = _h("3230 31312D30 32007465 6C3A2B34 34373730 30393030 31323300")
V = 0x23456
PVT = _h("04 758A1427 79BE89E8 29E71984 CB40EF75 8CC4AD77 5FC5B9A3 E1C8ED52 F6FA36D9"
         "A79D2476 92F4EDA3 A6BDAB77 D6AA6474 A464AE49 34663C52 65BA7018 BA091F79")
HS = _h("490F3FEB BC1C902F 6289723D 7F8CBF79 DB889308 49D19F38 F0295B5C 276C14D1")
SSK = _i("23F374AE 1F4033F3 E9DBDDAA EF20F4CF 0B86BBD5 A138A5AE 9E7E006B 34489A0D")
M = b"message\0"
M_HEX = _h("6D657373 61676500")
J_SCALAR = 0x34567
J = _h("04 269D4C8F DEB66A74 E4EF8C0D 5DCC597D DFE6029C 2AFFC493 6008CD2C C1045D81"
       "6DDA6A13 10F4B067 BD5DABDA D741B7CE F36457E1 96B1BFA9 7FD5F8FB B3926ADB")
R = _h("269D4C8F DEB66A74 E4EF8C0D 5DCC597D DFE6029C 2AFFC493 6008CD2C C1045D81")
HE = _h("111F90EA E8271C96 DF9B3D67 26768D9E E9B18145 D7EC152C FA9C23D1 C4F02285")
S_PRIME = _h("E09B528D 0EF8D6DF 1AA3ECBF 80110CFC EC9FC682 52CEBB67 9F413484 6940CCFD")
S = _h("E09B528D 0EF8D6DF 1AA3ECBF 80110CFC EC9FC682 52CEBB67 9F413484 6940CCFD")
SIG = _h("269D4C8F DEB66A74 E4EF8C0D 5DCC597D DFE6029C 2AFFC493 6008CD2C C1045D81"
         "E09B528D 0EF8D6DF 1AA3ECBF 80110CFC EC9FC682 52CEBB67 9F413484 6940CCFD"
         "04 758A1427 79BE89E8 29E71984 CB40EF75 8CC4AD77 5FC5B9A3 E1C8ED52 F6FA36D9"
         "A79D2476 92F4EDA3 A6BDAB77 D6AA6474 A464AE49 34663C52 65BA7018 BA091F79")
Y = _h("04 833898D9 39C0013B B0502728 6F95CCE0 37C11BD2 5799423C 76E48362 A4959978"
       "95D0473A 1CD6186E E9F0C104 B472499E 1A24D6CE 3D85173F 02EBBD94 5C25F604")


# -- parameters -----------------------------------------------------------------------------------


def test_curve_and_sizes_are_appendix_a() -> None:
    """REQ-ECCSI-06: N = 32 octets and the signature r || s || PVT is 4N + 1 = 129 octets, G
    encoded as 04 || x || y.
    """
    assert (P256.p, P256.b, P256.order) == (P, B, Q)
    assert P256.encode_point(P256.G) == G
    assert eccsi.N == 32 and eccsi.SIGNATURE_LENGTH == 129
    assert ID == ID_HEX and M == M_HEX


# -- KMS: 4.2 and 5.1.1 ---------------------------------------------------------------------------


def test_kpak_is_ksak_times_g() -> None:
    """REQ-ECCSI-01: KPAK = [KSAK]G, the Appendix A value."""
    ksak, kpak = eccsi.kms_keypair(KSAK)
    assert kpak == KPAK
    assert ksak.reveal() == KSAK


@pytest.mark.parametrize("ksak", [0, Q, 2 * Q])
def test_a_ksak_of_zero_mod_q_is_refused(ksak: int) -> None:
    """REQ-ECCSI-01: KSAK is non-zero modulo q."""
    with pytest.raises(UsageError, match=r"KSAK: not in \[1, q-1\]"):
        eccsi.kms_keypair(ksak)


def test_a_kpak_that_is_not_an_uncompressed_curve_point_is_refused() -> None:
    """REQ-ECCSI-01: a compressed KPAK and one off the curve are refused, naming the KPAK."""
    with pytest.raises(VerifyError, match="KPAK: expected 65 octets"):
        eccsi.Verifier(b"\x02" + KPAK[1:33])
    with pytest.raises(VerifyError, match="KPAK: not a point on the curve"):
        eccsi.Verifier(KPAK[:-1] + bytes([KPAK[-1] ^ 1]))


def test_ssk_and_pvt_from_v() -> None:
    """REQ-ECCSI-02: PVT = [v]G and SSK = (KSAK + HS·v) mod q, both equal to RFC 6507 Appendix A."""
    ssk, pvt = eccsi.issue_ssk(KSAK, KPAK, ID, v=V)
    assert pvt == PVT
    assert ssk.reveal() == SSK
    assert eccsi.Kms(KSAK).issue_ssk(ID, v=V) == (ssk, pvt)


def test_hs_is_the_hash_of_g_kpak_id_pvt() -> None:
    """REQ-ECCSI-02, REQ-ECCSI-06: HS = SHA-256 over the exact octets G || KPAK || ID || PVT
    (Appendix A value).
    """
    assert eccsi.hs(KPAK, ID, PVT) == HS
    assert hashlib.sha256(G + KPAK + ID + PVT).digest() == HS
    assert (KSAK + int.from_bytes(HS, "big") * V) % Q == SSK  # 5.1.1 step 4


# -- Signer: 5.1.2 and 5.2.1 ----------------------------------------------------------------------


def test_ssk_validates() -> None:
    """REQ-ECCSI-03: the Appendix A (SSK, PVT) passes validation, KPAK = [SSK]G - [HS]PVT."""
    eccsi.validate_ssk(KPAK, ID, SSK, PVT)
    kpak_point = P256.decode_point(KPAK)
    rhs = P256.add(P256.multiply_ladder(SSK, P256.G),
                   P256.multiply_ladder(Q - int.from_bytes(HS, "big"), P256.decode_point(PVT)))
    assert rhs == kpak_point  # 5.1.2 step 3 on the reference arithmetic


def test_sign_trace_reproduces_every_intermediate() -> None:
    """REQ-ECCSI-04, REQ-ECCSI-06: J, r = Jx, HE, s', s and the signature r || s || PVT equal
    Appendix A bit for bit.
    """
    trace = eccsi.sign_trace(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j=J_SCALAR)
    assert trace.hs == HS
    assert trace.j_point == J
    assert trace.r == R == J[1:33]
    assert trace.he == HE
    assert trace.s_prime == S_PRIME
    assert trace.s == S
    assert trace.signature == SIG == R + S + PVT


def test_fast_sign_gives_the_appendix_signature() -> None:
    """REQ-ECCSI-04: the fast signer gives the Appendix A signature; REQ-ECCSI-03: the Signer
    stores HS with the SSK.
    """
    assert eccsi.sign(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j=J_SCALAR) == SIG
    signer = eccsi.Signer(ID, SSK, PVT, KPAK)
    assert signer.hs == HS
    assert signer.sign(M, j=J_SCALAR) == SIG


# -- Verifier: 5.2.2 ------------------------------------------------------------------------------


def test_verify_trace_reproduces_y_and_j() -> None:
    """REQ-ECCSI-05: verification computes HS, HE, Y = [HS]PVT + KPAK and J of Appendix A and
    accepts.
    """
    trace = eccsi.verify_trace(M, SIG, identity=ID, kpak=KPAK)
    assert trace.hs == HS
    assert trace.he == HE
    assert trace.y == Y
    assert trace.j_point == J
    assert trace.accepted
    assert P256.encode_point(P256.multiply_ladder(SSK, P256.G)) == Y  # Y = [SSK]G


def test_signature_verifies_on_every_path() -> None:
    """REQ-ECCSI-05: the Appendix A signature is accepted by every verification path."""
    eccsi.verify(M, SIG, identity=ID, kpak=KPAK)
    assert eccsi.is_valid(M, SIG, identity=ID, kpak=KPAK)
    verifier = eccsi.Verifier(KPAK, y_table_after=2, kpak_table_after=2)
    for _ in range(4):  # new signer, cached HS, then Y table; KPAK table from the 2nd
        verifier.verify(M, SIG, ID)
    assert verifier.cached_signers() == 1


@pytest.mark.parametrize(("message", "identity"), [(b"message\1", ID), (M, ID[:-1] + b"\1")])
def test_signature_fails_for_another_message_or_identity(message: bytes, identity: bytes) -> None:
    """REQ-ECCSI-05: another message or identity gives Jx != r and is refused."""
    with pytest.raises(VerifyError, match="Jx != r"):
        eccsi.verify(message, SIG, identity=identity, kpak=KPAK)
    assert not eccsi.verify_trace(message, SIG, identity=identity, kpak=KPAK).accepted


# -- vendor key material (TS 33.180 UIDs as ECCSI identities) -------------------------------------

VENDOR_KPAK = bytes.fromhex(
    "0448f9c2c48b50735f6bc70ec6691073243f1e0bd83cc73bb936d61ffcb2d6049a5b297e8205b29fbd8591cb"
    "582d6402add21451ce4beebeaaa7520e93b11cf28f"
)

#: name -> (UID, SSK, PVT), key period 236 of KMS kms.mydev.streamwide.com
VENDOR_USERS = {
    "gms": (
        "15a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e",
        "2e7237faa18a874b88d955199dea974b7d0fefcbbae1946baf659b26a4d05a5e",
        "0468a24d49b184d7008d22f63a415debd38bfa9295f066fa6ada5951c2322d2eca"
        "1d6f1d994f22710daef776d9c54d9a338f32395080d6f2bdffb6c7895f12cda2",
    ),
    "alice": (
        "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4",
        "a1be54a56c7905c06abd2be177fc0c137a32278c9067550b0f0d93fb630d2428",
        "0426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f5"
        "66659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8",
    ),
    "iwf": (
        "edb3cd733168a81106e366c2ddc0e4bc323e9069d48edfe2b3b0f7033bae962a",
        "ed3162edf45f6e6f0f0939a02c84795c2ab78f714c91fe0254ca0f48eacf6a20",
        "0411d4c57e7b945588148a55f9e88bd1d62017f4fab600af6bf4dcdb05e6f75e94"
        "41e20f7a9e2371ebb34692b941270b52744d1699538b41a4cdf043101e23449d",
    ),
    "bob": (
        "780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81",
        "a36885736f21b6ceba48448093086f4ada1ce099bd77e3047c04529ac3f4d4eb",
        "049c203fda536ae9481eb7f3a1e4662d0adaa6a3b7d3fff0c2dfadd148a754af42"
        "4d434253b62dcd08eb6aedb6cd091e09f8539d41d3ef2d0ce07e8ead352f2dd9",
    ),
}
#: title -> I_MESSAGE (hex); signed by the initiator, whose UID is in the IDR with role 8
VENDOR_I_MESSAGES = {
    "Test 1: GMK": (
        "011a050106a12aea0102040001000000080df9bc3906a12aea0b00ec898da8000000000e10ca2f5d51ff0866"
        "362c1d85a56f84651e0e0801002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608"
        "d20e0e09010020b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e06010018"
        "6b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e7374726561"
        "6d776964652e636f6d1a0000001b00010601011002010404010c050100060100120104130100140110150102"
        "0111042dda50fd6386427d1fcdbe306fa6f14429b98ce34792421f1c16bec912f0c9f2d84a9ac58dc4716261"
        "adcabaaa45bcfc91d5d7702397b38d1b375d970d098089f0e53824bd2f27c65405b594cd0c040d61f8077c1e"
        "a6b769e023ba4aed305258bc7a91626d3fdf863ac401abc5c5e6c9fc954d68739418b9e569ad0c5f6ef08078"
        "da6d0929b477ff2d4d2d4c4686629e6d69b5c739ead7ea47b48319a11fe2a230822fb3e8e962993a9de137d0"
        "6a493ed124b537af85a724d525a57ebc71fe5e16dd34402abc417892455af6e0556f3de889b0faa84e6bd69e"
        "513cb84c75b152b78de40f79b65b46f2c1044b71df378774e82898d45599a2275968a1e5219662c394e312d6"
        "8e5a0a880ed58f41cf17080407004743000000000100000000000128704fa41c8fe20f881c1bab0d32d8ca06"
        "a12aea0000244eddc3bf8c2a4a5d3fc9848440123e7d054dab4308d505759206cc789d05a4ce0e49364d2081"
        "22259f038fcd823e99b3780b6f000d342ddd212bac0afbf3ba4cb7957c4e87c600065941c51ffdbb54a2a2c8"
        "a3dad2da5f0e19441275b326257358e0ffcb35dd0468a24d49b184d7008d22f63a415debd38bfa9295f066fa"
        "6ada5951c2322d2eca1d6f1d994f22710daef776d9c54d9a338f32395080d6f2bdffb6c7895f12cda2"
    ),
    "Test 2: CSK": (
        "011a05012ddd5bf00102060001000000042ddd5bf00b00ec898da8000000000e104d13c41798b82de13b701a"
        "9697328edd0e08010020b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e09"
        "01002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e0e060100186b6d732e"
        "6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e73747265616d776964"
        "652e636f6d1a0000001b00010601011002010404010c0501000601001201041301001401101501020111047d"
        "091d2780583bf3b6587639719f0764c00c9b99fd30bc60bc908e02ffbbe7d84d30b04c3cfbe71238af5f199b"
        "ebad4054343585a2d774de7621b1e60602c94d87b23d05fc095a27e9656c864a13402316311343d237721854"
        "65c36e151a461f2f667e241bed6bf740cb8f86658c53b2a5f317b28ea87e1fd8ffda6397951c012fc05db3c1"
        "45d40749ce22cf09b6affb753fa1c01e7f9afa1088afae88591dc04be5b55c3a642ce95a2a8efa5cbfba5ca1"
        "617b9bb6aa853af28c58b7bf76a75a12c38c9ac3f86454ec61838253907d21bad0d362190cd26535ab1035ef"
        "e6e4cac2e7e59c6644f0e781bf562c2d425c61ba88bf13c27a5cbd1b6389f8e2e5c3be644d5cc90b0ac302d7"
        "2fe2255296a3d1040700444300000000010000000000016f7ee262ac4da7f5d06a72de86816abe2ddd5bf000"
        "0021bc70f370864c4fa8f7a8b3992acc17d2335538bea90d6016992b6b982ae86008f02081d7fc62a48f1ec2"
        "1dd07025588d9cdc57af1d3f1877ce179424cc6e9fd8f1413fa8d9eac980d2caba66ae48fda247e5de33ec36"
        "8ab387cb9d74d6524c3cebe5400426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808"
        "d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8"
    ),
    "Test 3: PCK": (
        "011a05011699263800010b00ec898da8000000000e1002a28bddaf984c5e0563bc1ce857df830e08010020b5"
        "c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e09010020780851cda91a9c33"
        "f941cd3a2831697e2893264754e363f8a0cef827eb201a810e060100186b6d732e6d796465762e7374726561"
        "6d776964652e636f6d0a070100186b6d732e6d796465762e73747265616d776964652e636f6d1a0000001b00"
        "010601011002010404010c0501000601001201041301001401101501020111045d3256dbf2078f4a844f9aa3"
        "71e3f16fa03513a1e7b4e4e7ff4159ada336fd582f162907157bdb4eb096ffd61d6973cfe360a6d55c5a0102"
        "c1a7a428019446e3f84c0f9d450a641afa96f302265f6105f198f2f9ad69399319dd814061189810000698e0"
        "7258a7430ce4f44df80bda93c55d2d42bd9fdb66d40bd3743c7cbfc922705b9efe1d498889f7f7e479eaa0df"
        "bc8846c8c0dd77ddb3b93fda8e1fd2ce0d8ac3acef8176c63135da5dffefae07fa0d72dab00c0169236896d2"
        "f636d57d93460daba8461abccee5c45c7d5ce5fb6ab385443de38f9968c0916d6b41ef0ac6465b9adaf282d3"
        "690485d5799644ca8af30fe332436ccbf71a0656cf1c4e8cdee0d3b162dd7d48e2274a918ee50d2f04070044"
        "430000000001000000000001f6f4156f58542961cbca8fb10e66f16716992638000021a53540022efcccb368"
        "5058953c68c1cb1e0df54f6071c3e2425d5e8828852e6f012081403d6f6813d958339a12e67412f5b59b2731"
        "affaf58d021dae5169b21bf39318c785cc00f4245301eb371fedc93b1859ecd8e10f2061b1fbbd38ea57be0a"
        "28720426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192d"
        "d9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8"
    ),
    "Test 4: GMK (legacy format for IWF)": (
        "011a0501048209a7020000cafebabe000000000000000000000000000b00ec898da8000000000e10cdd4e71a"
        "d92cc090f3a13cb66a2ecb180e0801002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb"
        "678608d20e0e09010020edb3cd733168a81106e366c2ddc0e4bc323e9069d48edfe2b3b0f7033bae962a0e06"
        "0100186b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e7374"
        "7265616d776964652e636f6d1a0000001b00010601011002010404010c050100060100120104130100140110"
        "1501020111045e965d90cfd715d06fa7ea46f3082169b2bf18f79961fb08cfb52a23675baedbd59c8a41f9cd"
        "4d355deaa3a60f0e603a5d8026cbef553da1466cd910dca3c95469d278c67f58d3ee434494d9bad383f0b983"
        "d4ad165f109931f12f91959e18ce2ddee6b4224f9d6ac367ece81f447a2933f06d04465d8e2fd84af45ba17a"
        "2e1578f952d220e9c6e0e75261e29389d373c17eec0a716a01f460fffa5771209cb3280678d6eaa04ad85fb6"
        "0535cd63cb99dc506693bd6d6bc3b6be0df67e1419a51aafe5713db4c906d17764ae4d88c17db7e2b54b9601"
        "ae767ee436e4144b6cdbb21e8575461708463ccf330864c0806c48c7926d4220c949f908f6b13916f183b81e"
        "376c47097925aea135c8aa179e170407001101000000010000000000000000000000002081ff7ea124b79fa8"
        "6a815c7ca439f0a35f05af703a6a8213a9069283ce1eedda9a30462624c66d264bce2e5212502d800218d73b"
        "09c5c5282d5fbae6ff6cf131ec0468a24d49b184d7008d22f63a415debd38bfa9295f066fa6ada5951c2322d"
        "2eca1d6f1d994f22710daef776d9c54d9a338f32395080d6f2bdffb6c7895f12cda2"
    ),
}


def _user(name: str) -> tuple[bytes, int, bytes]:
    uid, ssk, pvt = VENDOR_USERS[name]
    return bytes.fromhex(uid), int(ssk, 16), bytes.fromhex(pvt)


@pytest.mark.parametrize("name", sorted(VENDOR_USERS))
def test_vendor_ssk_validates_for_its_uid(name: str) -> None:
    """REQ-ECCSI-03: a vendor's (SSK, PVT) validates for its UID and KPAK."""
    uid, ssk, pvt = _user(name)
    eccsi.validate_ssk(VENDOR_KPAK, uid, ssk, pvt)
    eccsi.Signer(uid, ssk, pvt, VENDOR_KPAK)


@pytest.mark.parametrize("name", sorted(VENDOR_USERS))
def test_vendor_ssk_fails_for_another_uid_or_kpak(name: str) -> None:
    """REQ-ECCSI-03: the same (SSK, PVT) is refused for another UID or KPAK."""
    uid, ssk, pvt = _user(name)
    other_uid = _user("bob" if name != "bob" else "alice")[0]
    with pytest.raises(VerifyError, match=r"5\.1\.2 step 3"):
        eccsi.validate_ssk(VENDOR_KPAK, other_uid, ssk, pvt)
    with pytest.raises(VerifyError, match=r"5\.1\.2 step 3"):
        eccsi.validate_ssk(KPAK, uid, ssk, pvt)


@pytest.mark.parametrize("name", sorted(VENDOR_USERS))
def test_vendor_keys_sign_and_verify(name: str) -> None:
    uid, ssk, pvt = _user(name)
    signature = eccsi.Signer(uid, ssk, pvt, VENDOR_KPAK).sign(b"round trip")
    eccsi.verify(b"round trip", signature, identity=uid, kpak=VENDOR_KPAK)


#: who signed each I_MESSAGE (its initiator)
SIGNERS = {"Test 1: GMK": "gms", "Test 2: CSK": "alice", "Test 3: PCK": "alice",
           "Test 4: GMK (legacy format for IWF)": "gms"}


@pytest.mark.parametrize("title", sorted(VENDOR_I_MESSAGES))
def test_vendor_i_message_signature_verifies(title: str) -> None:
    message = bytes.fromhex(VENDOR_I_MESSAGES[title])
    uid, _, pvt = _user(SIGNERS[title])
    assert bytes([8, 1]) + (32).to_bytes(2, "big") + uid in message  # IDR: role 8, type 1, UID
    assert message[-131:-129] == bytes([0x20 | (129 >> 8), 129 & 0xFF])  # SIGN: type 2, 129
    signature = message[-129:]
    assert signature[-65:] == pvt
    # RFC 3830 5.2: the signature covers the message up to the signature field, SIGN header in
    eccsi.verify(message[:-129], signature, identity=uid, kpak=VENDOR_KPAK)
    assert not eccsi.is_valid(message[:-131], signature, identity=uid, kpak=VENDOR_KPAK)
