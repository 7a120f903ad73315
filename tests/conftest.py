"""Fixtures shared by the whole suite: services, projects, isolation.

Services: a test that needs PostgreSQL or Redis skips with the reason when the service is
absent, and fails instead when ``TIER1_REQUIRE_SERVICES=1`` (CI sets it).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

from support.services import port_open, require_service

POSTGRES_URL = os.environ.get("TIER1_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TIER1_TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: Redis database numbers the suite uses; tests only delete keys they created there.
REDIS_DBS = (13, 14)


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory):
    """Keep caches out of ~/.cache and installed third-party plugins out of the suite."""
    saved = {key: os.environ.get(key) for key in ("XDG_CACHE_HOME", "TIER1_LOAD_ENTRYPOINTS")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["TIER1_LOAD_ENTRYPOINTS"] = "0"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _fresh_plugins():
    """Each test sees plugins loaded afresh (some tests change the selection)."""
    from tier1_plugin import plugins

    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """An empty project folder (a git work tree) as the working directory."""
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()  # enough for the root lookup; tests that need git run `git init`
    monkeypatch.chdir(root)
    monkeypatch.delenv("TIER1_CONFIG", raising=False)
    monkeypatch.delenv("TIER1_DATABASE_URL", raising=False)
    return root


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL (an admin connection), or skip/fail."""
    try:
        import psycopg
    except ImportError:
        require_service("PostgreSQL", "psycopg is not installed")
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        require_service("PostgreSQL", f"{POSTGRES_URL}: {str(exc).strip().splitlines()[0]}")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, uniquely named database for this test, dropped afterwards."""
    import psycopg

    name = f"tier1_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = postgres_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The Redis server URL (no database number), or skip/fail."""
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    if not port_open(parts.hostname or "127.0.0.1", parts.port or 6379):
        require_service("Redis", f"nothing listens at {REDIS_URL}")
    return REDIS_URL.rstrip("/")


@pytest.fixture
def python() -> str:
    """The interpreter running the suite (subprocesses use the same environment)."""
    return sys.executable
