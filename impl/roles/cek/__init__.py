"""The KMS-managed CEK of seed 001: the KMS's CEK service, the SIP endpoints' side, their JSON
bodies and HTTPS (model ``mckm.models.procedures.cek``)."""
