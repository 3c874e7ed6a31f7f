"""z3 proofs of the models' invariants; each module with mutants that must fail."""
