"""The real prometheus-operator runbooks (108 + one extension-less duplicate) parse as documented."""

from __future__ import annotations

from collections import Counter

import pytest

from tools.runbooks.loader import candidate_files, load_library
from tools.runbooks.markdown import commands_in, looks_like_command
from tools.runbooks.model import STANDARD_SECTIONS
from tools.runbooks.parsers import RunbookError, parse_file, parse_text


@pytest.fixture(scope="module")
def parsed(upstream):
    return {str(p.relative_to(upstream)): parse_file(p) for p in candidate_files(upstream)}


def test_every_runbook_file_parses_and_index_pages_are_skipped(parsed):
    assert len(parsed) == 109  # 108 .md runbooks + the extension-less PrometheusOperatorSyncFailed
    assert not any(path.endswith("_index.md") for path in parsed)
    folders = Counter(path.split("/")[0] for path in parsed)
    assert folders == {
        "kubernetes": 47,
        "prometheus": 18,
        "node": 13,
        "prometheus-operator": 9,
        "alertmanager": 7,
        "etcd": 7,
        "general": 4,
        "kube-state-metrics": 4,
    }


def test_h1_is_the_alert_name_and_the_key(parsed):
    different = {}
    for path, runbook in parsed.items():
        stem = path.split("/")[-1].removesuffix(".md")
        assert runbook.name == stem and runbook.alerts == [stem], path
        assert runbook.format == "prometheus-operator"
        if runbook.title != stem:
            different[stem] = runbook.title
    # Upstream quirks: an H1 with spaces, and an H1 copy-pasted from another runbook. The file name wins.
    assert different == {
        "CPUThrottlingHigh": "CPU Throttling High",
        "PrometheusRemoteWriteBehind": "PrometheusRemoteStorageFailures",
    }


def test_section_counts_match_the_upstream_template(parsed):
    counts = {name: sum(1 for r in parsed.values() if r.section(name)) for name in STANDARD_SECTIONS}
    # PrometheusOperatorNodeLookupErrors never closes its ```shell fence; its Mitigation still counts.
    assert counts == {"Meaning": 105, "Impact": 106, "Diagnosis": 105, "Mitigation": 105}
    incomplete = sorted(r.name for r in parsed.values() if not r.has_standard_sections)
    assert incomplete == [
        "KubeAPIErrorBudgetBurn",
        "NodeRAIDDiskFailure",
        "PrometheusDuplicateTimestamps",
        "PrometheusOutOfOrderTimestamps",
    ]
    assert sum(r.has_standard_sections for r in parsed.values()) == 105
    lookup = parsed["prometheus-operator/PrometheusOperatorNodeLookupErrors.md"]
    assert lookup.section("Mitigation").text == "TODO"
    assert [c.text for c in lookup.commands] == [
        "kubelet describe Service -n kube-system -l app.kubernetes.io/managed-by=prometheus-operator"
    ]


def test_front_matter_is_optional(parsed):
    without = sorted(path for path, r in parsed.items() if not r.front_matter)
    assert len(without) == 9
    assert sum(p.startswith("etcd/") for p in without) == 7
    assert "general/TargetDown.md" in without
    assert "prometheus-operator/PrometheusOperatorSyncFailed" in without
    with_front = parsed["kubernetes/KubePodCrashLooping.md"]
    assert with_front.front_matter and with_front.keywords == ["Kube Pod Crash Looping"]


def test_pointer_only_runbooks_keep_their_target(parsed):
    pointers = {r.name: r for r in parsed.values() if r.pointer}
    assert sorted(pointers) == [
        "NodeRAIDDiskFailure",
        "PrometheusDuplicateTimestamps",
        "PrometheusOutOfOrderTimestamps",
    ]
    assert pointers["NodeRAIDDiskFailure"].links == ["NodeRAIDDegraded"]
    assert "runbook:NodeRAIDDegraded" in pointers["NodeRAIDDiskFailure"].description
    names = {r.name for r in parsed.values()}
    for runbook in pointers.values():
        assert runbook.sections and not runbook.has_standard_sections
        assert set(runbook.links) <= names, runbook.links  # Hugo refs point at runbooks that exist


def test_hugo_ref_shortcodes_become_runbook_links(parsed):
    with_refs = sorted(r.name for r in parsed.values() if r.links)
    assert len(with_refs) == 7
    assert "PrometheusRemoteWriteBehind" in with_refs
    assert parsed["prometheus/PrometheusRemoteWriteBehind.md"].links == ["PrometheusRemoteStorageFailures"]
    for runbook in parsed.values():
        assert all("{{<" not in s.text for s in runbook.sections), runbook.name
        assert all(code.startswith("{{<") for code in runbook.shortcodes)


def test_commands_are_found_with_their_placeholders(parsed):
    crash = parsed["kubernetes/KubePodCrashLooping.md"]
    texts = [c.text for c in crash.commands]
    assert texts == [
        "kubectl -n $NAMESPACE get pod $POD",
        "kubectl -n $NAMESPACE describe pod $POD",
        "kubectl -n $NAMESPACE logs $POD -c $CONTAINER",
    ]
    assert {c.section for c in crash.commands} == {"Diagnosis"}
    assert crash.placeholders == ["$NAMESPACE", "$POD", "$CONTAINER"]
    # The extension-less duplicate keeps upstream's typo and its <angle> placeholders.
    old = parsed["prometheus-operator/PrometheusOperatorSyncFailed"]
    assert [c.text for c in old.commands] == ["kubect logs -f <name_of_pod> -n <name_of_namespace>"]
    assert old.commands[0].placeholders == ["<name_of_pod>", "<name_of_namespace>"]
    total = sum(len(r.commands) for r in parsed.values())
    assert total >= 50  # many runbooks carry commands; nothing here is filled in
    assert all("$" in c.text or "<" in c.text or c.placeholders == [] for r in parsed.values() for c in r.commands)


def test_deeper_headings_stay_inside_their_section(parsed):
    etcd = parsed["etcd/etcdNoLeader.md"]
    assert [s.title for s in etcd.sections] == list(STANDARD_SECTIONS)
    assert "### Slow disk issue" in etcd.section("Diagnosis").text


def test_library_keeps_the_md_file_and_reports_the_extensionless_duplicate(upstream):
    library = load_library([upstream])
    assert len(library) == 108
    assert len(library.problems) == 1
    problem = library.problems[0]
    assert problem.path.endswith("prometheus-operator/PrometheusOperatorSyncFailed")
    assert "duplicate runbook name 'PrometheusOperatorSyncFailed'" in problem.reason
    kept = library.get("PrometheusOperatorSyncFailed")
    assert kept.path.endswith("PrometheusOperatorSyncFailed.md") and kept.front_matter


def test_headings_inside_code_fences_are_not_sections(upstream):
    guide = upstream.parent / "docs" / "add-runbook.md"
    runbook = parse_file(guide)
    titles = [s.title for s in runbook.sections]
    assert "Template" in titles and "Meaning" not in titles  # the template lives in a fence
    assert runbook.name == "add-runbook"  # a title with spaces is not an alert name


def test_fixture_search_finds_alerts_by_symptom(upstream):
    library = load_library([upstream])
    assert library.search("KubePodCrashLooping")[0].runbook.name == "KubePodCrashLooping"
    assert library.search("hpa maxed out")[0].runbook.name == "KubeHpaMaxedOut"
    assert "KubePodCrashLooping" in [h.runbook.name for h in library.search("pod crash looping")[:3]]
    assert library.search("etcd no leader")[0].runbook.name == "etcdNoLeader"
    assert library.get("kube pod crash looping").name == "KubePodCrashLooping"
    assert library.get("KubePodCrashLoopin").name == "KubePodCrashLooping"  # a typo


def test_bad_markdown_is_refused_with_a_reason(tmp_path):
    with pytest.raises(RunbookError, match="no '# Title' heading"):
        parse_text("just text\n\n## Meaning\nx\n", tmp_path / "x.md")
    with pytest.raises(RunbookError, match="invalid YAML front matter"):
        parse_text("---\ntitle: [unclosed\n---\n# A\n## Meaning\nx\n", tmp_path / "y.md")
    with pytest.raises(RunbookError, match="no content"):
        parse_text("# Empty\n", tmp_path / "z.md")


def test_command_detection_is_not_fooled_by_names_and_values():
    assert looks_like_command("kubectl get pods -A")
    assert looks_like_command("kubect logs -f <name_of_pod> -n <name_of_namespace>")
    assert not looks_like_command("etcdserver: no leader")
    assert not looks_like_command("Disk Sync Duration")
    assert not looks_like_command("maxUnavailable")
    found = commands_in("Run:\n\n```bash\n$ kubectl top pod -n $NS\n# a comment\n```\n", "Diagnosis")
    assert [c.text for c in found] == ["kubectl top pod -n $NS"] and found[0].placeholders == ["$NS"]
