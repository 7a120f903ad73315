"""CI never skips: a missing service skips on a laptop and fails under TIER1_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.services import dead_port

ROOT = Path(__file__).resolve().parents[2]
TEST = "tests/store/test_postgres.py::test_db_upgrade_from_empty_and_again"


def run_with_postgres_down(require: bool):
    env = {**os.environ, "TIER1_TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{dead_port()}/postgres"}
    env.pop("TIER1_REQUIRE_SERVICES", None)
    if require:
        env["TIER1_REQUIRE_SERVICES"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", TEST],
                          capture_output=True, text=True, cwd=ROOT, env=env)


def test_missing_postgres_skips_with_the_reason_on_a_laptop():
    result = run_with_postgres_down(require=False)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout


def test_missing_postgres_fails_when_services_are_required():
    result = run_with_postgres_down(require=True)
    assert result.returncode == 1
    assert "1 error" in result.stdout or "1 failed" in result.stdout
    assert "PostgreSQL is not available" in result.stdout
    assert "TIER1_REQUIRE_SERVICES=1" in result.stdout
