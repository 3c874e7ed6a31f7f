"""The grammar of the KMS provisioning XML: the XML schemas of TS 33.180 Annex D.

Files in ``data/`` (each cites its clause in a comment at its top):

- ``ts33180_d351_kms_interface.xsd`` - D.3.5.1, the base schema: KmsRequest and
  SignedKmsRequest (D.2.2), KmsResponse and SignedKmsResponse (D.3.1), KmsCertificate
  (D.3.2.2), KmsKeySet (D.3.3.2), the key content types;
- ``ts33180_d353_extensions.xsd`` - D.3.5.3, TrK-ID and Signature-ID in the namespace
  ``urn:3gpp:ns:mcsecKMSInterface:extensions:1.0``;
- ``ts33180_d44_krr.xsd`` - D.4.4, the KMS Redirect Response the KmsRequest's KrrList uses;
- ``xmldsig-core-schema.xsd`` and ``xenc-schema.xsd`` - the W3C schemas the base schema imports;
- ``kms_xml.xsd`` - the driver that loads them all into one validator.

:func:`parse` is the only way KMS XML is read in mckm: a parser without DTDs, entities or
network, then the schema; a document that breaks either is a :class:`DecodeError` naming the line
and the element.  The writers (``mckm.impl.roles.kms.messages``) validate what they build with
:func:`validate` too, so nothing leaves the KMS that the schema refuses.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from lxml import etree

from mckm.impl.errors import DecodeError

NS = "urn:3gpp:ns:mcsecKMSInterface:1.0"
EXT_NS = "urn:3gpp:ns:mcsecKMSInterface:extensions:1.0"
KRR_NS = "urn:3gpp:ns:mcsecKMSKRR:1.0"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

CLAUSE = "TS 33.180 D.3.5"
DATA = Path(__file__).with_name("data")
DRIVER = DATA / "kms_xml.xsd"

#: the largest KMS document read (a KmsKeyProv with a few key sets is a few kilobytes)
MAX_DOCUMENT = 256 * 1024


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True)


_BUILDING = threading.Lock()
_PER_THREAD = threading.local()


def schema() -> Any:
    """The compiled validator of every schema in ``data/``, one per thread: libxml2 cannot
    build two at once (concurrent first calls failed with "Document is not valid XML Schema"),
    and a validator keeps the error log of its last run, which another thread's run would
    overwrite.  Each is built once, under a lock."""
    validator = getattr(_PER_THREAD, "schema", None)
    if validator is None:
        with _BUILDING:
            validator = _PER_THREAD.schema = etree.XMLSchema(etree.parse(str(DRIVER),
                                                                         _parser()))
    return validator


_CLARK = re.compile(r"\{([^}]*)\}")
_ELEMENT = re.compile(r"Element '([^']+)'")


def _short(message: str) -> str:
    """libxml2's message with namespaces in Clark notation shortened to the local names."""
    return _CLARK.sub("", message)


def validate(root: Any, payload: str = "KMS XML") -> None:
    """Check ``root`` against the schema; the first violation is a DecodeError naming its line
    and element (TS 33.180 D.2.2: the KMS verifies that "the XML is valid")."""
    validator = schema()
    if validator.validate(root):
        return
    error = validator.error_log.filter_from_errors()[0]
    message = _short(error.message)
    named = _ELEMENT.search(message)
    raise DecodeError(f"line {error.line}: {message} ({CLAUSE})", payload=payload,
                      field=named.group(1) if named else None)


def parse(data: bytes, payload: str = "KMS XML") -> Any:
    """Parse and schema-validate ``data``: no DTD, no entity expansion, no network access."""
    if len(data) > MAX_DOCUMENT:
        raise DecodeError(f"document of {len(data)} octets is larger than {MAX_DOCUMENT}",
                          payload=payload)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DecodeError("a DTD is not allowed in KMS XML", payload=payload)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"not well-formed XML: {exc}", payload=payload) from exc
    validate(root, payload)
    return root
