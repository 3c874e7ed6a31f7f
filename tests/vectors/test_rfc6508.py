"""RFC 6508 Appendix A (SAKKE, parameter set 1 of RFC 6509), every value bit-exact, plus
vendor key material.

* Appendix A: Z = [z]P, the RSK, r, [b]P + Z, R_(b,S), g^r (PF_p form), the mask
  HashToIntegerRange(g^r, 2^n), H, the Encapsulated Data, and <[b]P + Z, RSK> = g; on every
  path (reference pairing, Jacobian pairing, precomputed Miller lines, tables and no tables).
* Vendor data (Streamwide sw_mikey_sakke "Streamwide Test Vectors (v5)", via the project's
  reference/vendor_vectors.json): four RSKs issued by one KMS for TS 33.180 UIDs validate
  against its Z with identity = the 32 UID octets, and the SAKKE payload of the published GMK
  I_MESSAGE to alice decrypts to the published GMK.
"""

from __future__ import annotations

import pytest
from gmpy2 import mpz

from mckm.impl.crypto import fp2, pairing, sakke
from mckm.impl.crypto.sakke_params import PARAMS
from mckm.impl.errors import VerifyError


def _h(*parts: str) -> bytes:
    return bytes.fromhex("".join("".join(parts).split()))


def _i(*parts: str) -> int:
    return int.from_bytes(_h(*parts), "big")


def _point(data: bytes) -> tuple[mpz, mpz]:
    n = PARAMS.coord_bytes
    return mpz(int.from_bytes(data[1 : 1 + n], "big")), mpz(int.from_bytes(data[1 + n :], "big"))


# RFC 6508 Appendix A, transcribed in 32-bit groups.
P_HEX = _h(
    "997ABB1F 0A563FDA 65C61198 DAD0657A 416C0CE1 9CB48261 BE9AE358 B3E01A2E"
    "F40AAB27 E2FC0F1B 228730D5 31A59CB0 E791B39F F7C88A19 356D27F4 A666A6D0"
    "E26C6487 326B4CD4 512AC5CD 65681CE1 B6AFF4A8 31852A82 A7CF3C52 1C3C09AA"
    "9F94D6AF 56971F1F FCE3E823 89857DB0 80C5DF10 AC7ACE87 666D807A FEA85FEB"
)
Q_HEX = _h(
    "265EAEC7 C2958FF6 99718466 36B4195E 905B0338 672D2098 6FA6B8D6 2CF8068B"
    "BD02AAC9 F8BF03C6 C8A1CC35 4C69672C 39E46CE7 FDF22286 4D5B49FD 2999A9B4"
    "389B1921 CC9AD335 144AB173 595A0738 6DABFD2A 0C614AA0 A9F3CF14 870F026A"
    "A7E535AB D5A5C7C7 FF38FA08 E2615F6C 203177C4 2B1EB3A1 D99B601E BFAA17FB"
)
P_POINT = _h(
    "04"
    "53FC09EE 332C29AD 0A799005 3ED9B52A 2B1A2FD6 0AEC69C6 98B2F204 B6FF7CBF"
    "B5EDB6C0 F6CE2308 AB10DB90 30B09E10 43D5F22C DB9DFA55 718BD9E7 406CE890"
    "9760AF76 5DD5BCCB 337C8654 8B72F2E1 A702C339 7A60DE74 A7C1514D BA66910D"
    "D5CFB4CC 80728D87 EE9163A5 B63F73EC 80EC46C4 967E0979 880DC8AB EAE63895"
    "0A824906 3F6009F1 F9F1F053 3634A135 D3E82016 02990696 3D778D82 1E141178"
    "F5EA69F4 654EC2B9 E7F7F5E5 F0DE55F6 6B598CCF 9A140B2E 416CFF0C A9E032B9"
    "70DAE117 AD547C6C CAD696B5 B7652FE0 AC6F1E80 164AA989 492D979F C5A4D5F2"
    "13515AD7 E9CB99A9 80BDAD5A D5BB4636 ADB9B570 6A67DCDE 75573FD7 1BEF16D7"
)
G = _h(
    "66FC2A43 2B6EA392 148F1586 7D623068 C6A87BD1 FB94C41E 27FABE65 8E015A87"
    "371E9474 4C96FEDA 449AE956 3F8BC446 CBFDA85D 5D00EF57 7072DA8F 541721BE"
    "EE0FAED1 828EAB90 B99DFB01 38C78433 55DF0460 B4A9FD74 B4F1A32B CAFA1FFA"
    "D682C033 A7942BCC E3720F20 B9B7B040 3C8CAE87 B7A0042A CDE0FAB3 6461EA46"
)
Z_SECRET = _h(
    "AFF429D3 5F84B110 D094803B 3595A6E2 998BC99F"
)
Z_PUB = _h(
    "04"
    "5958EF1B 1679BF09 9B3A030D F255AA6A 23C1D8F1 43D4D23F 753E69BD 27A832F3"
    "8CB4AD53 DDEF4260 B0FE8BB4 5C4C1FF5 10EFFE30 0367A37B 61F701D9 14AEF097"
    "24825FA0 707D61A6 DFF4FBD7 273566CD DE352A0B 04B7C16A 78309BE6 40697DE7"
    "47613A5F C195E8B9 F328852A 579DB8F9 9B1D0034 479EA9C5 595F47C4 B2F54FF2"
    "1508D375 14DCF7A8 E143A605 8C09A6BF 2C9858CA 37C25806 5AE6BF75 32BC8B5B"
    "63383866 E0753C5A C0E72709 F8445F2E 6178E065 857E0EDA 10F68206 B63505ED"
    "87E534FB 2831FF95 7FB7DC61 9DAE6130 1EEACC2F DA3680EA 4999258A 833CEA8F"
    "C67C6D19 487FB449 059F26CC 8AAB655A B58B7CC7 96E24E9A 39409575 4F5F8BAE"
)
ID = b"2011-02\0tel:+447700900123\0"
ID_HEX = _h(
    "32303131 2D303200 74656C3A 2B343437 37303039 30303132 3300"
)
RSK = _h(
    "04"
    "93AF67E5 007BA6E6 A80DA793 DA300FA4 B52D0A74 E25E6E7B 2B3D6EE9 D18A9B5C"
    "5023597B D82D8062 D3401956 3BA1D25C 0DC56B7B 979D74AA 50F29FBF 11CC2C93"
    "F5DFCA61 5E609279 F6175CEA DB00B58C 6BEE1E7A 2A47C4F0 C456F052 59A6FA94"
    "A634A40D AE1DF593 D4FECF68 8D5FC678 BE7EFC6D F3D68353 25B83B2C 6E69036B"
    "155F0A27 241094B0 4BFB0BDF AC6C670A 65C325D3 9A069F03 659D44CA 27D3BE8D"
    "F311172B 55416018 1CBE94A2 A783320C ED590BC4 2644702C F371271E 496BF20F"
    "588B78A1 BC01ECBB 6559934B DD2FB65D 2884318A 33D1A42A DF5E33CC 5800280B"
    "28356497 F87135BA B9612A17 26042440 9AC15FEE 996B744C 33215123 5DECB0F5"
)
SSV = _h(
    "12345678 9ABCDEF0 12345678 9ABCDEF0"
)
R_SCALAR = _h(
    "13EE3E1B 8DAC5DB1 68B1CEB3 2F0566A4 C273693F 78BAFFA2 A2EE6A68 6E6BD90F"
    "8206CCAB 84E7F42E D39BD4FB 131012EC CA2ECD21 19414560 C17CAB46 B956A80F"
    "58A3302E B3E2C9A2 28FBA7ED 34D8ACA2 392DA1FF B0B17B23 20AE09AA EDFD0235"
    "F6FE0EB6 5337A63F 9CC97728 B8E5AD04 60FADE14 4369AA5B 21662132 47712096"
)
B_P_PLUS_Z = _h(
    "04"
    "688EA7FE C5CCED57 19217C92 C5630F10 0DC20B77 E3157443 3D191BAB 1E2BF6AD"
    "FB608B28 B56FB2C8 F8D3429D E5AA495A F70437DD 88136EB6 793C096A 26153986"
    "22069815 5D2BD59A DAD55013 852B59E1 83BD96AD 3797428D 9C393DD6 662C4B9A"
    "E3DE40DF A6647965 DBB3A952 2477E153 D57E2DC3 689EE10E FF84CE08 6E290A1D"
    "2A54538E 7102EA8F 436C6D63 DF0D04B9 9DEBB80F FE91003E B76A18F9 A2D97A5D"
    "2FBDE782 0D7424C0 EA755ABB F7A9A7FA 08D4D3C3 EEE8A8B8 F620D6AF A0006C19"
    "F1A7AAEB 0FE3EF4B EAFF274A 52580A74 E9F3C02E 5334003F 3D257FF7 5A9EB438"
    "A2757C53 A6A3866C 82B283B8 CCBF36A6 D3DF8978 01263DEF 9BA47611 AB7144AF"
)
R_POINT = _h(
    "04"
    "44E8AD44 AB8592A6 A5A3DDCA 5CF896C7 18043606 A01D650D EF37A01F 37C228C3"
    "32FC3173 54E2C274 D4DAF8AD 001054C7 6CE57971 C6F4486D 57230432 61C506EB"
    "F5BE438F 53DE04F0 67C776E0 DD3B71A6 29013328 3725A532 F21AF145 126DC1D7"
    "77ECC27B E50835BD 28098B8A 73D9F801 D893793A 41FF5C49 B87E79F2 BE4D56CE"
    "557E134A D85BB1D4 B9CE4F8B E4B08A12 BABF55B1 D6F1D7A6 38019EA2 8E15AB1C"
    "9F76375F DD1210D4 F4351B9A 009486B7 F3ED46C9 65DED2D8 0DADE4F3 8C6721D5"
    "2C3AD103 A10EBD29 59248B4E F006836B F097448E 6107C9ED EE9FB704 823DF199"
    "F832C905 AE45F8A2 47A072D8 EF729EAB C5E27574 B07739B3 4BE74A53 2F747B86"
)
G_R = _h(
    "7D2A8438 E6291C64 9B6579EB 3B79EAE9 48B1DE9E 5F7D1F40 70A08F8D B6B3C515"
    "6F2201AF FBB5CB9D 82AA3EC0 D0398B89 ABC78A13 A760C0BF 3F77E63D 0DF3F1A3"
    "41A41B88 11DF197F D6CD0F00 3125606F 4F109F40 0F7292A1 0D255E3C 0EBCCB42"
    "53FB182C 68F09CF6 CD9C4A53 DA6C74AD 007AF36B 8BCA979D 5895E282 F483FCD6"
)
MASK = _h(
    "9BD4EA1E 801D37E6 2AD2FAB0 D4F5BBF7"
)
H = _h(
    "89E0BC66 1AA1E916 38E6ACC8 4E496507"
)


#: KMS kms.mydev.streamwide.com, key period 236: its Z and (UID, RSK) per user.
VENDOR_Z = _h(
    "046fc2cf 00fd4846 7abe7c02 f383002f c49b6632 bf0f7071 d958f1f1 28154e6f"
    "ae1f69bb 91691a19 1a358fe6 47a3e020 d2365d52 f81fb3af 4ea27165 4f1a8802"
    "74c1ae22 8ac72cc1 5d535394 321bd214 3cea2619 fb3b0c6c e7a5f727 14d8ef4d"
    "11cb0c99 1c3376ca 31b168b0 1e66021e ffdbf792 0bd66615 e6f0d6a1 e61c06e7"
    "2e61b413 8738c11b c249a384 9e9c4cff 327a7d0d 2769c3d9 7a37f86a dfb13baa"
    "257e628c e236f403 60d3f7b8 d95b0e3f cc194176 02d7d6b8 928b855e ae9129be"
    "1f0b87d3 3e884906 dd95a04a 8bd61240 bad60f9d fada6480 6726f8f0 8b86343f"
    "54046416 f5198116 e9798c21 8bcf9ca0 7d0baa4b e50062bf e54e4449 5b6ed59c"
    "b6"
)
VENDOR_USERS = {
    "alice": (
        _h("b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4"),
        _h(
            "0428b44c d6dffd2e 7fe73521 a5c51473 8287df17 7c1ae841 ba6f5d72 601b9c6b"
            "c5509c3f d800ac1f ee833dd8 1c74ab39 d2740a10 fba25cd9 b0debb25 a3da958c"
            "f52e35e8 63d2db37 ea22b318 d23d9911 d36f585e b110e430 123f3cd8 4d2692a4"
            "013bc7f5 9533e5da 2083d8e6 e8b96764 eb8e8be5 99dc2361 e7428460 b8490200"
            "417baa5b ac10efaa 5262301b 3110f6da 9e8bc9c4 b62827c3 d4f4070a 8e341346"
            "a326a23f 219d2a99 29803661 5956bb85 a60cf303 d15d469c 1ee837c2 9cba5dcc"
            "b28d74e4 ba0d83da c9400d72 eecb1817 cc601272 03f1321e 82b7a24f 60c07f18"
            "04a9895c bb455a94 694a5ef6 27b1c631 760295da d53f0eed 1714ba52 d5a932bd"
            "dd"
        ),
    ),
    "bob": (
        _h("780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81"),
        _h(
            "04421d38 5f108bd5 1f66abbc e40b899e fe187dbb 08085d9a 535fca87 66677db3"
            "17812e48 da407235 d73399d4 d2e2ed4f 5a35d769 4b64595c e0599e4d 3592f5b5"
            "7ede8389 0fd798ae c2cd96f3 33d6139d 9f7ecfec bb79b769 f5fbbc68 25beeb25"
            "999acdf6 fb2edd36 9176f45d b0caf590 9aa81512 e57064c4 6ae1c23d f9284ffb"
            "a55741cd e0b7a814 5fdbea76 b4ee243d 79bd70db 4300c555 70f342ca 0df98e8f"
            "3b410e1d f4ccbdd2 79403d3d a06cad4c 5db8d4e0 78a191a7 a0545391 e8ca72e5"
            "1c793448 c4ba8be7 1fbac90a 84ded3d6 127c4d74 38a3132f 354b283d 65da75a5"
            "070ecd96 f02d694c 505efcb0 5caf2290 bf15ee45 c15a0e65 2496b88a cbaf1d26"
            "a3"
        ),
    ),
    "gms": (
        _h("15a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e"),
        _h(
            "043f5916 11206a09 13ecb68a b28e086a c1148fbd 5ce4a40b f00a1866 53ecf6f0"
            "055f4f1b 5ef8a4b5 27d33dd2 8c731c7b 2829d632 9283533d 499b04c3 1e2d3043"
            "7919f486 ef76c8a6 cbca2f27 9724539e 52b3a176 0077670f c35756a9 417625d5"
            "78767178 11bd3f1f b8fb473b 547ba874 a8f5d747 cd63b2eb cdb150f5 b454a46e"
            "c2512a86 f0672439 d3121a0e ddf5995f 18e1c77e 3423ea34 427b6228 1977e3af"
            "b9b5c876 6c5a32e1 f9b29f0b b12d46a0 3f8f3ec7 357e59f9 69473bcf 4d4cdc3c"
            "dedb6e79 82e64771 17a3c02d 86165896 485323c9 6f53a330 e5e995ce 83b23127"
            "542f2177 916d5007 a5aa1166 80093911 d4bc587c d94e2bde c36d7290 ed4f2d39"
            "98"
        ),
    ),
    "iwf": (
        _h("edb3cd733168a81106e366c2ddc0e4bc323e9069d48edfe2b3b0f7033bae962a"),
        _h(
            "0424b74f 88f8fb0c c7b1fa8b 48ef1cd6 76ac776a 3dc98d41 c7e33430 8a706890"
            "6d44eb13 ea49c472 b8835685 a4151a27 05fb78e0 371ff351 d7ed38de 0977ca10"
            "ad23c91a 56901071 8f0498da a45f46d8 c57e40d9 6081b839 d59c0a1c e06a5044"
            "f53ec9b3 79e730da 0605cafc b922b018 023c4634 78d63298 bad759db cae40e81"
            "20703f7b add9e563 5a22e2a9 5d7fa944 55225065 d1d417b3 eba279a7 7882d504"
            "25336ed8 c5529c60 8e1777db ad5da9cb 23d2fdc5 ff0225b1 c2237463 ac107d9a"
            "9f3160e2 e4b0e660 1fa7609f e28640d8 b03cdda2 1411370a 56107584 36ab9879"
            "3caef139 1ff7eaa0 1ee15e48 93d72c64 8eba206d 17199cf4 16e56e09 e7bca3ae"
            "3d"
        ),
    ),
}
#: "Test 1: GMK": the SAKKE payload (RFC 6509 4.2, octets 217..494 of the I_MESSAGE) sent
#: by gms@streamwide.com to sip:alice@streamwide.com, and the GMK it carries as its SSV.
VENDOR_SAKKE_PAYLOAD = _h(
    "15010201 11042dda 50fd6386 427d1fcd be306fa6 f14429b9 8ce34792 421f1c16"
    "bec912f0 c9f2d84a 9ac58dc4 716261ad cabaaa45 bcfc91d5 d7702397 b38d1b37"
    "5d970d09 8089f0e5 3824bd2f 27c65405 b594cd0c 040d61f8 077c1ea6 b769e023"
    "ba4aed30 5258bc7a 91626d3f df863ac4 01abc5c5 e6c9fc95 4d687394 18b9e569"
    "ad0c5f6e f08078da 6d0929b4 77ff2d4d 2d4c4686 629e6d69 b5c739ea d7ea47b4"
    "8319a11f e2a23082 2fb3e8e9 62993a9d e137d06a 493ed124 b537af85 a724d525"
    "a57ebc71 fe5e16dd 34402abc 41789245 5af6e055 6f3de889 b0faa84e 6bd69e51"
    "3cb84c75 b152b78d e40f79b6 5b46f2c1 044b71df 378774e8 2898d455 99a22759"
    "68a1e521 9662c394 e312d68e 5a0a880e d58f41cf 1708"
)
VENDOR_GMK = _h("07d1a1677ac36d8e81620484689b3c2d")


def test_parameter_set_1_is_appendix_a() -> None:
    assert PARAMS.p == int.from_bytes(P_HEX, "big")
    assert PARAMS.q == int.from_bytes(Q_HEX, "big")
    assert PARAMS.curve.encode_point(PARAMS.P) == P_POINT
    assert int(PARAMS.g).to_bytes(128, "big") == G
    assert (PARAMS.p % 4, PARAMS.n_bits, PARAMS.sed_bytes) == (3, 128, 273)
    assert ID.hex().upper() == ID_HEX.hex().upper()


def test_g_is_the_pairing_of_p_with_itself() -> None:
    """REQ-SAKKE-08: g = <P, P> of Appendix A on the RFC's Miller loop, the fast pairing and the
    precomputed lines.
    """
    assert pairing.pairing_reference(PARAMS.P, PARAMS.P) == PARAMS.g
    assert pairing.pairing(PARAMS.P, PARAMS.P) == PARAMS.g
    assert pairing.MillerLines(PARAMS.P).evaluate(PARAMS.P) == PARAMS.g


def test_kms_public_key() -> None:
    """REQ-SAKKE-02: Z = [z]P equals Appendix A; REQ-SAKKE-09: z is not in the repr of its
    holder.
    """
    z, z_pub = sakke.kms_master_key(int.from_bytes(Z_SECRET, "big"))
    assert z_pub == Z_PUB
    assert "AFF429" not in repr(z).upper()
    assert PARAMS.curve.encode_point(PARAMS.curve.multiply_ladder(z.reveal(), PARAMS.P)) == Z_PUB


def test_rsk_issue_and_validation() -> None:
    """REQ-SAKKE-03: RSK = [(z + b)^-1 mod q]P equals Appendix A; REQ-SAKKE-04: it validates."""
    z = int.from_bytes(Z_SECRET, "big")
    assert sakke.issue_rsk(z, ID) == RSK
    inverse = pow(z + int.from_bytes(ID, "big"), -1, int(PARAMS.q))
    assert PARAMS.curve.encode_point(PARAMS.curve.multiply_ladder(inverse, PARAMS.P)) == RSK
    sakke.validate_rsk(Z_PUB, ID, RSK)


def test_rsk_pairing_with_b_p_plus_z_is_g_on_every_path() -> None:
    """REQ-SAKKE-04, REQ-SAKKE-08: <[b]P + Z, RSK> = g on every pairing path, with [b]P + Z of
    Appendix A.
    """
    t_point, rsk = _point(B_P_PLUS_Z), _point(RSK)
    b = int.from_bytes(ID, "big")
    computed = PARAMS.curve.add(PARAMS.curve.multiply_ladder(b, PARAMS.P), _point(Z_PUB))
    assert computed == t_point
    assert pairing.pairing_reference(t_point, rsk) == PARAMS.g
    assert pairing.pairing(t_point, rsk) == PARAMS.g
    assert pairing.MillerLines(rsk).evaluate(t_point) == PARAMS.g  # <RSK, T> (symmetry)


def test_hash_to_integer_range_values() -> None:
    """REQ-SAKKE-01: HashToIntegerRange gives Appendix A's r (n = q) and mask (n = 2^128)."""
    assert sakke.hash_to_integer_range(SSV + ID, int(PARAMS.q)) == int.from_bytes(R_SCALAR, "big")
    assert sakke.hash_to_integer_range(G_R, 1 << 128) == int.from_bytes(MASK, "big")


def test_encapsulation_trace_reproduces_every_intermediate() -> None:
    """REQ-SAKKE-05: r, R, g^r, the mask, H and R || H equal Appendix A."""
    trace = sakke.encapsulate_trace(SSV, identity=ID, z_pub=Z_PUB)
    assert trace.r_bytes == R_SCALAR
    assert PARAMS.curve.encode_point(trace.R) == R_POINT
    assert trace.g_r_bytes == G_R
    assert trace.mask == int.from_bytes(MASK, "big")
    assert int.from_bytes(H, "big") == trace.H
    assert trace.encapsulated == R_POINT + H
    assert fp2.pf_power(PARAMS.g, trace.r, PARAMS.p) == int.from_bytes(G_R, "big")
    r = int.from_bytes(R_SCALAR, "big")
    assert PARAMS.curve.multiply_ladder(r, _point(B_P_PLUS_Z)) == _point(R_POINT)


def test_encapsulate_on_every_path() -> None:
    """REQ-SAKKE-05: every encapsulation path gives Appendix A's Encapsulated Data R || H."""
    assert sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB) == R_POINT + H
    sakke.prepare_kms_table(Z_PUB)
    assert sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB) == R_POINT + H
    assert sakke.EncapsulationTarget(ID, Z_PUB).encapsulate(SSV) == R_POINT + H


def test_pairing_of_r_with_rsk_is_g_to_the_r_on_every_path() -> None:
    """REQ-SAKKE-08: <R, RSK> = g^r of Appendix A on every pairing path, as b/a in PF_p."""
    big_r, rsk = _point(R_POINT), _point(RSK)
    g_r = int.from_bytes(G_R, "big")
    assert pairing.pairing_reference(big_r, rsk) == g_r
    assert pairing.pairing(big_r, rsk) == g_r
    assert pairing.pairing(rsk, big_r) == g_r
    assert pairing.MillerLines(rsk).evaluate(big_r) == g_r


def test_derive_on_every_path() -> None:
    """REQ-SAKKE-06: the one-shot and Receiver derivations give Appendix A's SSV."""
    assert sakke.derive(R_POINT + H, identity=ID, rsk=RSK, z_pub=Z_PUB) == SSV
    assert sakke.Receiver(ID, RSK, Z_PUB).derive(R_POINT + H) == SSV


@pytest.mark.parametrize("name", sorted(VENDOR_USERS))
def test_vendor_rsk_validates_for_its_uid(name: str) -> None:
    """REQ-SAKKE-04: a vendor RSK validates for its UID under the vendor's Z."""
    uid, rsk = VENDOR_USERS[name]
    assert len(uid) == 32
    sakke.validate_rsk(VENDOR_Z, uid, rsk)


def test_vendor_rsk_fails_for_another_uid() -> None:
    """REQ-SAKKE-04: an RSK is refused for another UID or another KMS (VerifyError, 6.1.2)."""
    uid, rsk = VENDOR_USERS["alice"]
    with pytest.raises(VerifyError, match=r"6\.1\.2"):
        sakke.validate_rsk(VENDOR_Z, VENDOR_USERS["bob"][0], rsk)
    with pytest.raises(VerifyError, match=r"6\.1\.2"):
        sakke.validate_rsk(Z_PUB, uid, rsk)


def test_vendor_i_message_sakke_payload_gives_the_gmk() -> None:
    # RFC 6509 4.2 SAKKE payload: next payload, SAKKE params = 1, ID scheme, 2-octet length
    """REQ-SAKKE-06: a vendor's Encapsulated Data gives its GMK to Alice and is refused (6.2.2)
    for Bob.
    """
    header, sed = VENDOR_SAKKE_PAYLOAD[:5], VENDOR_SAKKE_PAYLOAD[5:]
    assert header[1] == PARAMS.set_id
    assert int.from_bytes(header[3:5], "big") == len(sed) == 273
    uid, rsk = VENDOR_USERS["alice"]
    assert sakke.derive(sed, identity=uid, rsk=rsk, z_pub=VENDOR_Z) == VENDOR_GMK
    assert sakke.Receiver(uid, rsk, VENDOR_Z).derive(sed) == VENDOR_GMK
    with pytest.raises(VerifyError, match=r"6\.2\.2"):
        bob_uid, bob_rsk = VENDOR_USERS["bob"]
        sakke.derive(sed, identity=bob_uid, rsk=bob_rsk, z_pub=VENDOR_Z)
