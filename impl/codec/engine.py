"""Former home of the whole codec, kept as re-exports for importers not yet moved.

Import from :mod:`mckm.impl.codec` (``decode``, ``encode``, ``decode_key_data``, ...) or from
the module that holds a name: ``decoder``, ``encoder``, ``chains`` (RFC 6043 6.10 inner chains,
RFC 3830 6.13 Key data), ``portions``, ``presence``, ``policy_params``, ``field_ranges``,
``payload_parse``, ``payload_build``, ``grammars``.
"""

from __future__ import annotations

from mckm.impl.codec.chains import decode_chain, decode_key_data, encode_chain, encode_key_data
from mckm.impl.codec.decoder import decode
from mckm.impl.codec.encoder import encode
from mckm.impl.codec.grammars import MAX_MESSAGE_OCTETS, MAX_PAYLOADS, SUPPORTED_VERSION
from mckm.impl.codec.grammars import context as _context
from mckm.impl.codec.policy_params import sp_params, sp_params_problem
from mckm.impl.codec.portions import mac_portion, signed_portion
from mckm.impl.codec.presence import presence_problem

__all__ = ["MAX_MESSAGE_OCTETS", "MAX_PAYLOADS", "SUPPORTED_VERSION", "_context", "decode",
           "decode_chain", "decode_key_data", "encode", "encode_chain", "encode_key_data",
           "mac_portion", "presence_problem", "signed_portion", "sp_params",
           "sp_params_problem"]
