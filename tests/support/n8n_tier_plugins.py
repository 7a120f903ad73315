"""Third-party fallback tiers, registered through the hook exactly as a plugin package would.

``TIER1_TEST_TIER_LOG`` names a file where each tier call appends ``<tier> <idempotency key>``.
"""

from __future__ import annotations

import os
import time

from tier1_plugin import hookimpl
from tier1_plugin.hooks.fallback import TierOutcome


def _log(name, request):
    path = os.environ.get("TIER1_TEST_TIER_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{name} {request.idempotency_key} {request.task}\n")


def good(request):
    _log("good", request)
    return TierOutcome(True, result={"ran": request.task, "params": request.params})


def refuses(request):
    _log("refuses", request)
    return False


def raises(request):
    _log("raises", request)
    raise ConnectionError("queue service exploded")


def hangs(request):
    _log("hangs", request)
    time.sleep(30)
    return True


def garbage(request):
    _log("garbage", request)
    return "yes, probably"


@hookimpl
def tier1_register_fallback_tiers(register, config):
    register("good", good, timeout_s=2, description="always works")
    register("refuses", refuses, timeout_s=2)
    register("raises", raises, timeout_s=2)
    register("hangs", hangs, timeout_s=0.3)
    register("garbage", garbage, timeout_s=2)


class BrokenPlugin:
    """A plugin whose registration raises: reported, the other tiers still register."""

    @staticmethod
    @hookimpl
    def tier1_register_fallback_tiers(register, config):
        raise RuntimeError("this plugin is broken")


broken = BrokenPlugin()
