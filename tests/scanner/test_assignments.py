"""Assignments of secret-named keys: literals are found in every format; references,
placeholders, prose and high-entropy non-secrets are not."""

from __future__ import annotations

import base64

import pytest

from support.fake_secrets import corpus

#: (file name, template): {pw} is a fake password, {tok} a fake token.
TRUE = [
    ("settings.py", 'DB_PASSWORD = "{pw}"'),
    ("settings.py", 'conn = connect(user="app", password="{pw}")'),
    ("settings.py", 'password: str = "{pw}"'),
    ("config.js", "const adminPassword = '{pw}';"),
    ("main.go", 'apiKey := "{tok}"'),
    ("Config.kt", 'const val API_TOKEN: String = "{tok}"'),
    ("config.rb", "config.secret_key = '{tok}'"),
    ("app.php", "'password' => '{pw}',"),
    (".env", "POSTGRES_PASSWORD={pw}"),
    (".env", "STRIPE_SECRET={tok}"),
    ("config.yml", "  password: {pw}"),
    ("config.yml", '  api_key: "{tok}"'),
    ("docker-compose.yml", "      - MYSQL_ROOT_PASSWORD={pw}"),
    ("settings.json", '  "client_secret": "{tok}",'),
    ("app.ini", "password = {pw}"),
    ("main.tf", '  password = "{pw}"'),
    ("deploy.sh", "export AUTH_TOKEN='{tok}'"),
    ("deploy.sh", "deploy --api-token {tok} --region eu"),
    ("deploy.sh", "nats server report --user admin --password {pw}"),
    ("backup.sh", 'mysqldump -u root -p"{pw}" app > dump.sql'),
    ("app.config.xml", "  <password>{pw}</password>"),
    ("init.sql", "CREATE USER app WITH PASSWORD '{pw}';"),
    ("client.py", 'URL = "https://api.internal/raw?private_token={tok}&ref=main"'),
    ("fixture.json", '"body": "{{\\"access_token\\":\\"{tok}\\",\\"token_type\\":\\"bearer\\"}}"'),
    ("Login.java", 'credentials.setPassword("{tok}");'),
]


@pytest.mark.parametrize("path, template", TRUE, ids=[f"{p}:{t[:24]}" for p, t in TRUE])
def test_literal_assigned_to_a_secret_name_is_found(path, template, scan, fake):
    password, token = fake("password"), fake("token")
    [finding] = scan(template.format(pw=password, tok=token), path)
    assert finding.rule_id in ("password-assignment", "secret-assignment")
    assert finding.secret in (password, token)


def test_kubernetes_secret_data_values_count(scan, fake):
    encoded = base64.b64encode(fake("password").encode()).decode()
    text = f"apiVersion: v1\nkind: Secret\ndata:\n  db-password: {encoded}\n  username: YXBw\n"
    [finding] = scan(text, "k8s/secret.yaml")
    assert (finding.line, finding.secret) == (4, encoded)


DECOYS = [
    # references to a secret kept elsewhere
    ("settings.py", 'DB_PASSWORD = os.environ["DB_PASSWORD"]'),
    ("settings.py", 'api_key = os.getenv("API_KEY")'),
    ("settings.py", "password = get_password(user)"),
    ("settings.py", "token = settings.API_TOKEN"),
    ("settings.py", "secret = other_secret"),
    ("config.js", "const token = process.env.GITHUB_TOKEN;"),
    ("config.yml", "  password: ${DB_PASSWORD}"),
    ("config.yml", '  api_key: "{{ vault_api_key }}"'),
    ("config.yml", "  password: <password>"),
    ("main.tf", "  password = var.db_password"),
    (".env", "API_KEY=${API_KEY}"),
    ("deploy.sh", 'mysql -u root -p"$MYSQL_ROOT_PASSWORD" app'),
    ("settings.json", '  "password": "",'),
    ("settings.py", 'password = f"{prefix}-{suffix}"'),
    # placeholders
    ("config.yml", "  password: changeme"),
    (".env", "SECRET_KEY=your-secret-key-here"),
    ("settings.py", 'API_KEY = "<your-api-key>"'),
    ("settings.json", '  "token": "xxxxxxxxxxxxxxxxxxxxxxxx",'),
    ("app.ini", "password = example"),
    ("settings.py", 'PASSWORD = "P@ssw0rd123"'),
    ("settings.py", 'token = "abcdefghijklmnop0123"'),
    ("main.tf", '  password = "REPLACE_ME"'),
    # names that are not the secret, prose, labels
    ("settings.py", 'password_field = "password"'),
    ("settings.py", 'TOKEN_URL = "https://auth.internal/oauth/token"'),
    ("settings.py", "min_password_length = 12"),
    ("settings.py", 'password_hash = "$2b$12$' + "a" * 53 + '"'),
    ("README.md", "Password: see the team vault."),
    ("README.md", "The token expires after an hour, then a new password is needed."),
    ("form.html", '<input type="password" name="password" placeholder="Password">'),
    ("en.json", '  "LABEL_PASSWORD": "Password",'),
    ("en.json", '  "PASSWORD_TOO_SHORT": "The password must have 12 characters or more",'),
    ("fr.json", '  "Invalid email or password.": "Adresse ou mot de passe invalide.",'),
    ("status.py", 'COLOURS = {"PASS": "green", "FAIL": "red"}'),
    ("cli.sh", "-W, --password               force password prompt"),
    ("server.js", 'headers.push({key: "Access-Control-Allow-Headers", value: "*"});'),
    ("test.js", "password.sendKeys('hunter-two-of-them');"),
]


@pytest.mark.parametrize("path, line", DECOYS, ids=[f"{p}:{t[:28]}" for p, t in DECOYS])
def test_reference_placeholder_or_prose_is_not_reported(path, line, scan):
    assert scan(line, path) == []


def test_high_entropy_values_that_are_not_secrets_stay_quiet(scan, rng):
    pick, HEX = corpus.pick, corpus.HEX
    image = base64.b64encode(rng.randbytes(90)).decode()
    integrity = base64.b64encode(rng.randbytes(64)).decode()
    uuid = f"{pick(rng, HEX, 8)}-{pick(rng, HEX, 4)}-4{pick(rng, HEX, 3)}-a{pick(rng, HEX, 3)}-{pick(rng, HEX, 12)}"
    lines = [
        f'COMMIT = "{pick(rng, HEX, 40)}"',                              # git SHA
        f"request_id: {uuid}",                                           # UUID
        f'SHA256 = "{pick(rng, HEX, 64)}"',                              # checksum
        f'  "integrity": "sha512-{integrity}",',                         # lockfile
        f".logo {{ background: url(data:image/png;base64,{image}); }}",  # data URI
        "ssh-rsa " + base64.b64encode(rng.randbytes(270)).decode() + " deploy@ci",
        corpus.certificate(rng),                                         # public certificate
    ]
    assert scan("\n".join(lines), "mixed.py") == []


def test_configured_secret_keys_extend_the_names(fake):
    from tier1_plugin.secret_scanner import SecretScanner

    line = f'signing_salt = "{fake("token")}"'
    assert SecretScanner(plugins=False).scan_text(line, "a.py") == []
    [finding] = SecretScanner({"secret_keys": ["salt"]}, plugins=False).scan_text(line, "a.py")
    assert finding.rule_id == "secret-assignment"


def test_configured_placeholders_replace_the_builtin_list(fake):
    from tier1_plugin.secret_scanner import SecretScanner

    scanner = SecretScanner({"placeholders": ["internal-dev-only"]}, plugins=False)
    assert scanner.scan_text("password: internal-dev-only", "a.yml") == []
