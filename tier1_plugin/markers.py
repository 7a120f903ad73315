"""``hookspec`` and ``hookimpl`` markers, compatible with pluggy but free to import.

pluggy's ``HookimplMarker`` pulls in ``inspect`` and ``typing`` (tens of milliseconds), and
every plugin module imports the marker.  The Claude Code hook runs as a new process on every
tool call, so the markers here only set the same attributes pluggy's markers set
(``tier1_impl`` / ``tier1_spec``); a ``pluggy.PluginManager("tier1")`` reads them unchanged,
and a third-party plugin may use either these or ``pluggy.HookimplMarker("tier1")``.
"""

from __future__ import annotations

PROJECT_NAME = "tier1"


def hookimpl(function=None, *, wrapper=False, hookwrapper=False, optionalhook=False,
             tryfirst=False, trylast=False, specname=None):
    """Mark a function as an implementation of a ``tier1_*`` hook (same options as pluggy)."""

    def mark(func):
        setattr(func, PROJECT_NAME + "_impl", {
            "wrapper": wrapper,
            "hookwrapper": hookwrapper,
            "optionalhook": optionalhook,
            "tryfirst": tryfirst,
            "trylast": trylast,
            "specname": specname,
        })
        return func

    return mark(function) if function is not None else mark


def hookspec(function=None, *, firstresult=False, historic=False, warn_on_impl=None,
             warn_on_impl_args=None):
    """Mark a function in :mod:`tier1_plugin.hookspecs` as a hook specification."""

    def mark(func):
        setattr(func, PROJECT_NAME + "_spec", {
            "firstresult": firstresult,
            "historic": historic,
            "warn_on_impl": warn_on_impl,
            "warn_on_impl_args": warn_on_impl_args,
        })
        return func

    return mark(function) if function is not None else mark
