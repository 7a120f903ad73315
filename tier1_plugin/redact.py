"""Sanitise what goes into the audit trail: redact secrets, cut snippets to 200 characters.

This runs on every stored event, so it is a handful of precompiled patterns, not the full
secret scanner (``tier1 scan-secrets``), which looks for secrets in a repository.
"""

from __future__ import annotations

import os
import re

MAX_SNIPPET = 200
REDACTED = "[REDACTED]"

# Known key formats: always secret wherever they appear.
_KNOWN = re.compile(
    r"""
    (?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}                 # AWS access key id
    | gh[pousr]_[A-Za-z0-9]{30,}                              # GitHub classic tokens
    | github_pat_[A-Za-z0-9_]{40,}                            # GitHub fine-grained
    | glpat-[A-Za-z0-9_\-]{20,}                               # GitLab
    | xox[abposr]-[A-Za-z0-9\-]{10,}                          # Slack
    | hooks\.slack\.com/services/[A-Za-z0-9/]+                # Slack webhook
    | (?:sk|rk)_live_[A-Za-z0-9]{16,}                         # Stripe
    | AIza[0-9A-Za-z_\-]{35}                                  # Google API key
    | sk-ant-[A-Za-z0-9_\-]{20,}                              # Anthropic
    | sk-(?:proj-)?[A-Za-z0-9_\-]{20,}                        # OpenAI
    | SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}            # SendGrid
    | eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}   # JWT (n8n API keys)
    | -----BEGIN[ A-Z]*PRIVATE\ KEY-----[\s\S]*?(?:-----END[ A-Z]*PRIVATE\ KEY-----|$)
    """,
    re.VERBOSE,
)

# name=value, name: value, "name": "value", --name value; the value is replaced.
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<key>["']?[\w.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|apikey|auth|credential|private[_\-]?key|access[_\-]?key)[\w.\-]*["']?)
    (?P<sep>\s*[:=]\s*|\s+)
    (?P<value>\$\{[^}\s]*\}|"[^"\n]*"|'[^'\n]*'|[^\s,;&"'}{]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/\-]{8,}=*")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+):[^\s@/]+@")
_HEADER_KEY = re.compile(
    r"(?i)(x-n8n-api-key|x-api-key|authorization)(\s*[:=]\s*)(?:(?:bearer|basic|token)\s+)?[^\s\"',]+")

#: Environment variables whose values are always redacted (plus ``database.secret_env``).
SECRET_ENV = ("N8N_API_KEY", "TIER1_API_TOKEN")


def _assignment(match: re.Match) -> str:
    value = match.group("value").strip("\"'")
    if not value or value.startswith(("${", "[REDACTED")):
        return match.group(0)
    if match.group("sep").isspace() and not match.group("key").lower().startswith(("--", "-")):
        # "the token expired" is prose; only "--token abc" style flags count as assignments
        return match.group(0)
    return f"{match.group('key')}{match.group('sep')}{REDACTED}"


def redact(text: str, secret_values: tuple[str, ...] = ()) -> str:
    """Replace every secret-looking part of ``text`` with ``[REDACTED]``."""
    for value in secret_values:
        if value and len(value) >= 4 and value in text:
            text = text.replace(value, REDACTED)
    text = _KNOWN.sub(REDACTED, text)
    text = _URL_CREDENTIALS.sub(rf"\1:{REDACTED}@", text)
    text = _HEADER_KEY.sub(rf"\1\2{REDACTED}", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _ASSIGNMENT.sub(_assignment, text)


def secret_values(extra_variables=()) -> tuple[str, ...]:
    """The current values of the secret environment variables (never logged, only matched)."""
    names = dict.fromkeys((*SECRET_ENV, *extra_variables))
    return tuple(value for name in names if (value := os.environ.get(name)))


def sanitise(value, secrets: tuple[str, ...] = (), limit: int = MAX_SNIPPET):
    """Redact and truncate every string inside ``value`` (dicts, lists, tuples), recursively."""
    if isinstance(value, str):
        cleaned = redact(value, secrets)
        return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
    if isinstance(value, dict):
        return {str(key): sanitise(item, secrets, limit) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitise(item, secrets, limit) for item in value]
    return value
