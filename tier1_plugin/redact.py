"""Sanitise what goes into the audit trail: redact secrets, cut snippets to 200 characters.

This runs on every stored event, so it is a handful of precompiled patterns, not the full
secret scanner (``tier1 scan-secrets``), which looks for secrets in a repository.
"""

from __future__ import annotations

import os
import re

MAX_SNIPPET = 200
REDACTED = "[REDACTED]"

# Known formats: secret wherever they appear (case-sensitive prefixes keep the scan cheap).
_KNOWN = re.compile(
    r"""
      (?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}                # AWS access key id
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
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+):[^\s@/]+@")
_HEADER = re.compile(r"""(?i)(x-n8n-api-key|x-api-key|authorization)(\s*[:=]\s*)"""
                     r"""(?:(?:bearer|basic|token)\s+)?[^\s"',]+""")
_SCHEME = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/\-]{8,}=*")

# name=value, name: value, "name": "value", --name value.  Found word-first: a regex that
# tried "does a key containing a secret word start here?" at every position costs 30x more.
# (str.find over the lowered text: sre's case-insensitive alternation costs ~0.2 us a character)
_SECRET_WORDS = ("passw", "pwd", "secret", "token", "apikey", "api_key", "api-key", "auth",
                 "credential", "private_key", "private-key", "privatekey", "access_key", "access-key")
_ASSIGNMENT = re.compile(
    r"""(?P<key>["']?[\w.\-]+["']?)(?P<sep>\s*[:=]\s*|\s+)"""
    r"""(?P<value>\$\{[^}\s]*\}|"[^"\n]*"|'[^'\n]*'|[^\s,;&"'}{]+)""")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

#: Environment variables whose values are always redacted (plus ``database.secret_env``).
SECRET_ENV = ("N8N_API_KEY", "TIER1_API_TOKEN")


def _secret_words(text: str):
    """``(start, end)`` of every secret word in ``text``, in order."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few non-ASCII letters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    found = []
    for word in _SECRET_WORDS:
        at = lowered.find(word)
        while at != -1:
            found.append((at, at + len(word)))
            at = lowered.find(word, at + 1)
    return sorted(found)


def _assignments(text: str) -> str:
    pieces, done = [], 0
    for word_start, word_end in _secret_words(text):
        if word_start < done:
            continue
        start = word_start
        while start > 0 and text[start - 1] in _KEY_CHARS:
            start -= 1
        if start > 0 and text[start - 1] in "\"'":
            start -= 1
        match = _ASSIGNMENT.match(text, start)
        if match is None or match.end("key") < word_end:
            continue
        value = match.group("value").strip("\"'")
        if not value or value.startswith(("${", "[REDACTED")):
            continue
        if match.group("sep").isspace() and not match.group("key").startswith("-"):
            continue  # "the token expired" is prose; only "--token abc" flags count
        pieces += [text[done:match.start("value")], REDACTED]
        done = match.end()
    return "".join(pieces) + text[done:] if pieces else text


# Short strings repeat (tool names, categories, statuses, commands): remember their result.
_SHORT = 64
_short_results: dict[tuple[str, tuple[str, ...]], str] = {}


def redact(text: str, secret_values: tuple[str, ...] = ()) -> str:
    """Replace every secret-looking part of ``text`` with ``[REDACTED]``."""
    if len(text) > _SHORT:
        return _redact(text, secret_values)
    key = (text, secret_values)
    result = _short_results.get(key)
    if result is None:
        result = _redact(text, secret_values)
        if len(_short_results) < 8192:
            _short_results[key] = result
    return result


def _redact(text: str, secret_values: tuple[str, ...]) -> str:
    for value in secret_values:
        if value and len(value) >= 4 and value in text:
            text = text.replace(value, REDACTED)
    text = _KNOWN.sub(REDACTED, text)
    if "://" in text:
        text = _URL_CREDENTIALS.sub(rf"\1:{REDACTED}@", text)
    lowered = text.lower()
    if "authorization" in lowered or "api-key" in lowered:
        text = _HEADER.sub(rf"\1\2{REDACTED}", text)
    if "bearer" in lowered or "basic" in lowered or "token" in lowered:
        text = _SCHEME.sub(rf"\1 {REDACTED}", text)
    return _assignments(text)


def secret_values(extra_variables=()) -> tuple[str, ...]:
    """The current values of the secret environment variables (never logged, only matched)."""
    names = dict.fromkeys((*SECRET_ENV, *extra_variables))
    return tuple(value for name in names if (value := os.environ.get(name)))


class NotJSON(ValueError):
    """A value JSON cannot hold; ``str()`` names where it is (``$.items[2].when``)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what, self.path = what, []

    def __str__(self):
        return f"${''.join(reversed(self.path))}: {self.what}"


def sanitise(value, secrets: tuple[str, ...] = (), limit: int = MAX_SNIPPET):
    """Redact and truncate every string inside ``value`` (dicts, lists, tuples), recursively.

    Raises :class:`NotJSON` (a ``ValueError``) naming the place of anything JSON cannot hold, so
    the store needs no separate serialisation pass to validate an event.  (The place is built
    only on the way out of an error: this runs for every string of every stored event.)
    """
    if isinstance(value, str):
        cleaned = redact(value, secrets)
        return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if not isinstance(key, str):
                key = _key(key)
            kind = type(item)
            if kind is str:  # the common leaves inline: this runs for every value stored
                item = redact(item, secrets)
                cleaned[key] = item if len(item) <= limit else item[: limit - 1] + "…"
            elif kind is int or kind is bool or item is None:
                cleaned[key] = item
            else:
                try:
                    cleaned[key] = sanitise(item, secrets, limit)
                except NotJSON as exc:
                    exc.path.append(f".{key}")
                    raise
        return cleaned
    if isinstance(value, (list, tuple)):
        cleaned = []
        for index, item in enumerate(value):
            try:
                cleaned.append(sanitise(item, secrets, limit))
            except NotJSON as exc:
                exc.path.append(f"[{index}]")
                raise
        return cleaned
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise NotJSON(f"{value} has no JSON form")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise NotJSON(f"{type(value).__name__} is not JSON-serialisable")


def _key(key) -> str:
    if key is None or isinstance(key, (bool, int, float)):
        return str(key)
    raise NotJSON(f"a {type(key).__name__} key is not JSON-serialisable")
