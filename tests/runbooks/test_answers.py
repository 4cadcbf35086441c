"""Answering questions from runbook text: the runbook named, the section asked about, quoted verbatim.

Two kinds of runbooks: the real prometheus-operator ones (skipped when ../shared is absent) and
small ones written here in a temporary folder, with headings that are not the upstream template's.
End-to-end cases go through AgentService with the offline planner and only runbooks configured.
"""

from __future__ import annotations

import textwrap

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tools.runbooks import answers
from tools.runbooks.loader import load_library


@pytest.fixture(scope="module")
def real(upstream):
    return load_library([upstream])


def quoted(data: dict) -> dict[str, str]:
    return {part["section"]: part["text"] for part in data["parts"]}


# --- finding the runbook a question names -----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("what does KubePodCrashLooping mean?", ["KubePodCrashLooping"]),
        ("alertmanager members inconsistent - how do I compare the IPs?", ["AlertmanagerMembersInconsistent"]),
        ("prometheus tsdb compactions failing - mitigation?", ["PrometheusTSDBCompactionsFailing"]),
        ("etcdNoLeader – what log line confirms it?", ["etcdNoLeader"]),
        # the longest name at a place wins, and both runbooks of a comparison are found, in order
        (
            "difference between KubeCPUOvercommit and KubeCPUQuotaOvercommit?",
            ["KubeCPUOvercommit", "KubeCPUQuotaOvercommit"],
        ),
        # the H1/title differs from the file name: both find it
        ("what does PrometheusRemoteStorageFailures mean?", ["PrometheusRemoteStorageFailures"]),
        ("is CPU Throttling High bad?", ["CPUThrottlingHigh"]),
    ],
)
def test_the_runbook_a_question_names(real, text, names):
    assert [m.runbook.name for m in answers.find_mentions(real, text)] == names


def test_an_alert_no_runbook_has_is_kept_as_written(real):
    (mention,) = answers.find_mentions(real, "how do I fix the CertManagerCertExpirySoon alert?")
    assert mention.runbook is None and mention.written == "CertManagerCertExpirySoon"
    assert answers.find_mentions(real, "how do I deploy to production?") == []


# --- the section asked about, quoted verbatim ----------------------------------------------------
def test_diagnosis_is_quoted_with_its_commands(real):
    data = answers.answer(real, real.get("KubePodCrashLooping"), "how do I diagnose KubePodCrashLooping?")
    parts = quoted(data)
    assert "Check pod logs via `kubectl -n $NAMESPACE logs $POD -c $CONTAINER`" in parts["Diagnosis"]
    assert "Mitigation" not in parts  # not asked, and it shares none of the question's words
    assert data["group"] == "kubernetes"


def test_a_threshold_question_gets_the_meaning(real):
    data = answers.answer(
        real, real.get("KubeJobCompletion"), "how long does a job run before KubeJobCompletion fires?"
    )
    assert data["aspects"] == ["meaning"]
    assert quoted(data)["Meaning"] == "Job is taking more than 1h to complete."


def test_a_long_section_quotes_the_subsection_asked_about(real):
    data = answers.answer(
        real,
        real.get("KubePersistentVolumeFillingUp"),
        "which services support automatic data rebalance?",
    )
    mitigation = quoted(data)["Mitigation"]
    assert mitigation.startswith("### Data rebalance in the cluster")
    assert "- cassandra\n- ceph\n- elasticsearch/opensearch" in mitigation  # the list, as written
    assert "Direct Volume resizing" not in mitigation


def test_an_empty_section_is_said_to_be_empty_and_the_rest_is_quoted(real):
    data = answers.answer(real, real.get("KubeStateMetricsShardsMissing"), "how do I mitigate it?")
    assert data["empty_sections"] == [{"section": "Mitigation", "says": "TODO"}]
    assert "Check if certain pods were forcefully evicted." in quoted(data)["Diagnosis"]


def test_a_pointer_runbook_is_answered_from_the_runbook_it_points_to(real):
    data = answers.answer(real, real.get("NodeRAIDDiskFailure"), "what do I do about it?")
    assert data["name"] == "NodeRAIDDegraded" and data["via"]["name"] == "NodeRAIDDiskFailure"


def test_commands_are_listed_when_asked_for(real):
    data = answers.answer(
        real, real.get("KubeStatefulSetGenerationMismatch"), "which kubectl commands does the runbook suggest?"
    )
    assert "kubectl -n $NAMESPACE rollout history statefulset $NAME" in data["commands"]
    assert "kubectl -n $NAMESPACE describe statefulset $NAME" in data["commands"]


# --- runbooks written here: other headings, a title that is not the file name ----------------------
@pytest.fixture
def written(tmp_path):
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "disk-full.md").write_text(
        textwrap.dedent(
            """\
            # OrdersDiskAlmostFull

            ## Overview

            The orders volume is above 90% for 10 minutes.

            ## Troubleshooting

            Find the biggest directories:

            ```shell
            du -sh /var/lib/orders/* | sort -h
            ```

            ## Resolution

            Rotate the WAL with `orders-admin wal rotate --keep 3`.
            """
        )
    )
    return folder


def test_other_heading_names_answer_the_same_aspects(written):
    library = load_library([written])
    (mention,) = answers.find_mentions(library, "orders disk almost full: how do I fix it?")
    assert mention.runbook is not None and mention.runbook.name == library.get("OrdersDiskAlmostFull").name
    data = answers.answer(library, mention.runbook, "how do I fix it?")
    parts = quoted(data)
    assert parts["Resolution"] == "Rotate the WAL with `orders-admin wal rotate --keep 3`."
    assert parts["Overview"] == "The orders volume is above 90% for 10 minutes."
    threshold = answers.answer(library, mention.runbook, "at what threshold does it fire?")
    assert list(quoted(threshold)) == ["Overview"]


# --- end to end: questions, follow-ups, and honesty -------------------------------------------------
@pytest.fixture
def service(tmp_path, written):
    return AgentService(Runtime(Settings(data_dir=tmp_path / "data", runbooks=[str(written)])))


def ask(service, *turns):
    """The last turn's result, every turn asked in one conversation."""
    principal = service.principal(service.runtime.settings.default_user, via="api")
    thread = None
    for turn in turns:
        result = service.ask(turn, principal, thread_id=thread)
        thread = result.thread_id
    return result


def test_a_question_is_answered_from_the_runbook_and_cited(service):
    result = ask(service, "OrdersDiskAlmostFull fired. how do I investigate it?")
    assert [c["name"] for c in result.tool_calls] == ["runbook_answer"]
    assert "du -sh /var/lib/orders/* | sort -h" in result.answer
    assert result.answer.startswith("From runbook `disk-full` — OrdersDiskAlmostFull (folder runbooks):")
    assert "**disk-full › Troubleshooting**" in result.answer
    assert "disk-full.md" in result.answer
    assert result.interrupt is None


def test_a_follow_up_about_it_uses_the_previous_runbook(service):
    result = ask(service, "what does OrdersDiskAlmostFull mean?", "and how do I fix it?")
    assert "orders-admin wal rotate --keep 3" in result.answer
    alone = ask(service, "and how do I fix it?")  # no previous runbook: not answered from one
    assert "orders-admin" not in alone.answer


def test_an_alert_without_a_runbook_is_said_plainly(service):
    result = ask(service, "CoreDNSDown is firing in staging, how do I mitigate it?")
    assert "No runbook covers CoreDNSDown" in result.answer
    assert "orders" not in result.answer.lower()


def test_running_a_runbook_is_still_a_run_not_a_question(service):
    result = ask(service, "run the OrdersDiskAlmostFull runbook")
    assert "runbook_answer" not in [c["name"] for c in result.tool_calls]
