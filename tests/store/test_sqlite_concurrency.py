"""The embedded store under the load the hook produces: many processes writing at once."""

from __future__ import annotations

import subprocess
import sys

from tier1_plugin.config import load_config
from tier1_plugin.hub import AutomationHub

WRITER = """
import sys
from tier1_plugin import AutomationEvent, AutomationHub
hub = AutomationHub(sys.argv[1])
for n in range(5):
    hub.store_event(AutomationEvent("no_action_taken", "skipped", correlation_id=sys.argv[2],
                                    evidence={"n": n}))
"""


def test_80_processes_storing_at_once_lose_nothing(project):
    url = f"sqlite:///{project / '.tier1' / 'events.db'}"
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"writer-{i}"],
                                  stderr=subprocess.PIPE, text=True) for i in range(80)]
    errors = [p.communicate()[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 80, [e for e in errors if e][:3]
    hub = AutomationHub(url, config=load_config())
    stored = hub.get_events(limit=None)
    assert len(stored) == 400
    assert {e.correlation_id for e in stored} == {f"writer-{i}" for i in range(80)}
    assert hub.outbox.pending() == 0
