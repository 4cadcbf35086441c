"""Offline-planner intents for Kubernetes: what's running, why is it failing, logs, what changed,
events, what a named object is, listings (pods by namespace, node or state; PVCs; Jobs), and the
remediations (restart / scale / roll back), which end in an approval request.

On a snapshot, an ask may name any object the files speak of: a workload, pod, Job, HPA or PVC, a
ReplicaSet or Job by the pods it owns, a deleted pod or a node by the events about it, a namespace.

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
    namespace = _namespace_in(state)
    if namespace is not None:
        return {"ref": f"namespace:{namespace}"}
    refs = [r for r in state.focus if r.split(":", 1)[0] in FOCUS_KINDS]
    if refs:
        return {"ref": refs[0], "from_focus": True}
    return None


NAME = r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
KIND_WORDS = (
    r"pod|deployment|statefulset|daemonset|job|hpa|horizontalpodautoscaler|pvc|persistentvolumeclaim|"
    r"node|replicaset|namespace"
)
OBJECT_RE = re.compile(rf"\b({KIND_WORDS})s?\s+(?:(?:named|called)\s+)?([`'\"]?)((?:{NAME}/)?{NAME})\2", re.I)
# "the karina deployment", "coredns-74ff55c5b pods": the name before its kind word
NAME_KIND_RE = re.compile(rf"[`'\"]?\b({NAME})[`'\"]?\s+({KIND_WORDS})(s?)\b", re.I)
NAMESPACE_RE = re.compile(rf"\b(?:in|of)\s+(?:the\s+)?(?:namespace\s+)?[`'\"]?({NAME})[`'\"]?", re.I)
NOT_NAMES = {
    *("is", "are", "was", "were", "be", "been", "of", "for", "in", "on", "to", "with", "the", "a", "an"),
    *("that", "which", "keep", "keeps", "has", "have", "had", "do", "does", "did", "run", "runs", "running"),
    *("use", "uses", "using", "get", "gets", "got", "status", "strategy", "image", "images", "and", "or"),
    *("this", "those", "these", "it", "its", "their", "my", "our", "all", "any", "each", "every", "some", "what"),
}
FOCUS_KINDS = {
    *("component", "pod", "deployment", "statefulset", "daemonset", "job", "replicaset", "node", "namespace"),
    *("horizontalpodautoscaler", "persistentvolumeclaim"),
}
KIND_OF_WORD = {
    "hpa": "horizontalpodautoscaler",
    "pvc": "persistentvolumeclaim",
}
# kinds a snapshot's names may stand for, as objects, pod owners, or the subjects of events
NAMED_KINDS = {
    *("Deployment", "StatefulSet", "DaemonSet", "Pod", "Job", "ReplicaSet", "Node"),
    *("HorizontalPodAutoscaler", "PersistentVolumeClaim"),
}


def _named_object(state: PlanState) -> str | None:
    return _object_in(state.runtime, state.utterance)


def _snapshot_names(loaded: Any) -> tuple[dict[str, list[tuple[str, str]]], set[str], set[str]]:
    """name → [(kind, namespace)] of every object a snapshot holds, owns pods, or has events about;
    the namespaces; and the nodes pods run on. Built once per loaded snapshot."""
    cached = getattr(loaded, "_names_index", None)
    if cached is not None:
        return cached
    names: dict[str, list[tuple[str, str]]] = {}

    def add(kind: str | None, ns: str | None, name: str | None) -> None:
        if kind in NAMED_KINDS and name and (kind, ns or "") not in names.setdefault(name, []):
            names[name].append((kind, ns or ""))

    spaces: set[str] = set()
    nodes: set[str] = set()
    for (kind, ns, name), obj in loaded.objects.items():
        if ns:
            spaces.add(ns)
        if kind == "Pod" and (obj.get("spec") or {}).get("nodeName"):
            nodes.add(obj["spec"]["nodeName"])
        if kind == "Event":
            inv = obj.get("involvedObject") or obj.get("regarding") or {}
            add(inv.get("kind"), inv.get("namespace") or ns, inv.get("name"))
            continue
        add(kind, ns, name)
        for owner in (obj.get("metadata") or {}).get("ownerReferences") or []:
            add(owner.get("kind"), ns, owner.get("name"))
    for (kind, ns, name), obj in loaded.objects.items():  # "the HPA of argocd-server"
        if kind == "HorizontalPodAutoscaler":
            target = ((obj.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
            if target:
                names.setdefault(f"hpa-of:{target}", []).append((name, ns or ""))
    loaded._names_index = (names, spaces, nodes)
    return names, spaces, nodes


def _snapshot_of(runtime: Any, text: str) -> Any | None:
    from tools.kubernetes.clusters import clusters_for
    from tools.kubernetes.errors import KubeError

    clusters = clusters_for(runtime)
    cluster = CLUSTER_RE.search(text)
    try:
        name = clusters.resolve(cluster.group(1) if cluster else None)
        if not clusters.is_snapshot(name):
            return None
        return clusters.snapshot(name)
    except KubeError:
        return None


def _in_namespace(text: str, spaces: set[str]) -> str | None:
    return next((m.group(1) for m in NAMESPACE_RE.finditer(text) if m.group(1) in spaces), None)


def _ref(kind_word: str, name: str, where: list[tuple[str, str]] | None, namespace: str | None) -> str:
    """``kind:namespace/name`` when the snapshot or the ask says which namespace, else ``kind:name``."""
    kind = KIND_OF_WORD.get(kind_word.lower(), kind_word.lower())
    if "/" in name or kind in ("namespace", "node"):
        return f"{kind}:{name}"
    spaces = sorted({ns for k, ns in where or [] if k.lower() == kind})
    if namespace and namespace in spaces:
        return f"{kind}:{namespace}/{name}"
    return f"{kind}:{spaces[0]}/{name}" if len(spaces) == 1 and spaces[0] else f"{kind}:{name}"


def _object_in(runtime: Any, text: str) -> str | None:
    """A pod or workload the ask names itself: "pod web-7d9f", or, on a snapshot, any object name it mentions.

    The kind word makes a name explicit on any cluster; a bare name is only looked up in a snapshot,
    whose objects (and the owners and subjects of its events) are in memory, so planning never lists
    a live cluster.
    """
    loaded = _snapshot_of(runtime, text)
    names, spaces, _ = _snapshot_names(loaded) if loaded is not None else ({}, set(), set())
    namespace = _in_namespace(text, spaces)
    for m in OBJECT_RE.finditer(text):  # "pod web-7d9f", "job 'fail'", "namespace test-crash"
        kind_word, quoted, name = m.group(1), m.group(2), m.group(3)
        kind = KIND_OF_WORD.get(kind_word.lower(), kind_word.lower())
        if name.lower() in NOT_NAMES:
            continue
        known = [w for w in names.get(name, []) if w[0].lower() == kind]
        if kind == "namespace" and (name in spaces or loaded is None):
            return f"namespace:{name}"
        # a name as Kubernetes makes them (English words are not), a quoted one, or one the snapshot holds
        if known or quoted or (loaded is None and re.search(r"[-0-9]", name)):
            return _ref(kind_word, name, known, namespace)
    if loaded is None:
        return None
    for m in NAME_KIND_RE.finditer(text):  # "the karina deployment", "the coredns-74ff55c5b pods"
        name, kind_word = m.group(1), m.group(2)
        kind = KIND_OF_WORD.get(kind_word.lower(), kind_word.lower())
        if name in spaces and kind == "pod" and m.group(3):
            continue  # "the velero pods": the pods of a namespace (but "the sonobuoy pod" is one pod)
        known = names.get(name, [])
        typed = [w for w in known if w[0].lower() == kind]
        if typed:
            return _ref(kind_word, name, typed, namespace)
        owners = [w for w in known if w[0] in ("ReplicaSet", "Job")]
        if kind == "pod" and owners:  # "the coredns-74ff55c5b pods": the pods that owner made
            return _ref(owners[0][0], name, owners, namespace)
    words = sorted(set(re.findall(NAME, text.lower())), key=len, reverse=True)
    if re.search(r"\b(hpas?|horizontalpodautoscalers?|autoscalers?)\b", text, re.I):
        # "the HPA that targets argocd-server": the autoscaler of a workload, by the workload's name
        for w in words:
            scalers = names.get(f"hpa-of:{w}") or []
            if len(scalers) == 1:
                hpa, ns = scalers[0]
                return f"horizontalpodautoscaler:{ns + '/' if ns else ''}{hpa}"
    hit = next((w for w in words if w in names and ("-" in w or any(c.isdigit() for c in w))), None)
    if hit is None:
        return None
    where = names[hit]
    order = ("Deployment", "StatefulSet", "DaemonSet", "Job", "Pod", "ReplicaSet", "Node")
    kinds = sorted({k for k, _ in where}, key=lambda k: order.index(k) if k in order else 99)
    return _ref(kinds[0], hit, [w for w in where if w[0] == kinds[0]], namespace)


def _namespace_in(state: PlanState) -> str | None:
    """ "in namespace test-crash", or on a snapshot "in velero": a whole namespace the ask is about."""
    m = re.search(rf"\bnamespace\s+[`'\"]?({NAME})|\b({NAME})\s+namespace\b", state.utterance, re.I)
    loaded = _snapshot_of(state.runtime, state.utterance)
    spaces = _snapshot_names(loaded)[1] if loaded is not None else set()
    if m and (loaded is None or (m.group(1) or m.group(2)) in spaces):
        return m.group(1) or m.group(2)
    return _in_namespace(state.utterance, spaces) if spaces else None


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
        if _other_family(state.utterance) or not pattern.search(_without_names(state.utterance)):
            return None
        return extract(state)

    return run


# Asks about documentation, runbooks or money belong to other families even when they name a failure.
OTHER_FAMILIES = re.compile(
    r"\b(document\w*|docs?|documentation|runbooks?|how (?:do|to|should|can)|"
    r"costs?|spend\w*|billing|budget)\b",
    re.IGNORECASE,
)
# A name as Kubernetes and catalogs make them ("billing-api", "bad-image-deployment"): its words are no ask's.
COMPOUND_NAME = re.compile(r"\b[a-z0-9]+(?:[-.][a-z0-9]+)+\b", re.IGNORECASE)


def _without_names(text: str) -> str:
    return COMPOUND_NAME.sub(" ", text)


def _other_family(text: str) -> bool:
    """Docs, runbooks or money asked about, in the ask's own words (not inside a name like billing-api)."""
    return bool(OTHER_FAMILIES.search(_without_names(text)))


DIAGNOSE_WORDS = (
    r"fail|crash|pending|wrong|broken|down\b|healthy|unhealthy|ok\b|okay|slow|restart|diagnos|"
    r"troubleshoot|error|not ready|unready|stuck|oom|dying|dead|issue|problem|keep up|start\b|"
    r"imagepull|unschedulable|latency|not running|isn't running|won't|can't|cannot"
)
RUNNING_WORDS = r"running|deployed|pods?\b|replicas|workloads?|instances|containers|deployments?\b"
CHANGES_WORDS = r"chang|history|revision|deploy|rollout|release|different|new version"
EVENTS_WORDS = r"events?\b|warnings?\b|recorded\b|happened\b|occurr?ed\b|when was\b"
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
        where = ""
        if ref.startswith("namespace:") and other.get("evidence"):  # which of the namespace's objects
            where = f" ({other['evidence'][0].split(' · ')[0]})"
        lines.append(f"Also: **{other['mode']}** — {other['summary']}{where}")
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
    order = "most frequent first" if state.slots.get("by_count") else "newest first"
    text = f"Warning events for {_label(ref)} ({order}):\n" + "\n".join(f"- {r}" for r in rows)
    if step.result.get("note"):
        text += f"\n({step.result['note']})"
    return Answer(text=text, refs=[ref])


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
    if _other_family(text) or re.search(r"\bwhy\b|\blogs?\b|\broot cause\b", text, re.IGNORECASE):
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
        counts = "".join(f", {k} {w[k]}" for k in ("ready", "available") if w.get(k))
        lines.append(
            f"**{w['workload']}** — desired {w.get('desired')}{counts}; {replicas or 'no status'}; "
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
    for o in data.get("objects", []):
        lines.append(f"**{o['object']}**" + (f" — {'; '.join(o['facts'])}" if o.get("facts") else ""))
        lines += [f"- condition {c}" for c in o.get("conditions", [])]
        lines += [f"- event {e}" for e in o.get("events", [])]
    return Answer(text="\n".join(lines) + _from_snapshot(step), refs=[ref])


LIST_KINDS = {
    "pod": "Pod",
    "pvc": "PersistentVolumeClaim",
    "persistentvolumeclaim": "PersistentVolumeClaim",
    "job": "Job",
    "deployment": "Deployment",
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
    "hpa": "HorizontalPodAutoscaler",
}
LIST_KIND_RE = re.compile(r"\b(pod|pvc|persistentvolumeclaim|job|deployment|statefulset|daemonset|hpa)(s?)\b", re.I)
LIST_CUE = re.compile(r"\b(which|list|show|what|any|all|how many)\b", re.I)
LIST_STATES = [
    (r"not ready|unready|aren't ready|isn't ready", "not ready"),
    (r"not available|unavailable|aren't available|isn't available", "not available"),
    (r"unhealthy|not healthy|degraded|broken", "unhealthy"),
    (r"crash\s?loop\w*", "CrashLoopBackOff"),
    (r"pending", "Pending"),
    (r"restart(?:ed|ing|s)?", "restarted"),
    (r"unschedulable", "Unschedulable"),
    (r"fail\w*", "Failed"),
    (r"imagepullbackoff|errimagepull", "ImagePullBackOff"),
    (r"running", "Running"),
    (r"succeeded|completed", "Succeeded"),
    (r"bound", "Bound"),
    (r"lost", "Lost"),
]
NODE_RE = re.compile(rf"\b(?:on|node)\s+(?:node\s+)?[`'\"]?({NAME})", re.I)


def asks_list(state: PlanState) -> dict[str, Any] | None:
    """Which pods (PVCs, Jobs, workloads) are in a namespace, on a node or in a state: no one object named."""
    text = state.utterance
    if _other_family(text) or re.search(r"\bevents?\b|\blogs?\b", text, re.I):
        return None
    kind_m = LIST_KIND_RE.search(text)
    cue = LIST_CUE.search(text)
    if not kind_m or not cue:
        return None
    plural = bool(kind_m.group(2))
    if not plural and not re.search(rf"\b(which|what|any)\s+{kind_m.group(1)}\b", text, re.I):
        return None
    named = _named_object(state)
    if named is not None and named.split(":", 1)[0] not in ("namespace", "node"):
        return None  # one named object: the describe or diagnosis answers
    if state.runtime.catalog.find_mentions(text, kinds=KINDS):
        return None  # "show me the pods of search": a component's workloads, not a listing
    slots: dict[str, Any] = {"kind": LIST_KINDS[kind_m.group(1).lower()]}
    loaded = _snapshot_of(state.runtime, text)
    spaces = _snapshot_names(loaded)[1] if loaded is not None else set()
    owner = re.search(rf"\b(?:of|for|belonging to)\s+(?:the\s+)?({NAME})", text, re.I)
    if owner and owner.group(1).lower() not in {*NOT_NAMES, "namespace", "node", *spaces}:
        return None  # "the pods of search": something's pods, not a listing of the cluster
    before = re.search(rf"\b({NAME})\s+{kind_m.group(1)}s?\b", text, re.I)
    namespace = _namespace_in(state) or (before.group(1) if before and before.group(1) in spaces else None)
    if namespace:
        slots["namespace"] = namespace
    nodes = _snapshot_names(loaded)[2] if loaded is not None else set()
    node = next(
        (
            m.group(1)
            for m in NODE_RE.finditer(text)
            if m.group(1).lower() not in NOT_NAMES
            and m.group(1) not in spaces
            and not CLUSTER_RE.search(m.group(0))
            # "node minikube" names one; after a bare "on", a node name as clusters make them, or a known one
            and (m.group(0).lower().startswith("node") or m.group(1) in nodes or re.search(r"[-0-9]", m.group(1)))
        ),
        None,
    )
    if node:
        slots["node"] = node
    wanted = next((value for words, value in LIST_STATES if re.search(rf"\b(?:{words})\b", text, re.I)), None)
    if wanted:
        slots["state"] = wanted
    return _cluster(state, slots)


def listed(state: PlanState, step: StepResult) -> Answer:
    d, slots = step.data or {}, state.slots
    kind = d.get("kind") or slots.get("kind") or "Pod"
    where = f" in namespace {slots['namespace']}" if slots.get("namespace") else ""
    where += f" on node {slots['node']}" if slots.get("node") else ""
    which = f" that are {slots['state']}" if slots.get("state") else ""
    rows = d.get("rows") or []
    if not rows:
        text = f"No {kind} objects{where}{which} (of {d.get('of', 0)} listed{where})."
    else:
        text = f"{kind}s{where}{which}: {d.get('matched', len(rows))} of {d.get('of', len(rows))}\n" + "\n".join(
            f"- {r}" for r in rows
        )
    if step.result.get("note"):
        text += f"\n({step.result['note']})"
    return Answer(text=text + _from_snapshot(step), refs=list(d.get("refs") or []))


def list_unreadable(state: PlanState, step: StepResult) -> Answer:
    return Answer(text=f"I could not list {state.slots.get('kind', 'Pod')} objects: {step.error}", refs=[])


asks_running = guarded(RUNNING_WORDS)
WHY_ABOUT_OBJECT = re.compile(r"\bwhy\b|\broot cause\b|\bwhat happened\b", re.IGNORECASE)
_diagnosis_words = guarded(DIAGNOSE_WORDS)


def asks_diagnosis(state: PlanState) -> dict[str, Any] | None:
    """A failure word about a component or object, or any "why" about an object the cluster names."""
    slots = _diagnosis_words(state)
    if slots is not None or _other_family(state.utterance) or not WHY_ABOUT_OBJECT.search(state.utterance):
        return slots
    named = _named_object(state)
    return _cluster(state, {"ref": named}) if named is not None else None


def why_about_cluster_object(runtime: Any, text: str) -> bool:
    """A strong hit for ``kubernetes.diagnose``: a "why" about a pod or workload the cluster names."""
    return bool(WHY_ABOUT_OBJECT.search(text)) and names_cluster_object(runtime, text)


asks_logs = guarded(LOGS_WORDS, extract_logs)
asks_changes = guarded(CHANGES_WORDS)
_events_words = guarded(EVENTS_WORDS)


def asks_events(state: PlanState) -> dict[str, Any] | None:
    """Events of a component or object; "which … most / highest count / how many times" sorts them by count."""
    slots = _events_words(state)
    if slots is not None and re.search(r"\b(highest|most|count|how many|how often)\b", state.utterance, re.I):
        slots["by_count"] = True
    return slots


asks_restart = guarded(RESTART_WORDS)
asks_scale = guarded(SCALE_WORDS, extract_scale)
asks_rollback = guarded(ROLLBACK_WORDS, extract_rollback)


def build_intents(runtime: Any) -> list[Intent]:
    return load_intents(__name__, runtime)
