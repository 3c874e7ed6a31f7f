"""The KMS XML schema from many threads at once (the HTTPS server's workers, a client's burst):
every thread gets a working validator and its own error.  Before, concurrent first calls built
one libxml2 schema at a time in parallel and failed with "Document is not valid XML Schema"
(a 500 from a replica's first requests)."""

from __future__ import annotations

import threading

from lxml import etree

from mckm.impl.errors import DecodeError
from mckm.models.grammar import kms_xml


def test_concurrent_threads_each_validate_with_their_own_error() -> None:
    results: dict[int, str] = {}

    def run(n: int) -> None:
        root = etree.fromstring(f'<Unknown{n} xmlns="{kms_xml.NS}"/>'.encode())
        try:
            kms_xml.validate(root)
            results[n] = "valid"
        except DecodeError as exc:
            results[n] = str(exc)
        except Exception as exc:  # e.g. XMLSchemaParseError: the defect this test is for
            results[n] = f"broken: {exc!r}"

    for _ in range(3):
        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for n in range(8):
            assert f"Unknown{n}" in results[n], results[n]
