"""The built-in ``tier1_decide`` policy: GO, WARNING or NO-GO from the checks' results.

* no check failed -> ``go``;
* only advisory checks failed -> ``warning``;
* any other failure -> ``no_go``.

This is the seed's matrix (0 failed -> GO, 1 performance-only -> WARNING, 2+ -> NO-GO) with
the case it left open decided: one failed non-advisory check is NO-GO.  Advisory checks are
those in ``production_check.advisory`` plus those whose own section says ``advisory: true``.
The confidence is the lowest among the checks that decided it: every check for GO, the failed
advisory checks for WARNING, the failed blocking checks for NO-GO.

A plugin overrides the policy with its own ``@hookimpl(tryfirst=True) def tier1_decide``.
"""

from __future__ import annotations

from tier1_plugin.markers import hookimpl


def advisory_names(config) -> set[str]:
    """Checks whose failure alone gives WARNING instead of NO-GO."""
    section = (config or {}).get("production_check") or {}
    names = set(section.get("advisory") or ())
    for name, settings in (section.get("checks") or {}).items():
        if isinstance(settings, dict) and settings.get("advisory") is True:
            names.add(name)
    return names


def decide(results: dict, advisory: set[str]) -> tuple[str, int, str]:
    """``(decision, confidence, reason)`` for ``results`` (check name -> CheckResult)."""
    if not results:
        return "no_go", 0, "no checks ran"
    failed = [name for name, result in results.items() if not result.passed]
    blocking = [name for name in failed if name not in advisory]
    if blocking:
        deciding, decision = blocking, "no_go"
        reason = f"{_count(blocking, 'blocking check')} failed: {_listed(results, blocking)}"
    elif failed:
        deciding, decision = failed, "warning"
        reason = f"only advisory checks failed: {_listed(results, failed)}"
    else:
        deciding, decision = list(results), "go"
        reason = f"all {_count(results, 'check')} passed"
    confidence = min(int(results[name].confidence) for name in deciding)
    return decision, confidence, reason


def _count(items, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _listed(results: dict, names: list[str]) -> str:
    """The names; with one name, also its details (the terminal shows every check's)."""
    if len(names) == 1 and results[names[0]].details:
        return f"{names[0]} ({results[names[0]].details})"
    return ", ".join(names)


@hookimpl(trylast=True)
def tier1_decide(results, config):
    return decide(results, advisory_names(config))
