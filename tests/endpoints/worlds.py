"""The driver of each procedure whose endpoints the generated tests reach: ``DRIVERS`` builds
one on the model, ``MUTANT_DRIVERS`` on a given (mutant) model."""

from __future__ import annotations

import functools
from collections.abc import Callable

from mckm.models.procedures.registry import by_name
from tests.endpoints.cek_driver import CekDriver
from tests.endpoints.generator import Driver
from tests.endpoints.idm_driver import IdmDriver
from tests.endpoints.interkmm_driver import InterKmmDriver
from tests.endpoints.seal_driver import SealDriver
from tests.endpoints.sip_driver import SipDriver
from tests.endpoints.skms_driver import SkmsDriver
from tests.endpoints.ticket_driver import HttpsTicketDriver, HttpsTwoKmsTicketDriver

MUTANT_DRIVERS: dict[str, type[Driver]] = {
    "seal-key-distribution": SealDriver,
    "mikey-ticket-one-kms": HttpsTicketDriver,
    "mikey-ticket-two-kms": HttpsTwoKmsTicketDriver,
    "skm-s-provisioning": SkmsDriver,
    "cek-management": CekDriver,
    "sip-registration": SipDriver,
    "interkmm-iwf-to-ue": InterKmmDriver,
    "interkmm-ue-to-iwf": InterKmmDriver,
    "idm-authorisation": IdmDriver,
}
DRIVERS: dict[str, Callable[[], Driver]] = {
    name: functools.partial(driver, by_name(name)) for name, driver in MUTANT_DRIVERS.items()}
