"""The todo store and TodoUpdater: learning, matching, updating, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tier1_plugin.config import load_config
from tier1_plugin.hooks.detector import DetectionResult, KeywordDetector
from tier1_plugin.hooks.todos import TodoStore, TodoUpdater, UpdateResult
from tier1_plugin.hub import AutomationHub


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, project):
    config = load_config()
    if request.param == "sqlite":
        hub = AutomationHub(f"sqlite:///{project / 'events.db'}", config=config)
    else:
        hub = AutomationHub(request.getfixturevalue("postgres_url"), config=config)
        hub.store.upgrade()
    yield TodoStore(hub)
    hub.close()


@pytest.fixture
def updater(store):
    config = load_config()
    return TodoUpdater.from_config(store, config, KeywordDetector.from_config(config))


def evidence(category, confidence=95, keyword="[main 4f2a9c1] Fix auth bug"):
    return DetectionResult(True, confidence, category, keyword, detected_keyword=keyword)


def test_commit_completes_the_commit_item(store, updater):
    store.sync_todowrite("s1", [
        {"content": "Write the auth fix", "status": "completed", "activeForm": "Writing"},
        {"content": "Commit the auth fix", "status": "in_progress", "activeForm": "Committing"},
        {"content": "Deploy to staging", "status": "pending", "activeForm": "Deploying"},
    ])
    result = updater.update_todo_from_detection(evidence("commit-related"), "s1",
                                                command='git commit -m "Fix auth bug"', tool_name="Bash")
    assert isinstance(result, UpdateResult)
    assert result.success and result.action == "completed"
    assert (result.old_status, result.new_status) == ("in_progress", "completed")
    assert store.get(result.todo_id).content == "Commit the auth fix"
    assert store.get(result.todo_id).updated_by == "tier1"
    assert store.get(result.todo_id).evidence["confidence"] == 95
    assert "Commit the auth fix" in result.message


def test_green_tests_fit_the_test_item_not_the_deploy_item(store, updater):
    store.add("Deploy to staging", session_id="s1", status="in_progress")
    tests = store.add("Run the test suite", session_id="s1")
    result = updater.update_todo_from_detection(evidence("test-success", 90, "13 passed in 0.5s"), "s1",
                                                command="pytest -q")
    assert result.success and result.todo_id == tests.id
    store.set_status(tests.id, "pending")
    store.set_status(result.todo_id, "cancelled")
    only_deploy = updater.update_todo_from_detection(evidence("test-success", 90, "13 passed in 0.5s"), "s1",
                                                     command="pytest -q")
    assert not only_deploy.success and only_deploy.todo_id is None
    assert store.list("s1")[0].status == "in_progress"  # the deploy item is untouched


def test_best_fit_by_word_overlap(store, updater):
    store.add("Commit the parser change", session_id="s1", status="in_progress")
    auth = store.add("Commit the auth fix", session_id="s1", status="in_progress")
    result = updater.update_todo_from_detection(evidence("commit-related"), "s1",
                                                command='git commit -m "Fix auth bug"')
    assert result.todo_id == auth.id


def test_pending_items_need_a_strong_fit(store, updater):
    store.add("Commit the docs", session_id="s1")
    store.add("Commit the release notes", session_id="s1")
    weak = updater.update_todo_from_detection(evidence("commit-related"), "s1", command="git commit -m 'Fix auth bug'")
    assert not weak.success  # two pending commit items, neither shares a word with the commit
    notes = updater.update_todo_from_detection(
        evidence("commit-related", keyword="[main 1111111] Release notes for 1.0"), "s1",
        command="git commit -m 'Release notes for 1.0'")
    assert notes.success and store.get(notes.todo_id).content == "Commit the release notes"


def test_thresholds(store, updater):
    todo = store.add("Run the test suite", session_id="s1", status="in_progress")
    review = updater.update_todo_from_detection(evidence("test-success", 70), "s1", command="make test")
    assert (review.action, review.new_status) == ("pending_review", "pending_review")
    again = updater.update_todo_from_detection(evidence("test-success", 70), "s1", command="make test")
    assert not again.success and "already" in again.message
    low = updater.update_todo_from_detection(evidence("test-success", 59), "s1", command="make test")
    assert not low.success and "below" in low.message
    done = updater.update_todo_from_detection(evidence("test-success", 80), "s1", command="pytest")
    assert done.success and store.get(todo.id).status == "completed"


def test_sessions_are_separate_and_global_items_shared(store, updater):
    store.add("Commit the auth fix", session_id="other", status="in_progress")
    shared = store.add("Commit the auth fix everywhere")
    result = updater.update_todo_from_detection(evidence("commit-related"), "s1", command="git commit -m 'Fix auth'")
    assert result.todo_id == shared.id
    assert [t.session_id for t in store.list("other")] == ["other"]


def test_todowrite_sync(store):
    store.sync_todowrite("s1", [{"content": "A", "status": "pending", "activeForm": "a"},
                                {"content": "B", "status": "in_progress", "activeForm": "b"}])
    store.sync_todowrite("s1", [{"content": "B", "status": "completed", "activeForm": "b"},
                                {"content": "C", "status": "pending", "activeForm": "c"}])
    states = {t.content: t.status for t in store.list("s1", include_closed=True)}
    assert states == {"A": "cancelled", "B": "completed", "C": "pending"}
    # older TodoWrite items carry ids: renaming keeps the row
    store.sync_todowrite("s2", [{"id": "1", "content": "Old name", "status": "pending", "priority": "high"}])
    store.sync_todowrite("s2", [{"id": "1", "content": "New name", "status": "in_progress", "priority": "high"}])
    [todo] = store.list("s2", every_session=False)
    assert (todo.content, todo.status, todo.external_id) == ("New name", "in_progress", "1")


def test_tasks(store):
    store.upsert_task("s1", "3", subject="Run the test suite", status="pending")
    store.upsert_task("s1", "3", status="in_progress")
    assert store.list("s1")[0].status == "in_progress"
    assert store.upsert_task("s1", "99", status="completed") is None  # unknown, no subject
    store.upsert_task("s1", "3", status="deleted")
    assert store.list("s1") == []


def test_cli_statuses(store):
    todo = store.add("Ship it", session_id=None)
    assert store.set_status(todo.id, "completed").status == "completed"
    assert store.set_status(todo.id, "pending", expect="in_progress") is None
    assert store.set_status(123456, "completed") is None
    with pytest.raises(ValueError):
        store.add("   ")
    with pytest.raises(ValueError):
        store.set_status(todo.id, "done")


def test_evidence_kept_on_a_todo_is_redacted(store, updater, monkeypatch):
    monkeypatch.setenv("N8N_API_KEY", "n8n-secret-value-123456")
    store.add("Deploy to staging", session_id="s1", status="in_progress")
    keyword = "deployed with key n8n-secret-value-123456 and token=ghp_" + "a" * 36
    result = updater.update_todo_from_detection(evidence("deployment", 90, keyword), "s1", command="./deploy.sh")
    stored = store.get(result.todo_id).evidence
    assert "n8n-secret-value-123456" not in str(stored) and "ghp_" not in str(stored)
    assert "[REDACTED]" in stored["keyword"]
