"""Helpers for tests that need services or ports (import: ``from support.services import ...``)."""

from __future__ import annotations

import os
import socket

import pytest


def require_service(name: str, reason: str):
    """Skip (laptop) or fail (``TIER1_REQUIRE_SERVICES=1``) because ``name`` is missing."""
    message = f"{name} is not available: {reason}"
    if os.environ.get("TIER1_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (TIER1_REQUIRE_SERVICES=1: services are required)", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    return free_port()
