"""Declarative models: message grammars, procedure models and policies (the one source)."""
