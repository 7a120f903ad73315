import subprocess

from tier1_plugin.checks.rollback_plan import run


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "HOME": str(root), "PATH": "/usr/bin:/bin:/usr/local/bin"})


def test_a_rollback_document_passes(project, context):
    (project / "ROLLBACK.md").write_text("pip install service==1.2\n")

    result = run(context("rollback_plan"))

    assert result.passed
    assert result.evidence == {"method": "file", "file": "ROLLBACK.md"}


def test_a_git_tag_passes_without_a_document(project, context):
    (project / ".git").rmdir()
    git(project, "init", "-q")
    (project / "app.py").write_text("print(1)\n")
    git(project, "add", "app.py")
    git(project, "commit", "-q", "-m", "first")
    git(project, "tag", "v1.0.0")
    (project / "ROLLBACK.md").write_text("")

    result = run(context("rollback_plan"))

    assert result.passed
    assert result.evidence == {"method": "git_tags", "tags": 1, "latest": "v1.0.0"}
    assert result.details.startswith("ROLLBACK.md is empty, but 1 git tag(s)")


def test_no_document_and_no_tags_fails_and_says_why(project, context):
    (project / ".git").rmdir()
    git(project, "init", "-q")

    result = run(context("rollback_plan"))

    assert not result.passed
    assert result.details == "no ROLLBACK.md and no git tags"


def test_tags_can_be_ignored_by_config(project, context):
    result = run(context("rollback_plan", {"file": "docs/rollback.md", "git_tags": False}))

    assert not result.passed
    assert result.details == "no docs/rollback.md"
