"""``tier1 check`` runs the gate for the project in the current folder."""

from __future__ import annotations

import subprocess
import sys


def tier1(*args, cwd):
    return subprocess.run([sys.executable, "-m", "tier1_plugin", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_tier1_check_exits_with_the_gates_status_and_passes_arguments(gate_project):
    gate_project.write("tests/test_unit.py", """\
        def test_adds():
            assert 1 + 1 == 2

        def test_broken():
            assert False
        """)
    cwd = gate_project.path / "tests"  # a subfolder: the gate runs for the whole project

    failing = tier1("check", "-k", "not test_broken", "tests/test_unit.py", "tests/integration_api.py",
                    cwd=gate_project.path)
    assert failing.returncode == 0, failing.stdout + failing.stderr
    assert "production check: GO" in failing.stdout

    nogo = tier1("check", "-q", "tests/test_unit.py", "tests/integration_api.py", cwd=gate_project.path)
    assert nogo.returncode == 1
    assert "decision: NO-GO" in nogo.stdout
    assert "FAIL tests" in nogo.stdout

    gate_project.config("project_id: service\n")  # marks the project root
    from_subfolder = tier1("check", "-q", "-k", "not test_broken", cwd=cwd)
    assert "PASS documentation" in from_subfolder.stdout  # README.md found: ran from the root
    assert "PASS tests" in from_subfolder.stdout
