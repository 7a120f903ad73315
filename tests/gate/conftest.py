"""Fixtures for the production gate's tests: a pytester project and a real third-party check.

``gate_project`` is a pytester folder set up so that every built-in check passes (README,
ROLLBACK.md, one unit and one integration test, its own SQLite event store); each test then
breaks exactly what it is about.  ``third_party_checks`` builds a small distribution with a
``tier1`` entry point and pip-installs it into a temporary folder, once per session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Imported here, in the outer session, so pytester's in-process runs (which drop the modules
# they imported when they end) all share one CheckResult class, as a real process does; and
# PyYAML's C loader breaks when its Python half is imported a second time.
import yaml  # noqa: F401
import tier1_plugin.config  # noqa: F401
import tier1_plugin.decision  # noqa: F401
import tier1_plugin.gate  # noqa: F401
import tier1_plugin.report  # noqa: F401
from support.gate import GateProject


@pytest.fixture
def gate_project(pytester, monkeypatch) -> GateProject:
    return GateProject(pytester, monkeypatch)


# -- a real third-party distribution ----------------------------------------------------------

LICENSE_CHECK = '''
from tier1_plugin import CheckResult, hookimpl


def _license(context):
    found = (context.root / "LICENSE").exists()
    return CheckResult(check_name="license", passed=found,
                       details="LICENSE found" if found else "no LICENSE file")


@hookimpl
def tier1_register_checks(register):
    register(name="license", run=_license, description="a LICENSE file exists")
'''

BROKEN_CHECKS = '''
import time

from tier1_plugin import CheckResult, hookimpl


def _raises(context):
    raise RuntimeError("the check's own bug")


def _hangs(context):
    time.sleep(3600)


def _garbage(context):
    return {"passed": True}


def _fine(context):
    return CheckResult(check_name="fine", passed=True, details="still runs next to broken ones")


@hookimpl
def tier1_register_checks(register):
    register(name="raises", run=_raises)
    register(name="hangs", run=_hangs, timeout_s=1)
    register(name="garbage", run=_garbage)
    register(name="fine", run=_fine)
'''

BROKEN_REGISTRATION = '''
from tier1_plugin import hookimpl


@hookimpl
def tier1_register_checks(register):
    raise ValueError("cannot register")
'''

STRICT_POLICY = '''
import os

from tier1_plugin import hookimpl


@hookimpl(tryfirst=True)
def tier1_decide(results, config):
    """A team's stricter policy: any failure blocks.  Active only when the test asks."""
    if os.environ.get("STRICT_POLICY") != "1":
        return None
    failed = sorted(name for name, result in results.items() if not result.passed)
    if failed:
        return ("no_go", 100, "strict policy: " + ", ".join(failed) + " failed")
    return ("go", 100, "strict policy: nothing failed")
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tier1-example-checks"
version = "0.1.0"

[project.entry-points.tier1]
license = "license_check"
broken = "broken_checks"
broken_registration = "broken_registration"
strict_policy = "strict_policy"

[tool.setuptools]
py-modules = ["license_check", "broken_checks", "broken_registration", "strict_policy"]
'''


@pytest.fixture(scope="session")
def third_party_checks(tmp_path_factory) -> Path:
    """The folder a real ``pip install --target`` put the example distribution in."""
    source = tmp_path_factory.mktemp("example-checks-src")
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / "license_check.py").write_text(LICENSE_CHECK, encoding="utf-8")
    (source / "broken_checks.py").write_text(BROKEN_CHECKS, encoding="utf-8")
    (source / "broken_registration.py").write_text(BROKEN_REGISTRATION, encoding="utf-8")
    (source / "strict_policy.py").write_text(STRICT_POLICY, encoding="utf-8")
    target = tmp_path_factory.mktemp("example-checks-site")
    # --no-build-isolation: build with the setuptools already installed, no network needed
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(target.glob("tier1_example_checks-0.1.0.dist-info/entry_points.txt"))
    return target


@pytest.fixture
def with_third_party_checks(third_party_checks, monkeypatch) -> Path:
    """Subprocesses see the installed distribution and load the ``tier1`` entry points."""
    monkeypatch.setenv("PYTHONPATH", str(third_party_checks))
    monkeypatch.setenv("TIER1_LOAD_ENTRYPOINTS", "1")
    return third_party_checks
