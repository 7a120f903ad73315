"""One plugin manager: built-ins, entry points, selection, isolation, listing, documentation."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from tier1_plugin import hookimpl, hookspecs, plugins

ROOT = Path(__file__).resolve().parents[2]


def hookspec_names():
    return sorted(name for name, value in inspect.getmembers(hookspecs)
                  if name.startswith("tier1_") and hasattr(value, "tier1_spec"))


def fake_plugins(monkeypatch, *modules):
    monkeypatch.setattr(plugins, "load_plugins", lambda: [
        plugins.LoadedPlugin(name=m.__name__, module_name=m.__name__, origin="test", module=m)
        for m in modules])


def module(name, **functions):
    mod = types.ModuleType(name)
    for attr, function in functions.items():
        setattr(mod, attr, hookimpl(function))
    return mod


@pytest.mark.parametrize("name", hookspec_names())
def test_every_hookspec_is_documented(name):
    assert getattr(hookspecs, name).__doc__.strip(), f"{name} has no docstring"
    assert f"### {name}(" in (ROOT / "docs" / "plugins.md").read_text(), f"{name} missing from docs/plugins.md"


@pytest.mark.parametrize("name", hookspec_names())
def test_every_hookspec_has_a_test(name):
    this_file = Path(__file__).resolve()
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py") if p.resolve() != this_file]
    assert any(name in source for source in sources), f"no test mentions {name}"


def test_builtins_register_on_one_plugin_manager():
    manager = plugins.get_plugin_manager()
    assert manager is plugins.get_plugin_manager()
    registered = {name for name, _ in manager.list_name_plugin()}
    loaded = {p.name for p in plugins.load_plugins() if p.module is not None}
    assert registered == loaded
    assert [p.name for p in plugins.load_plugins()][: len(plugins.DEFAULT_PLUGINS)] == \
        [m.rsplit(".", 1)[1] for m in plugins.DEFAULT_PLUGINS]


def test_call_each_isolates_a_raising_implementation(monkeypatch):
    calls = []
    fake_plugins(monkeypatch,
                 module("first", tier1_register_event_types=lambda register: register("a")),
                 module("broken", tier1_register_event_types=lambda register: 1 / 0),
                 module("last", tier1_register_event_types=lambda register: register("b")))
    outcomes = plugins.call_each("tier1_register_event_types", register=calls.append)
    assert sorted(calls) == ["a", "b"]
    [failed] = [o for o in outcomes if o.error]
    assert failed.plugin == "broken" and isinstance(failed.error, ZeroDivisionError)


def test_call_each_passes_only_the_arguments_an_implementation_names(monkeypatch):
    seen = {}
    fake_plugins(monkeypatch, module("narrow", tier1_keyword_categories=lambda: seen.setdefault("called", True)))
    plugins.call_each("tier1_keyword_categories", config={"unused": True})
    assert seen == {"called": True}


def test_tryfirst_and_trylast_order_like_pluggy(monkeypatch):
    order = []
    early = module("early")
    early.tier1_event_stored = hookimpl(tryfirst=True)(lambda event: order.append("early"))
    late = module("late")
    late.tier1_event_stored = hookimpl(trylast=True)(lambda event: order.append("late"))
    plain = module("plain", tier1_event_stored=lambda event: order.append("plain"))
    fake_plugins(monkeypatch, late, plain, early)
    plugins.call_each("tier1_event_stored", event=None)
    assert order == ["early", "plain", "late"]


def test_allow_and_block_lists(monkeypatch):
    monkeypatch.setenv("TIER1_LOAD_PLUGINS", "documentation,decision")
    assert [p.name for p in plugins.load_plugins()] == ["documentation", "decision"]
    plugins.reset()
    monkeypatch.delenv("TIER1_LOAD_PLUGINS")
    monkeypatch.setenv("TIER1_DISABLE_PLUGINS", "performance")
    assert "performance" not in [p.name for p in plugins.load_plugins()]


def test_config_can_disable_a_plugin(project, monkeypatch):
    (project / "tier1.yaml").write_text("plugins:\n  disabled: [rollback_plan]\n")
    assert "rollback_plan" not in [p.name for p in plugins.load_plugins()]


def make_distribution(tmp_path, name, module_source, entry_name=None):
    """Write, build and install a real distribution with a ``tier1`` entry point."""
    source = tmp_path / f"{name}-src"
    source.mkdir()
    (source / f"{name}.py").write_text(textwrap.dedent(module_source))
    (source / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name.replace('_', '-')}"
        version = "1.0"
        [tool.setuptools]
        py-modules = ["{name}"]
        [project.entry-points.tier1]
        {entry_name or name} = "{name}"
    """))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(source)], check=True)
    return target


def run_tier1(args, site, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(site), "TIER1_LOAD_ENTRYPOINTS": "1",
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "tier1_plugin", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path)


def test_entry_point_plugins_load_and_broken_ones_are_reported(tmp_path):
    make_distribution(tmp_path, "tier1_license", """
        from tier1_plugin import CheckResult, hookimpl

        @hookimpl
        def tier1_register_checks(register):
            register(name="license", run=lambda context: CheckResult("license", True))
    """)
    site = make_distribution(tmp_path, "tier1_broken", "raise ImportError('missing dependency: acme')\n")
    result = run_tier1(["plugins", "--json"], site, tmp_path)
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["tier1_license"]["hooks"] == ["tier1_register_checks"]
    assert listed["tier1_license"]["origin"] == "entry point (tier1-license 1.0)"
    assert listed["tier1_broken"]["error"] == "ImportError: missing dependency: acme"
    assert listed["documentation"]["error"] is None  # the rest still load
    assert result.returncode == 1
    assert "plugin 'tier1_broken' (tier1_broken) failed to load" in result.stderr


def test_misspelt_hook_names_are_caught(tmp_path):
    site = make_distribution(tmp_path, "tier1_typo", """
        from tier1_plugin import hookimpl

        @hookimpl
        def tier1_register_check(register):  # missing "s"
            pass
    """)
    result = run_tier1(["plugins"], site, tmp_path)
    assert "tier1_register_check" in result.stderr
    assert "unknown hook" in result.stderr


def test_entry_points_are_cached_until_the_environment_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    site = make_distribution(tmp_path, "tier1_first", "")
    monkeypatch.syspath_prepend(str(site))
    assert "tier1_first" in [ep["name"] for ep in plugins.entry_points()]
    cache = json.loads((tmp_path / "cache" / "tier1" / "entry-points.json").read_text())
    assert [ep["name"] for ep in cache["entry_points"]] == ["tier1_first"] or \
        "tier1_first" in [ep["name"] for ep in cache["entry_points"]]
    make_distribution(tmp_path, "tier1_second", "")  # installs into the same folder: its mtime changes
    assert "tier1_second" in [ep["name"] for ep in plugins.entry_points()]


def test_importing_the_package_loads_no_plugins():
    code = ("import sys, tier1_plugin; "
            "print(sorted(m for m in sys.modules if m.startswith(('tier1_plugin.', 'pluggy', 'yaml'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['tier1_plugin.markers']"


def test_tier1_plugins_lists_origin_and_hooks():
    result = subprocess.run([sys.executable, "-m", "tier1_plugin", "plugins"], capture_output=True, text=True)
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "ORIGIN", "MODULE", "HOOKS"]
    assert any(row.split()[:3] == ["decision", "built-in", "tier1_plugin.decision"] for row in rows)
