"""A labelled corpus of REAL tool outputs for the action-item detector.

:func:`build_corpus` runs real tools (git with a bare remote, pytest, unittest, node --test,
pip, make, gcc, cargo, ruff when installed) in a scratch folder, exactly as Claude Code's Bash
tool runs them (stdout and stderr merged), and labels each output with the category a correct
detector completes (``None``: nothing may be completed).  A non-zero exit is recorded as
``failed`` (Claude Code sends it as ``PostToolUseFailure``).  Traps are real too: prose read
with ``cat``, ``git log`` of commits whose messages say "deployed", ``nothing to commit``, a
traceback that mentions a "fixed point", a failing run hidden behind ``|| true``.

Used by ``tests/hooks/action_items`` and by ``benchmarks/detect.py``; a tool that is not
installed (cargo, node, ruff) only drops its own samples, listed in ``Corpus.missing``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sample:
    name: str
    command: str
    output: str
    exit_code: int
    expected: str | None  # the category to complete, or None
    note: str = ""
    tool: str = "Bash"

    @property
    def failed(self) -> bool:
        return self.exit_code != 0


@dataclass
class Corpus:
    samples: list[Sample] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def by_name(self, name: str) -> Sample:
        return next(s for s in self.samples if s.name == name)


class _Runner:
    def __init__(self, root: Path, python: str):
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        bindir = str(Path(python).parent)
        self.env = {
            "PATH": bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "GIT_AUTHOR_NAME": "Tier One", "GIT_AUTHOR_EMAIL": "tier1@example.com",
            "GIT_COMMITTER_NAME": "Tier One", "GIT_COMMITTER_EMAIL": "tier1@example.com",
            "GIT_CONFIG_NOSYSTEM": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1",
            "CARGO_TERM_COLOR": "never",
        }
        real_home = Path(os.path.expanduser("~"))
        for name, default in (("CARGO_HOME", real_home / ".cargo"), ("RUSTUP_HOME", real_home / ".rustup")):
            value = os.environ.get(name) or (str(default) if default.exists() else None)
            if value:
                self.env[name] = value
        if python != sys.executable or "VIRTUAL_ENV" in os.environ:
            self.env["VIRTUAL_ENV"] = str(Path(python).parent.parent)
        self.samples: list[Sample] = []

    def sh(self, command: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
        """Run a setup command (not a sample)."""
        result = subprocess.run(["bash", "-c", command], cwd=cwd or self.root, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"setup command failed: {command}\n{result.stdout}")
        return result

    def sample(self, name, command, expected, cwd=None, note="", expect_exit=None) -> Sample:
        result = subprocess.run(["bash", "-c", command], cwd=cwd or self.root, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=180)
        if expect_exit is not None and (result.returncode == 0) != (expect_exit == 0):
            raise RuntimeError(f"sample {name}: `{command}` exited {result.returncode}, "
                               f"expected {expect_exit}:\n{result.stdout}")
        sample = Sample(name, command, result.stdout, result.returncode, expected, note)
        self.samples.append(sample)
        return sample


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def build_corpus(workdir: Path, python: str = sys.executable) -> Corpus:
    """Run the tools in ``workdir`` (a scratch folder) and return the labelled samples."""
    run = _Runner(Path(workdir), python)
    corpus = Corpus()
    _git(run)
    _python_tests(run)
    _builders(run)
    _pip(run, python)
    _traps(run)
    _later(run)
    if shutil.which("node", path=run.env["PATH"]):
        _node(run)
    else:
        corpus.missing.append("node")
    if shutil.which("cargo", path=run.env["PATH"]):
        _cargo(run)
    else:
        corpus.missing.append("cargo")
    if shutil.which("ruff", path=run.env["PATH"]):
        _ruff(run)
    else:
        corpus.missing.append("ruff")
    corpus.samples = run.samples
    return corpus


# -- git: a work tree with a bare remote ---------------------------------------------------

def _git(run: _Runner) -> None:
    remote, repo, other = run.root / "remote.git", run.root / "repo", run.root / "other"
    run.sh(f"git init -q --bare -b main {remote} && git init -q -b main {repo}")
    run.sh(f"git remote add origin {remote}", cwd=repo)
    write(repo / "auth.py", "def login(user):\n    return user is not None\n")
    run.sample("git-status-untracked", "git status", None, cwd=repo, note="read-only", expect_exit=0)
    run.sh("git add auth.py", cwd=repo)
    run.sample("git-commit-root", 'git commit -m "Add the auth module"', "commit-related", cwd=repo,
               expect_exit=0)
    run.sample("git-status-clean", "git status", None, cwd=repo,
               note="trap: 'nothing to commit, working tree clean' from a read-only command")
    run.sample("git-commit-nothing", 'git commit -m "Try again"', None, cwd=repo,
               note="trap: nothing to commit (git exits 1)", expect_exit=1)
    run.sample("git-push-new-branch", "git push -u origin main", "pushed", cwd=repo, expect_exit=0)
    run.sample("git-push-up-to-date", "git push", None, cwd=repo,
               note="trap: Everything up-to-date", expect_exit=0)
    write(repo / "auth.py", "def login(user):\n    if user is None:\n        raise ValueError('no user')\n"
                            "    return True\n")
    run.sample("git-add-commit-error-message",
               'git add auth.py && git commit -m "Fix error handling: raise on failed login"',
               "commit-related", cwd=repo,
               note="failure words in the commit message are not failure indicators", expect_exit=0)
    write(repo / "README.md", "# Demo\n")
    run.sh("git add README.md", cwd=repo)
    run.sample("git-commit-heredoc",
               "git commit -m \"$(cat <<'EOF'\nDocument the auth module\n\nCo-Authored-By: Claude "
               "<noreply@anthropic.com>\nEOF\n)\"", "commit-related", cwd=repo,
               note="the heredoc form Claude Code writes commit messages in", expect_exit=0)
    write(repo / "notes.md", "Deployed to staging yesterday; all tests passed.\n")
    run.sh("git add notes.md", cwd=repo)
    run.sample("git-commit-dry-run", 'git commit --dry-run -m "Notes"', None, cwd=repo,
               note="a dry run commits nothing", expect_exit=0)
    run.sample("git-commit-quiet", 'git commit -q -m "Deployed staging notes, all tests passed"',
               "commit-related", cwd=repo, note="quiet: no output, the command is the evidence",
               expect_exit=0)
    run.sample("git-commit-amend", 'git commit --amend -m "Add staging notes"', "commit-related",
               cwd=repo, expect_exit=0)
    run.sample("git-push-fast-forward", "git push origin main", "pushed", cwd=repo, expect_exit=0)
    run.sample("git-log-oneline", "git log --oneline", None, cwd=repo,
               note="trap: commit messages mention fixed/failed in a read-only listing", expect_exit=0)
    run.sh('git commit -q --allow-empty -m "Deployed v1 to production; all tests passed; bug fixed"',
           cwd=repo)
    run.sample("git-log-prose", "git log -3 --format=%B", None, cwd=repo,
               note="trap: 'deployed ... all tests passed ... bug fixed' in git log", expect_exit=0)
    run.sample("git-show-stat", "git show --stat HEAD~1", None, cwd=repo, note="read-only",
               expect_exit=0)
    run.sample("git-diff", "git diff HEAD~2 --stat", None, cwd=repo, note="read-only", expect_exit=0)
    run.sample("git-tag-push", "git tag v1.0 && git push origin v1.0", "pushed", cwd=repo,
               expect_exit=0)
    # a rejected push: someone else pushed first
    run.sh(f"git clone -q {remote} {other}")
    write(other / "other.txt", "theirs\n")
    run.sh('git add other.txt && git commit -q -m "Their change" && git push -q origin main', cwd=other)
    write(repo / "mine.txt", "mine\n")
    run.sh('git add mine.txt && git commit -q -m "My change"', cwd=repo)
    run.sample("git-push-rejected", "git push origin main", None, cwd=repo,
               note="rejected push (exit 1)", expect_exit=1)
    run.sample("git-cd-commit", f'cd {other} && echo more >> other.txt && git commit -am "Update other"',
               "commit-related", note="cd first, then commit; -am", expect_exit=0)


# -- Python test runners -------------------------------------------------------------------

def _python_tests(run: _Runner) -> None:
    project = run.root / "pyproj"
    write(project / "tests" / "test_ok.py", """
        def test_addition():
            assert 1 + 1 == 2

        def test_error_handling_reports_failed_login():
            # names mention error/failed; the run still passes
            assert "error".upper() == "ERROR"
    """)
    write(project / "tests" / "test_skip.py", """
        import pytest

        def test_one():
            assert True

        @pytest.mark.skip(reason="not on this platform")
        def test_skipped():
            pass
    """)
    write(project / "tests_bad" / "test_bad.py", """
        def test_good():
            assert True

        def test_bad():
            assert 2 + 2 == 5, "arithmetic is broken"
    """)
    (project / "tests_empty").mkdir(parents=True, exist_ok=True)
    write(project / "ut" / "test_unit.py", """
        import unittest

        class MathTest(unittest.TestCase):
            def test_add(self):
                self.assertEqual(1 + 1, 2)

            def test_mul(self):
                self.assertEqual(2 * 3, 6)
    """)
    write(project / "ut_bad" / "test_unit_bad.py", """
        import unittest

        class BadTest(unittest.TestCase):
            def test_wrong(self):
                self.assertEqual(1, 2)
    """)
    run.sample("pytest-pass", "python -m pytest tests/test_ok.py", "test-success", cwd=project,
               expect_exit=0)
    run.sample("pytest-pass-quiet", "python -m pytest -q tests/test_ok.py", "test-success", cwd=project,
               expect_exit=0)
    run.sample("pytest-pass-verbose", "pytest -v tests", "test-success", cwd=project,
               note="verbose lines name error/failed tests that pass", expect_exit=0)
    run.sample("pytest-skipped", "python -m pytest -q -rs tests/test_skip.py", "test-success", cwd=project,
               note="2 passed style with a skip", expect_exit=0)
    run.sample("pytest-tail", "python -m pytest tests 2>&1 | tail -n 3", "test-success", cwd=project,
               note="piped through a read-only filter", expect_exit=0)
    run.sample("pytest-fail", "python -m pytest -q tests_bad", None, cwd=project,
               note="failing run (exit 1)", expect_exit=1)
    run.sample("pytest-fail-or-true", "python -m pytest -q tests_bad || true", None, cwd=project,
               note="trap: '1 failed, 1 passed' behind || true exits 0", expect_exit=0)
    run.sample("pytest-no-tests", "python -m pytest -q tests_empty", None, cwd=project,
               note="no tests ran (exit 5)", expect_exit=5)
    run.sample("pytest-no-tests-or-true", "python -m pytest -q tests_empty; true", None, cwd=project,
               note="trap: 'no tests ran' exits 0", expect_exit=0)
    run.sample("pytest-collect-only", "python -m pytest --collect-only -q tests", None, cwd=project,
               note="collecting runs nothing", expect_exit=0)
    run.sample("unittest-pass", "python -m unittest discover -s ut -v", "test-success", cwd=project,
               expect_exit=0)
    run.sample("unittest-fail", "python -m unittest discover -s ut_bad", None, cwd=project,
               note="failing unittest (exit 1)", expect_exit=1)


def _node(run: _Runner) -> None:
    project = run.root / "nodeproj"
    write(project / "math.test.mjs", """
        import test from 'node:test';
        import assert from 'node:assert';
        test('adds', () => { assert.strictEqual(1 + 1, 2); });
        test('multiplies', () => { assert.strictEqual(2 * 3, 6); });
    """)
    write(project / "bad" / "bad.test.mjs", """
        import test from 'node:test';
        import assert from 'node:assert';
        test('good', () => { assert.ok(true); });
        test('bad', () => { assert.strictEqual(1, 2); });
    """)
    run.sample("node-test-pass", "node --test math.test.mjs", "test-success", cwd=project, expect_exit=0)
    run.sample("node-test-fail-or-true", "node --test bad/bad.test.mjs || true", None, cwd=project,
               note="trap: '# fail 1' behind || true", expect_exit=0)


def _cargo(run: _Runner) -> None:
    project = run.root / "democrate"
    run.sh(f"cargo new --vcs none --lib -q {project}")
    write(project / "src" / "lib.rs", """
        pub fn add(a: i32, b: i32) -> i32 { a + b }

        #[cfg(test)]
        mod tests {
            #[test]
            fn adds() { assert_eq!(super::add(2, 2), 4); }
        }
    """)
    run.sample("cargo-build", "cargo build --offline", "build-success", cwd=project, expect_exit=0)
    run.sample("cargo-test", "cargo test --offline", "test-success", cwd=project, expect_exit=0)


def _ruff(run: _Runner) -> None:
    project = run.root / "ruffproj"
    write(project / "messy.py", "import os\nimport sys\n\nprint('hi')\n")
    run.sample("ruff-fix", "ruff check --fix --select F401 messy.py", "bug-fixed", cwd=project,
               expect_exit=0)


# -- builders ------------------------------------------------------------------------------

def _builders(run: _Runner) -> None:
    project = run.root / "cproj"
    write(project / "hello.c", '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n')
    write(project / "warn.c", "int main(void) { int unused; return 0; }\n")
    write(project / "broken.c", "int main(void) { return missing_symbol; }\n")
    (project / "Makefile").write_text("hello: hello.c\n\tgcc -Wall -o hello hello.c\n\n"
                                      "clean:\n\trm -f hello\n", encoding="utf-8")
    run.sample("make-build", "make", "build-success", cwd=project, expect_exit=0)
    run.sample("make-up-to-date", "make", None, cwd=project,
               note="trap: make: 'hello' is up to date", expect_exit=0)
    run.sample("make-dry-run", "make -n clean", None, cwd=project, note="dry run", expect_exit=0)
    run.sample("gcc-silent", "gcc -o hello2 hello.c", "build-success", cwd=project,
               note="a compiler that succeeds prints nothing", expect_exit=0)
    run.sample("gcc-warning", "gcc -Wall -Werror=implicit -o warn warn.c", "build-success", cwd=project,
               note="warnings, -Werror= in the command, still a build", expect_exit=0)
    run.sample("gcc-error", "gcc -o broken broken.c", None, cwd=project, note="compile error (exit 1)",
               expect_exit=1)
    run.sample("touch-file", "touch CHANGELOG.md", "file-created", cwd=project, expect_exit=0)
    run.sample("mkdir-dir", "mkdir -p docs/api", "file-created", cwd=project, expect_exit=0)


def _pip(run: _Runner, python: str) -> None:
    project = run.root / "pkg"
    write(project / "pyproject.toml", """
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "tier1-corpus-demo"
        version = "0.1.0"
    """)
    write(project / "tier1_corpus_demo.py", "VALUE = 1\n")
    target = run.root / "pip-target"
    run.sample("pip-install", f"python -m pip install --no-index --no-build-isolation --no-deps "
                              f"--target {target} ./pkg", "installed", expect_exit=0)
    run.sample("pip-already", "python -m pip install --no-index pytest", None,
               note="already satisfied: nothing was installed", expect_exit=0)
    run.sample("pip-missing", "python -m pip install --no-index tier1-no-such-package-xyz", None,
               note="cannot be installed (exit 1)", expect_exit=1)
    run.sample("pip-show", "python -m pip show pytest", None, note="read-only", expect_exit=0)


# -- traps ---------------------------------------------------------------------------------

def _traps(run: _Runner) -> None:
    folder = run.root / "traps"
    write(folder / "notes.md", """
        # Release notes
        The payment service was deployed to staging on Monday and all tests passed.
        Bug #12 (login loop) is fixed and the build succeeded.  Deployment complete.
    """)
    write(folder / "CHANGELOG.md", "## 1.0\nReleased. Fixed the parser. Build successful.\n")
    write(folder / "solve.py", """
        import traceback

        def solve():
            raise RuntimeError("fixed point not found after 100 iterations")

        try:
            solve()
        except RuntimeError:
            traceback.print_exc()
    """)
    write(folder / "deploy.sh", """
        #!/bin/sh
        echo "Deploying web to $1..."
        echo "Uploading release bundle"
        echo "Deployment successful: web is live on $1"
    """)
    write(folder / "deploy_fail.sh", """
        #!/bin/sh
        echo "Deploying web to $1..."
        echo "Deployment failed: 403 Forbidden from the registry"
    """)
    (folder / "deploy.sh").chmod(0o755)
    (folder / "deploy_fail.sh").chmod(0o755)
    (folder / "fixed_bugs.txt").write_text("", encoding="utf-8")
    (folder / "build_successful.log").write_text("", encoding="utf-8")
    run.sample("cat-prose", "cat notes.md", None, cwd=folder,
               note="trap: prose says deployed, all tests passed, fixed", expect_exit=0)
    run.sample("head-changelog", "head -5 CHANGELOG.md", None, cwd=folder, note="trap: prose",
               expect_exit=0)
    run.sample("grep-fixed", "grep -rn fixed .", None, cwd=folder, note="trap: search results",
               expect_exit=0)
    run.sample("echo-literal", 'echo "all tests passed"', None, cwd=folder, note="trap: echo",
               expect_exit=0)
    run.sample("ls-names", "ls", None, cwd=folder, note="trap: file names with keywords", expect_exit=0)
    run.sample("traceback-fixed-point", "python solve.py", None, cwd=folder,
               note="trap: Traceback ... fixed point not found (exit 0)", expect_exit=0)
    run.sample("deploy-script", "./deploy.sh staging", "deployment", cwd=folder, expect_exit=0)
    run.sample("deploy-script-failed-exit-0", "./deploy_fail.sh staging", None, cwd=folder,
               note="trap: deploy script prints failure but exits 0", expect_exit=0)
    run.sample("python-print-prose", "python -c \"print('Reminder: the deploy is not deployed yet')\"",
               None, cwd=folder, note="trap: negated keyword", expect_exit=0)


# -- added after the detector was written, to check it on outputs it was not tuned on -------

def _later(run: _Runner) -> None:
    repo = run.root / "repo"
    project = run.root / "pyproj"
    cproj = run.root / "cproj"
    run.sample("later-git-revert", "git revert --no-edit HEAD", "commit-related", cwd=repo, expect_exit=0)
    run.sample("later-git-push-dry-run", "git push --dry-run origin HEAD:refs/heads/feature", None, cwd=repo,
               note="dry run pushes nothing", expect_exit=0)
    write(repo / "wip.txt", "wip\n")
    run.sample("later-git-commit-no-verify", 'git add wip.txt && git commit --no-verify -m "WIP: parser"',
               "commit-related", cwd=repo, expect_exit=0)
    run.sample("later-git-stash-list", "git stash list", None, cwd=repo, expect_exit=0)
    run.sample("later-pytest-fail-echo", 'python -m pytest -q tests_bad; echo "exit code $?"', None,
               cwd=project, note="a failing run followed by echo exits 0", expect_exit=0)
    run.sample("later-pytest-tee", "python -m pytest -q tests/test_ok.py | tee pytest.log", "test-success",
               cwd=project, expect_exit=0)
    run.sample("later-unittest-quiet", "python -m unittest discover -s ut -q", "test-success", cwd=project,
               expect_exit=0)
    run.sample("later-make-clean", "make clean", None, cwd=cproj, note="cleaning builds nothing", expect_exit=0)
    run.sample("later-gcc-ar", "gcc -c hello.c -o hello.o && ar rcs libhello.a hello.o", "build-success",
               cwd=cproj, expect_exit=0)
    target = run.root / "pip-target-2"
    run.sample("later-pip-quiet", f"python -m pip install -q --no-index --no-build-isolation --no-deps "
                                  f"--target {target} ./pkg", "installed",
               note="quiet install prints nothing", expect_exit=0)
    write(repo / "push.txt", "push\n")
    run.sample("later-git-commit-and-push", 'git add push.txt && git commit -m "Add push notes" && '
               "git push origin HEAD:refs/heads/notes", "commit-related", cwd=repo,
               note="a commit and a push in one call: the commit is the primary evidence", expect_exit=0)
    run.sample("later-cat-pytest-log", "cat pyproj/pytest.log", None, note="a saved green log, read back",
               expect_exit=0)
