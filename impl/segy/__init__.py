"""Seed 003's SeGy approaches executed: the signalling simulator, its closed forms, the claims'
verdicts, plots and the ``mckm segy`` command."""
