"""S/MIME protection of SIP bodies under seed 001's KMS-managed CEK: CMS AuthEnvelopedData
with a KEKRecipientInfo (:mod:`.cms`) carried as application/pkcs7-mime (:mod:`.mime`)."""
