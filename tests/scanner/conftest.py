"""Fixtures for the secret scanner's tests: fake secrets made at run time, a scanner, a CLI.

Nothing secret-shaped is written in these files: every secret comes from the corpus
generator's makers (``benchmarks/secrets_corpus.py``), so the repository's own scan stays clean.
"""

from __future__ import annotations

import random
import subprocess

import pytest

from support.fake_secrets import corpus


@pytest.fixture
def rng(request):
    """Random fake secrets, the same ones on every run of a test (no flaky draws)."""
    return random.Random(request.node.nodeid)


@pytest.fixture
def fake(rng):
    """``fake("github-token")`` -> a new random secret of that kind."""
    return lambda kind: corpus.FAKES[kind](rng)


@pytest.fixture
def scanner():
    from tier1_plugin.secret_scanner import SecretScanner

    return SecretScanner(plugins=False)


@pytest.fixture
def scan(scanner):
    """``scan(text, path="app.py")`` -> the findings in ``text``."""
    return lambda text, path="app.py": scanner.scan_text(text, path)


@pytest.fixture
def tier1(python):
    """Run the real ``tier1`` command line: ``tier1("scan-secrets", path, cwd=...)``."""

    def run(*args, cwd=None):
        return subprocess.run([python, "-m", "tier1_plugin", *map(str, args)], cwd=cwd,
                              capture_output=True, text=True, timeout=120)

    return run
