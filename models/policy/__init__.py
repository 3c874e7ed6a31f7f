"""Policies: key purpose tags, the key-id (SK-ID) bit layout and KMS trust relations."""

from mckm.models.policy.key_id import (
    SK_ID,
    Slot,
    decode_key_id,
    encode_key_id,
    id_bits,
    purpose_of,
    slots,
)
from mckm.models.policy.key_purposes import (
    PURPOSES,
    Purpose,
    PurposeRegistry,
    default_registry,
    load_purposes,
    register_purpose,
)
from mckm.models.policy.trust import TrustRelation

__all__ = [
    "PURPOSES",
    "SK_ID",
    "Purpose",
    "PurposeRegistry",
    "Slot",
    "TrustRelation",
    "decode_key_id",
    "default_registry",
    "encode_key_id",
    "id_bits",
    "load_purposes",
    "purpose_of",
    "register_purpose",
    "slots",
]
