"""Seed 003 (TR 33.880 7.8.1-7.8.5): the five ways an MC Security Gateway (SeGy) terminates MC
end-to-end security, as declarative models (:mod:`.operations`, :mod:`.approaches`) and the
seed's claims (:mod:`.claims`)."""
