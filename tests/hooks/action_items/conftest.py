"""Fixtures for the action-item tests: the real-tool corpus and a `tier1 hook` runner."""

from __future__ import annotations

import pytest

from support.hook_runner import HookRunner
from support.tool_outputs import build_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """Real outputs of git, pytest, unittest, node, cargo, pip, make, gcc ... (built once)."""
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def hook(project) -> HookRunner:
    return HookRunner(project)
