"""KeywordDetector on real tool outputs and on the formats of runners not installed here."""

from __future__ import annotations

import json
import subprocess

import pytest

from support.hook_runner import tier1_command
from tier1_plugin.config import load_config
from tier1_plugin.hooks.detector import KeywordDetector, parse_test_summary, split_command


@pytest.fixture
def detector(project):
    return KeywordDetector.from_config(load_config())


def decision(detector, output, command=None, failed=False):
    result = detector.detect(output, command, "Bash", failed=failed)
    return result.category if result.keyword_found and result.confidence >= 80 else None


#: Samples the detector gets wrong, and why (benchmarks/detect.py prints the same figures).
KNOWN_MISSES = {
    # `pip install -q` prints nothing, and `pip install` of an installed package also exits 0,
    # so an install counts only when its output says "Successfully installed".
    "later-pip-quiet": "installed",
}


def test_every_labelled_real_output(detector, corpus):
    wrong, false_completions = [], []
    for sample in corpus.samples:
        got = decision(detector, sample.output, sample.command, sample.failed)
        if got is not None and got != sample.expected:
            false_completions.append(sample.name)
        if got != sample.expected and sample.name not in KNOWN_MISSES:
            wrong.append(f"{sample.name}: expected {sample.expected}, got {got} "
                         f"({detector.detect(sample.output, sample.command, failed=sample.failed).explanation})")
    assert not false_completions  # a wrong auto-completion is the costly error
    assert not wrong, "\n".join(wrong)
    assert len(corpus.samples) >= 60
    assert sum(1 for s in corpus.samples if s.expected is None) >= 30  # traps and non-events


def test_corpus_covers_the_tools_the_issue_names(corpus):
    names = {s.name.split("-")[0] for s in corpus.samples}
    assert {"git", "pytest", "unittest", "pip", "make", "gcc"} <= names
    assert any("nothing to commit" in s.output for s in corpus.samples)
    assert any(s.name == "git-push-new-branch" and "[new branch]" in s.output for s in corpus.samples)


def test_a_failed_call_is_never_a_completion(detector, corpus):
    sample = corpus.by_name("git-commit-root")
    result = detector.detect(sample.output, sample.command, failed=True)
    assert not result.keyword_found and result.failed


def test_read_only_commands_never_count(detector):
    for command in ("cat notes.md", "git log --oneline", "git show HEAD", "grep -r deployed docs",
                    "head -n 3 CHANGELOG.md", "ls build/", "echo 'all tests passed'",
                    "cat notes.md | grep deployed", "cd docs && less notes.md"):
        assert decision(detector, "Deployed to staging. All tests passed. Build successful.", command) is None, command


def test_the_same_prose_without_a_command_is_evidence(detector):
    # tier1 detect without --command (and MCP text): the keywords decide
    assert decision(detector, "Deployment successful: web is live") == "deployment"


def test_keywords_match_whole_words_only(detector):
    for text in ("the prefixed value", "unfixed", "redeployed nothing", "bypassed the cache",
                 "rebuilt-in module", "deployed_at column"):
        result = detector.detect(text, "./report.sh")
        assert not result.keyword_found or result.confidence < 60, (text, result)


def test_negated_keywords_do_not_count(detector):
    for text in ("The service was not deployed", "No tests passed", "0 passed", "nothing committed",
                 "Bug not fixed yet"):
        assert not detector.detect(text).keyword_found, text


def test_failure_indicator_near_costs_30_far_costs_10(detector):
    near = detector.detect("Deployment successful, but error in the health check", "./release.sh")
    far = detector.detect("Deployment successful\n" + "ok\n" * 400 + "error: cleanup skipped", "./release.sh")
    clean = detector.detect("Deployment successful", "./release.sh")
    assert clean.confidence == 90
    assert near.confidence == 60
    assert far.confidence == 80
    assert "0 failed" not in near.context_snippet
    # "0 failed", "no errors" are not failure indicators
    assert detector.detect("Deployment successful with 0 failed checks and no errors",
                           "./release.sh").confidence == 90


def test_single_words_from_unknown_commands_are_weak(detector):
    assert detector.detect("3 files created", "./scaffold.sh").confidence == 60  # 80 - 20
    assert detector.detect("file created: app.py", "./scaffold.sh").confidence == 80


@pytest.mark.parametrize("text, runner, passed, failed", [
    # formats as printed by runners not installed on this machine (versions in the ids)
    ("Test Suites: 1 passed, 1 total\nTests:       3 passed, 3 total\nSnapshots:   0 total\n"
     "Time:        0.512 s\nRan all test suites.", "jest", 3, 0),
    ("Tests:       1 failed, 2 passed, 3 total", "jest", 2, 1),
    (" ✓ src/math.test.ts (2 tests) 3ms\n\n Test Files  1 passed (1)\n      Tests  2 passed (2)\n"
     "   Start at  10:00:00\n   Duration  301ms", "vitest", 2, 0),
    ("      Tests  1 failed | 1 passed (2)", "vitest", 1, 1),
    ("=== RUN   TestAdd\n--- PASS: TestAdd (0.00s)\nPASS\nok  \texample.com/calc\t0.002s", "go test", 1, 0),
    ("--- FAIL: TestAdd (0.00s)\n    calc_test.go:9: got 5\nFAIL\nFAIL\texample.com/calc\t0.002s",
     "go test", 0, 2),
    ("  3 passing (12ms)\n", "mocha", 3, 0),
    ("  2 passing (12ms)\n  1 failing\n", "mocha", 2, 1),
    ("Finished in 0.01 seconds\n4 examples, 0 failures", "rspec", 4, 0),
    ("test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out", "cargo test", 3, 0),
    ("test result: FAILED. 1 passed; 1 failed; 0 ignored", "cargo test", 1, 1),
    ("# tests 2\n# suites 0\n# pass 2\n# fail 0\n# cancelled 0", "node --test", 2, 0),
    ("ℹ tests 2\nℹ pass 1\nℹ fail 1", "node --test", 1, 1),
    ("===== 1 failed, 13 passed in 0.12s =====", "pytest", 13, 1),
    ("12 passed, 1 skipped in 0.50s", "pytest", 12, 0),
    ("2 passed, 1 error in 0.50s", "pytest", 2, 1),
], ids=["jest-29", "jest-29-fail", "vitest-1", "vitest-1-fail", "go-1.22", "go-1.22-fail",
        "mocha-10", "mocha-10-fail", "rspec-3", "cargo-ok", "cargo-fail", "node-18-tap",
        "node-20-spec", "pytest-fail", "pytest-skip", "pytest-error"])
def test_runner_summaries(text, runner, passed, failed):
    summary = parse_test_summary(text)
    assert (summary.runner, summary.passed, summary.failed) == (runner, passed, failed)


def test_summary_verdicts(detector):
    assert decision(detector, "===== 1 failed, 13 passed in 0.12s =====", "pytest") is None
    assert detector.detect("===== 1 failed, 13 passed in 0.12s =====", "pytest").failed
    assert decision(detector, "12 passed, 1 skipped in 0.50s", "pytest") == "test-success"
    assert decision(detector, "no tests ran in 0.01s", "pytest") is None
    assert decision(detector, "0 passed in 0.01s", "pytest") is None
    assert decision(detector, "Tests:       1 failed, 2 passed, 3 total", "npm test") is None
    assert decision(detector, "      Tests  2 passed (2)", "npx vitest run") == "test-success"


def test_long_output_reads_the_summary_end(detector):
    noise = "collecting ... error and failed appear in this noise\n" * 50_000
    result = detector.detect(noise + "===== 40 passed in 3.10s =====\n", "pytest")
    assert result.category == "test-success" and result.confidence == 90
    assert any("long output" in line for line in result.explanation)


def test_command_lines_are_split_like_a_shell():
    assert split_command('cd app && FOO=1 sudo make -j4 > build.log 2>&1; echo "a && b"') == [
        ["cd", "app"], ["FOO=1", "sudo", "make", "-j4"], ["echo", "a && b"]]
    heredoc = "cat > notes.md <<'EOF'\ngit commit -m x\nEOF\npytest -q"
    assert split_command(heredoc) == [["cat"], ["pytest", "-q"]]
    assert split_command('echo "unbalanced') == [["echo", '"unbalanced']]


def test_commands_are_normalised(detector):
    info = detector.analyse_command(".venv/bin/python -m pytest -q && uv run pytest && npx vitest run "
                                    "&& git -C ../other commit -m x && timeout 60 cargo build")
    assert [s.categories for s in info.segments] == [
        ["test-success"], ["test-success"], ["test-success"], ["commit-related"], ["build-success"]]


def test_disabled_category_and_project_keywords(project):
    (project / "tier1.yaml").write_text(
        "action_items:\n  categories:\n    deployment: {enabled: false}\n"
        "    migrated: {confidence: 88, keywords: ['migrations applied'], commands: ['^alembic upgrade']}\n")
    detector = KeywordDetector.from_config(load_config())
    assert "deployment" not in detector.categories
    assert decision(detector, "Deployment successful") is None
    result = detector.detect("INFO  [alembic] Running upgrade -> 1a2b\nmigrations applied", "alembic upgrade head")
    assert (result.category, result.confidence) == ("migrated", 88)


def test_keyword_categories_hook_from_an_entry_point_plugin(project, tmp_path):
    """tier1_keyword_categories: a third-party package adds a category, seen by `tier1 detect`."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "tier1_release_words.py").write_text(
        "from tier1_plugin import hookimpl\n\n@hookimpl\ndef tier1_keyword_categories(config):\n"
        "    return {'published': {'confidence': 92, 'keywords': ['package published'],"
        " 'commands': ['^twine upload'], 'todo_words': ['publish']}}\n")
    dist = site / "tier1_release_words-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tier1-release-words\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[tier1]\nrelease_words = tier1_release_words\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(site), "TIER1_LOAD_ENTRYPOINTS": "1"}
    result = subprocess.run([*tier1_command(), "detect", "--command", "twine upload dist/*", "--explain"],
                            input="Uploading demo-1.0.tar.gz\npackage published", capture_output=True,
                            text=True, cwd=project, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["category"], data["confidence"], data["would"]) == ("published", 92, "complete")
    assert data["explanation"]


def test_detect_command_prints_the_detection(project, corpus):
    sample = corpus.by_name("git-push-new-branch")
    result = subprocess.run([*tier1_command(), "detect", "--command", sample.command], input=sample.output,
                            capture_output=True, text=True, cwd=project, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"keyword_found", "confidence", "category", "context_snippet"} <= set(data)
    assert (data["keyword_found"], data["category"], data["would"]) == (True, "pushed", "complete")
    assert "explanation" not in data
    failed = subprocess.run([*tier1_command(), "detect", "--command", "pytest", "--failed", "--explain"],
                            input="1 failed in 0.1s", capture_output=True, text=True, cwd=project, timeout=60)
    data = json.loads(failed.stdout)
    assert data["keyword_found"] is False and data["failed"] is True
    assert any("PostToolUseFailure" in line for line in data["explanation"])
