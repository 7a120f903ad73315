"""Find hard-coded secrets in a folder: the ``security`` check's scanner and ``tier1 scan-secrets``.

Two kinds of detection, run in one pass over each file's text:

* **Known formats** (:mod:`tier1_plugin.secret_rules`): AWS keys, GitHub/GitLab/Slack/Stripe/
  Google/OpenAI/Anthropic/SendGrid/Twilio tokens, JWTs, private key blocks, credentials in
  URLs, HTTP Basic/Bearer credentials.  Each rule's regular expression starts with a literal
  (the regex engine searches for it first); a rule with ``keywords`` runs only on files whose
  lower-cased text contains one of them.
* **Assignments of secret-named keys** (``password = "..."``, ``"api_key": "..."``,
  ``DB_PASSWORD=...``, ``--password ...``, ``<password>...</password>``): the key's name is
  split into words and must name a secret (``password``, ``token``, ``secret`` ...) without
  a word that makes it something else (``token_url``, ``password_hash``, ``min_length``);
  the value must be a literal that looks like a real secret, not a reference
  (``os.environ[...]``, ``${VAR}``, ``<placeholder>``, a call, an identifier) or a
  placeholder (``changeme``, ``xxx``, ``your-key``).

Allowed: lines with ``pragma: allowlist secret`` (the line before may say
``pragma: allowlist nextline secret``), secrets matching ``allowlist`` (vendor example keys),
paths matching ``exclude``, and findings whose fingerprint is in the baseline file.

The secret itself stays in memory: every output uses :attr:`Finding.masked` and
:attr:`Finding.fingerprint` (a salted SHA-256, never the value).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tier1_plugin.secret_rules import Rule, load_rules, shannon_entropy, VALIDATORS

#: Folder names left out at any depth, and root-anchored build outputs (always, on top of
#: the configured ``exclude``).
ALWAYS_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    "*.egg-info", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".tier1",
    ".terraform", "build/", "dist/", "target/", ".next/", "coverage/", "htmlcov/",
)

#: Extensions never worth opening (binary formats, archives, media).
BINARY_EXTENSIONS = frozenset("""
png jpg jpeg gif bmp ico webp tiff psd svgz mp3 mp4 m4a wav ogg flac avi mov mkv webm
zip gz tgz bz2 xz 7z rar tar jar war ear whl egg pyc pyo pyd so dll dylib exe bin o a lib
class dex apk ipa woff woff2 ttf otf eot pdf doc docx xls xlsx ppt pptx sqlite db mo
""".split())

#: Extensions of programming languages: there an unquoted right-hand side is an expression.
CODE_EXTENSIONS = frozenset("""
py pyi pyx js mjs cjs jsx ts tsx go java kt kts scala groovy gradle rb php cs fs vb c h cc
cpp hpp cxx m mm swift rs dart lua pl pm r jl ex exs erl clj cljs elm hs ml vue svelte
""".split())

DEFAULT_MAX_FILE_BYTES = 1_000_000

PRAGMA = "pragma: allowlist secret"
PRAGMA_NEXTLINE = "pragma: allowlist nextline secret"


@dataclass
class Finding:
    """One secret found at ``path`` (relative to the scanned root, ``/``-separated)."""

    path: str
    line: int
    rule_id: str
    description: str
    secret: str = field(repr=False)
    column: int = 1
    severity: str = "high"
    #: leading characters the masked form shows: a vendor prefix (AKIA, ghp_), never a
    #: password's first letters
    reveal: int = 0

    @property
    def masked(self) -> str:
        return mask(self.secret, self.reveal)

    @property
    def fingerprint(self) -> str:
        """Stable across line moves; salted with the path so equal secrets differ per file."""
        import hashlib  # only when a finding is shown or baselined

        digest = hashlib.sha256(f"tier1-secret\0{self.path}\0{self.secret}".encode("utf-8", "replace"))
        return digest.hexdigest()[:40]

    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict:
        """The JSON form: everything but the secret."""
        return {"path": self.path, "line": self.line, "column": self.column,
                "rule_id": self.rule_id, "description": self.description,
                "severity": self.severity, "masked": self.masked,
                "fingerprint": self.fingerprint}


def mask(secret: str, reveal: int = 0) -> str:
    """Show at most ``reveal`` leading characters (only of a secret of 16 or more), star the
    rest (at most 24 stars, at least 4, so the length of a short password does not show)."""
    size = len(secret)
    keep = min(reveal, 4) if size >= 16 else 0
    return secret[:keep] + "*" * min(max(size - keep, 4), 24)


@dataclass
class ScanReport:
    """What one scan saw: findings (sorted by path and line) and the files it read or skipped."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    errors: list[str] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)

    @property
    def new_findings(self) -> list[Finding]:
        accepted = {id(f) for f in self.baselined}
        return [f for f in self.findings if id(f) not in accepted]


# -- assignments of secret-named keys -------------------------------------------------------

# Anchored on the secret word (extending left to the whole key name happens in Python, which
# is cheaper than a leading ``[\w.-]*`` retried at every position).  It runs on the lower-cased
# text: case-sensitive literals let the regex engine skip ahead ~5x faster than IGNORECASE.
_ASSIGNMENT = re.compile(
    r"""(?x)
    (?:pass(?:word|wd|phrase)?|pwd|secret|token|credential|api[_.\-]?key|apikey|key|auth|pw)
    [\w.\-]*
    (?P<kq>\\?["'`]?\]?)                                                 # end of a quoted key
    (?P<sep>
        [ \t]*:[ \t]*[A-Za-z_][\w.\[\]<>|?]*[ \t]+=[ \t]*                # typed: pw: str = "x"
      | [ \t]*(?:=>|:=|==|=)[ \t]*                                          # = := => ==
      | [ \t]*:[ \t]*                                                     # YAML, JSON, dict
      | (?<=["'])[ \t]*,[ \t]*                                              # ("password", "x")
      | [ \t]*\([ \t]*                                                     # setPassword("x")
      | [ \t]+                                                             # --password x
    )
    (?P<value>
        \\["'][^"'\\\s]{4,400}\\["']                                      # \"x\" in escaped JSON
      | [bruf@]{0,2}"(?:[^"\\\n]|\\.){4,400}"                          # (shorter values are
      | [bruf@]{0,2}'(?:[^'\\\n]|\\.){4,400}'                          # never secrets)
      | `[^`\n]{4,400}`
      | [^\s"'`,;)}\]<>&]{4,400}
    )
    """
)

_XML_ELEMENT = re.compile(
    r"(?i)<(?P<tag>[\w:.\-]*(?:password|passwd|secret|token|api[_\-]?key|apikey|credential)"
    r"[\w:.\-]*)>(?P<value>[^<\s]{1,400})</(?P=tag)>")

# ``mysql -uroot -pSECRET`` / ``-p"SECRET"``: only on a line that also passes a user.
_SHORT_PASSWORD_FLAG = re.compile(
    r"""(?<![\w\-])-p(?P<value>"[^"\n]{3,}"|'[^'\n]{3,}'|[^\s'"\-][^\s'"]{3,})""")

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

#: Words of a key name that make it a password / a secret / possibly a key.
PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "pass", "pw", "passwort",
                            "contrasena", "senha", "motdepasse"})
SECRET_WORDS = frozenset({"secret", "secrets", "token", "tokens", "credential", "credentials",
                          "apikey", "apikeys", "privatekey", "accesskey", "secretkey", "authkey",
                          "authtoken", "accesstoken", "refreshtoken", "clientsecret", "cred",
                          "creds"})
KEY_WORDS = frozenset({"key", "auth"})
#: Words before ``key`` that make a key a secret key.
KEY_QUALIFIERS = frozenset({"api", "private", "secret", "access", "auth", "encryption", "signing",
                            "master", "client", "app", "application", "consumer", "crypt",
                            "encrypt", "hmac", "shared", "service", "account", "license", "sign",
                            "session", "cookie", "jwt", "aes", "cipher", "decryption"})

#: Words that, after the secret word (``token_url``, ``password_length``), make the key name
#: something other than the secret itself.
NOT_SECRET_WORDS = frozenset("""
hash hashed digest sha sha1 sha256 sha512 md5 checksum fingerprint public pub length len min max
regex regexp pattern placeholder label hint message msg title error errors text description desc
help policy expiry expires expire expiration format field input prompt forgot reset strength
validation validator valid invalid required enabled enable disabled disable lifetime ttl timeout
duration type types name names url uri urls endpoint path file filename dir folder env var
header headers param params prefix suffix mode count size id ids keyid index idx version
provider store stores storage manager service helper class method fn func callback handler
location lookup query request response schema template rotation created updated at status state
button link icon view page form route routes cache limit display show reveal toggle visible
visibility auto complete autocomplete generated generator generate rule rules column table tab
property properties encrypted uuid guid attr attribute selector element mock stub kind scope
scopes audience algorithm alg algo issuer usage use uses encoding encoded encode decode bytes
bits character characters chars matcher match i18n translation ref reference source pair pairs
list map set sets address host port user username login email mail account owner
""".split())

#: Words that, before the secret word, make the key name something else (``password_hash``
#: is caught above; ``hashed_password``, ``public_key``, ``forgot_password`` here).
NOT_SECRET_BEFORE = frozenset("""
hash hashed digest encrypted uuid guid sha md5 checksum fingerprint public pub placeholder regex
pattern label hint forgot reset length min max policy strength validator validation prompt
message msg error title description field input
""".split())

#: Values that are placeholders, whatever the key (compared lower-cased, without quotes).
DEFAULT_PLACEHOLDERS = (
    "changeme", "change_me", "change-me", "changeit", "password", "passwd", "secret", "token",
    "example", "sample", "placeholder", "dummy", "redacted", "removed", "hidden", "masked",
    "xxx", "todo", "fixme", "replace", "insert", "enter", "your", "none", "null", "nil",
    "undefined", "true", "false", "default", "test", "testing", "foobar", "foo", "bar", "baz",
    "qwerty", "letmein", "admin", "root", "guest", "user", "string", "value", "empty",
    "notsecret", "not-a-secret", "mysecret", "supersecret", "s3cr3t", "p@ssw0rd", "pass",
    "dev", "local", "demo", "fake", "mock", "invalid", "random", "secure", "required",
    "optional", "abc123", "123456", "1234", "12345",
)

#: A value starting with one of these is a placeholder or a test fixture, not a secret.
_PLACEHOLDER_STARTS = ("your", "my-", "my_", "<", "xxx", "***", "test", "demo", "fake", "dummy",
                       "sample", "example", "changeme", "placeholder", "todo", "replace",
                       "insert", "enter", "put-", "put_", "some-", "some_", "mock", "foo-",
                       "foo_", "bar-", "bar_")

#: A value containing one of these is a made-up example ("newpass", "mytestsecret").
_PLACEHOLDER_PARTS = ("pass", "secret", "test", "asdf", "qwer", "demo", "fake", "dummy",
                      "sample", "example", "changeme", "placeholder", "redacted", "wrong",
                      "xxxx", "****", "1234")

_PARTS = re.compile("|".join(re.escape(part) for part in _PLACEHOLDER_PARTS))
_LEET = str.maketrans("@0134$57", "aoieasst")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_SPACE = re.compile(r"\s")

#: Six characters in sequence ("abcdef", "123456", "qwerty"): typed by a person, not random.
_RUNS = re.compile("|".join(sorted({seq[i:i + 6] for seq in (
    "abcdefghijklmnopqrstuvwxyz", "0123456789", "9876543210", "qwertyuiop", "asdfghjkl")
    for i in range(len(seq) - 5)})))

#: First words of a function whose string argument is not a secret being set.
_CALL_NOT_SETTING = frozenset("""
get read load fetch find lookup validate check verify compare hash encrypt decrypt encode decode
generate create delete remove update reset is has with on handle parse format mask print log
assert expect require revoke refresh rotate request prompt ask input show hide
""".split())

#: Documentation formats: an unquoted value after "Password:" there is usually prose.
DOC_EXTENSIONS = frozenset("md markdown rst txt adoc html htm textile org".split())

_REFERENCE_PREFIXES = ("${", "$(", "{{", "%(", "#{", "<%", "@{", "{%", "%{", "!vault", "!ref",
                       "!sub", "!getatt", "env(", "ENC[", "vault:", "secret:", "arn:", "ref+")
_REFERENCE_VALUE = re.compile(
    r"""(?x)
      ^\$[A-Za-z_{(] | ^\{[A-Za-z_]           # $VAR, ${VAR}, $(cmd), {name...
    | ^<[^<>]*>$ | ^\[[^\[\]]*\]$ | ^\{[^{}]*\}$ | ^%[^%]+%$   # <placeholder> [x] {x} %VAR%
    | \{\{ | \}\} | \$\{ | %[sd] | \{\d*\} | \{[A-Za-z_][\w.]*\}   # templates, f-strings
    | ^(?:os|process|env|ENV|settings|config|conf|self|this|var|local|locals|data|module|
         secrets|vars|context|ctx|props|params|values|inputs|github|steps)\.\w  # references
    """)
_SAME_CHAR = re.compile(r"^(.)\1+$")
_WORDS_WITH_SEPARATORS = re.compile(
    r"^[A-Za-z][a-z]*(?:[_\-.][A-Za-z][a-z]*)+$"   # my-secret-name, Access-Control-Allow-Origin
    r"|^[A-Z]+(?:_[A-Z]+)+$"                        # DB_PASSWORD
    r"|^[a-z]+(?:[A-Z][a-z]+)+$")                   # dbPassword
_PATH_LIKE = re.compile(
    r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)"
    r"|\.(?:pem|key|crt|cer|p12|pfx|json|ya?ml|txt|env|conf|cfg|ini|jks|keystore|der|pub)$"
    r"|/[\w\-.]*\.[a-z]{2,6}$"
    r"|^[\w\-]+\.(?:py|js|ts|go|java|cs|rb|php|rs|kt|c|h|cpp|sh|md|txt|html|css|xml|toml|lock|log"
    r"|csv|sql|db)$", re.I)
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*(?:\(\)?)?$")
_NUMBER = re.compile(r"^[\d.,:\-+eE]+$")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*_[A-Z0-9_]*$")  # DB_PASSWORD: a variable's name


@functools.lru_cache(maxsize=4096)
def key_words(key: str) -> list[str]:
    """``DB_PASSWORD`` -> [db, password]; ``oauthTokenSecret`` -> [oauth, token, secret]."""
    words = []
    for part in re.split(r"[^A-Za-z0-9]+", key):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return words


@functools.lru_cache(maxsize=4096)
def secret_kind(key: str, extra_words: frozenset = frozenset()) -> str | None:
    """``"password"``, ``"secret"``, ``"key"`` (needs a strong value) or ``None``.

    ``extra_words`` are configured words (``secret_keys``) that also name a secret.
    """
    words = key_words(key)
    if not words:
        return None
    joined = "".join(words)
    if joined in SECRET_WORDS:
        return "secret"
    kind, last = None, -1
    for index, word in enumerate(words):
        pair = words[index - 1] + word if index else ""
        if word in PASSWORD_WORDS:
            kind, last = "password", index
        elif word in SECRET_WORDS or pair in SECRET_WORDS or word in extra_words:
            kind, last = "secret", index
        elif word in KEY_WORDS and kind is None and all(w.isdigit() for w in words[index + 1:]):
            # "key"/"auth" name a secret only at the end: EncryptionKey, auth; not keyFile
            qualified = index and words[index - 1] in KEY_QUALIFIERS
            kind, last = ("secret" if qualified else "key"), index
    if kind is None:
        return None
    # "token_url", "password_hash", "hashed_password": a word after (or, for a few, before)
    # the secret word says this is not the secret itself.
    if any(word in NOT_SECRET_WORDS for word in words[last + 1:]):
        return None
    if any(word in NOT_SECRET_BEFORE for word in words[:last]):
        return None
    return kind


class _ValueFilter:
    """Decides whether an assigned literal looks like a real secret (the shape filters)."""

    def __init__(self, placeholders):
        self.placeholders = frozenset(p.lower() for p in placeholders)
        # words of five letters or more also count inside a value ("my-changeme-key")
        inside = sorted((re.escape(p) for p in self.placeholders if len(p) >= 5), key=len)
        self._inside = re.compile("|".join(reversed(inside)) or r"(?!)")

    def is_placeholder(self, value: str, key: str) -> bool:
        lower = value.lower()
        if _SAME_CHAR.match(lower) or not lower.strip("*x.-_#0<>"):
            return True
        stripped = _NOT_ALNUM.sub("", lower)
        words = key_words(key)
        if lower == key.lower() or lower in words or (len(lower) >= 4 and stripped in "".join(words)):
            return True  # password: "password", credential.setPrivateKey("privatekey")
        if lower in self.placeholders or stripped in self.placeholders or self._inside.search(lower):
            return True
        plain = lower.translate(_LEET)  # "P@ssw0rd" is "password"
        if plain.startswith(_PLACEHOLDER_STARTS) or _RUNS.search(lower):
            return True
        # short words hide by chance in long random strings ("...spwd..."): only look for
        # them in values that are not random
        return bool((len(value) < 16 or shannon_entropy(value) < 3.7) and _PARTS.search(plain))

    def accepts(self, value: str, quoted: bool, kind: str, key: str, code_file: bool = False,
                strict: bool = False) -> bool:
        """Whether ``value`` (assigned to ``key``) looks like a real secret.

        ``quoted``: written as a string literal; ``code_file``: in a programming language,
        where an unquoted value is an expression; ``strict``: an unquoted value in prose
        (``Password: see below``) must mix character classes.
        """
        if not value or len(value) < 4 or value[0] == "&":
            return False
        if not value.isascii() and sum(not c.isascii() for c in value) * 10 > len(value):
            return False  # text in another script: a translation, not a password
        if _SPACE.search(value) or "\\n" in value or "..." in value:
            return False
        if value[0] == "$" or value.startswith(_REFERENCE_PREFIXES) or _REFERENCE_VALUE.search(value):
            return False  # $VAR, ${VAR}, and $2b$/$argon2 password hashes
        if "://" in value or _is_path(value):
            return False
        if _NUMBER.match(value) and (len(value) < 16 or kind == "password"):
            return False  # a port, a count, a date
        if not quoted:
            if code_file or "(" in value or ")" in value:
                return False  # an expression: variable, call, attribute
            if _IDENTIFIER.match(value) and ("." in value or _CONSTANT.match(value)):
                return False
            if value.startswith(("[", "{", "&", "*", "!", "|", ">")):
                return False
            if strict and not _mixed(value):
                return False
        if self.is_placeholder(value, key) or _looks_like_words(value):
            return False
        if kind == "password":
            # "pass"/"pw" alone are often not passwords ({"PASS": "green"}): a word will not do
            if key_words(key)[-1:] in (["pass"], ["pw"]) and not _mixed(value):
                return _vowel_share(value) < 0.3
            return True
        if len(value) < 8:
            return False
        entropy = shannon_entropy(value)
        if kind == "secret":
            if not _mixed(value):
                # one character class: random letters, not a word ("urlencoded")
                return len(value) >= 10 and entropy >= 2.8 and _vowel_share(value) < 0.35
            return entropy >= 2.8
        # a bare "key": only a long random value with digits in it
        return (len(value) >= 16 and entropy >= 3.3 and any(c.isdigit() for c in value)
                and any(c.isalpha() for c in value))


def _is_path(value: str) -> bool:
    """``/run/secrets/db``, ``./key.pem``, ``C:\\keys``; not a base64 key that starts with "/"."""
    if not _PATH_LIKE.search(value):
        return False
    if value[0] == "/" and "." not in value and len(value) >= 20 and _mixed(value) and \
            shannon_entropy(value) >= 4.0 and any(c.isdigit() for c in value):
        return False
    return True


def _vowel_share(value: str) -> float:
    letters = [c for c in value.lower() if c.isalpha()]
    return sum(c in "aeiouy" for c in letters) / len(letters) if letters else 0.0


def _looks_like_words(value: str) -> bool:
    """``my-secret-name``, ``Access-Control-Allow-Origin``, ``dbPassword``: words, not random.

    Joined words have vowels (y included) in a third or more of their letters; random letters
    in about a fifth, which keeps ``xjcb_fcwmeco_rhdzfl`` a secret.
    """
    if not _WORDS_WITH_SEPARATORS.match(value):
        return False
    letters = [c for c in value.lower() if c.isalpha()]
    vowels = sum(c in "aeiouy" for c in letters)
    return vowels >= 0.3 * len(letters)


def _mixed(value: str) -> bool:
    classes = (any(c.islower() for c in value) + any(c.isupper() for c in value)
               + any(c.isdigit() for c in value) + any(not c.isalnum() for c in value))
    return classes >= 2


def _unquote(raw: str) -> tuple[str, bool]:
    if raw[:1] == "\\" and raw[-2:-1] == "\\" and len(raw) >= 4:
        return raw[2:-2], True  # \"value\" inside an escaped JSON string
    text = raw.lstrip("bruf@") if raw[:1] in "bruf@" and raw.lstrip("bruf@")[:1] in "\"'" else raw
    if len(text) >= 2 and text[0] in "\"'`" and text[-1] == text[0]:
        return text[1:-1], True
    return raw, False


# -- the scanner ----------------------------------------------------------------------------

class SecretScanner:
    """Scans text, files and folders with one configuration (a ``security`` config section).

    ``section`` keys: ``rules``, ``extra_rules``, ``rules_file``, ``disable``, ``exclude``,
    ``allowlist`` (regexes matched against the secret), ``placeholders``, ``max_file_bytes``,
    ``jobs`` (worker processes; 0 = automatic), ``baseline``.
    """

    def __init__(self, section: dict | None = None, root: Path | None = None, config=None,
                 plugins: bool = True):
        # keys the section leaves out take the packaged defaults (rules, allowlist ...); a
        # section from load_config() has them all, and parsing YAML again would cost ~50 ms
        section = dict(section or {})
        if "rules" not in section or "allowlist" not in section:
            section = {**default_section(), **section}
        self.section = section
        ruleset = load_rules(section, root, config, plugins=plugins)
        self.rules: list[Rule] = ruleset.rules
        self.errors: list[str] = list(ruleset.errors)
        self.exclude = tuple(ALWAYS_EXCLUDE) + tuple(section.get("exclude") or ())
        self._exclude_re = _exclude_regex(self.exclude)
        self.allowlist = []
        for pattern in section.get("allowlist") or ():
            try:
                self.allowlist.append(re.compile(pattern))
            except re.error as exc:
                self.errors.append(f"allowlist {pattern!r}: {exc}")
        self.values = _ValueFilter(section.get("placeholders") or DEFAULT_PLACEHOLDERS)
        self.max_file_bytes = int(section.get("max_file_bytes") or DEFAULT_MAX_FILE_BYTES)
        self.jobs = int(section.get("jobs", 0) or 0)
        self.extra_words = frozenset(str(w).lower() for w in section.get("secret_keys") or ())
        self._assignment = _ASSIGNMENT
        if self.extra_words:
            anchors = "|".join(re.escape(w) for w in sorted(self.extra_words))
            self._assignment = re.compile(
                _ASSIGNMENT.pattern.replace("(?:pass(?:word", f"(?:{anchors}|pass(?:word", 1),
                _ASSIGNMENT.flags)
        self._unkeyed = [rule for rule in self.rules if not rule.keywords]
        self._keyed = [rule for rule in self.rules if rule.keywords]

    # -- text ---------------------------------------------------------------------------

    def scan_text(self, text: str, path: str = "<text>") -> list[Finding]:
        """Every secret in ``text`` (one finding per line, known formats first)."""
        lower = text.lower()
        hits: dict[int, tuple[int, str, str, str, str]] = {}  # line start -> hit
        size = len(text)
        for rule in self._unkeyed + [r for r in self._keyed if any(k in lower for k in r.keywords)]:
            for match in rule.pattern.finditer(text):
                secret = match.group(rule.secret_group)
                if not secret or (rule.entropy and shannon_entropy(secret) < rule.entropy):
                    continue
                begin, end = match.span(rule.secret_group)
                if (begin and text[begin - 1].isalnum()) or (end < size and text[end].isalnum()):
                    continue  # part of a longer word: "TASK1234..." is not a Twilio key
                if rule.validate and not VALIDATORS[rule.validate](secret):
                    continue
                if rule.literal and not self.values.accepts(secret, True, "password", "", False):
                    continue
                start = match.start()
                self._keep(hits, text, start, rule.id, rule.description, secret, rule.severity,
                           0 if rule.literal else 4)
        self._assignments(text, lower if len(lower) == size else None, path, hits)
        findings = []
        line, position = 1, 0
        for start in sorted(hits):
            offset, rule_id, description, secret, severity, reveal = hits[start]
            line += text.count("\n", position, offset)
            position = offset
            finding = Finding(path, line, rule_id, description, secret,
                              column=offset - start + 1, severity=severity, reveal=reveal)
            if not self._allowed(text, start, secret):
                findings.append(finding)
        return findings

    def _keep(self, hits, text, offset, rule_id, description, secret, severity="high", reveal=0):
        start = text.rfind("\n", 0, offset) + 1
        if start not in hits:
            hits[start] = (offset, rule_id, description, secret, severity, reveal)

    def _allowed(self, text: str, line_start: int, secret: str) -> bool:
        end = text.find("\n", line_start)
        line = text[line_start:end if end >= 0 else len(text)]
        if PRAGMA in line:
            return True
        if line_start:
            previous = text[text.rfind("\n", 0, line_start - 1) + 1:line_start]
            if PRAGMA_NEXTLINE in previous:
                return True
        return any(pattern.search(secret) for pattern in self.allowlist)

    def _assignments(self, text: str, lower: str | None, path: str, hits) -> None:
        extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        code_file = extension in CODE_EXTENSIONS
        # lower-casing may change the length of some non-ASCII text; then search case-blind
        matches = (self._assignment.finditer(lower) if lower is not None else
                   re.compile(self._assignment.pattern, re.IGNORECASE).finditer(text))
        for match in matches:
            key_start = match.start()
            while key_start and (text[key_start - 1].isalnum() or text[key_start - 1] in "_.-"):
                key_start -= 1
            key = text[key_start:match.start("kq")].strip(".-")
            kind = secret_kind(key, self.extra_words)
            if kind is None:
                continue
            before = text[key_start - 1] if key_start else ""
            key_quote = match.group("kq").strip("\\]")
            if key_quote and before != key_quote:
                continue  # "Invalid email or password.": the end of a sentence, not a key
            sep = match.group("sep").strip()
            raw = text[match.start("value"):match.end("value")]
            value, quoted = _unquote(raw)
            if before in "?&#" and before:
                quoted = True  # ?private_token=abc&...: a literal inside a URL
            strength = kind
            if not sep:
                # "the password was" is prose: only a flag (--password x) or SQL
                # (PASSWORD 'x') takes a value after a space
                flag = text[key_start] == "-"
                if not (flag or (quoted and key.isupper())):
                    continue
                if not quoted and not _mixed(value):
                    continue  # "--password  force a prompt": help text
            elif sep == ",":
                opener = text[:max(key_start - 1, 0)].rstrip()[-1:]
                if not key_quote or opener not in ("(", "[", "{"):
                    continue  # ("password", "x") / {"secret", "x"}, not "a", "secret", "b"
                strength = "secret" if kind == "password" else kind
            elif sep == "(":
                # the function's own name decides: password.sendKeys("x") is not setPassword
                function = key.rsplit(".", 1)[-1]
                words = key_words(function)
                if not quoted or not words or words[0] in _CALL_NOT_SETTING or \
                        secret_kind(function, self.extra_words) is None:
                    continue
                strength = "secret" if kind == "password" else kind
            strict = sep == ":" and extension in DOC_EXTENSIONS
            if not self.values.accepts(value, quoted, strength, key, code_file, strict):
                continue
            offset = match.start("value") + max(raw.find(value), 0)
            rule_id = "password-assignment" if kind == "password" else "secret-assignment"
            description = (f"hard-coded password in {key!r}" if kind == "password"
                           else f"hard-coded secret in {key!r}")
            self._keep(hits, text, offset, rule_id, description[:120], value)
        if "</" in text:
            for match in _XML_ELEMENT.finditer(text):
                value = match.group("value")
                kind = secret_kind(match.group("tag").rsplit(":", 1)[-1])
                if kind and self.values.accepts(value, True, kind, match.group("tag"), False):
                    self._keep(hits, text, match.start("value"), "password-assignment"
                               if kind == "password" else "secret-assignment",
                               f"hard-coded secret in <{match.group('tag')}>", value)
        if " -p" in text:
            for match in _SHORT_PASSWORD_FLAG.finditer(text):
                line_start = text.rfind("\n", 0, match.start()) + 1
                line_end = text.find("\n", match.end())
                line = text[line_start:line_end if line_end >= 0 else len(text)]
                if not re.search(r"(?:^|\s)(?:-u\s*\S|--user)", line) or "mysql" not in line:
                    continue
                value, quoted = _unquote(match.group("value"))
                if self.values.accepts(value, True, "password", "password", False):
                    self._keep(hits, text, match.start("value"), "password-assignment",
                               "hard-coded password on a command line (-p)", value)

    # -- files ----------------------------------------------------------------------------

    def scan_file(self, path: Path, relative: str) -> tuple[list[Finding], str | None]:
        """Findings in one file, and why it was skipped (``"binary"``/``"large"``) if it was."""
        try:
            with open(path, "rb") as handle:
                # size first: read(limit) would allocate the whole limit for every small file
                if os.fstat(handle.fileno()).st_size > self.max_file_bytes:
                    return [], "large"
                data = handle.read()
        except OSError as exc:
            return [], f"error: {exc.strerror or exc}"
        if len(data) > self.max_file_bytes:
            return [], "large"  # grew while we looked
        if b"\0" in data[:8192]:
            return [], "binary"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        return self.scan_text(text, relative), None

    def excluded(self, relative: str) -> bool:
        """Whether ``relative`` (``/``-separated) matches an exclude pattern.

        A pattern without a slash matches a file or folder name at any depth; one with a
        slash is matched against the path from the root (``build/`` is the root's build).
        """
        return self._exclude_re.search(relative) is not None

    def files(self, root: Path) -> list[str]:
        """The files to scan, relative to ``root``: git's tracked and untracked-not-ignored
        files when ``root`` is in a work tree, else a walk of the folder."""
        listed = _git_files(root)
        if listed is None:
            listed = _walk_files(root, self)
        return [rel for rel in listed if not self.excluded(rel)
                and rel.rsplit(".", 1)[-1].lower() not in BINARY_EXTENSIONS]

    def scan(self, root: Path | str, baseline: set[str] | None = None) -> ScanReport:
        """Scan a folder (or a single file); ``baseline`` fingerprints are accepted findings."""
        root = Path(root).resolve()
        report = ScanReport(root=root, errors=list(self.errors))
        if root.is_file():
            relatives, base = [root.name], root.parent
        else:
            relatives, base = self.files(root), root
        results = _scan_all(self, base, relatives)
        for relative, (findings, skipped) in zip(relatives, results):
            if skipped == "binary":
                report.skipped_binary += 1
            elif skipped == "large":
                report.skipped_large += 1
            elif skipped:
                if "No such file" not in skipped:  # a tracked file deleted in the work tree
                    report.errors.append(f"{relative}: {skipped}")
            else:
                report.files_scanned += 1
                report.findings.extend(findings)
        report.findings.sort(key=lambda f: (f.path, f.line))
        if baseline:
            report.baselined = [f for f in report.findings if f.fingerprint in baseline]
        return report


def _exclude_regex(patterns) -> re.Pattern:
    """One regex for every exclude glob (see :meth:`SecretScanner.excluded`)."""
    def glob(pattern):
        # fnmatch's "*" crosses "/"; in a path glob it stops at a folder boundary
        return fnmatch.translate(pattern)[4:-3].replace(".*", "[^/]*")

    parts = []
    for pattern in patterns:
        stripped = pattern.strip("/") if pattern.startswith("/") else pattern.rstrip("/")
        if not stripped:
            continue
        if "/" in stripped or pattern.startswith("/") or pattern.endswith("/"):
            parts.append(f"^{glob(stripped)}(?:/|$)")       # from the root
        else:
            parts.append(f"(?:^|/){glob(stripped)}(?:/|$)")  # a name at any depth
    return re.compile("|".join(parts) or r"(?!)")


def _git_files(root: Path) -> list[str] | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"], capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    # a path listed twice (tracked and modified, or a conflict) is read once
    return list(dict.fromkeys(p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p))


def _walk_files(root: Path, scanner: SecretScanner) -> list[str]:
    found = []
    base = str(root)
    for folder, dirs, files in os.walk(base):
        relative_folder = os.path.relpath(folder, base).replace(os.sep, "/")
        prefix = "" if relative_folder == "." else relative_folder + "/"
        dirs[:] = [d for d in dirs if not scanner.excluded(prefix + d + "/x")
                   and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))]
        found.extend(prefix + name for name in files)
    found.sort()
    return found


# Worker processes inherit the scanner through fork; each reads its own share of the files.
_worker_scanner: SecretScanner | None = None
_worker_base: Path | None = None


def _scan_chunk(relatives):
    return [_worker_scanner.scan_file(_worker_base / rel, rel) for rel in relatives]


#: Below this many bytes in total, a scan runs in one process.
PARALLEL_BYTES = 4_000_000


def _total_bytes(base: Path, relatives: list[str]) -> int:
    total = 0
    for rel in relatives:
        try:
            total += os.stat(base / rel).st_size
        except OSError:
            pass
        if total >= PARALLEL_BYTES:
            break
    return total


def _scan_all(scanner: SecretScanner, base: Path, relatives: list[str]):
    jobs = scanner.jobs or (os.cpu_count() or 1)
    # One process scans ~10 MB/s; forking workers and collecting their results costs tens of
    # milliseconds, so a small tree is scanned in this process.
    if jobs <= 1 or not hasattr(os, "fork") or _total_bytes(base, relatives) < PARALLEL_BYTES:
        return [scanner.scan_file(base / rel, rel) for rel in relatives]
    import multiprocessing

    global _worker_scanner, _worker_base
    _worker_scanner, _worker_base = scanner, base
    chunks = [relatives[i::jobs * 4] for i in range(jobs * 4)]
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_scan_chunk, chunks)
    finally:
        _worker_scanner = _worker_base = None
    results: list = [None] * len(relatives)
    for index, part in enumerate(parts):
        results[index::jobs * 4] = part
    return results


# -- baseline -------------------------------------------------------------------------------

def load_baseline(path: Path) -> set[str]:
    """The accepted fingerprints in a baseline file (empty when it does not exist)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        raise ValueError(f"baseline {path} is not readable JSON: {exc}") from None
    items = data.get("findings", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"baseline {path} has no findings list")
    return {item["fingerprint"] for item in items if isinstance(item, dict) and "fingerprint" in item}


def write_baseline(path: Path, findings: list[Finding]) -> None:
    """Record ``findings`` as accepted: fingerprints, paths, lines and rule ids, no secrets."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": 1,
        "generated_by": "tier1 scan-secrets --update-baseline",
        "findings": [{"fingerprint": f.fingerprint, "path": f.path, "line": f.line,
                      "rule_id": f.rule_id} for f in findings],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


_default_section: dict | None = None


def default_section() -> dict:
    """The packaged ``tier1.yaml``'s ``security`` section (parsed once per process)."""
    global _default_section
    if _default_section is None:
        import yaml

        from tier1_plugin.config import DEFAULT_FILE

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(DEFAULT_FILE.read_text(encoding="utf-8"), Loader=loader) or {}
        _default_section = security_section(data)
    return dict(_default_section)


def security_section(config) -> dict:
    """``production_check.checks.security`` of a loaded config (or parsed YAML data)."""
    return ((config or {}).get("production_check") or {}).get("checks", {}).get("security") or {}
