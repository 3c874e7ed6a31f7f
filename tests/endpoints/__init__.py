"""Generated tests over the public endpoints, threats from models/procedures/threats.py."""
