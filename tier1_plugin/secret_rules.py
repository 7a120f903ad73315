"""Secret-format rules as data: load them from the config, compile them once.

A rule is a mapping (the defaults are in ``tier1.yaml`` under
``production_check.checks.security.rules``)::

    - id: github-token
      description: GitHub personal access / OAuth / app token
      regex: '\\b(gh[pousr]_[A-Za-z0-9]{36,255})\\b'
      keywords: [ghp_, gho_, ghu_, ghs_, ghr_]   # cheap prefilter, lower case
      secret_group: 1                           # which group is the secret (0: whole match)
      entropy: 3.0                              # minimum Shannon entropy of the secret
      validate: jwt                             # optional named shape check (VALIDATORS)

Rules come from ``rules`` (the packaged defaults; a project that sets it replaces them),
``extra_rules`` (added), ``rules_file`` (a YAML file holding a list of rules, added) and
plugins implementing ``tier1_secret_rules(config)`` (added).  ``disable: [rule-id]`` turns
single rules off.  A later rule with the same id replaces an earlier one.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Rule:
    """One compiled known-format rule."""

    id: str
    description: str
    pattern: re.Pattern
    keywords: tuple[str, ...] = ()
    secret_group: int = 0
    entropy: float = 0.0
    severity: str = "high"
    validate: str | None = None
    literal: bool = False
    origin: str = "config"


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule and the problem."""


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text`` (0 for an empty string)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def _b64decode(text: str) -> bytes | None:
    text = text.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _valid_jwt(secret: str) -> bool:
    # The header must be base64url JSON naming an algorithm; a lone JWE/JWS header or a
    # random "eyJ..." string is not a token.
    parts = secret.split(".")
    if len(parts) < 3 or not parts[1]:
        return False
    header = _b64decode(parts[0])
    if not header:
        return False
    try:
        data = json.loads(header.decode("utf-8", "replace"))
    except ValueError:
        return header.startswith(b'{"') and b"alg" in header  # cut short by a line wrap
    return isinstance(data, dict) and ("alg" in data or "typ" in data)


def _valid_basic_auth(secret: str) -> bool:
    # Basic credentials are base64("user:password"); "Basic login_and_password_removed" or a
    # template are not.
    raw = _b64decode(secret)
    if not raw or b":" not in raw:
        return False
    user, _, password = raw.partition(b":")
    try:
        user.decode("utf-8"), password.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(password) >= 3 and not password.startswith((b"$", b"{", b"<", b"%"))


def _valid_base64_pem(secret: str) -> bool:
    raw = _b64decode(secret[: len(secret) - len(secret) % 4][:80])
    return bool(raw) and b"PRIVATE KEY" in raw


def _valid_mixed(secret: str) -> bool:
    # Random keys mix character classes; a word, a constant name or a path does not.
    classes = sum((any(c.islower() for c in secret), any(c.isupper() for c in secret),
                   any(c.isdigit() for c in secret)))
    return classes >= 2


#: Named shape checks a rule can ask for with ``validate: NAME``.
VALIDATORS = {
    "jwt": _valid_jwt,
    "basic_auth": _valid_basic_auth,
    "base64_pem": _valid_base64_pem,
    "mixed": _valid_mixed,
}


def compile_rule(data: dict, origin: str = "config") -> Rule:
    """Build a :class:`Rule` from its mapping; raises :class:`RuleError` when unusable."""
    if not isinstance(data, dict):
        raise RuleError(f"rule from {origin} is not a mapping")
    rule_id = data.get("id")
    if not rule_id or not isinstance(rule_id, str):
        raise RuleError(f"rule from {origin} has no id")
    try:
        pattern = re.compile(data["regex"])
    except KeyError:
        raise RuleError(f"rule {rule_id} ({origin}) has no regex") from None
    except (re.error, TypeError) as exc:
        raise RuleError(f"rule {rule_id} ({origin}): invalid regex: {exc}") from None
    group = int(data.get("secret_group", 0) or 0)
    if group > pattern.groups:
        raise RuleError(f"rule {rule_id} ({origin}): secret_group {group} but the regex has "
                        f"{pattern.groups} groups")
    validate = data.get("validate")
    if validate is not None and validate not in VALIDATORS:
        raise RuleError(f"rule {rule_id} ({origin}): unknown validate {validate!r} "
                        f"(known: {', '.join(sorted(VALIDATORS))})")
    return Rule(
        id=rule_id,
        description=str(data.get("description") or rule_id),
        pattern=pattern,
        keywords=tuple(str(k).lower() for k in data.get("keywords") or ()),
        secret_group=group,
        entropy=float(data.get("entropy", 0) or 0),
        severity=str(data.get("severity") or "high"),
        validate=validate,
        literal=bool(data.get("literal")),
        origin=origin,
    )


@dataclass
class RuleSet:
    """The rules in force, plus the problems met while loading them (reported, not fatal)."""

    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_rules(section: dict, root: Path | None = None, config=None,
               plugins: bool = True) -> RuleSet:
    """Collect the rules named by a ``security`` config section (see the module docstring)."""
    found: dict[str, Rule] = {}
    result = RuleSet()

    def add(items, origin):
        if not isinstance(items, list):
            result.errors.append(f"rules from {origin} are not a list")
            return
        for item in items:
            try:
                rule = compile_rule(item, origin)
            except RuleError as exc:
                result.errors.append(str(exc))
                continue
            found.pop(rule.id, None)
            found[rule.id] = rule

    add(section.get("rules") or [], "config")
    add(section.get("extra_rules") or [], "config")
    rules_file = section.get("rules_file")
    if rules_file:
        path = Path(rules_file)
        if not path.is_absolute() and root is not None:
            path = root / path
        try:
            import yaml

            add(yaml.safe_load(path.read_text(encoding="utf-8")) or [], str(rules_file))
        except Exception as exc:  # noqa: BLE001 - OSError, yaml.YAMLError: reported, not fatal
            result.errors.append(f"rules_file {rules_file}: {exc}")
    if plugins:
        for origin, items, error in _plugin_rules(config):
            if error:
                result.errors.append(f"{origin}: tier1_secret_rules raised {error}")
            else:
                add(items, origin)
    disabled = set(section.get("disable") or ())
    result.rules = [rule for rule in found.values() if rule.id not in disabled]
    enabled = {item.get("id"): item.get("enabled", True) for item in
               [*(section.get("rules") or []), *(section.get("extra_rules") or [])]
               if isinstance(item, dict)}
    result.rules = [rule for rule in result.rules if enabled.get(rule.id, True) is not False]
    return result


def _plugin_rules(config):
    """``(origin, rules, error)`` from every ``tier1_secret_rules`` implementation, isolated."""
    from tier1_plugin import plugins

    found = []
    for outcome in plugins.call_each("tier1_secret_rules", config=config):
        origin = f"plugin {outcome.plugin}"
        if outcome.error is not None:
            found.append((origin, None, f"{type(outcome.error).__name__}: {outcome.error}"))
        elif outcome.result is not None:
            result = outcome.result
            found.append((origin, list(result) if isinstance(result, (list, tuple)) else result,
                          None))
    return found
