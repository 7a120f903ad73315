"""The shape of ``tier1.yaml``: every key, its type and its bounds.

Validation walks a file's parsed data against :data:`SCHEMA` and reports the first problem
by key path; :mod:`tier1_plugin.config` adds the file name and line.
"""

from __future__ import annotations

import re


class Spec:
    """Validates one value; ``errors`` yields ``(key path, message)`` pairs."""

    def errors(self, value, path):
        raise NotImplementedError


class Any_(Spec):
    def errors(self, value, path):
        return ()


class Type(Spec):
    def __init__(self, *types, name):
        self.types, self.name = types, name

    def errors(self, value, path):
        # bool is an int subclass in Python, but `timeout: yes` is not a number in YAML terms
        if not isinstance(value, self.types) or (isinstance(value, bool) and bool not in self.types):
            yield path, f"expected {self.name}, got {_describe(value)}"


class Number(Type):
    def __init__(self, minimum=None, maximum=None, integer=False):
        super().__init__(int, *(() if integer else (float,)), name="an integer" if integer else "a number")
        self.minimum, self.maximum = minimum, maximum

    def errors(self, value, path):
        found = list(super().errors(value, path))
        if found:
            yield from found
        elif (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum):
            yield path, f"{value} is outside {self.minimum}..{self.maximum}"


class Regex(Type):
    def __init__(self):
        super().__init__(str, name="a regular expression")

    def errors(self, value, path):
        found = list(super().errors(value, path))
        if found:
            yield from found
            return
        try:
            re.compile(value)
        except re.error as exc:
            yield path, f"invalid regular expression {value!r}: {exc}"


class ListOf(Spec):
    def __init__(self, item):
        self.item = item

    def errors(self, value, path):
        if not isinstance(value, list):
            yield path, f"expected a list, got {_describe(value)}"
            return
        for index, item in enumerate(value):
            yield from self.item.errors(item, (*path, index))


class Map(Spec):
    """A mapping with known keys; ``extra`` validates the values of any other key."""

    def __init__(self, fields=None, extra=None):
        self.fields, self.extra = fields or {}, extra

    def errors(self, value, path):
        if not isinstance(value, dict):
            yield path, f"expected a mapping, got {_describe(value)}"
            return
        for key, item in value.items():
            spec = self.fields.get(key, self.extra)
            if spec is None:
                known = ", ".join(sorted(self.fields)) or "none"
                yield (*path, key), f"unknown key {key!r} (known keys: {known})"
            else:
                yield from spec.errors(item, (*path, key))


class OneOf(Spec):
    def __init__(self, *specs, name):
        self.specs, self.name = specs, name

    def errors(self, value, path):
        results = [list(spec.errors(value, path)) for spec in self.specs]
        if all(results):
            yield path, f"expected {self.name}, got {_describe(value)}"


def _describe(value) -> str:
    if value is None:
        return "nothing"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


STR = Type(str, name="a string")
BOOL = Type(bool, name="true or false")
STRINGS = ListOf(STR)
SECONDS = Number(minimum=0)
PERCENT = Number(0, 100)

#: Keys every check section accepts; built-in checks add their own.
CHECK_COMMON = {"enabled": BOOL, "advisory": BOOL, "timeout_s": SECONDS}


def check_section(**fields) -> Map:
    return Map({**CHECK_COMMON, **fields})


#: One known-format rule of the secret scanner (see tier1_plugin/secret_rules.py).
SECURITY_RULE = Map({
    "id": STR, "description": STR, "regex": Regex(), "keywords": STRINGS,
    "secret_group": Number(minimum=0, integer=True), "entropy": Number(minimum=0),
    "severity": STR, "enabled": BOOL, "literal": BOOL,
    "validate": Type(str, name="a validator name (jwt, basic_auth, base64_pem, mixed)"),
})

BUILTIN_CHECKS = {
    "tests": check_section(),
    "integration_tests": check_section(paths=STRINGS, markers=STRINGS, pass_when_none=BOOL),
    "security": check_section(
        exclude=STRINGS, baseline=STR, rules=ListOf(SECURITY_RULE), rules_file=STR,
        extra_rules=ListOf(SECURITY_RULE), disable=STRINGS,
        max_file_bytes=Number(minimum=1, integer=True), allowlist=ListOf(Regex()),
        secret_keys=STRINGS, placeholders=STRINGS, jobs=Number(minimum=0, integer=True),
    ),
    "documentation": check_section(files=STRINGS, min_found=Number(minimum=0, integer=True)),
    "performance": check_section(command=OneOf(STR, STRINGS, name="a string or a list of strings"),
                                 timeout=SECONDS, cwd=STR),
    "rollback_plan": check_section(file=STR, git_tags=BOOL),
}

WORKFLOW = OneOf(STR, Map({"task": STR, "webhook": STR, "params": Map(extra=Any_()),
                           "method": STR, "id": OneOf(STR, Number(integer=True), name="a workflow id")}),
                 name="a task name or a mapping with task/webhook/params/method/id")

SCHEMA = Map({
    "project_id": Type(str, type(None), name="a string"),
    "database": Map({
        "url": STR,
        "outbox": STR,
        "connect_timeout_s": SECONDS,
        "secret_env": STRINGS,
    }),
    "plugins": Map({"disabled": STRINGS}),
    "production_check": Map({
        "advisory": STRINGS,
        # third-party checks take any keys besides the common ones
        "checks": Map(BUILTIN_CHECKS, extra=Map(CHECK_COMMON, extra=Any_())),
    }),
    "action_items": Map({
        "tools": ListOf(Regex()),
        "thresholds": Map({"complete": PERCENT, "review": PERCENT}),
        "categories": Map(extra=Map({"confidence": PERCENT, "keywords": STRINGS,
                                     "commands": ListOf(Regex()), "todo_words": STRINGS,
                                     "enabled": BOOL})),
        "failure_indicators": STRINGS,
        "read_only_commands": STRINGS,
        "block_allowed": BOOL,
    }),
    "n8n": Map({
        "base_url": STR,
        "tools": ListOf(Regex()),
        "execution_timeout_s": SECONDS,
        "workflows": Map(extra=WORKFLOW),
        "keywords": Map(extra=STRINGS),
        "api_timeout_s": SECONDS,
    }),
    "fallback": Map({
        "tiers": STRINGS,
        "celery": Map({"broker_url": STR, "result_backend": STR, "timeout_s": SECONDS,
                       "app": STR, "queue": STR}),
        "api": Map({"url": STR, "timeout_s": SECONDS, "token_env": STR}),
        "systemd": Map({"command": STRINGS, "timeout_s": SECONDS}),
        "breaker": Map({"failures": Number(minimum=1, integer=True), "reset_s": SECONDS}),
    }, extra=Map({"timeout_s": SECONDS}, extra=Any_())),  # a third-party tier's own section
})
