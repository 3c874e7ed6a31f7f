"""Benchmarks printed by ``mckm bench`` (ops/s, median of several runs)."""
