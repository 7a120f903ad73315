"""The four ways to accept a secret-looking value: pragma, vendor examples, path excludes,
and the baseline."""

from __future__ import annotations

from tier1_plugin.secret_scanner import SecretScanner


def test_inline_pragma_allows_the_line(scan, fake):
    token = fake("github-token")
    assert scan(f'TOKEN = "{token}"  # pragma: allowlist secret') == []
    assert scan(f'const TOKEN = "{token}"; // pragma: allowlist secret', "a.js") == []
    assert len(scan(f'TOKEN = "{token}"')) == 1


def test_nextline_pragma_allows_only_the_next_line(scan, fake):
    first, second = fake("github-token"), fake("github-token")
    text = f'# pragma: allowlist nextline secret\nA = "{first}"\nB = "{second}"\n'
    [finding] = scan(text)
    assert (finding.line, finding.secret) == (3, second)


def test_vendor_documented_example_keys_are_allowed(scan):
    # AWS's documentation keys (allowlisted in tier1.yaml), in the places they are pasted
    text = ('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
            'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n')
    assert scan(text) == []


def test_configured_allowlist_regex(fake):
    token = fake("gitlab-token")
    line = f'CI_TOKEN = "{token}"'
    assert len(SecretScanner(plugins=False).scan_text(line, "a.py")) == 1
    scanner = SecretScanner({"allowlist": [f"^{token}$"]}, plugins=False)
    assert scanner.scan_text(line, "a.py") == []


def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_default_and_configured_path_excludes(tmp_path, fake):
    line = f'TOKEN = "{fake("github-token")}"\n'
    for relative in ("app/settings.py", "node_modules/lib/index.js", ".venv/lib/site.py",
                     "build/lib/settings.py", "app/build/settings.py", "fixtures/keys.py",
                     "app/generated/keys.py"):
        write(tmp_path, relative, line)
    scanner = SecretScanner({"exclude": ["fixtures/", "generated"]}, plugins=False)
    found = sorted(f.path for f in scanner.scan(tmp_path).findings)
    # root build/ is a build output; a nested app/build folder is source and stays scanned
    assert found == ["app/build/settings.py", "app/settings.py"]


def test_virtualenv_under_any_name_is_skipped(tmp_path, fake):
    write(tmp_path, "env3/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path, "env3/lib/vendor.py", f'TOKEN = "{fake("github-token")}"\n')
    assert SecretScanner(plugins=False).scan(tmp_path).findings == []


def test_baseline_accepts_known_findings_by_fingerprint(tmp_path, fake):
    from tier1_plugin.secret_scanner import load_baseline, write_baseline

    old = fake("github-token")
    write(tmp_path, "app.py", f'OLD = "{old}"\n')
    scanner = SecretScanner(plugins=False)
    baseline = tmp_path / ".tier1" / "baseline.json"
    write_baseline(baseline, scanner.scan(tmp_path).findings)
    assert old not in baseline.read_text()

    # the accepted secret moves down a line and a new one appears
    new = fake("github-token")
    write(tmp_path, "app.py", f'NEW = "{new}"\n\nOLD = "{old}"\n')
    report = scanner.scan(tmp_path, load_baseline(baseline))
    assert [f.secret for f in report.baselined] == [old]
    assert [f.secret for f in report.new_findings] == [new]
