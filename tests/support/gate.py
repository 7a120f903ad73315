"""Support for the production gate's tests (``from support.gate import ...``)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

PYTEST_INI = """\
[pytest]
markers =
    integration: counts for the integration_tests check
"""


class GateProject:
    """A pytester project plus helpers to run the gate on it and read what it produced."""

    def __init__(self, pytester, monkeypatch):
        self.pytester = pytester
        self.path: Path = pytester.path
        self.database = self.path / "events.db"
        self.report_path = self.path / "report.json"
        monkeypatch.setenv("TIER1_DATABASE_URL", f"sqlite:///{self.database}")
        monkeypatch.delenv("TIER1_CONFIG", raising=False)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        pytester.makefile(".ini", pytest=PYTEST_INI)
        self.write("README.md", "# Service\n\nWhat it does and how to run it.\n")
        self.write("ROLLBACK.md", "Reinstall the previous release: pip install service==1.2.\n")
        self.write("tests/test_unit.py", "def test_adds():\n    assert 1 + 1 == 2\n")
        self.write("tests/integration_api.py",
                   "def test_round_trip():\n    assert {'a': 1} == dict(a=1)\n")

    def write(self, relative: str, text: str) -> Path:
        path = self.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def config(self, text: str) -> Path:
        """Write the project's own tier1.yaml (merged over the packaged default)."""
        return self.write("tier1.yaml", text)

    def run(self, *args, paths=None, subprocess_run: bool = False):
        """Run ``pytest --production-check`` (in-process unless asked) with a JSON report.

        ``tests/integration_api.py`` does not match pytest's default ``test_*.py`` pattern, so
        the test files are named explicitly (default: every ``tests/*.py``).
        """
        if paths is None:
            paths = sorted(str(p.relative_to(self.path)) for p in (self.path / "tests").glob("*.py"))
        argv = ["--production-check", "--production-report", str(self.report_path),
                "-p", "no:cacheprovider", *args, *paths]
        if subprocess_run:
            return self.pytester.runpytest_subprocess(*argv, timeout=120)
        return self.pytester.runpytest(*argv)

    def report(self) -> dict:
        return json.loads(self.report_path.read_text(encoding="utf-8"))

    def events(self):
        from tier1_plugin import AutomationHub
        from tier1_plugin.config import load_config

        config = load_config(start=self.path)
        with AutomationHub(f"sqlite:///{self.database}", config=config) as hub:
            return hub.get_events(event_type="production_check")



def planted_secret_line() -> str:
    """A hard-coded credential made at test time, so this file holds no secret-looking literal."""
    import secrets
    import string

    alphabet = string.ascii_uppercase + string.digits
    key_id = "AK" + "IA" + "".join(secrets.choice(alphabet) for _ in range(16))
    word = "pass" + "word"
    return f'DB_{word.upper()} = "{secrets.token_hex(12)}"\nAWS_KEY_ID = "{key_id}"\n'
