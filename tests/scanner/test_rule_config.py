"""Rules are data: the project adds, replaces and disables them; a plugin contributes more
through ``tier1_secret_rules``; a broken rule or plugin is reported, not fatal."""

from __future__ import annotations

import types

from tier1_plugin import hookimpl, plugins
from tier1_plugin.secret_scanner import SecretScanner

ACME_RULE = {"id": "acme-key", "description": "ACME API key", "regex": "(acme_[a-z0-9]{24})",
             "secret_group": 1, "entropy": 3.0}


def acme_key(rng):
    return "acme_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))


def test_extra_rules_from_config(rng):
    line = f"vendor: {acme_key(rng)}"
    assert SecretScanner(plugins=False).scan_text(line, "a.yml") == []
    [finding] = SecretScanner({"extra_rules": [ACME_RULE]}, plugins=False).scan_text(line, "a.yml")
    assert (finding.rule_id, finding.description) == ("acme-key", "ACME API key")


def test_rules_file_named_by_config(tmp_path, rng):
    (tmp_path / "rules.yml").write_text(
        "- id: acme-key\n  description: ACME API key\n  regex: '(acme_[a-z0-9]{24})'\n  secret_group: 1\n")
    scanner = SecretScanner({"rules_file": "rules.yml"}, root=tmp_path, plugins=False)
    assert [f.rule_id for f in scanner.scan_text(f"x = '{acme_key(rng)}'", "a.py")] == ["acme-key"]


def test_disable_and_enabled_false(fake):
    line = f"gh = '{fake('github-token')}'"
    assert SecretScanner({"disable": ["github-token"]}, plugins=False).scan_text(line, "a.py") == []
    from tier1_plugin.secret_scanner import default_section

    rules = [dict(rule, enabled=False) if rule["id"] == "github-token" else rule
             for rule in default_section()["rules"]]
    assert SecretScanner({"rules": rules}, plugins=False).scan_text(line, "a.py") == []


def test_broken_rules_are_reported_and_the_rest_still_run(fake, tmp_path):
    scanner = SecretScanner({"extra_rules": [{"id": "bad", "regex": "(unclosed"},
                                             {"id": "nogroup", "regex": "x", "secret_group": 2},
                                             {"id": "odd", "regex": "y", "validate": "nope"}],
                             "rules_file": str(tmp_path / "missing.yml")}, plugins=False)
    assert len(scanner.errors) == 4
    assert any("bad" in error and "invalid regex" in error for error in scanner.errors)
    assert [f.rule_id for f in scanner.scan_text(f"gh = '{fake('github-token')}'", "a.py")] == \
        ["github-token"]


def fake_plugins(monkeypatch, *modules):
    monkeypatch.setattr(plugins, "load_plugins", lambda: [
        plugins.LoadedPlugin(name=m.__name__, module_name=m.__name__, origin="test", module=m)
        for m in modules])


def test_tier1_secret_rules_hook_adds_rules_and_isolates_a_broken_plugin(monkeypatch, rng):
    good = types.ModuleType("acme_rules")
    good.tier1_secret_rules = hookimpl(lambda config: [ACME_RULE])
    broken = types.ModuleType("broken_rules")

    def explode(config):
        raise RuntimeError("rule plugin bug")

    broken.tier1_secret_rules = hookimpl(explode)
    fake_plugins(monkeypatch, good, broken)

    scanner = SecretScanner()
    assert [f.rule_id for f in scanner.scan_text(f"k = '{acme_key(rng)}'", "a.py")] == ["acme-key"]
    assert scanner.errors == ["plugin broken_rules: tier1_secret_rules raised RuntimeError: rule plugin bug"]
    assert next(r for r in scanner.rules if r.id == "acme-key").origin == "plugin acme_rules"


def test_config_schema_accepts_the_security_section_and_rejects_a_bad_regex(tmp_path, monkeypatch):
    import pytest

    from tier1_plugin.config import ConfigError, load_config

    (tmp_path / ".git").mkdir()
    config_file = tmp_path / "tier1.yaml"
    config_file.write_text("production_check:\n  checks:\n    security:\n"
                           "      extra_rules:\n        - id: acme\n          regex: '(acme_[a-z]{4})'\n"
                           "          literal: true\n      disable: [nkey-seed]\n")
    monkeypatch.delenv("TIER1_CONFIG", raising=False)
    section = load_config(start=tmp_path)["production_check"]["checks"]["security"]
    assert section["disable"] == ["nkey-seed"] and section["rules"]  # defaults kept
    config_file.write_text("production_check:\n  checks:\n    security:\n"
                           "      extra_rules:\n        - id: acme\n          regex: '(acme'\n")
    with pytest.raises(ConfigError, match=r"tier1.yaml:6: .*extra_rules\[0\]\.regex"):
        load_config(start=tmp_path)
