"""Offline-planner intents for Kubernetes: what's running, why is it failing, logs, what changed,
events, and the remediations (restart / scale / roll back), which end in an approval request.

Mutating intents only require the read tools, so that in read-only mode the planner still
recognises "restart X" and says the change is disabled, instead of guessing another intent.
Each intent finds the component with the catalog's mention index, or the conversation's focus
("and its logs?"). Answers are composed only from the tool results of the turn.

The intents are declared in ``intents.yaml``; this module holds the code it names.
"""

from __future__ import annotations

import re
from typing import Any

from contract.intent_files import load_intents
from contract.intents import Answer, CallTools, Intent, PlanState, Step, StepResult, ToolCallSpec

FAMILY = "kubernetes"
KINDS = ["component"]
NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}
CLUSTER_RE = re.compile(r"\b(?:in|on)\s+(?:the\s+)?(?:cluster\s+)?([a-z0-9][a-z0-9-]*(?:-prod|-staging))\b", re.I)


# --- slots ---------------------------------------------------------------------------------------
def _component(state: PlanState) -> dict[str, Any] | None:
    catalog = state.runtime.catalog
    mentions = catalog.find_mentions(state.utterance, kinds=KINDS)
    if mentions:
        best = max(mentions, key=lambda m: (m.score, m.end - m.start))
        return {"ref": best.ref}
    named = _named_object(state)
    if named is not None:
        return {"ref": named}
    refs = [r for r in state.focus if r.split(":", 1)[0] in FOCUS_KINDS]
    if refs:
        return {"ref": refs[0], "from_focus": True}
    return None


NAME = r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
OBJECT_RE = re.compile(
    rf"\b(pod|deployment|statefulset|daemonset)s?\s+(?:(?:named|called)\s+)?[`'\"]?((?:{NAME}/)?{NAME})", re.I
)
NOT_NAMES = {
    *("is", "are", "was", "were", "be", "been", "of", "for", "in", "on", "to", "with", "the", "a", "an"),
    *("that", "which", "keep", "keeps", "has", "have", "had", "do", "does", "did", "run", "runs", "running"),
    *("use", "uses", "using", "get", "gets", "got", "status", "strategy", "image", "images", "and", "or"),
}
FOCUS_KINDS = {"component", "pod", "deployment", "statefulset", "daemonset"}


def _named_object(state: PlanState) -> str | None:
    return _object_in(state.runtime, state.utterance)


def _object_in(runtime: Any, text: str) -> str | None:
    """A pod or workload the ask names itself: "pod web-7d9f", or, on a snapshot, any object name it mentions.

    The kind word makes a name explicit on any cluster; a bare name is only looked up in a snapshot,
    whose objects are in memory, so planning never lists a live cluster.
    """
    m = OBJECT_RE.search(text)
    # "pod web-7d9f", "deployment api-v2": a name as Kubernetes makes them (English words are not)
    if m and m.group(2).lower() not in NOT_NAMES and re.search(r"[-0-9]", m.group(2)):
        return f"{m.group(1).lower()}:{m.group(2)}"
    from tools.kubernetes.clusters import clusters_for
    from tools.kubernetes.errors import KubeError

    clusters = clusters_for(runtime)
    cluster = CLUSTER_RE.search(text)
    try:
        name = clusters.resolve(cluster.group(1) if cluster else None)
        if not clusters.is_snapshot(name):
            return None
        loaded = clusters.snapshot(name)
    except KubeError:
        return None
    names = {n: k for k, _, n in loaded.objects if k in ("Deployment", "StatefulSet", "DaemonSet", "Pod")}
    words = sorted(set(re.findall(NAME, text.lower())), key=len, reverse=True)
    hit = next((w for w in words if w in names and ("-" in w or any(c.isdigit() for c in w))), None)
    return f"{names[hit].lower()}:{hit}" if hit else None


def _cluster(state: PlanState, slots: dict[str, Any]) -> dict[str, Any]:
    m = CLUSTER_RE.search(state.utterance)
    if m:
        slots["cluster"] = m.group(1)
    return slots


def _args(state: PlanState, **extra: Any) -> dict[str, Any]:
    args = {"name": state.slots["ref"], **extra}
    if state.slots.get("cluster"):
        args["cluster"] = state.slots["cluster"]
    return args


def extract_entity(state: PlanState) -> dict[str, Any] | None:
    slots = _component(state)
    return _cluster(state, slots) if slots is not None else None


def guarded(words: str, extract=None):
    """An extractor that only fills slots when the ask has one of ``words`` (a regex alternation).

    Similarity alone would let "is paypal-classic-adapter deprecated?" look like "is reviews
    healthy?"; the guard sends such asks on to the next candidate intent (the catalog's).
    """
    pattern = re.compile(rf"\b({words})", re.IGNORECASE)
    extract = extract or extract_entity

    def run(state: PlanState) -> dict[str, Any] | None:
        if OTHER_FAMILIES.search(state.utterance) or not pattern.search(state.utterance):
            return None
        return extract(state)

    return run


# Asks about documentation, runbooks or money belong to other families even when they name a failure.
OTHER_FAMILIES = re.compile(
    r"\b(document\w*|docs?|documentation|runbooks?|how (?:do|to|should|can)|"
    r"costs?|spend\w*|billing|budget)\b",
    re.IGNORECASE,
)
DIAGNOSE_WORDS = (
    r"fail|crash|pending|wrong|broken|down\b|healthy|unhealthy|ok\b|okay|slow|restart|diagnos|"
    r"troubleshoot|error|not ready|unready|stuck|oom|dying|dead|issue|problem|keep up|start\b|"
    r"imagepull|unschedulable|latency|not running|isn't running|won't|can't|cannot"
)
RUNNING_WORDS = r"running|deployed|pods?\b|replicas|workloads?|instances|containers|deployments?\b"
CHANGES_WORDS = r"chang|history|revision|deploy|rollout|release|different|new version"
EVENTS_WORDS = r"events?\b|warnings?\b"
RESTART_WORDS = r"restart|bounce|redeploy|kick|reboot|recycle"
SCALE_WORDS = r"scale|replicas|instances|pods\b"
ROLLBACK_WORDS = r"roll\s*back|rollback|undo|revert|previous (?:version|revision|release)|go back"
LOGS_WORDS = r"logs?\b|tail\b"


def extract_logs(state: PlanState) -> dict[str, Any] | None:
    slots = extract_entity(state)
    if slots is None:
        return None
    text = state.text
    m = re.search(r"\b(?:last|tail|latest)\s+(\d{1,4})\b", text) or re.search(r"\b(\d{1,4})\s+lines\b", text)
    if m:
        slots["tail"] = int(m.group(1))
    if re.search(r"\b(previous|prior|crashed|before (?:it|the) (?:crash|restart)|last run)\b", text):
        slots["previous"] = True
    return slots


def _replicas(text: str) -> int | None:
    m = re.search(r"\b(?:to|=|at)\s*(\d{1,3})\b", text) or re.search(
        r"\b(\d{1,3})\s*(?:replicas|pods|instances)\b", text
    )
    if m:
        return int(m.group(1))
    m = re.search(r"\bto\s+(" + "|".join(NUMBER_WORDS) + r")\b", text)
    return NUMBER_WORDS[m.group(1)] if m else None


def extract_scale(state: PlanState) -> dict[str, Any] | None:
    slots = extract_entity(state)
    if slots is None:
        return None
    replicas = _replicas(state.text)
    if replicas is None:
        return None
    slots["replicas"] = replicas
    return slots


def extract_rollback(state: PlanState) -> dict[str, Any] | None:
    slots = extract_entity(state)
    if slots is None:
        return None
    m = re.search(r"\brevision\s*[=:]?\s*(\d+)\b", state.text) or re.search(r"\brev\.?\s*(\d+)\b", state.text)
    if m:
        slots["revision"] = int(m.group(1))
    return slots


# --- answers ---------------------------------------------------------------------------------------
def _label(ref: str) -> str:
    kind, _, rest = ref.partition(":")
    if kind in FOCUS_KINDS - {"component"}:  # an object the ask named: "pod **web-7d9f**"
        return f"{kind} **{rest}**"
    return f"**{ref.split('/', 1)[-1]}** ({ref})"


def unreadable(state: PlanState, step: StepResult) -> Answer:
    """Any read of the cluster that failed: the reason, about the component asked for."""
    return _unreadable(step, state.slots["ref"])


def _unreadable(step: StepResult, ref: str) -> Answer:
    return Answer(text=f"I could not read the cluster for {_label(ref)}: {step.error}", refs=[ref])


def running(state: PlanState, step: StepResult) -> Answer:
    ref = state.slots["ref"]
    data = step.data or {}
    lines = [f"What's running for {_label(ref)} on {step.result.get('source', 'the cluster')}:"]
    for w in data.get("workloads", []):
        extra = f", revision {w['revision']}" if w.get("revision") else ""
        extra += f", rollout {w['rollout']}" if w.get("rollout") else ""
        ready = w["ready"] if w["kind"] == "CronJob" else f"{w['ready']} ready"
        lines.append(f"- {w['kind']} `{w['namespace']}/{w['name']}`: {ready}{extra}; image {', '.join(w['images'])}")
    pods = data.get("pods") or {}
    if pods.get("total"):
        states = ", ".join(f"{n} {s}" for s, n in pods["states"].items())
        lines.append(f"- Pods: {pods['total']} ({states}); {pods.get('restarts', 0)} restarts in total")
    for h in data.get("hpas", []):
        lines.append(f"- HPA {h['name']}: {h['current']} replicas (min {h['min']}, max {h['max']})")
    for s in data.get("services", []):
        lines.append(f"- Service {s}")
    for i in data.get("ingresses", []):
        lines.append(f"- Ingress {i}")
    if data.get("note"):
        lines.append(data["note"])
    return Answer(text="\n".join(lines), refs=[ref])


def diagnosis(state: PlanState, step: StepResult) -> Answer:
    ref = state.slots["ref"]
    data = step.data or {}
    findings = data.get("findings") or []
    if not findings:
        checked = ", ".join(data.get("checked", []))
        if data.get("healthy") is False:  # never "no problem" for pods that are not healthy
            return Answer(
                text=f"{_label(ref)} is not healthy ({data.get('workload')}; pod states {data.get('pods')}), "
                f"but none of my checks explains why (checked for: {checked}). Its status and events say more."
                + _from_snapshot(step),
                refs=[ref],
                found=False,
            )
        return Answer(
            text=f"I found no problem with {_label(ref)}: {data.get('workload')}; pod states "
            f"{data.get('pods')}. Checked for: {checked}." + _from_snapshot(step),
            refs=[ref],
        )
    top = findings[0]
    lines = [f"{_label(ref)} — **{top['mode']}** ({top['severity']}): {top['summary'].rstrip('.')}.", "", "Evidence:"]
    lines += [f"- {e}" for e in top["evidence"][:5]]
    if top.get("remediations"):
        lines += ["", "Suggested next steps:"] + [f"- {r}" for r in top["remediations"]]
    if top.get("runbooks"):
        lines.append(f"Runbook: {', '.join(top['runbooks'])}")
    for other in findings[1:]:
        lines.append(f"Also: **{other['mode']}** — {other['summary']}")
    lines.append(f"({data.get('workload')})")
    return Answer(text="\n".join(lines) + _from_snapshot(step), refs=[ref])


def _from_snapshot(step: StepResult) -> str:
    """Where the objects came from, when it is a snapshot rather than a live cluster."""
    source = str(step.result.get("source") or "")
    return f"\nRead from {source}." if "snapshot" in source else ""


def logs(state: PlanState, step: StepResult) -> Answer:
    ref = state.slots["ref"]
    d = step.data or {}
    which = "previous (crashed) container" if d.get("previous") else "container"
    text = (
        f"Logs of {_label(ref)}, pod `{d.get('pod')}`, {which} `{d.get('container')}` "
        f"({d.get('shown')} of {d.get('lines')} lines, error lines first):\n```\n{d.get('log') or '(empty)'}\n```"
    )
    if step.result.get("note"):
        text += f"\n{step.result['note']}"
    return Answer(text=text, refs=[ref])


def changes(state: PlanState, step: StepResult) -> Answer:
    ref = state.slots["ref"]
    d = step.data or {}
    lines = [f"Rollout history of {_label(ref)}:"]
    change = d.get("last_change")
    if change:
        lines.append(f"The latest rollout (revision {change['from']} → {change['to']}, at {change['at']}) changed:")
        lines += [f"- {item}" for item in change["diff"]]
    for rev in reversed(d.get("revisions", [])):
        current = " (current)" if rev["revision"] == d.get("current_revision") else ""
        lines.append(
            f"- revision {rev['revision']}{current}: {', '.join(rev['images'])}, created {rev['created']}, "
            f"{rev['ready']}/{rev['replicas']} ready"
        )
    if d.get("note"):
        lines.append(d["note"])
    return Answer(text="\n".join(lines), refs=[ref])


def events(state: PlanState, step: StepResult) -> Answer:
    ref = state.slots["ref"]
    rows = (step.data or {}).get("events") or []
    if not rows:
        return Answer(text=f"No warning events for {_label(ref)}.", refs=[ref])
    return Answer(
        text=f"Warning events for {_label(ref)} (newest first):\n" + "\n".join(f"- {r}" for r in rows), refs=[ref]
    )


def _mutation_answer(step: StepResult, ref: str, what: str) -> Answer:
    if not step.ok:
        return Answer(text=f"{what} for {_label(ref)} was not done: {step.error}", refs=[ref])
    data = step.data or {}
    verification = data.get("verification") or {}
    text = f"Done: {data.get('applied', what)}."
    if verification.get("verified"):
        detail = ", ".join(
            f"{k} {verification[k]}"
            for k in ("revision", "ready", "replicas", "maxReplicas", "minReplicas", "currentReplicas")
            if k in verification
        )
        text += f" Verified: {detail or 'ok'}."
    else:
        text += f" But it did not verify: {verification.get('reason', 'unknown')}."
    if step.result.get("note") and verification.get("verified") is not False:
        text += f" {step.result['note']}"
    return Answer(text=text, refs=[ref])


def read_only(state: PlanState) -> Answer | None:
    """One line when the ask's cluster is a snapshot loaded from files: no change is ever requested."""
    from tools.kubernetes.clusters import clusters_for
    from tools.kubernetes.errors import KubeError
    from tools.kubernetes.snapshot import read_only_message

    clusters = clusters_for(state.runtime)
    try:
        name = clusters.resolve(state.slots.get("cluster"))
    except KubeError:
        return None  # the tool's own call reports an unknown cluster
    if not clusters.is_snapshot(name):
        return None
    ref = state.slots["ref"]
    return Answer(text=f"{read_only_message(name)}.", refs=[ref] if ref.startswith("component:") else [])


def _plan_change(state: PlanState, tool: str, what: str, **extra: Any) -> Step:
    refused = read_only(state)
    if refused is not None:
        return refused
    step = state.result_of(tool)
    if step is not None:
        return _mutation_answer(step, state.slots["ref"], what)
    return CallTools(calls=[ToolCallSpec(name=tool, args=_args(state, **extra))])


def plan_restart(state: PlanState) -> Step:
    return _plan_change(state, "k8s_rollout_restart", "The restart")


def plan_scale(state: PlanState) -> Step:
    return _plan_change(state, "k8s_scale", "The scale", replicas=state.slots.get("replicas"))


def plan_rollback(state: PlanState) -> Step:
    """Resolve "the previous revision" first, so that the approval is bound to an explicit revision."""
    refused = read_only(state)
    if refused is not None:
        return refused
    ref = state.slots["ref"]
    step = state.result_of("k8s_rollback")
    if step is not None:
        return _mutation_answer(step, ref, "The rollback")
    revision = state.slots.get("revision")
    if revision is None:
        hist = state.result_of("k8s_rollout_history")
        if hist is None:
            return CallTools(calls=[ToolCallSpec(name="k8s_rollout_history", args=_args(state))])
        if not hist.ok:
            return _unreadable(hist, ref)
        current = (hist.data or {}).get("current_revision")
        older = [r["revision"] for r in (hist.data or {}).get("revisions", []) if current and r["revision"] < current]
        if not older:
            return Answer(text=f"{_label(ref)} has no previous revision to roll back to.", refs=[ref])
        revision = max(older)
    return CallTools(calls=[ToolCallSpec(name="k8s_rollback", args=_args(state, revision=revision))])


DESCRIBE_WORDS = re.compile(
    r"\b(node|image|limits?|requests?|cpu|memory|probes?|exit(?:ed| code)?|terminat\w*|restart\w*|status|"
    r"phase|scheduled|containers?|qos|owner|strategy|replicas?|conditions?|command|describe|details?)\b",
    re.IGNORECASE,
)


def names_cluster_object(runtime: Any, text: str) -> bool:
    """A strong hit for ``kubernetes.describe``: the ask names a pod or workload of a cluster."""
    try:
        return _object_in(runtime, text) is not None
    except Exception:  # no cluster configured, an unreadable snapshot: not ours to recognise
        return False


def asks_describe(state: PlanState) -> dict[str, Any] | None:
    """What a named object is (its node, containers, limits, state, events). "Why" asks go to the
    diagnosis, logs and events asks to theirs; a catalog component needs a detail word."""
    text = state.utterance
    if OTHER_FAMILIES.search(text) or re.search(r"\bwhy\b|\blogs?\b|\broot cause\b", text, re.IGNORECASE):
        return None
    named = _named_object(state)
    if named is not None:
        return _cluster(state, {"ref": named})
    return extract_entity(state) if DESCRIBE_WORDS.search(text) else None


def described(state: PlanState, step: StepResult) -> Answer:
    ref, data = state.slots["ref"], step.data or {}
    lines: list[str] = []
    for w in data.get("workloads", []):
        replicas = ", ".join(f"{k}={v}" for k, v in (w.get("replicas") or {}).items())
        lines.append(
            f"**{w['workload']}** — desired {w.get('desired')}, {replicas or 'no status'}; "
            f"images {', '.join(w.get('images') or [])}"
        )
        if w.get("strategy"):
            lines.append(f"- strategy: {w['strategy']}")
        lines += [f"- condition {c}" for c in w.get("conditions", [])]
        lines += [f"- event {e}" for e in w.get("events", [])]
    for pod in data.get("pods", []):
        head = f"**pod {pod['pod']}** on node {pod['node']} — {pod.get('phase')}"
        if pod.get("reason") or pod.get("message"):
            head += f" ({pod.get('reason') or ''}{': ' + pod['message'] if pod.get('message') else ''})"
        lines.append(head)
        lines += [f"- condition {c}" for c in pod.get("conditions", []) if "=True" not in c]
        for c in pod.get("containers", []):
            text = f"- {c['kind']} container `{c['name']}` ({c.get('image')}): {c['state']}"
            text += f"; restarts {c.get('restarts', 0)}"
            if c.get("last_state"):
                text += f"; last: {c['last_state']}"
            text += f"; {c['resources']}"
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if c.get(probe):
                    text += f"; {probe} {c[probe]}"
            if c.get("command"):
                text += f"; command `{c['command']}`"
            lines.append(text)
        lines += [f"- event {e}" for e in pod.get("events", [])]
    if data.get("more_pods"):
        lines.append(f"(and {data['more_pods']} more pod(s))")
    return Answer(text="\n".join(lines) + _from_snapshot(step), refs=[ref])


asks_running = guarded(RUNNING_WORDS)
asks_diagnosis = guarded(DIAGNOSE_WORDS)
asks_logs = guarded(LOGS_WORDS, extract_logs)
asks_changes = guarded(CHANGES_WORDS)
asks_events = guarded(EVENTS_WORDS)
asks_restart = guarded(RESTART_WORDS)
asks_scale = guarded(SCALE_WORDS, extract_scale)
asks_rollback = guarded(ROLLBACK_WORDS, extract_rollback)


def build_intents(runtime: Any) -> list[Intent]:
    return load_intents(__name__, runtime)
