"""The wheel holds only tier1_plugin/...; checks/, hooks/ and sql/ never become top-level names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = ("import checks, hooks, tier1_plugin, tier1_plugin.checks, tier1_plugin.hooks, tier1_plugin.sql; "
         "from tier1_plugin.config import DEFAULT_FILE; from tier1_plugin.migrations import migrations; "
         "print(checks.OWNER, hooks.OWNER, tier1_plugin.__file__, tier1_plugin.checks.__file__, "
         "DEFAULT_FILE.is_file(), len(migrations('postgresql')) > 0, sep='\\n')")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(ROOT)], check=True, capture_output=True)
    [built] = out.glob("tier1_automation-*.whl")
    return built


@pytest.fixture
def user_project(tmp_path) -> Path:
    """A user's project with its own top-level ``checks`` and ``hooks`` packages."""
    project = tmp_path / "user-project"
    for name in ("checks", "hooks"):
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(f"OWNER = 'user {name}'\n")
    return project


def test_wheel_contains_only_the_tier1_plugin_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"tier1_plugin"}
    for expected in ("tier1_plugin/tier1.yaml", "tier1_plugin/checks/__init__.py",
                     "tier1_plugin/hooks/__init__.py", "tier1_plugin/sql/roles.sql",
                     "tier1_plugin/sql/postgresql/0001_events.sql", "tier1_plugin/sql/sqlite/0001_events.sql"):
        assert expected in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "tier1 = tier1_plugin.cli:main" in entry_points
    assert "[pytest11]" in entry_points


def test_installed_wheel_imports_beside_a_project_with_its_own_checks(wheel, user_project, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(user_project), str(target)])}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            cwd=user_project, env=env, check=True)
    user_checks, user_hooks, package, mapped, has_default, has_sql = result.stdout.splitlines()
    assert (user_checks, user_hooks) == ("user checks", "user hooks")
    assert package.startswith(str(target)) and mapped.startswith(str(target / "tier1_plugin" / "checks"))
    assert (has_default, has_sql) == ("True", "True")


def test_editable_install_maps_the_folders(user_project):
    env = {**os.environ, "PYTHONPATH": str(user_project)}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            cwd=user_project, env=env, check=True)
    user_checks, user_hooks, package, mapped, has_default, has_sql = result.stdout.splitlines()
    assert (user_checks, user_hooks) == ("user checks", "user hooks")
    assert mapped == str(ROOT / "checks" / "__init__.py")
    assert (has_default, has_sql) == ("True", "True")


def test_no_code_imports_the_mapped_folders_by_their_folder_names():
    offenders = []
    pattern = re.compile(r"^\s*(?:import|from)\s+(?:checks|hooks|sql)\b", re.MULTILINE)
    for folder in ("tier1_plugin", "checks", "hooks", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == Path(__file__).name:
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_repository_root_has_no_conftest_and_tests_no_init():
    assert not (ROOT / "conftest.py").exists()
    assert not (ROOT / "tests" / "__init__.py").exists()
