from tier1_plugin.checks.documentation import run


def test_passes_when_enough_documents_exist_and_are_not_empty(project, context):
    (project / "README.md").write_text("# Service\n")
    (project / "IMPLEMENTATION_SUMMARY.md").write_text("   \n")

    result = run(context("documentation"))

    assert result.passed
    assert result.evidence == {"found": ["README.md"], "empty": ["IMPLEMENTATION_SUMMARY.md"],
                               "missing": [], "min_found": 1}
    assert "empty: IMPLEMENTATION_SUMMARY.md" in result.details


def test_fails_below_min_found(project, context):
    (project / "README.md").write_text("# Service\n")

    result = run(context("documentation", {"files": ["README.md", "docs/ops.md"], "min_found": 2}))

    assert not result.passed
    assert result.details.startswith("1 of 2 documents found (need 2)")
    assert result.evidence["missing"] == ["docs/ops.md"]


def test_an_empty_readme_does_not_count(project, context):
    (project / "README.md").write_text("")

    assert not run(context("documentation")).passed
