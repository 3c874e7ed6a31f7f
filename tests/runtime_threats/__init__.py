"""Tests of the runtime that kill mutants mutation testing found alive (tools/mutate.py)."""
