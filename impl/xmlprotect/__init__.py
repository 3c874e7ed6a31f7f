"""Protection of MCX signalling XML (TS 33.180 9.3), as an InterKMM carries it (seed 000).

* :mod:`.encryption` - confidentiality: XML encryption of element content, AES-128-GCM (9.3.4).
* :mod:`.signature` - integrity: XML HMAC-SHA256 signatures over whole MIME bodies (9.3.5).
* :mod:`.interkmm` - the InterKMM body: signalling parameters, KMM and signatures in one
  ``multipart/mixed`` SIP MESSAGE body, in clear or protected under the hop's CSK or SPK.
* :mod:`.keys` - the XPK (CSK or SPK) named by its XPK-ID and the keys derived from it (9.3.3).
* :mod:`.parsing` - the one strict XML reader (no DTD, no entities, no network).
* :mod:`.names` - the namespaces and algorithm URIs.
"""
