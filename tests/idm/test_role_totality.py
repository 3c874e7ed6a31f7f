"""The sans-IO IdM answers every request (any method, path, query, body and content type) with
an HTTP status, never an exception (bad input is a 4xx naming what is wrong)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.roles.idm.role import AUTHORIZE, DISCOVERY, JWKS, TOKEN, IdmRole
from tests.idm.conftest import idm_config

ROLE = IdmRole.create(idm_config(), issuer="https://idm.example")
FORM = "application/x-www-form-urlencoded"
TEXT = st.text(alphabet=st.sampled_from("a=&%+;?#_-.~ 0Z\u00e9\x00"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PUT", "HEAD"]),
       path=st.sampled_from([AUTHORIZE, TOKEN, JWKS, DISCOVERY, "/", "/authorize/x"]),
       query=TEXT, body=st.one_of(TEXT.map(str.encode), st.binary(max_size=60)),
       content_type=st.sampled_from([FORM, FORM + "; charset=utf-8", "", "text/plain"]))
def test_every_request_gets_a_status(method: str, path: str, query: str, body: bytes,
                                     content_type: str) -> None:
    answer = ROLE.handle(method, path, query, body, content_type)
    assert answer.status in {200, 302, 400, 401, 404, 405}
    if answer.status == 302:  # only to a registered redirect URI, never elsewhere
        location = dict(answer.headers)["Location"]
        assert location.startswith("https://client.example.org/cb?"), location
