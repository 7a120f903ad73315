"""Every known-format rule: a true example is found, a near miss next to it is not.

The examples are made at run time (``fake``/``corpus.pick``), so this file holds no secret.
"""

from __future__ import annotations

import base64

import pytest
from support.fake_secrets import corpus

pick = corpus.pick
ALNUM, URLSAFE, HEX = corpus.ALNUM, corpus.URLSAFE, corpus.HEX
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


#: rule id -> (true example line, near-miss decoy line), each built from (fake, rng)
CASES = {
    "aws-access-key-id": (
        lambda f, r: f'key_id = "{f("aws-access-key-id")}"',
        lambda f, r: f'prefix = "AKIA{pick(r, B32, 12)}"'),                       # too short
    "aws-secret-access-key": (
        lambda f, r: f"aws_secret_access_key = {f('aws-secret-access-key')}",
        lambda f, r: "aws_secret_access_key = " + "A" * 20 + "B" * 20),           # no entropy
    "github-token": (
        lambda f, r: f"token: {f('github-token')}",
        lambda f, r: "label: ghp_" + "x" * 36),
    "github-fine-grained-token": (
        lambda f, r: f"GH={f('github-fine-grained-token')}",
        lambda f, r: f"GH=github_pat_{pick(r, ALNUM, 22)}_{pick(r, ALNUM, 20)}"),
    "gitlab-token": (
        lambda f, r: f"CI_JOB={f('gitlab-token')}",
        lambda f, r: f"CI_JOB=glpat-{pick(r, ALNUM, 8)}"),
    "slack-token": (
        lambda f, r: f'slack = "{f("slack-token")}"',
        lambda f, r: 'slack = "xoxb-123-abc"'),
    "slack-webhook-url": (
        lambda f, r: f"url = {f('slack-webhook-url')}",
        lambda f, r: "url = https://hooks.slack.com/services/T000/B000/XXXX"),
    "stripe-live-key": (
        lambda f, r: f"stripe = '{f('stripe-live-key')}'",
        lambda f, r: f"stripe = 'sk_test_{pick(r, ALNUM, 24)}'"),                   # a test key
    "google-api-key": (
        lambda f, r: f"maps = '{f('google-api-key')}'",
        lambda f, r: f"maps = 'AIza{pick(r, ALNUM, 20)}'"),
    "google-oauth-client-secret": (
        lambda f, r: f"client = 'GOCSPX-{pick(r, URLSAFE, 28)}'",
        lambda f, r: f"client = 'GOCSPX-{pick(r, URLSAFE, 10)}'"),
    "openai-api-key": (
        lambda f, r: f"llm = '{f('openai-api-key')}'",
        lambda f, r: f"llm = 'sk-{pick(r, ALNUM, 20)}'"),                           # no marker
    "anthropic-api-key": (
        lambda f, r: f"llm = '{f('anthropic-api-key')}'",
        lambda f, r: f"llm = 'sk-ant-api03-{pick(r, ALNUM, 10)}'"),
    "sendgrid-api-key": (
        lambda f, r: f"mail = '{f('sendgrid-api-key')}'",
        lambda f, r: f"mail = 'SG.{pick(r, URLSAFE, 22)}.{pick(r, URLSAFE, 10)}'"),
    "twilio-api-key": (
        lambda f, r: f"sms = '{f('twilio-api-key')}'",
        lambda f, r: f"sms = 'TASK{pick(r, HEX, 32)}'"),                           # inside a word
    "npm-token": (
        lambda f, r: f"//registry.npmjs.org/:_authToken=npm_{pick(r, ALNUM, 36)}",
        lambda f, r: "//registry.npmjs.org/:_authToken=npm_" + "a" * 36),
    "pypi-token": (
        lambda f, r: f"password = pypi-AgEIcHlwaS5vcmc{pick(r, URLSAFE, 60)}",
        lambda f, r: f"name = pypi-{pick(r, ALNUM, 20)}"),
    "telegram-bot-token": (
        lambda f, r: f"bot = '{r.randint(10**8, 10**9)}:AA{pick(r, URLSAFE, 33)}'",
        lambda f, r: f"bot = '{r.randint(10**8, 10**9)}:XY{pick(r, URLSAFE, 33)}'"),
    "nkey-seed": (
        lambda f, r: f"seed: SU{pick(r, B32, 56)}",
        lambda f, r: f"seed: SU{pick(r, B32, 30)}"),
    "azure-storage-key": (
        lambda f, r: f"conn = 'AccountName=app;AccountKey={pick(r, ALNUM, 86)}==;'",
        lambda f, r: f"conn = 'AccountName=app;AccountKey={pick(r, ALNUM, 20)}==;'"),
    "jwt": (
        lambda f, r: f"auth = '{f('jwt')}'",
        # a lone JOSE header and an unsigned token are not credentials
        lambda f, r: "claims = '" + corpus.b64url(b'{"alg":"none"}') + "." + corpus.b64url(b'{"sub":"1"}') + ".'"),
    "jwk-private-key": (
        lambda f, r: '{"kty": "RSA", "d": "' + pick(r, URLSAFE, 43) + '"}',
        lambda f, r: '{"kty": "RSA", "n": "' + pick(r, URLSAFE, 43) + '"}'),       # public part
    "private-key": (
        lambda f, r: f("private-key"),
        lambda f, r: corpus.certificate(r)),                                       # public
    "base64-private-key": (
        lambda f, r: "tls.key: " + b64(f("private-key")),
        lambda f, r: "tls.crt: " + b64(corpus.certificate(r))),
    "url-credentials": (
        lambda f, r: f"DATABASE_URL = '{f('url-credentials')}'",
        lambda f, r: "DATABASE_URL = 'postgres://app:${DB_PASSWORD}@db:5432/app'"),
    "basic-auth-header": (
        lambda f, r: f"headers = {{'Authorization': 'Basic {b64('deploy:' + f('password'))}'}}",
        lambda f, r: "headers = {'Authorization': 'Basic login_and_password_removed'}"),
    "bearer-token": (
        lambda f, r: f"curl -H 'Authorization: Bearer {pick(r, ALNUM, 32)}' https://api",
        lambda f, r: "curl -H 'Authorization: Bearer ${API_TOKEN}' https://api"),
    "connection-string-password": (
        lambda f, r: f'var cs = "Server=db;User Id=app;Password={f("password")};";',
        lambda f, r: 'var cs = "Server=db;User Id=app;Password={0};";'),
    "openssl-pass-argument": (
        lambda f, r: f"openssl req -new -passin pass:{pick(r, ALNUM, 12)} -key ca.key",
        lambda f, r: "openssl req -new -passin pass:$CA_PASS -key ca.key"),
    "cli-user-password": (
        lambda f, r: f"curl -u deploy:{f('password')} https://ci.internal/api",
        lambda f, r: "curl -u deploy:$DEPLOY_PASSWORD https://ci.internal/api"),
}

#: Files the examples are written in (a rule must not depend on the assignment detector).
PATHS = {"connection-string-password": "Db.cs"}


def test_every_default_rule_has_a_case(scanner):
    assert {rule.id for rule in scanner.rules} == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_true_example_is_found_by_its_rule(rule_id, scan, fake, rng):
    text = CASES[rule_id][0](fake, rng)
    findings = scan(text, PATHS.get(rule_id, "app.py"))
    assert [f.rule_id for f in findings] == [rule_id], text
    assert findings[0].line == 1


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_near_miss_is_not_reported(rule_id, scan, fake, rng):
    text = CASES[rule_id][1](fake, rng)
    assert scan(text, PATHS.get(rule_id, "app.py")) == [], text


def test_rule_reports_the_line_the_secret_starts_on(scan, fake):
    text = "import os\n\n\nKEY = '''\n" + fake("private-key") + "\n'''\n"
    [finding] = scan(text)
    assert (finding.rule_id, finding.line) == ("private-key", 5)


def test_one_finding_per_line_known_format_first(scan, fake):
    # a GitHub token assigned to a secret-named key: the format rule names it
    [finding] = scan(f'GITHUB_TOKEN = "{fake("github-token")}"')
    assert finding.rule_id == "github-token"
