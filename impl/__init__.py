"""mckm implementation: the runtime that executes the models (crypto, codec, engine, roles)."""
