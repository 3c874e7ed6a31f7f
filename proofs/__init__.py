"""z3 proofs of the models' invariants; each module with mutants that must fail.

``sk_id``: the SK-ID / key-id layout (seed 004, TS 33.180).  ``seal_acceptance``: what the SEAL
receiver's guards guarantee about an accepted I_MESSAGE.  ``cli.prove`` prints the table.
"""
