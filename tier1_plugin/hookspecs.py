"""Every hook a Tier 1 plugin can implement.  The docstrings are the reference documentation.

A plugin is a module (or object) with functions named after these specifications and marked
with :func:`tier1_plugin.hookimpl`.  Built-in features are plugins written exactly this way
(see ``DEFAULT_PLUGINS`` in :mod:`tier1_plugin.plugins`); a third-party package adds one by
declaring an entry point in the ``tier1`` group::

    [project.entry-points.tier1]
    my_checks = "my_package.tier1_checks"

An implementation may accept any subset of a hook's arguments, by name.

Isolation: pluggy stops a hook call at the first implementation that raises, so for checks,
fallback tiers, Claude Code handlers and event listeners the core calls each implementation
itself, in its own ``try``/``except`` (and, for checks and tiers, its own timeout).  A plugin
that raises, hangs or returns garbage is reported and the others still run.
"""

from __future__ import annotations

from tier1_plugin.markers import hookspec


@hookspec
def tier1_register_checks(register, config):
    """Register production checks for ``pytest --production-check``.

    Call ``register(name, run, *, advisory=False, timeout_s=60, description="")`` once per
    check.  ``run(context)`` returns a :class:`tier1_plugin.CheckResult`; ``context`` has
    ``root`` (the project folder, a ``Path``), ``config`` (this check's section of
    ``production_check.checks``, a dict), ``session`` (the pytest session's recorded test
    results) and ``project_config`` (the whole loaded configuration).  A check runs
    concurrently with the others, under ``timeout_s``; if it raises, times out or returns
    anything but a ``CheckResult`` it becomes a failed result carrying the error.

    ``config`` is the whole configuration; a check turned off with
    ``production_check.checks.NAME.enabled: false`` is registered but not run.
    """


@hookspec(firstresult=True)
def tier1_decide(results, config):
    """Decide the gate: return ``(decision, confidence, reason)`` or ``None`` to pass.

    ``results`` maps check name to :class:`tier1_plugin.CheckResult`; ``decision`` is
    ``"go"``, ``"warning"`` or ``"no_go"``.  The first implementation that returns something
    other than ``None`` wins (mark yours ``tryfirst=True`` to override the built-in policy:
    no failure -> GO, only advisory checks failed -> WARNING, anything else -> NO-GO).

    ``config`` is the loaded configuration with every check's resolved ``advisory`` flag written
    into its section (``production_check.checks.NAME.advisory``), whether it came from the
    ``advisory`` list, the check's own setting or the registering plugin;
    ``tier1_plugin.decision.advisory_names(config)`` returns those names.
    """


@hookspec
def tier1_keyword_categories(config):
    """Return extra keyword categories for the action-item detector.

    Return a dict ``{category: {"confidence": int, "keywords": [str, ...]}}`` in the same
    shape as ``action_items.categories`` in ``tier1.yaml``; categories are merged over the
    configured ones by name.
    """


@hookspec
def tier1_register_fallback_tiers(register, config):
    """Register executors for the n8n fallback chain.

    Call ``register(name, run, *, timeout_s=None, description="")``.  The chain runs the
    tiers listed in ``fallback.tiers`` in order and stops at the first success; ``celery``,
    ``api`` and ``systemd`` are built-in plugins.  ``run(request)`` receives the task name,
    params, idempotency key and deadline, and returns whether the work got done (see
    :mod:`tier1_plugin.hooks.fallback` for the request and outcome types).
    """


@hookspec
def tier1_pre_tool_use(payload, context):
    """Handle a Claude Code ``PreToolUse`` payload (a dict, exactly as Claude Code sent it).

    ``context`` carries the loaded config, the project root, the session id and a lazily
    opened event store.  Return ``None`` or a dict with any of ``additionalContext`` (text for
    Claude) and ``systemMessage`` (text for the user); ``tier1 hook`` merges the answers of all
    handlers into one JSON object.  Keep the import path light: this runs on every tool call.
    """


@hookspec
def tier1_post_tool_use(payload, context):
    """Handle a Claude Code ``PostToolUse`` or ``PostToolUseFailure`` payload.

    ``context.failed`` is true for ``PostToolUseFailure`` (the tool call failed: the payload
    has ``error`` instead of ``tool_response``), and for the task events ``TaskCreated`` /
    ``TaskCompleted`` ``context.event_name`` says which.  Return as for
    :func:`tier1_pre_tool_use`.
    """


@hookspec
def tier1_event_stored(event):
    """Called after an :class:`tier1_plugin.AutomationEvent` is stored (or queued in the outbox).

    For notifications: webhooks, chat.  ``event.id`` is ``None`` while the event waits in the
    outbox.  Exceptions are logged and swallowed; the event is stored either way.
    """


@hookspec
def tier1_register_event_types(register):
    """Register event types beyond the built-in six: call ``register(name)`` for each.

    The event store refuses an event whose type nobody registered.
    """


@hookspec
def tier1_secret_rules(config):
    """Return extra known-format rules for the secret scanner (``tier1 scan-secrets`` and the
    ``security`` check).

    Return a list of rule mappings in the shape of ``production_check.checks.security.rules``
    in ``tier1.yaml``: ``id``, ``description``, ``regex`` and optionally ``secret_group``,
    ``keywords``, ``entropy``, ``validate``, ``literal``, ``severity``.  A rule whose id is
    already known replaces the earlier one; ``security.disable`` still turns it off.  A rule
    that does not compile, or an implementation that raises, is reported as a scan problem
    (the check's evidence ``errors``, stderr for the command) and the other rules still run.
    ``config`` is the whole loaded configuration (``None`` when the scanner runs without one).
    """
