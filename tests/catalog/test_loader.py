"""Loading catalog YAML: multi-document files, Locations, skipped non-entities, errors with lines."""

from __future__ import annotations

from pathlib import Path

from tests.support.catalog import DATA
from tools.catalog.loader import duplicate_errors, entities_from_text, load_paths, parse_documents
from tools.catalog.model import ANNOTATION_MANAGED_BY_LOCATION


def test_directory_load_reads_every_document_and_counts_non_entities():
    result = load_paths([DATA / "basic"])
    kinds = sorted({e.kind for e in result.entities})
    assert kinds == ["API", "Component", "Domain", "Group", "Location", "Resource", "System", "User"]
    assert len(result.entities) == 22
    # checkout-openapi.yaml and mkdocs.yml are YAML but not entities: skipped, counted, no error.
    assert result.skipped == 2
    assert result.errors == []


def test_location_targets_are_followed_relative_with_globs_and_files_read_once():
    via_location = load_paths([DATA / "basic" / "all.yaml"])
    via_dir = load_paths([DATA / "basic", DATA / "basic" / "all.yaml"])
    refs = sorted(e.ref for e in via_location.entities)
    assert refs == sorted(e.ref for e in via_dir.entities)  # no duplicates from walking twice
    assert "component:default/search-ranker" in refs  # reached through ./systems/*.yaml
    assert via_location.skipped == 0  # the OpenAPI file is only read through $text


def test_source_file_and_line_and_managed_by_location_are_recorded():
    result = load_paths([DATA / "basic"])
    by_ref = {e.ref: e for e in result.entities}
    jane = by_ref["user:default/jane.doe"]
    assert Path(jane.source_path).name == "org.yaml"
    lines = (DATA / "basic" / "org.yaml").read_text().splitlines()
    assert lines[jane.source_line - 1] == "apiVersion: backstage.io/v1alpha1"
    assert lines[jane.source_line + 2] == "  name: jane.doe"
    assert jane.annotations[ANNOTATION_MANAGED_BY_LOCATION].startswith("file:/")
    # A document preceded by a comment starts at its first key, not at the comment.
    location = by_ref["location:default/test-catalog"]
    assert location.source_line == 2


def test_text_placeholder_is_resolved_relative_to_the_file():
    result = load_paths([DATA / "basic" / "systems" / "commerce.yaml"])
    api = next(e for e in result.entities if e.name == "checkout-api")
    assert api.spec["definition"].startswith("openapi: 3.0.0")


def test_broken_yaml_is_reported_with_file_and_line_and_the_rest_loads():
    result = load_paths([DATA / "broken"])
    names = sorted(e.name for e in result.entities)
    # bad.yaml's first document loads; good.yaml and the valid parts of invalid.yaml load too.
    assert names == ["also-fine", "before-the-break", "survivor"]
    by_file = {(Path(e.path).name, e.line): e.reason for e in result.errors}
    assert ("bad.yaml", 15) in by_file and "invalid YAML" in by_file[("bad.yaml", 15)]
    assert "metadata.name '-bad-name-' is not valid" in by_file[("invalid.yaml", 1)]
    assert "spec.owner is required for kind Component" in by_file[("invalid.yaml", 10)]
    assert all(e.severity == "error" for e in result.errors)


def test_missing_path_and_missing_location_target_are_errors(tmp_path):
    (tmp_path / "loc.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\n"
        "spec:\n  targets: [./nope.yaml, https://example.com/catalog-info.yaml]\n"
    )
    result = load_paths([tmp_path / "loc.yaml", tmp_path / "absent"])
    reasons = [(e.severity, e.reason) for e in result.errors]
    assert any(s == "error" and "'./nope.yaml' does not exist" in r for s, r in reasons)
    assert any(s == "warning" and "is a URL and was not fetched" in r for s, r in reasons)
    assert any("no such file or directory" in r for _, r in reasons)
    assert [e.ref for e in result.entities] == ["location:default/l"]


def test_duplicates_keep_the_first_and_report_both_places():
    result = load_paths([DATA / "dupes"])
    kept, errors = duplicate_errors(result.entities)
    assert [e.name for e in kept] == ["twin"]
    assert len(errors) == 1
    assert "b.yaml" in errors[0].path and "a.yaml:1" in errors[0].reason


def test_non_mapping_documents_and_empty_documents_are_skipped():
    text = "---\n- just\n- a list\n---\n---\nopenapi: 3.0.0\n---\napiVersion: v1\nkind: X\nmetadata: {name: ok}\n"
    result = entities_from_text(text, "mixed.yaml")
    assert [e.ref for e in result.entities] == ["x:default/ok"]
    assert result.skipped == 2
    assert result.entities[0].source_line == 8


def test_parse_documents_reports_error_line_and_keeps_earlier_docs():
    docs, error = parse_documents("a: 1\n---\nb: [\n", "x.yaml")
    assert [d for d, _ in docs] == [{"a": 1}]
    assert error is not None and error.path == "x.yaml" and error.line == 4


def test_origin_location_and_optional_targets(tmp_path):
    (tmp_path / "root.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: root}\n"
        "spec:\n  presence: optional\n  targets: [./team/*.yaml, ./not-there.yaml]\n"
    )
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c}\n"
        "spec: {type: service, lifecycle: production, owner: t}\n"
    )
    result = load_paths([tmp_path / "root.yaml"])
    assert result.errors == []  # the missing target is optional
    component = next(e for e in result.entities if e.name == "c")
    assert component.annotations["backstage.io/managed-by-location"] == f"file:{tmp_path / 'team' / 'c.yaml'}"
    assert component.annotations["backstage.io/managed-by-origin-location"] == f"file:{tmp_path / 'root.yaml'}"
