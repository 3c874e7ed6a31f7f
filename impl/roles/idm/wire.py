"""The IdM's requests read as the model's messages (``mckm.models.procedures.idm``).

An authentication request is a query (RFC 6749 4.1.1), a login and a token request are
``application/x-www-form-urlencoded`` bodies (RFC 6749 4.1.3, Appendix B).  What cannot be read
at all is a codec error (:class:`~mckm.impl.errors.DecodeError` naming the parameter): a body
that is not a form or not UTF-8, a parameter given twice (RFC 6749 3.1: "MUST NOT be included
more than once").  Everything else becomes the model's fields, for the guards to judge: an
absent identifier (``client_id``, ``redirect_uri``, ``response_type``, ...) is None and an
absent text ('') is ``ABSENT``, so that the guard which needs it (not the field check) refuses.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from urllib.parse import parse_qs

from mckm.impl.engine.messages import DictMessage
from mckm.impl.errors import DecodeError
from mckm.models.procedures import idm as model
from mckm.models.procedures.skm_s import ABSENT

FORM = "application/x-www-form-urlencoded"
#: the request parameters the model has no field for but the IdM keeps (OIDC Core 3.1.2.1)
EXTRA = ("nonce",)


def s256(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) (a verifier of other
    characters is hashed as UTF-8: it is refused by its form before it is compared)."""
    digest = hashlib.sha256(verifier.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def params(text: str, where: str) -> dict[str, str]:
    """Form or query parameters; DecodeError for a parameter given twice (RFC 6749 3.1)."""
    try:
        parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict",
                          max_num_fields=64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"the {where} is not UTF-8 form data ({exc})", payload=where) from exc
    for name, values in parsed.items():
        if len(values) > 1:
            raise DecodeError("repeated (RFC 6749 3.1)", payload=where, field=name)
    return {name: values[0] for name, values in parsed.items()}


def form_params(body: bytes, content_type: str) -> dict[str, str]:
    """The parameters of a POST body (RFC 6749 4.1.3: a form, UTF-8)."""
    if content_type.split(";")[0].strip().lower() != FORM:
        raise DecodeError(f"the body must be {FORM} (RFC 6749 4.1.3)", payload="body")
    try:
        text = body.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        raise DecodeError("the body is not UTF-8", offset=exc.start, payload="body") from exc
    return params(text, "body")


def message(name: str, given: Mapping[str, str]) -> DictMessage:
    """The model's message ``name`` read from the request parameters ``given``."""
    spec = model.PROCEDURE.message(name)
    fields: dict[str, object] = {}
    for field, type_name in spec.fields.items():
        value = given.get(field, "")
        if type_name == "ident":
            fields[field] = value or None
        else:
            fields[field] = value or ABSENT
    fields.update({k: given[k] for k in EXTRA if k in given})
    return DictMessage(name, fields)
