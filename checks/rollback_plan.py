"""The ``rollback_plan`` check: a non-empty rollback document, or at least one git tag."""

from __future__ import annotations

import subprocess

from tier1_plugin import CheckResult, hookimpl


def run(context) -> CheckResult:
    name = context.config.get("file") or "ROLLBACK.md"
    path = context.root / name
    if path.is_file() and path.read_text(encoding="utf-8", errors="replace").strip():
        return CheckResult(check_name="rollback_plan", passed=True, details=f"{name} found",
                           evidence={"method": "file", "file": name})
    why = f"{name} is empty" if path.is_file() else f"no {name}"
    if not context.config.get("git_tags", True):
        return CheckResult(check_name="rollback_plan", passed=False, details=why,
                           evidence={"method": None, "file": name})
    tags, problem = _git_tags(context.root)
    if tags:
        return CheckResult(check_name="rollback_plan", passed=True,
                           details=f"{why}, but {len(tags)} git tag(s) to roll back to "
                                   f"(latest: {tags[0]})",
                           evidence={"method": "git_tags", "tags": len(tags), "latest": tags[0]})
    return CheckResult(check_name="rollback_plan", passed=False,
                       details=f"{why} and {problem or 'no git tags'}",
                       evidence={"method": None, "file": name, "git": problem or "no tags"})


def _git_tags(root) -> tuple[list[str], str | None]:
    """Tags, newest first; or the reason there are none to look at."""
    try:
        done = subprocess.run(["git", "tag", "--list", "--sort=-creatordate"], cwd=root,
                              capture_output=True, text=True, timeout=20)
    except FileNotFoundError:
        return [], "git is not installed"
    except subprocess.TimeoutExpired:
        return [], "git tag timed out"
    if done.returncode != 0:
        return [], "not a git repository" if "not a git repository" in done.stderr else (
            done.stderr.strip().splitlines() or ["git tag failed"])[-1]
    return done.stdout.split(), None


@hookimpl
def tier1_register_checks(register):
    register(name="rollback_plan", run=run, timeout_s=30,
             description="a rollback document exists, or the repository has a git tag")
