"""Our executable runbook format: front matter, numbered steps, ```portal-agent blocks, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.runbooks import DEMO_RUNBOOKS, GOOD
from tools.runbooks.loader import load_library
from tools.runbooks.parsers import RunbookError, is_executable, parse_text


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_runbook_parses_into_steps_and_sections(tmp_path):
    runbook = parse_text(GOOD, tmp_path / "widget-restart.md")
    assert runbook.format == "executable" and runbook.name == "widget-restart"
    assert runbook.title == "Widget restart" and runbook.alerts == ["WidgetDown"]
    assert runbook.applies_to == ["component:widget-api", "tag:widgets"]
    assert runbook.params == {"replicas": 2}
    assert [s.number for s in runbook.steps] == [1, 2, 3]
    first, manual, restart = runbook.steps
    assert first.title == "Check the widget" and first.text == "Look at its status first."
    assert first.action.tool == "widget_status"
    assert first.action.args == {"name": "{{ name }}", "replicas": "{{ replicas }}"}
    assert first.action.line == 16  # the fence's line in the file, for error messages
    assert manual.manual and manual.title == "Tell the team in `#widgets`"
    assert [c.text for c in manual.commands] == ["kubectl -n $NS get pods"]
    assert restart.action.tool == "restart_widget" and restart.action.args == {"name": "{{ entity }}"}
    assert [s.title for s in runbook.sections] == ["Escalation"]
    assert runbook.description == "When the widget is stuck."


def test_format_detection():
    assert is_executable(GOOD)
    assert not is_executable("---\ntitle: Kube Pod Crash Looping\nweight: 20\n---\n# KubePodCrashLooping\n")
    assert not is_executable("---\ntitle: X\naliases:\n  - /x/\n---\n# X\n")  # Hugo's own keys
    assert is_executable("# X\n\n1. step\n   ```portal-agent\n   tool: a\n   ```\n")


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        (GOOD.replace("title: Widget restart\n", ""), "front matter: 'title': Field required", 1),
        (GOOD.replace("alerts: WidgetDown", "alerts: {a: 1}"), "'alerts'", 1),
        (GOOD.replace("tool: widget_status", "tol: widget_status"), "needs 'tool: <tool name>'", 16),
        (GOOD.replace("args: {name:", "args: [name:"), "invalid YAML in the ```portal-agent block", 16),
        (GOOD.replace('"{{ replicas }}"', '"{{ replica }}"'), "unknown placeholder {{ replica }}", 16),
        (GOOD.replace("   ```\n2.", "2."), "step 1: the ```portal-agent block is never closed", 16),
        (GOOD.replace('   args:\n     name: "{{ entity }}"', "   args: 3"), "step 3: 'args' must be a mapping", 23),
        (GOOD.split("## Steps")[0], "no numbered steps", None),
        ("---\ntitle: [oops\n---\n# X\n", "invalid YAML front matter", 1),
        ("---\napplies_to: x\n# never closed\n", "never closed", 1),
    ],
)
def test_bad_runbooks_are_refused_with_line_and_reason(tmp_path, text, reason, line):
    with pytest.raises(RunbookError) as err:
        parse_text(text, tmp_path / "bad.md")
    assert reason in err.value.reason
    if line is not None:
        assert err.value.line == line


def test_a_bad_file_is_reported_and_the_rest_still_loads(tmp_path):
    write(tmp_path, "good.md", GOOD)
    write(tmp_path, "broken.md", GOOD.replace('"{{ replicas }}"', '"{{ nope }}"'))
    write(tmp_path, "binary.md", "")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9\n\n## Meaning\nx\n".encode("latin-1"))
    write(tmp_path, "_index.md", "---\ntitle: section\n---\n")
    write(tmp_path, "README.md", "# Our runbooks\n\nRead me.\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "good.md", GOOD)  # same name twice
    library = load_library([tmp_path, tmp_path / "missing"])
    assert [r.name for r in library.all()] == ["good"]
    problems = {Path(p.path).name if p.path != str(tmp_path / "missing") else "missing": p for p in library.problems}
    assert set(problems) == {"broken.md", "binary.md", "latin1.md", "good.md", "missing"}
    assert "unknown placeholder {{ nope }}" in problems["broken.md"].reason and problems["broken.md"].line == 16
    assert str(problems["broken.md"]).startswith(f"{tmp_path / 'broken.md'}:16: step 1")
    assert "no '# Title' heading" in problems["binary.md"].reason
    assert "not UTF-8" in problems["latin1.md"].reason
    assert "duplicate runbook name 'good'" in problems["good.md"].reason
    assert "does not exist" in problems["missing"].reason


def test_demo_runbooks_are_the_six_of_the_story():
    library = load_library([DEMO_RUNBOOKS])
    assert library.problems == []
    assert sorted(r.name for r in library.all()) == [
        "crashloop",
        "database-failover",
        "high-latency",
        "kafka-consumer-lag",
        "oomkilled",
        "rotate-api-key",
    ]
    for runbook in library.all():
        assert runbook.format == "executable" and runbook.owner and runbook.alerts and runbook.applies_to
        assert len(runbook.steps) >= 6, runbook.name
        assert runbook.executable_steps and any(s.manual for s in runbook.steps), runbook.name
        assert all(len(s.title) > 10 and (s.text or s.action) for s in runbook.steps), runbook.name
    assert library.get("database-failover").applies_to == [
        "resource:orders-db",
        "resource:payments-db",
        "resource:identity-db",
    ]
    assert library.get("crashloop").alerts[0] == "KubePodCrashLooping"
