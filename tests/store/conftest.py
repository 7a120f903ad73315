from __future__ import annotations

import pytest

from tier1_plugin.config import load_config
from tier1_plugin.hub import AutomationHub


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def hub(request, project):
    """The same AutomationHub API on every backend."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{project / 'events.db'}"
    else:
        request.applymarker(pytest.mark.integration)
        url = request.getfixturevalue("postgres_url")
        AutomationHub(url, config=load_config()).store.upgrade()
    with AutomationHub(url, config=load_config()) as opened:
        yield opened
