"""``tier1 scan-secrets`` as a user runs it: exit codes, formats, the baseline round trip,
and no secret in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def leaky(tmp_path, fake):
    """A project with one secret of every kind the scanner knows, and the secrets."""
    root = tmp_path / "leaky"
    (root / "src").mkdir(parents=True)
    secrets = {kind: fake(kind) for kind in ("aws-access-key-id", "github-token", "slack-token",
                                             "stripe-live-key", "jwt", "url-credentials", "password")}
    lines = [f'VALUE_{i} = "{value}"' for i, value in enumerate(secrets.values()) if value]
    (root / "src" / "settings.py").write_text("\n".join(lines) + "\n")
    (root / "src" / "db.yml").write_text(f"password: {secrets['password']}\n")
    key = fake("private-key")
    (root / "deploy key.pem").write_text(key + "\n")
    secrets["private-key"] = key.split("\n")[1]
    (root / "README.md").write_text("# leaky\n")
    return root, secrets


def test_exit_codes_text_output_and_summary(leaky, tier1, tmp_path):
    root, secrets = leaky
    done = tier1("scan-secrets", root)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "src/settings.py:1: aws-access-key-id AWS access key id [AKIA****************]" in lines
    assert any(line.startswith("deploy key.pem:1: private-key ") for line in lines)
    assert any(line.startswith("src/db.yml:1: password-assignment ") for line in lines)
    assert "8 secrets found in 4 files" in done.stderr

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "app.py").write_text("print('hello')\n")
    done = tier1("scan-secrets", clean)
    assert (done.returncode, done.stdout) == (0, "")
    assert "no secrets found in 1 files" in done.stderr


def test_usage_errors_exit_2(tier1, tmp_path):
    assert tier1("scan-secrets", tmp_path / "missing").returncode == 2
    assert tier1("scan-secrets", tmp_path, "--format", "xml").returncode == 2
    (tmp_path / "bad.json").write_text("{not json")
    done = tier1("scan-secrets", tmp_path, "--baseline", tmp_path / "bad.json")
    assert done.returncode == 2 and "baseline" in done.stderr


def test_baseline_round_trip(leaky, tier1, fake):
    root, secrets = leaky
    baseline = root.parent / "accepted.json"

    done = tier1("scan-secrets", root, "--baseline", baseline, "--update-baseline")
    assert done.returncode == 0, done.stderr
    stored = baseline.read_text()
    assert not any(value in stored for value in secrets.values())
    assert {item["path"] for item in json.loads(stored)["findings"]} == \
        {"src/settings.py", "src/db.yml", "deploy key.pem"}

    assert tier1("scan-secrets", root, "--baseline", baseline).returncode == 0

    new = fake("gitlab-token")
    (root / "src" / "ci.env").write_text(f"CI_TOKEN={new}\n")
    done = tier1("scan-secrets", root, "--baseline", baseline)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "src/ci.env:1: gitlab-token GitLab token [glpa**********************]"]


def test_default_baseline_comes_from_the_project_config(leaky, tier1):
    root, _ = leaky
    (root / "tier1.yaml").write_text(
        "production_check:\n  checks:\n    security:\n      baseline: accepted-secrets.json\n")
    assert tier1("scan-secrets", root, "--update-baseline").returncode == 0
    assert (root / "accepted-secrets.json").is_file()
    assert tier1("scan-secrets", root).returncode == 0


def test_json_output(leaky, tier1):
    root, secrets = leaky
    done = tier1("scan-secrets", root, "--format", "json")
    data = json.loads(done.stdout)
    assert data["new"] == len(data["findings"]) >= 8
    first = data["findings"][0]
    assert set(first) >= {"path", "line", "rule_id", "description", "masked", "fingerprint"}
    assert not any(value in done.stdout for value in secrets.values())


def test_sarif_is_valid_2_1_0_with_relative_uris(leaky, tier1):
    root, secrets = leaky
    done = tier1("scan-secrets", root, "--format", "sarif")
    assert done.returncode == 1
    log = json.loads(done.stdout)

    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] and driver["rules"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    assert len(run["results"]) >= 8
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("none", "note", "warning", "error")
        assert result["message"]["text"]
        [location] = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        uri = artifact["uri"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not uri.startswith(("/", "file:")) and ":" not in uri and " " not in uri
        assert (root / Path(uri.replace("%20", " "))).is_file()
        region = location["physicalLocation"]["region"]
        assert isinstance(region["startLine"], int) and region["startLine"] >= 1
        assert result["partialFingerprints"]
    assert "deploy%20key.pem" in {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                                  for r in run["results"]}
    assert not any(value in done.stdout for value in secrets.values())


def test_no_secret_in_any_output(leaky, tier1, tmp_path):
    root, secrets = leaky
    outputs = []
    for form in ("text", "json", "sarif"):
        done = tier1("scan-secrets", root, "--format", form)
        outputs += [done.stdout, done.stderr]
    report = tmp_path / "report.sarif"
    tier1("scan-secrets", root, "--format", "sarif", "--output", report)
    outputs.append(report.read_text())
    for value in secrets.values():
        assert not any(value in output for output in outputs)
        # nor a long piece of it
        assert not any(value[4:20] in output for output in outputs)
