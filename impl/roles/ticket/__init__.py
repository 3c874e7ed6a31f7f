"""MIKEY-TICKET (RFC 6043) message layer and cryptography for the TS 33.328 ticket
procedures (seed 002): key derivations, KEMAC/V protection, the MIKEY base ticket and the
message builders/parsers.  Sans-IO; see ``spec/mikey-ticket-messages.md``."""
