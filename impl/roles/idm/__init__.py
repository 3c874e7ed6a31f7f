"""The IdM server (TS 33.180 5.1.2, Annex B; seed 001 step 3a): OpenID Connect authorisation
code flow with PKCE, ES256 tokens by joserfc, a JWKS with key rollover.

``config`` (users, clients, scrypt passwords), ``keys`` (signing keys and rollover), ``tokens``
(scopes, claims, the three tokens), ``role`` (the sans-IO endpoints), ``https`` (the HTTPS
server and the JWKS fetcher a KMS uses), ``cli`` (``mckm idm``).
"""
