"""The real facts the SEAL model's guards ask, for one user of one SKM-S community.

What each fact means is declared once, with its predicate (``models/procedures/predicates``);
here ``uid`` / ``period_of`` follow the community's UID scheme (:mod:`.identities`, TS 33.180
F.2.1), ``signed_by`` is ECCSI over what the layout says SIGN covers (RFC 6507 5.2.2, RFC 3830
5.2), ``encrypted_to`` SAKKE with the user's RSK (RFC 6508 6.2.2) and ``key_fits`` the user's
key store.  Each answers a :class:`Verdict` that says why not.  The crypto is the user's
:class:`~.keyring.KeyRing` (``ring``), which the effects use too.
"""

from __future__ import annotations

from typing import Any

from mckm.impl.engine.wire import WireView, covered
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.roles.seal.identities import Community
from mckm.impl.roles.seal.keyring import KeyRing, UserKeys
from mckm.impl.roles.seal.keystore import stored_sk_id
from mckm.models.grammar.namespaces import SAKKE_PARAMS
from mckm.models.procedures.seal_key_distribution import I_MESSAGE, SakkePayload
from mckm.models.procedures.verdict import YES, Verdict

SAKKE_PARAMS_1 = SAKKE_PARAMS.value_of("Parameter Set 1")


class SealFacts:
    """The facts of one user (see module docstring); ``warm`` as :class:`KeyRing`'s."""

    def __init__(self, community: Community, keys: list[UserKeys] | tuple[UserKeys, ...] = (),
                 *, warm: bool = True) -> None:
        self.community = community
        self.ring = KeyRing(community, keys, warm=warm)
        self.add_keys = self.ring.add_keys

    def uid(self, identity: str, period: int) -> bytes:
        if not isinstance(identity, str) or not isinstance(period, int):
            raise UsageError("a UID needs a URI and a key period number")
        return self.community.uid(identity, period)

    def period_of(self, time: int) -> int:
        return self.community.period_of(time)

    def signed_by(self, message: Any, uid: Any) -> Verdict:
        signature = message.get("sign")
        if not isinstance(signature, bytes) or not isinstance(message, WireView):
            return Verdict.no("no ECCSI SIGN payload")
        assert I_MESSAGE.layout is not None and I_MESSAGE.layout.integrity is not None
        portion = covered(I_MESSAGE.layout.integrity, message.raw, message.message)
        try:
            self.ring.verifier.verify(portion, signature, bytes(uid))
        except VerifyError as exc:
            return Verdict.no(f"the ECCSI signature does not verify (RFC 6507 5.2.2: {exc})")
        return YES

    def encrypted_to(self, blob: Any, uid: Any) -> Verdict:
        if not isinstance(blob, SakkePayload) or blob.params != SAKKE_PARAMS_1:
            return Verdict.no(f"SAKKE parameter set {getattr(blob, 'params', None)} is not "
                              "supported (RFC 6509 4.2: set 1)")
        if blob.id_scheme != self.community.id_scheme:
            return Verdict.no(f"SAKKE ID scheme {blob.id_scheme} is not the community's "
                              f"{self.community.id_scheme}")
        try:
            self.ring.decapsulate(blob.data, bytes(uid))
        except VerifyError as exc:
            return Verdict.no(f"the SAKKE payload does not decapsulate (RFC 6508 6.2.2: {exc})")
        return YES

    def key_fits(self, store: Any, message: Any, uid: Any, purpose: Any) -> Verdict:
        if store is None or not hasattr(store, "get"):
            return YES  # a role that keeps no keys
        blob, csb_id = message.get("sakke"), message.get("csb_id")
        try:
            key = self.ring.decapsulate(blob.data, bytes(uid))
        except (VerifyError, AttributeError):
            return Verdict.no("no key to store: the SAKKE payload does not decapsulate")
        sk_id = stored_sk_id(int(csb_id), int(purpose), key, str(message.get("idrr")))
        held = store.get(sk_id)
        if held is None or (held.key == key and held.purpose == purpose):
            return YES
        return Verdict.no(f"a different key is already held under SK-ID {sk_id:08x}")

    def __repr__(self) -> str:
        return f"SealFacts({self.community.kms_uri!r}, {self.ring!r})"


__all__ = ["SealFacts", "UserKeys"]
