"""validate_path: Backstage-like linting with file, line and field, errors before warnings."""

from __future__ import annotations

from pathlib import Path

from tests.support.catalog import DATA
from tools.catalog.validate import format_problems, validate_path


def test_clean_catalog_has_no_problems():
    assert validate_path(DATA / "basic") == []


def test_broken_catalog_reports_errors_and_warnings_with_places():
    problems = validate_path(DATA / "broken")
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    assert [(Path(p.path).name, p.line) for p in errors] == [
        ("bad.yaml", 15),
        ("invalid.yaml", 1),
        ("invalid.yaml", 10),
    ]
    reasons = " | ".join(p.reason for p in warnings)
    # dependsOn without a kind: Backstage cannot resolve it.
    assert "spec.dependsOn: entity reference 'bare-name' has no kind" in reasons
    # Dangling references to entities that are not in the validated files.
    assert "spec.owner refers to group:default/team-x, which is not in the catalog" in reasons
    assert all(Path(p.path).name in ("good.yaml", "bad.yaml", "invalid.yaml") for p in warnings)
    assert problems.index(errors[-1]) < problems.index(warnings[0])  # errors first


def test_duplicates_are_errors():
    problems = validate_path(DATA / "dupes")
    assert [p.severity for p in problems if "duplicate" in p.reason] == ["error"]


def test_single_file_and_format(tmp_path):
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: My Service\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: me\n"
    )
    problems = validate_path(file)
    assert len(problems) == 1 and problems[0].line == 1 and "metadata.name 'My Service'" in problems[0].reason
    text = format_problems(problems)
    assert f"{file}:1: error:" in text and text.endswith("1 error(s), 0 warning(s)")
