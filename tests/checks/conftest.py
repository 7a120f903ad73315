"""A ``context`` factory for calling a built-in check's ``run`` directly."""

from __future__ import annotations

import pytest


@pytest.fixture
def context(project):
    from tier1_plugin.gate import CheckContext

    def make(name, config=None, session=None):
        return CheckContext(name=name, root=project, config=config or {}, session=session,
                            project_config={})

    return make
