"""What the event store keeps of secrets: nothing."""

from __future__ import annotations

import pytest

from tier1_plugin.redact import MAX_SNIPPET, redact, sanitise


def fake(prefix: str, body: str, times: int) -> str:
    return prefix + body * times


@pytest.mark.parametrize("text, secret", [
    ("password=hunter2-but-longer", "hunter2-but-longer"),  # pragma: allowlist secret
    ('{"api_key": "k-9a8b7c6d5e4f"}', "k-9a8b7c6d5e4f"),  # pragma: allowlist secret
    ("DB_PASSWORD: 'p@ss-w0rd-123'", "p@ss-w0rd-123"),  # pragma: allowlist secret
    ("curl -H 'Authorization: Bearer abc.def.ghi-123456'", "abc.def.ghi-123456"),  # pragma: allowlist secret
    ("git push https://deploy:tok-1234567890@github.com/a/b", "tok-1234567890"),  # pragma: allowlist secret
    ("mysql --password s3cr3t-flag-value", "s3cr3t-flag-value"),  # pragma: allowlist secret
    (f"key {fake('AKIA', 'Q', 16)} found", fake("AKIA", "Q", 16)),
    (f"token {fake('ghp_', 'aB3', 12)}", fake("ghp_", "aB3", 12)),
    (f"{fake('xoxb-', '1234-', 4)}abcdef", fake("xoxb-", "1234-", 4)),
    (f"n8n key {fake('eyJ', 'hbGciOi', 3)}.{fake('eyJ', 'zdWIiOi', 3)}.{fake('', 'sig_', 4)}",
     fake("eyJ", "zdWIiOi", 3)),
])
def test_secrets_are_redacted(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


@pytest.mark.parametrize("text", [
    "the token expired after 5 minutes",
    "password reset email sent",
    "api_key=${N8N_API_KEY}",
    "password: \"${DB_PASSWORD}\"",
    "12 passed, 1 skipped in 0.42s",
    "[main 4f2a9c1] Fix the auth token refresh",
])
def test_ordinary_text_is_kept(text):
    assert redact(text) == text


def test_values_of_secret_environment_variables_are_redacted_anywhere():
    assert redact("sent abc123secretvalue to n8n", ("abc123secretvalue",)) == "sent [REDACTED] to n8n"


def test_sanitise_walks_structures_and_cuts_strings():
    cleaned = sanitise({"out": "y" * 1000, "list": ["password=abcdefgh"], "n": 3, "ok": True})
    assert len(cleaned["out"]) == MAX_SNIPPET and cleaned["out"].endswith("…")
    assert cleaned["list"] == ["password=[REDACTED]"]
    assert (cleaned["n"], cleaned["ok"]) == (3, True)
