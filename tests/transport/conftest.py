"""Fixtures of the HTTPS server tests (helpers in :mod:`tests.transport.wire`)."""

from tests.transport.wire import echo, identity, server

__all__ = ["echo", "identity", "server"]
