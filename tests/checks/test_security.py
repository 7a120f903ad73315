"""The ``security`` check: the secret scanner on the project, findings masked in evidence."""

from __future__ import annotations

import json
import random

import pytest
from support.fake_secrets import corpus

from tier1_plugin.checks import security


@pytest.fixture
def rng(request):
    """Random fake secrets, the same ones on every run of a test (no flaky draws)."""
    return random.Random(request.node.nodeid)


def test_registered_as_the_security_check(project):
    from tier1_plugin.config import load_config
    from tier1_plugin.gate import collect_checks

    registry = collect_checks(load_config())
    check = registry.checks["security"]
    assert check.run is security.run and not check.advisory


def test_clean_project_passes(project, context):
    (project / "app.py").write_text('import os\nPASSWORD = os.environ["PASSWORD"]\n')
    result = security.run(context("security"))
    assert result.passed is True
    assert result.evidence["findings"] == [] and result.evidence["files_scanned"] == 1
    assert result.details == "no hard-coded secrets in 1 files"


def test_planted_secrets_fail_with_masked_evidence(project, context, rng):
    token = corpus.FAKES["github-token"](rng)
    password = corpus.FAKES["password"](rng)
    (project / "app").mkdir()
    (project / "app" / "settings.py").write_text(f'GITHUB = "{token}"\nDB_PASSWORD = "{password}"\n')

    result = security.run(context("security"))

    assert result.passed is False and result.confidence == 95
    assert result.evidence["findings"] == [
        "app/settings.py:1 github-token " + token[:4] + "*" * 24,
        "app/settings.py:2 password-assignment " + "*" * min(len(password), 24),
    ]
    assert "app/settings.py:1 github-token" in result.details
    text = json.dumps(result.to_dict())
    assert token not in text and password not in text


def test_no_secret_reaches_the_event_store(project, context, rng):
    from tier1_plugin import AutomationEvent, AutomationHub

    token = corpus.FAKES["slack-token"](rng)
    (project / ".env").write_text(f"SLACK_BOT_TOKEN={token}\n")
    result = security.run(context("security"))
    hub = AutomationHub("memory://")
    hub.store_event(AutomationEvent("production_check", "failed", evidence=result.to_dict(),
                                    detected_from="security"))
    [event] = hub.get_events()
    assert event.evidence["evidence"]["findings_total"] == 1
    assert token not in json.dumps(event.to_dict())


def test_baseline_accepts_known_findings(project, context, rng, python):
    import subprocess

    (project / "legacy.py").write_text(f'KEY = "{corpus.FAKES["aws-access-key-id"](rng)}"\n')
    assert security.run(context("security", {"baseline": ".tier1/b.json"})).passed is False
    done = subprocess.run([python, "-m", "tier1_plugin", "scan-secrets", ".", "--baseline",
                           ".tier1/b.json", "--update-baseline"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    result = security.run(context("security", {"baseline": ".tier1/b.json"}))
    assert result.passed is True
    assert result.evidence["baselined"] == 1
    assert "1 accepted by the baseline" in result.details


def test_unreadable_baseline_fails_with_a_clear_message(project, context):
    (project / "baseline.json").write_text("[1, 2")
    result = security.run(context("security", {"baseline": "baseline.json"}))
    assert result.passed is False
    assert "cannot read the secrets baseline" in result.details


def test_configured_excludes_apply(project, context, rng):
    (project / "fixtures").mkdir()
    (project / "fixtures" / "keys.py").write_text(f'K = "{corpus.FAKES["github-token"](rng)}"\n')
    assert security.run(context("security")).passed is False
    assert security.run(context("security", {"exclude": ["fixtures/"]})).passed is True
