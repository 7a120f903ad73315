"""tier1.yaml: lookup, merge, environment, validation errors that name file, key and line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tier1_plugin.config import DEFAULT_FILE, ConfigError, load_config


def write(path, text):
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_packaged_default_alone_when_the_project_has_no_file(project):
    config = load_config()
    assert config.path is None
    assert config.sources == [str(DEFAULT_FILE.resolve())]
    assert config.root == project.resolve()
    assert config.project_id == "project"  # the git top-level folder's name
    assert config["production_check"]["advisory"] == ["performance"]


def test_project_file_is_merged_over_the_default_key_by_key(project):
    write(project / "tier1.yaml", """
        project_id: billing
        action_items:
          thresholds: {complete: 90}
        n8n:
          workflows: {nightly-report: build_report}
    """)
    config = load_config()
    assert config.project_id == "billing"
    assert config["action_items"]["thresholds"] == {"complete": 90, "review": 60}
    assert config["action_items"]["tools"] == ["Bash", "Write", "Edit"]
    # a mapping merges: the default workflows stay, the project's one is added
    assert config["n8n"]["workflows"]["nightly-report"] == "build_report"
    assert config["n8n"]["workflows"]["video-assembly"] == "process_video"


def test_nearest_file_upwards_is_found_and_is_the_root(project):
    write(project / "tier1.yaml", "project_id: outer\n")
    inner = project / "src" / "pkg"
    inner.mkdir(parents=True)
    config = load_config(start=inner)
    assert config.project_id == "outer"
    assert config.root == project.resolve()


def test_tier1_config_variable_names_the_file(project, tmp_path, monkeypatch):
    other = write(tmp_path / "elsewhere.yaml", "project_id: from-env\n")
    monkeypatch.setenv("TIER1_CONFIG", str(other))
    assert load_config().project_id == "from-env"


def test_environment_overrides_endpoints_and_expands_variables(project, monkeypatch):
    write(project / "tier1.yaml", """
        fallback:
          api: {url: "${TASKS_HOST:-http://fallback}/tasks/{task}"}
    """)
    monkeypatch.setenv("TIER1_DATABASE_URL", "postgresql://db.internal/events")
    monkeypatch.setenv("TIER1_BROKER_URL", "redis://broker:6379/3")
    config = load_config()
    assert config["database"]["url"] == "postgresql://db.internal/events"
    assert config["fallback"]["celery"]["broker_url"] == "redis://broker:6379/3"
    assert config["fallback"]["api"]["url"] == "http://fallback/tasks/{task}"
    monkeypatch.setenv("TASKS_HOST", "http://tasks.internal")
    assert load_config()["fallback"]["api"]["url"] == "http://tasks.internal/tasks/{task}"


@pytest.mark.parametrize("body, key, line, words", [
    ("action_items:\n  thresholds:\n    complete: 120\n", "action_items.thresholds.complete", 3, "outside 0..100"),
    ("n8n:\n  execution_timeout_s: soon\n", "n8n.execution_timeout_s", 2, "expected a number"),
    ("database:\n  url: sqlite:///x.db\n  pool: 5\n", "database.pool", 3, "unknown key 'pool'"),
    ("n8n:\n  tools:\n    - 'mcp__n8n__.*'\n    - '(unclosed'\n", "n8n.tools[1]", 4, "invalid regular expression"),
    ("production_check:\n  advisory: [performance, speling]\n", "production_check.advisory[1]", 2, "unknown check 'speling'"),
    ("fallback:\n  tiers: celery\n", "fallback.tiers", 2, "expected a list"),
])
def test_invalid_values_name_file_key_and_line(project, body, key, line, words):
    path = write(project / "tier1.yaml", body)
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert message.startswith(f"{path.resolve()}:{line}: {key}: ")
    assert words in message


def test_malformed_yaml_names_file_and_line(project):
    path = write(project / "tier1.yaml", "n8n:\n  base_url: [unclosed\nfallback: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value).startswith(f"{path.resolve()}:")
    assert "invalid YAML" in str(caught.value)
    assert caught.value.line in (2, 3)


def test_a_config_error_is_one_line_and_exit_code_2(project):
    write(project / "tier1.yaml", "action_items:\n  thresholds: {review: -5}\n")
    result = subprocess.run([sys.executable, "-m", "tier1_plugin", "events"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "tier1.yaml:2: action_items.thresholds.review: -5 is outside 0..100" in lines[0]


def test_parsed_config_is_cached_and_a_change_invalidates_it(project):
    path = write(project / "tier1.yaml", "project_id: first\n")
    assert load_config().project_id == "first"
    # a different size and mtime: the cached parse must not be served
    write(path, "project_id: second-name\n")
    assert load_config().project_id == "second-name"


def test_the_cache_lets_the_hook_path_skip_yaml(project, tmp_path):
    write(project / "tier1.yaml", "project_id: cached\n")
    code = ("import sys; from tier1_plugin.config import load_config; "
            "print(load_config().project_id, 'yaml' in sys.modules)")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["cached", "True"]
    assert second.stdout.split() == ["cached", "False"]


def test_every_default_section_is_documented_by_a_comment():
    lines = DEFAULT_FILE.read_text(encoding="utf-8").splitlines()
    undocumented = [line for index, line in enumerate(lines)
                    if line[:1].isalpha() and not lines[index - 1].startswith("#")
                    and not (lines[index - 1] == "" and lines[index - 2].startswith("#"))]
    assert undocumented == []
