"""The pytest plugin (entry point ``pytest11``): ``--production-check`` turns the gate on."""

from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("tier1", "Tier 1 production gate")
    group.addoption("--production-check", action="store_true", default=False,
                    help="record this session's results and decide GO / WARNING / NO-GO")
    group.addoption("--production-report", metavar="PATH", default=None,
                    help="write the gate's JSON report to PATH")
