"""Every procedure model, listed once.

The docs (the ``mckm-*`` directives of ``spec/`` pages and their tests) find procedures here by
name; nothing else needs to know which modules hold models.  To add a procedure, import its
module below and add its :class:`Procedure` objects to :data:`PROCEDURES`.
"""

from __future__ import annotations

from mckm.models.procedures import (
    cek,
    idm,
    mikey_ticket,
    seal_key_distribution,
    sip_registration,
    skm_s,
)
from mckm.models.procedures.interkmm import PROCEDURES as INTERKMM_PROCEDURES
from mckm.models.procedures.model import Procedure

#: All procedure models, in the order the site presents them.
PROCEDURES: tuple[Procedure, ...] = (
    seal_key_distribution.PROCEDURE,
    *mikey_ticket.PROCEDURES,
    skm_s.PROCEDURE,
    cek.PROCEDURE,
    sip_registration.PROCEDURE,
    idm.PROCEDURE,
    *INTERKMM_PROCEDURES,
)


def by_name(name: str) -> Procedure:
    """The registered procedure called ``name`` (its ``Procedure.name``)."""
    for procedure in PROCEDURES:
        if procedure.name == name:
            return procedure
    known = ", ".join(p.name for p in PROCEDURES)
    raise KeyError(f"no procedure model {name!r} (registered: {known})")
