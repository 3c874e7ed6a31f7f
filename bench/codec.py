"""Codec benchmarks: a typical MIKEY-SAKKE I_MESSAGE (vendor test 1: HDR with GENERIC-ID map,
T, RAND, four IDR, SP, SAKKE, GENERAL_EXT, SIGN; 701 octets), decode and encode on one core."""

from __future__ import annotations

import io
from collections.abc import Callable

import construct as c

from mckm.bench.registry import benchmark
from mckm.impl.codec import decode, encode
from mckm.impl.codec.grammars import context
from mckm.models.grammar.registry import BY_NAME

#: Streamwide test vector 1 (shared/reference/vendor_vectors.json), a GMK I_MESSAGE.
I_MESSAGE = bytes.fromhex(
    "011a050106a12aea0102040001000000080df9bc3906a12aea0b00ec898da8000000000e10ca2f5d51ff08"
    "66362c1d85a56f84651e0e0801002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb67"
    "8608d20e0e09010020b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e06"
    "0100186b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e73"
    "747265616d776964652e636f6d1a0000001b00010601011002010404010c05010006010012010413010014"
    "01101501020111042dda50fd6386427d1fcdbe306fa6f14429b98ce34792421f1c16bec912f0c9f2d84a9a"
    "c58dc4716261adcabaaa45bcfc91d5d7702397b38d1b375d970d098089f0e53824bd2f27c65405b594cd0c"
    "040d61f8077c1ea6b769e023ba4aed305258bc7a91626d3fdf863ac401abc5c5e6c9fc954d68739418b9e5"
    "69ad0c5f6ef08078da6d0929b477ff2d4d2d4c4686629e6d69b5c739ead7ea47b48319a11fe2a230822fb3"
    "e8e962993a9de137d06a493ed124b537af85a724d525a57ebc71fe5e16dd34402abc417892455af6e0556f"
    "3de889b0faa84e6bd69e513cb84c75b152b78de40f79b65b46f2c1044b71df378774e82898d45599a22759"
    "68a1e5219662c394e312d68e5a0a880ed58f41cf17080407004743000000000100000000000128704fa41c"
    "8fe20f881c1bab0d32d8ca06a12aea0000244eddc3bf8c2a4a5d3fc9848440123e7d054dab4308d5057592"
    "06cc789d05a4ce0e49364d208122259f038fcd823e99b3780b6f000d342ddd212bac0afbf3ba4cb7957c4e"
    "87c600065941c51ffdbb54a2a2c8a3dad2da5f0e19441275b326257358e0ffcb35dd0468a24d49b184d700"
    "8d22f63a415debd38bfa9295f066fa6ada5951c2322d2eca1d6f1d994f22710daef776d9c54d9a338f3239"
    "5080d6f2bdffb6c7895f12cda2")


_DECODE = "decode a 701-octet MIKEY-SAKKE I_MESSAGE (compiled grammars)"
_ENCODE = "encode a 701-octet MIKEY-SAKKE I_MESSAGE (compiled grammars)"
_INTERPRETED = "parse the same I_MESSAGE's payload chain with the interpreted grammars"


@benchmark("codec-decode", _DECODE)
def decode_setup() -> Callable[[], object]:
    return lambda: decode(I_MESSAGE)


@benchmark("codec-encode", _ENCODE)
def encode_setup() -> Callable[[], object]:
    message = decode(I_MESSAGE)
    return lambda: encode(message)


@benchmark("codec-decode-interpreted", _INTERPRETED)
def decode_interpreted_setup() -> Callable[[], object]:
    order = [span.payload for span in decode(I_MESSAGE).layout]
    grammars = [BY_NAME[name].spec.grammar for name in order]

    def run() -> object:
        stream = io.BytesIO(I_MESSAGE)
        return [g._parsereport(stream, c.Container(context()), "(bench)") for g in grammars]

    return run
