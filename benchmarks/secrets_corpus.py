"""Build a labelled corpus of planted fake secrets and decoys (for ``benchmarks/secrets.py``).

    python benchmarks/secrets_corpus.py OUT_DIR [--seed N] [--ordinary 300]

Every secret is random and made up at generation time (nothing secret-shaped is committed):
the formats the scanner knows (AWS, GitHub, GitLab, Slack, Stripe, Google, OpenAI,
Anthropic, SendGrid, Twilio, JWT, private keys, URL credentials) and passwords/tokens assigned
to secret-named keys, planted in Python, JavaScript, ``.env``, YAML, JSON, shell, Terraform,
docker-compose and Kubernetes files.  Next to them: decoys of every kind the scanner must
stay quiet on (environment lookups, ``${VAR}``, placeholders, calls, prose, git SHAs, UUIDs,
checksums, lockfile integrity hashes, ``data:`` URIs, certificates, public keys, vendor
example keys, near-miss formats, allowlisted lines), and a few hundred ordinary source files.

The labels (``path<TAB>line<TAB>kind`` of every planted secret) go to ``OUT_DIR.labels.tsv``
beside the tree, so the scanners never read them.  The fake makers (:data:`FAKES`) are also
what the scanner's tests use to build their inputs.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import sys
from pathlib import Path

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


def pick(rng: random.Random, alphabet: str, size: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def fake_password(rng) -> str:
    # letters, digits and a symbol, like a generated password; never a dictionary word
    core = pick(rng, ALNUM, rng.randint(10, 18))
    return core[:4] + rng.choice("!#^*+=?") + core[4:] + str(rng.randint(0, 9))


def fake_jwt(rng) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": pick(rng, HEX, 12), "iat": rng.randint(1_600_000_000, 1_800_000_000),
              "api": pick(rng, ALNUM, 8)}
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(rng.randbytes(32))}"


def fake_private_key(rng, kind: str = "RSA") -> str:
    body = base64.b64encode(rng.randbytes(48 * 12)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


#: kind -> maker of one fake secret of that kind (a str; private keys span lines).
FAKES = {
    "aws-access-key-id": lambda rng: "AKIA" + pick(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "aws-secret-access-key": lambda rng: pick(rng, B64, 40),
    "github-token": lambda rng: rng.choice(["ghp_", "gho_", "ghs_"]) + pick(rng, ALNUM, 36),
    "github-fine-grained-token": lambda rng: f"github_pat_{pick(rng, ALNUM, 22)}_{pick(rng, ALNUM, 59)}",
    "gitlab-token": lambda rng: "glpat-" + pick(rng, URLSAFE, 20),
    "slack-token": lambda rng: (f"xox{rng.choice('bp')}-{rng.randint(10**10, 10**11)}-"
                                f"{rng.randint(10**12, 10**13)}-{pick(rng, ALNUM, 24)}"),
    "slack-webhook-url": lambda rng: ("https://hooks.slack.com/services/T" + pick(rng, UPPER_DIGITS, 8)
                                      + "/B" + pick(rng, UPPER_DIGITS, 10) + "/" + pick(rng, ALNUM, 24)),
    "stripe-live-key": lambda rng: rng.choice(["sk", "rk"]) + "_live_" + pick(rng, ALNUM, 24),
    "google-api-key": lambda rng: "AIza" + pick(rng, URLSAFE, 35),
    "openai-api-key": lambda rng: rng.choice([
        "sk-proj-" + pick(rng, URLSAFE, 48),
        "sk-" + pick(rng, ALNUM, 20) + "T3BlbkFJ" + pick(rng, ALNUM, 20)]),
    "anthropic-api-key": lambda rng: "sk-ant-api03-" + pick(rng, URLSAFE, 93) + "AA",
    "sendgrid-api-key": lambda rng: f"SG.{pick(rng, URLSAFE, 22)}.{pick(rng, URLSAFE, 43)}",
    "twilio-api-key": lambda rng: "SK" + pick(rng, HEX, 32),
    "jwt": fake_jwt,
    "private-key": lambda rng: fake_private_key(rng, rng.choice(["RSA", "EC", "OPENSSH", ""])),
    "url-credentials": lambda rng: (f"{rng.choice(['postgres', 'mysql', 'redis', 'amqp', 'mongodb'])}"
                                    f"://app:{fake_password(rng).replace('#', 'x').replace('?', 'y')}"
                                    f"@db{rng.randint(1, 9)}.internal:5432/app"),
    "password": fake_password,
    "token": lambda rng: pick(rng, ALNUM, rng.randint(24, 40)),
}

# -- where secrets are planted: (file suffix, template) ---------------------------------------
# {s} is the secret; {name} a variable-ish word.  Known formats also go under neutral names,
# where only their shape can give them away.
KNOWN_FORMAT_PLACES = [
    ("py", 'VALUE_{n} = "{s}"'),
    ("py", 'client = make_client(token="{s}")'),
    ("js", "const setting{n} = '{s}';"),
    ("env", "SERVICE_{N}_KEY={s}"),
    ("yml", "  credential_{n}: {s}"),
    ("json", '  "value_{n}": "{s}",'),
    ("sh", 'export SERVICE_{N}="{s}"'),
    ("tf", '  key_{n} = "{s}"'),
]
#: AWS secret keys have no prefix of their own: they are found by the name beside them.
AWS_SECRET_PLACES = [
    ("env", "AWS_SECRET_ACCESS_KEY={s}"),
    ("ini", "aws_secret_access_key = {s}"),
    ("py", 'AWS_SECRET_ACCESS_KEY = "{s}"'),
    ("yml", "  secretAccessKey: {s}"),
    ("tf", '  secret_key = "{s}"'),
]
PASSWORD_PLACES = [
    ("py", 'DB_PASSWORD = "{s}"'),
    ("py", 'conn = connect(host="db", user="app", password="{s}")'),
    ("js", "const adminPassword = '{s}';"),
    ("env", "POSTGRES_PASSWORD={s}"),
    ("yml", "  password: {s}"),
    ("yml", '      - MYSQL_ROOT_PASSWORD={s}'),
    ("json", '  "password": "{s}",'),
    ("sh", 'mysql -u root -p"{s}" app < dump.sql'),
    ("sh", 'psql "host=db user=app password={s}"'),
    ("tf", '  password = "{s}"'),
    ("ini", "password = {s}"),
    ("xml", "  <password>{s}</password>"),
]
TOKEN_PLACES = [
    ("py", 'API_TOKEN = "{s}"'),
    ("py", 'settings = {{"client_secret": "{s}"}}'),
    ("js", "export const apiKey = '{s}';"),
    ("env", "AUTH_TOKEN={s}"),
    ("yml", "  api_key: {s}"),
    ("json", '  "access_token": "{s}",'),
    ("sh", "export SECRET_KEY='{s}'"),
    ("sh", 'curl -H "Authorization: Bearer {s}" https://api.internal/v1/items'),
    ("tf", '  client_secret = "{s}"'),
    ("sh", "deploy --api-token {s} --region eu"),
]


def decoy_lines(rng) -> list[tuple[str, str]]:
    """(file suffix, line) pairs that must not be reported: one or more of every kind."""
    sha = pick(rng, HEX, 40)
    uuid = f"{pick(rng, HEX, 8)}-{pick(rng, HEX, 4)}-4{pick(rng, HEX, 3)}-a{pick(rng, HEX, 3)}-{pick(rng, HEX, 12)}"
    checksum = pick(rng, HEX, 64)
    integrity = base64.b64encode(rng.randbytes(64)).decode()
    image = base64.b64encode(rng.randbytes(60)).decode()
    public_key = base64.b64encode(rng.randbytes(270)).decode()
    near_github = "ghp_" + pick(rng, ALNUM, 20)
    near_aws = "AKIA" + pick(rng, UPPER_DIGITS, 12)
    low_entropy = "ghp_" + "x" * 36
    return [
        # references, not values
        ("py", 'DB_PASSWORD = os.environ["DB_PASSWORD"]'),
        ("py", 'api_key = os.getenv("API_KEY")'),
        ("py", "token = settings.API_TOKEN"),
        ("py", "password = get_password(user)"),
        ("py", "secret = request.headers.get('X-Secret')"),
        ("js", "const token = process.env.GITHUB_TOKEN;"),
        ("js", "const password = await vault.read('db/password');"),
        ("yml", "  password: ${DB_PASSWORD}"),
        ("yml", '  api_key: "{{ vault_api_key }}"'),
        ("yml", "      - POSTGRES_PASSWORD_FILE=/run/secrets/db_password"),
        ("env", "API_KEY=${API_KEY}"),
        ("sh", 'export GITHUB_TOKEN="$(cat ~/.config/gh/token)"'),
        ("sh", 'mysql -u root -p"$MYSQL_ROOT_PASSWORD" app'),
        ("tf", "  password = var.db_password"),
        ("tf", "  client_secret = data.vault_generic_secret.app.data[\"secret\"]"),
        ("json", '  "password": "",'),
        # placeholders
        ("yml", "  password: changeme"),
        ("env", "SECRET_KEY=your-secret-key-here"),
        ("py", 'API_KEY = "<your-api-key>"'),
        ("json", '  "token": "xxxxxxxxxxxxxxxxxxxxxxxx",'),
        ("ini", "password = example"),
        ("tf", '  password = "REPLACE_ME"'),
        ("sh", "curl -u admin:password http://localhost:8080/api"),
        ("py", 'DATABASE_URL = "postgres://user:pass@localhost:5432/app"'),
        ("py", 'DATABASE_URL = "postgres://app:${DB_PASSWORD}@db:5432/app"'),
        # prose, forms, names
        ("py", "# Put the API token in the API_TOKEN environment variable."),
        ("py", 'password_field = "password"'),
        ("py", 'TOKEN_URL = "https://auth.internal/oauth/token"'),
        ("py", 'min_password_length = 12'),
        ("js", '<input type="password" name="password" placeholder="Password">'),
        ("json", '  "LABEL_PASSWORD": "Password",'),
        ("json", '  "PASSWORD_TOO_SHORT": "The password must have 12 characters or more",'),
        ("yml", "  token_type: bearer"),
        # high entropy, not secret
        ("py", f'COMMIT = "{sha}"'),
        ("yml", f"  request_id: {uuid}"),
        ("py", f'SHA256 = "{checksum}"'),
        ("json", f'  "integrity": "sha512-{integrity}",'),
        ("js", f".logo {{ background: url(data:image/png;base64,{image}); }}"),
        ("sh", f"echo 'ssh-rsa {public_key} deploy@ci' >> ~/.ssh/authorized_keys"),
        ("py", f'password_hash = "$2b$12${pick(rng, B64.replace("+", "."), 53)}"'),
        # vendor examples and near misses
        ("py", 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"'),
        ("py", 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'),
        ("py", f'PREFIX = "{near_github}"'),
        ("py", f'PARTIAL = "{near_aws}"'),
        ("py", f'FILLER = "{low_entropy}"'),
        ("md", "Keys look like `-----BEGIN RSA PRIVATE KEY-----`; never commit one."),
        # allowlisted on purpose
        ("py", f'TEST_TOKEN = "{pick(rng, ALNUM, 32)}"  # pragma: allowlist secret'),
    ]


def certificate(rng) -> str:
    body = base64.b64encode(rng.randbytes(600)).decode()
    return "\n".join(["-----BEGIN CERTIFICATE-----", *[body[i:i + 64] for i in range(0, len(body), 64)],
                      "-----END CERTIFICATE-----"])


# -- ordinary files --------------------------------------------------------------------------
WORDS = ("order invoice customer account report cache queue worker session user item price "
         "total status event batch retry limit window payload record index page filter").split()


def ordinary_python(rng) -> str:
    lines = ['"""Generated module."""', "import json", "import logging", "",
             "log = logging.getLogger(__name__)", ""]
    for _ in range(rng.randint(4, 12)):
        a, b = rng.sample(WORDS, 2)
        lines += [f"def {a}_{b}({a}, {b}=None):",
                  f'    """Return the {a} for {b}."""',
                  f"    if {b} is None:",
                  f"        {b} = {{'{a}': {rng.randint(1, 999)}, 'key': '{rng.choice(WORDS)}'}}",
                  f"    log.debug('{a} %s', {a})",
                  f"    return json.dumps({{'{a}': {a}, '{b}': {b}}})", ""]
    return "\n".join(lines) + "\n"


def ordinary_js(rng) -> str:
    lines = ["'use strict';", ""]
    for _ in range(rng.randint(4, 12)):
        a, b = rng.sample(WORDS, 2)
        lines += [f"export function {a}{b.title()}({a}, options = {{}}) {{",
                  f"  const {b} = options.{b} ?? {rng.randint(1, 99)};",
                  f"  return fetch(`/api/{a}/${{{b}}}`).then((r) => r.json());",
                  "}", ""]
    return "\n".join(lines) + "\n"


def ordinary_yaml(rng) -> str:
    lines = ["version: 1", "service:"]
    for word in rng.sample(WORDS, 6):
        lines.append(f"  {word}: {rng.choice([rng.randint(1, 500), rng.choice(WORDS), 'true'])}")
    return "\n".join(lines) + "\n"


def ordinary_go(rng) -> str:
    a, b = rng.sample(WORDS, 2)
    return (f"package {a}\n\nimport \"fmt\"\n\n// {a.title()} holds a {b}.\n"
            f"type {a.title()} struct {{\n\tID int\n\t{b.title()} string\n}}\n\n"
            f"func (x *{a.title()}) String() string {{\n\treturn fmt.Sprintf(\"%d %s\", x.ID, x.{b.title()})\n}}\n")


ORDINARY = [("py", ordinary_python), ("js", ordinary_js), ("yml", ordinary_yaml), ("go", ordinary_go)]

FILE_NAMES = {"env": ".env", "yml": "config.yml", "json": "settings.json", "tf": "main.tf",
              "sh": "deploy.sh", "py": "settings.py", "js": "config.js", "ini": "app.ini",
              "xml": "app.config.xml", "md": "NOTES.md"}


class Corpus:
    """A generated tree and its labels: ``planted`` maps (path, line) -> kind."""

    def __init__(self, root: Path):
        self.root = root
        self.planted: dict[tuple[str, int], str] = {}
        self.files: dict[str, list[str]] = {}

    def add(self, relative: str, lines: list[str], secrets: dict[int, str] | None = None):
        self.files[relative] = lines
        for line, kind in (secrets or {}).items():
            self.planted[(relative, line)] = kind

    def write(self) -> None:
        for relative, lines in self.files.items():
            path = self.root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(root: Path, seed: int | None = None, ordinary: int = 300, groups: int = 40) -> Corpus:
    """Generate the corpus under ``root`` (created) and return it with its labels.

    ``groups`` folders each get one file per format holding planted secrets and decoys mixed
    together; ``ordinary`` plain source files are spread between them.
    """
    rng = random.Random(seed)
    corpus = Corpus(Path(root))
    known = list(FAKES)
    known.remove("password")
    known.remove("token")
    for group in range(groups):
        folder = f"services/svc{group:02d}"
        per_file: dict[str, list[tuple[str, str | None]]] = {}  # suffix -> [(line, kind)]

        def plant(suffix, line, kind=None):
            per_file.setdefault(suffix, []).append((line, kind))

        for _ in range(3):
            kind = rng.choice(known)
            secret = FAKES[kind](rng)
            if kind == "private-key":
                suffix = rng.choice(["pem", "key"])
                corpus.add(f"{folder}/keys/{rng.choice(WORDS)}_{group}.{suffix}", secret.split("\n"),
                           {1: kind})
                continue
            places = AWS_SECRET_PLACES if kind == "aws-secret-access-key" else KNOWN_FORMAT_PLACES
            suffix, template = rng.choice(places)
            n = rng.randint(1, 99)
            plant(suffix, template.format(s=secret, n=n, N=n), kind)
        for places, kind in ((PASSWORD_PLACES, "password"), (TOKEN_PLACES, "token")):
            for _ in range(2):
                suffix, template = rng.choice(places)
                plant(suffix, template.format(s=FAKES[kind](rng)), kind)
        for suffix, line in rng.sample(decoy_lines(rng), 14):
            plant(suffix, line, None)
        if group % 4 == 0:
            corpus.add(f"{folder}/certs/ca.pem", certificate(rng).split("\n"))
        for suffix, items in per_file.items():
            rng.shuffle(items)
            lines, secrets = [_header(suffix)], {}
            for line, kind in items:
                lines.append(line)
                if kind:
                    secrets[len(lines)] = kind
                lines.append(_filler(suffix, rng))
            corpus.add(f"{folder}/{FILE_NAMES[suffix]}", lines, secrets)
        corpus.add(f"{folder}/k8s/secret.yaml", *_kubernetes_secret(rng))
    for index in range(ordinary):
        suffix, make = ORDINARY[index % len(ORDINARY)]
        corpus.add(f"src/pkg{index % 17}/{rng.choice(WORDS)}_{index}.{suffix}",
                   make(rng).rstrip("\n").split("\n"))
    corpus.write()
    return corpus


def _header(suffix: str) -> str:
    return {"py": '"""Settings."""', "js": "// settings", "env": "# environment", "yml": "config:",
            "json": "{", "sh": "#!/bin/sh", "tf": 'resource "app" "main" {', "ini": "[app]",
            "xml": "<configuration>", "md": "# Notes"}[suffix]


def _filler(suffix: str, rng) -> str:
    word = rng.choice(WORDS)
    return {"py": f"{word.upper()}_LIMIT = {rng.randint(1, 100)}",
            "js": f"const {word}Limit = {rng.randint(1, 100)};",
            "env": f"{word.upper()}_LIMIT={rng.randint(1, 100)}",
            "yml": f"  {word}_limit: {rng.randint(1, 100)}",
            "json": f'  "{word}_limit": {rng.randint(1, 100)},',
            "sh": f"echo {word}",
            "tf": f'  {word}_limit = {rng.randint(1, 100)}',
            "ini": f"{word}_limit = {rng.randint(1, 100)}",
            "xml": f"  <{word}>{rng.randint(1, 100)}</{word}>",
            "md": f"The {word} limit is {rng.randint(1, 100)}."}[suffix]


def _kubernetes_secret(rng):
    """A Kubernetes Secret whose data values are base64 of fake passwords and tokens."""
    password = base64.b64encode(fake_password(rng).encode()).decode()
    token = base64.b64encode(pick(rng, ALNUM, 32).encode()).decode()
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: app", "type: Opaque", "data:",
             f"  db-password: {password}", f"  api-token: {token}",
             f"  username: {base64.b64encode(b'app').decode()}"]
    return lines, {7: "password", 8: "token"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--ordinary", type=int, default=300)
    parser.add_argument("--groups", type=int, default=40)
    args = parser.parse_args(argv)
    corpus = build(args.out, args.seed, args.ordinary, args.groups)
    labels = args.out.with_name(args.out.name + ".labels.tsv")
    labels.write_text("".join(f"{p}\t{line}\t{kind}\n" for (p, line), kind in sorted(corpus.planted.items())),
                      encoding="utf-8")
    print(f"{len(corpus.files)} files, {len(corpus.planted)} planted secrets; labels in {labels}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
