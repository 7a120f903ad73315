"""Which files are read: git's tracked and untracked-not-ignored files, else a walk; binary
and oversized files are skipped."""

from __future__ import annotations

import subprocess

from tier1_plugin.secret_scanner import SecretScanner


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
                        "HOME": str(root), "PATH": "/usr/bin:/bin:/usr/local/bin"})


def test_git_scope_tracked_and_untracked_but_not_ignored(tmp_path, fake):
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("secrets.local\nlogs/\n")
    for name in ("tracked.py", "untracked.py", "secrets.local", "logs/run.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f'TOKEN = "{fake("github-token")}"\n')
    git(tmp_path, "add", "tracked.py", ".gitignore")
    git(tmp_path, "commit", "-q", "-m", "init")

    report = SecretScanner(plugins=False).scan(tmp_path)

    assert sorted(f.path for f in report.findings) == ["tracked.py", "untracked.py"]
    assert report.files_scanned == 3  # .gitignore, tracked.py, untracked.py


def test_deleted_tracked_file_is_not_an_error(tmp_path, fake):
    git(tmp_path, "init", "-q")
    (tmp_path / "gone.py").write_text("x = 1\n")
    git(tmp_path, "add", "gone.py")
    (tmp_path / "gone.py").unlink()
    report = SecretScanner(plugins=False).scan(tmp_path)
    assert report.errors == [] and report.files_scanned == 0


def test_walk_when_not_a_git_work_tree(tmp_path, fake):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yml").write_text(f"api_key: {fake('token')}\n")
    [finding] = SecretScanner(plugins=False).scan(tmp_path).findings
    assert finding.path == "a/config.yml"


def test_binary_and_oversized_files_are_skipped(tmp_path, fake):
    token = fake("github-token")
    (tmp_path / "blob.dat").write_bytes(b"\x00\x01" + f'T = "{token}"'.encode())
    (tmp_path / "big.py").write_text(f'T = "{token}"\n' + "#" * 5000)
    (tmp_path / "small.py").write_text(f'T = "{token}"\n')
    report = SecretScanner({"max_file_bytes": 4096}, plugins=False).scan(tmp_path)
    assert [f.path for f in report.findings] == ["small.py"]
    assert (report.skipped_binary, report.skipped_large) == (1, 1)


def test_a_single_file_can_be_scanned(tmp_path, fake):
    path = tmp_path / "one.env"
    path.write_text(f"API_TOKEN={fake('token')}\n")
    [finding] = SecretScanner(plugins=False).scan(path).findings
    assert (finding.path, finding.line) == ("one.env", 1)


def test_non_utf8_text_is_still_scanned(tmp_path, fake):
    token = fake("github-token")
    (tmp_path / "latin1.py").write_bytes(f'# caf\xe9\nT = "{token}"\n'.encode("latin-1"))
    [finding] = SecretScanner(plugins=False).scan(tmp_path).findings
    assert finding.line == 2


def test_parallel_scan_finds_the_same_as_serial(tmp_path, fake, monkeypatch):
    from tier1_plugin import secret_scanner

    monkeypatch.setattr(secret_scanner, "PARALLEL_BYTES", 0)  # fork workers even for this tree
    for index in range(700):
        text = f'T = "{fake("github-token")}"\n' if index % 50 == 0 else f"x = {index}\n"
        (tmp_path / f"m{index}.py").write_text(text)
    serial = SecretScanner({"jobs": 1}, plugins=False).scan(tmp_path)
    parallel = SecretScanner({"jobs": 2}, plugins=False).scan(tmp_path)
    assert [(f.path, f.line, f.secret) for f in parallel.findings] == \
        [(f.path, f.line, f.secret) for f in serial.findings]
    assert len(serial.findings) == 14 and parallel.files_scanned == 700
