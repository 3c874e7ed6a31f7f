"""The KMS / SKM-S role (TS 33.180 clause 5.3 and Annex D; TS 33.434 clause 6.Y, seed 004).

* :mod:`.model` - community keys, KMS certificate, user key sets, transport keys;
* :mod:`.role` - issuing and storing key sets per key period (current and next);
* :mod:`.messages` - the D.3 response XML with TrK key wrap and InK HMAC signature, and the
  client reader that verifies, unwraps and validates;
* :mod:`.service` - the D.2 request handling as a pure function request -> response;
* :mod:`.access_token` - the IdMS bearer token (ES256 compact JWS);
* :mod:`.cli` - ``mckm kms serve | enrol | issue-token``.
"""
