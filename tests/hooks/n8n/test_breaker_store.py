"""The circuit breaker and the idempotency ledger on both event-store backends (migration 0003),
the shipped systemd unit, and the n8n / fallback config sections."""

from __future__ import annotations

import configparser
import threading

import pytest

from tier1_plugin.config import ConfigError, load_config
from tier1_plugin.hooks.fallback import CircuitBreaker, RunLedger
from tier1_plugin.hub import AutomationHub


@pytest.fixture(params=["sqlite", "postgresql"])
def hub(request, project):
    if request.param == "sqlite":
        url = f"sqlite:///{project / 'events.db'}"
    else:
        request.applymarker(pytest.mark.integration)
        url = request.getfixturevalue("postgres_url")
        with AutomationHub(url, config=load_config()) as admin:
            admin.store.upgrade()
    with AutomationHub(url, config=load_config()) as opened:
        yield opened


def test_breaker_opens_after_the_threshold_and_is_per_project(hub):
    breaker = CircuitBreaker(hub, "proj-a", failures=2, reset_s=60)
    other_project = CircuitBreaker(hub, "proj-b", failures=2, reset_s=60)
    breaker.record("celery", False, "refused")
    assert breaker.open_until("celery") is None
    breaker.record("celery", False, "refused again")
    assert breaker.open_until("celery") is not None
    assert breaker.state()["celery"]["last_error"] == "refused again"
    assert other_project.open_until("celery") is None
    breaker.record("celery", True)
    assert breaker.open_until("celery") is None and breaker.state()["celery"]["failures"] == 0


def test_ledger_claims_each_key_once_under_concurrency(hub):
    ledger = RunLedger(hub)
    owners = []

    def claim():
        if ledger.claim("key-1", "process_video", threading.current_thread().name) is None:
            owners.append(threading.current_thread().name)

    threads = [threading.Thread(target=claim, name=f"runner-{i}") for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(owners) == 1
    assert ledger.claim("key-1", "process_video", "late")["status"] == "running"
    ledger.finish("key-1", True, {"done": 1})
    assert ledger.claim("key-1", "process_video", "late") == {
        "task": "process_video", "status": "done", "result": {"done": 1}, "runner": owners[0]}
    ledger.finish("key-2", False)  # a key nobody claimed: nothing to update
    assert ledger.claim("key-3", "t", "a") is None
    ledger.finish("key-3", False, "boom")
    assert ledger.claim("key-3", "t", "b") is None  # a failed run may be retried


def test_breaker_stays_closed_when_its_database_is_unreachable(project, capsys):
    (project / "no").write_text("a file where a folder should be")
    with AutomationHub(f"sqlite:///{project / 'no' / 'such' / 'dir' / 'events.db'}", config=load_config()) as hub:
        breaker = CircuitBreaker(hub, "p")
        breaker.record("celery", False, "x")
        assert breaker.open_until("celery") is None
    assert "circuit breaker" in capsys.readouterr().err


def test_the_shipped_systemd_unit():
    import tier1_plugin.hooks

    from pathlib import Path

    unit = Path(tier1_plugin.hooks.__file__).with_name("systemd") / "tier1-task@.service"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(unit)
    service = parser["Service"]
    assert service["Type"] == "oneshot" and service["TimeoutStartSec"] == "30"
    assert service["ExecStart"].split()[-3:] == ["tier1", "run-task", "%i"]


def test_config_sections(project):
    config = load_config()
    assert config["fallback"]["breaker"] == {"failures": 1, "reset_s": 60}
    assert set(config["n8n"]["keywords"]) == {"auth", "gateway", "webhook", "error"}
    (project / "tier1.yaml").write_text("fallback:\n  breaker:\n    failures: 0\n")
    with pytest.raises(ConfigError, match=r"tier1.yaml:3: fallback.breaker.failures: 0 is outside 1"):
        load_config()
    (project / "tier1.yaml").write_text("fallback:\n  my_queue:\n    timeout_s: 2\n    region: eu\n")
    assert load_config()["fallback"]["my_queue"]["region"] == "eu"  # a third-party tier's section
    (project / "tier1.yaml").write_text("n8n:\n  workflows:\n    a: {task: t, id: 12, colour: red}\n")
    with pytest.raises(ConfigError, match="n8n.workflows.a"):
        load_config()
