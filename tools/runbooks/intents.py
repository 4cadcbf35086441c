"""Offline-planner intents: run a runbook for an entity, find the runbook for a problem, show one.

"run the crashloop runbook for checkout" reads the runbook with the entity (``runbook_get`` fills
each step's placeholders into a ready tool call), then makes the steps' calls in order: consecutive
read-only steps together, each mutating step alone so the graph's approval gate stops it. The
answer is a step-by-step report built from the tool results only. Every intent here needs the word
"runbook" (or playbook/procedure/SOP), so "why is checkout crashlooping?" stays with Kubernetes.

The intents are declared in ``intents.yaml``; this module holds the code it names.
"""

from __future__ import annotations

import re
from typing import Any

from contract.intent_files import load_intents
from contract.intents import Answer, CallTools, Intent, PlanState, Step, StepResult, ToolCallSpec

# The runbook modules (parsers, pydantic models, rapidfuzz) are imported when an ask is about
# runbooks, not when the planner starts: the CLI's cold start stays fast.

FAMILY = "runbooks"
RUNBOOK_WORD = r"(?:run-?books?|play-?books?|procedures?|sops?)"
RUNBOOK_RE = re.compile(rf"\b{RUNBOOK_WORD}\b", re.I)
ENTITY_KINDS = ["component", "resource", "system", "api"]
MAX_AI_MESSAGES = 8  # agent/planner/model.py MAX_STEPS_PER_TURN: beyond it the planner gives up
NAME_BEFORE = re.compile(
    r"\b(?:run|execute|follow|start|kick\s+off|go\s+through|walk\s+(?:me\s+)?through|launch|trigger|"
    r"show(?:\s+me)?|open|read(?:\s+me)?|display|print|view|get|give\s+me|steps\s+(?:of|in)|what\s+does|"
    r"what(?:'s|\s+is)\s+in)\s+(?:me\s+|us\s+)?(?:the\s+|our\s+|a\s+|that\s+)?"
    r"(?P<name>[\w .'\"`-]+?)\s+" + RUNBOOK_WORD + r"\b",
    re.I,
)
NAME_AFTER = re.compile(rf"\b{RUNBOOK_WORD}\s*[:\s]\s*(?:called\s+|named\s+)?[\"'`]?(?P<name>[\w.-]+)", re.I)
PARAM_RE = re.compile(r"\b([a-z_][a-z0-9_]*)\s*=\s*([\w./:-]+)", re.I)
NOT_NAMES = {"the", "a", "this", "that", "for", "on", "to", "it", "with", "in", "against"}


# --- slots --------------------------------------------------------------------------------------
def _runbook_span(state: PlanState) -> tuple[str | None, tuple[int, int] | None]:
    """The runbook name as written, and where it is in the utterance."""
    text = state.utterance
    unresolved: tuple[str | None, tuple[int, int] | None] = (None, None)
    for regex in (NAME_BEFORE, NAME_AFTER):
        for m in regex.finditer(text):
            name = m.group("name").strip(" '\"`")
            if not name or name.lower() in NOT_NAMES:
                continue
            if _resolve_name(state, name) is not None:
                return name, m.span("name")
            if regex is NAME_BEFORE and unresolved[0] is None:
                unresolved = (name, m.span("name"))
    mentioned = _mentioned_runbook(state)
    return mentioned if mentioned[0] is not None else unresolved


def _mentioned_runbook(state: PlanState) -> tuple[str | None, tuple[int, int] | None]:
    """Any runbook named anywhere in the utterance ("the crashloop runbook, for checkout — run it")."""
    from tools.runbooks.loader import library_for

    try:
        library = library_for(state.runtime)
    except Exception:
        return None, None
    best: tuple[str | None, tuple[int, int] | None] = (None, None)
    for runbook in library.all():
        if len(runbook.name) < 4:
            continue
        pattern = r"\b" + r"[\s_-]?".join(re.escape(part) for part in re.split(r"[-_\s]+", runbook.name)) + r"\b"
        m = re.search(pattern, state.utterance, re.I)
        if m and (best[1] is None or m.end() - m.start() > best[1][1] - best[1][0]):
            best = (runbook.name, m.span())
    return best


def _entity(state: PlanState, skip: tuple[int, int] | None) -> str | None:
    """The entity the ask is about: a catalog mention outside the runbook's name, else the focus."""
    text = state.utterance
    if skip:  # blank the runbook name out so "kafka-consumer-lag" does not mention kafka-main
        text = text[: skip[0]] + " " * (skip[1] - skip[0]) + text[skip[1] :]
    text = PARAM_RE.sub(lambda m: " " * len(m.group(0)), text)
    try:
        mentions = state.runtime.catalog.find_mentions(text, kinds=ENTITY_KINDS)
    except Exception:
        mentions = []
    if mentions:
        after_for = [m for m in mentions if re.search(r"\b(for|on|against|in|to)\s*$", text[: m.start], re.I)]
        return max(after_for or mentions, key=lambda m: m.score).ref
    if state.focus and re.search(r"\b(it|its|this|that|same)\b", state.utterance, re.I):
        return state.focus[0]
    return None


def _params(state: PlanState) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in PARAM_RE.findall(state.utterance):
        out[key] = int(value) if value.isdigit() else value
    return out


def _resolve_name(state: PlanState, written: str | None) -> str | None:
    from tools.runbooks.loader import library_for

    if not written:
        return None
    try:
        library = library_for(state.runtime)
    except Exception:
        return written
    found = library.get(written)
    if found is not None:
        return found.name
    hits = library.search(written, limit=1)
    return hits[0].runbook.name if hits and hits[0].score >= 80 else None


def extract_named(state: PlanState) -> dict[str, Any] | None:
    if not RUNBOOK_RE.search(state.utterance):
        return None
    written, span = _runbook_span(state)
    name = _resolve_name(state, written)
    entity = _entity(state, span)
    if written is None and entity is None:
        return None
    slots: dict[str, Any] = {"runbook": name, "written": written, "entity": entity}
    params = _params(state)
    if params:
        slots["params"] = params
    return slots


def extract_find(state: PlanState) -> dict[str, Any] | None:
    if not RUNBOOK_RE.search(state.utterance):
        return None
    entity = _entity(state, None)
    text = state.utterance
    if entity:
        try:
            for m in state.runtime.catalog.find_mentions(text, kinds=ENTITY_KINDS):
                text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
        except Exception:
            pass
    ask_words = _find_ask_words()
    words = [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.'’-]*", text) if w.lower() not in ask_words]
    words = [w for w in words if not RUNBOOK_RE.fullmatch(w)]
    return {"query": " ".join(words[:8]) or None, "entity": entity}


FIND_ASK_WORDS = frozenset(
    [
        "have",
        "got",
        "we",
        "covers",
        "cover",
        "covering",
        "handle",
        "handles",
        "handling",
        "apply",
        "applies",
        "available",
        "exist",
        "exists",
        "existing",
        "recommend",
        "recommended",
        "suggest",
        "need",
        "i",
        "my",
        "alert",
        "alerts",
        "fires",
        "fired",
        "firing",
        "problem",
        "problems",
        "issue",
        "issues",
        "is",
        "are",
        "an",
        "on-call",
        "oncall",
        "search",
        "look",
        "up",
        "lookup",
        "every",
        "our",
        "relevant",
        "matching",
        "match",
        "be",
        "used",
        "pls",
        "plz",
        "hey",
        "hi",
        "ages",
        "has",
        "been",
        "one",
        "any",
        "anything",
        "useful",
    ]
)


def _find_ask_words() -> frozenset[str]:
    from tools.runbooks.library import STOPWORDS

    return STOPWORDS | FIND_ASK_WORDS


# An alert-like name as written: a CamelCase word ("KubePodCrashLooping", "etcdNoLeader", "CPUThrottlingHigh").
ALERT_LIKE_TEXT = r"(?<![\w/.-])(?:[A-Za-z]*[a-z][A-Z]|[A-Z]{2,}[a-z])[A-Za-z0-9]*(?![\w/.-])"
ASPECT_WORDS = (
    r"\b(?:mean|means|meaning|impact|how\s+bad|urgent|fix|mitigat\w*|diagnos\w*|check|look|investigat\w*|"
    r"commands?|logs?|query|metric|metrics|threshold|thresholds|cause|causes|workaround|resolve|fires?|fired|"
    r"warning|critical|how\s+long|difference|section|where|why|grep|inspect|validate|what\s+happens|"
    r"should\s+i|what\s+do\s+i|how\s+do\s+i|what'?s\s+the)\b"
)
# A question about a runbook's content, named by its description rather than its alert.
# An alert's name next to what is asked about it ("what does KubePodCrashLooping mean?").
ALERT_ASK = rf"(?-i:{ALERT_LIKE_TEXT}).*{ASPECT_WORDS}|{ASPECT_WORDS}.*(?-i:{ALERT_LIKE_TEXT})"
RUNBOOK_CONTENT = re.compile(
    rf"\b(?:according\s+to|in)\s+the\s+(?:[\w-]+\s+){{0,4}}{RUNBOOK_WORD}\b|"
    rf"\b{RUNBOOK_WORD}\s+(?:say|says|suggest|suggests|recommend|recommends|give|gives|list|lists|mention|mentions)\b",
    re.I,
)
ALERT_CONTEXT = re.compile(rf"\b(?:alerts?|{RUNBOOK_WORD}|fir(?:e|es|ed|ing)|paged|went\s+off)\b", re.I)
QUESTION_RE = re.compile(
    r"\?|^\s*(?:and\s+|ok\s+|so\s+)?(?:what|whats|how|why|when|where|which|who|is|are|does|do|can|should|"
    r"at\s+what|in\s+a|for|if)\b|\b(?:what|how|why|when|where|which)\b",
    re.I,
)
IMPERATIVE_RUN = re.compile(
    r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:run|execute|follow|start|kick\s+off|launch|trigger)\b", re.I
)


def extract_ask(state: PlanState) -> dict[str, Any] | None:
    """A question about what runbooks say: the runbooks it names, else the one its words describe,
    else (a follow-up) the previous turn's runbook.

    An alert-like name that no runbook has is kept (``written``) so the answer can say plainly that
    no runbook covers it. Imperative asks ("run the crashloop runbook for checkout") are runs, not
    questions, and are left to ``runbooks.run``.
    """
    from tools.runbooks.answers import find_mentions
    from tools.runbooks.loader import library_for

    if IMPERATIVE_RUN.search(state.utterance) or not QUESTION_RE.search(state.utterance):
        return None
    try:
        library = library_for(state.runtime)
    except Exception:
        return None
    mentions = find_mentions(library, state.utterance)
    named = [m.runbook.name for m in mentions if m.runbook is not None]
    if named:
        return {"runbooks": named, "written": [m.written for m in mentions]}
    if RUNBOOK_CONTENT.search(state.utterance):  # "which services does the PV filling up runbook list?"
        described = _described(library, state.utterance)
        if described:
            return {"runbooks": [described], "written": []}
    previous = _previous_runbook(state, library)
    if previous is not None and not mentions and _about(library.get(previous), state.utterance):
        return {"runbooks": [previous], "written": [], "follow_up": True}
    if mentions and ALERT_CONTEXT.search(state.utterance):  # an alert no runbook has: say so
        return {"runbooks": [], "written": [mentions[0].written]}
    return None


def _described(library: Any, text: str) -> str | None:
    """The one runbook a description fits clearly better than any other."""
    words = [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.'’-]*", text) if w.lower() not in _find_ask_words()]
    hits = library.search(" ".join(words), limit=2)
    if hits and hits[0].score >= 55 and (len(hits) == 1 or hits[0].score - hits[1].score >= 5):
        return hits[0].runbook.name
    return None


def _about(runbook: Any, utterance: str) -> bool:
    """Whether a follow-up can be about this runbook: it says "it"/"that", or shares a word with it."""
    if runbook is None:
        return False
    if re.search(r"\b(it|its|it's|that|this|there|the\s+alert)\b", utterance, re.I):
        return True
    from tools.runbooks.library import stem, words

    text = " ".join(s.text for s in runbook.sections).lower()
    vocabulary = {stem(w) for w in re.findall(r"[a-z0-9]+", text)}
    return any(stem(w) in vocabulary for w in words(utterance) if len(w) > 3)


def _previous_runbook(state: PlanState, library: Any) -> str | None:
    """The runbook the previous turn was about ("and how do I fix it?"), from its question."""
    from tools.runbooks.answers import find_mentions

    if not (state.previous_intent or "").startswith(f"{FAMILY}.") or not state.previous_question:
        return None
    named = [m.runbook.name for m in find_mentions(library, state.previous_question) if m.runbook is not None]
    if named:
        return named[0]
    return _described(library, state.previous_question)


def plan_ask(state: PlanState) -> Step:
    slots = state.slots
    if not slots.get("runbooks"):
        from tools.runbooks.loader import library_for

        total = len(library_for(state.runtime))
        written = ", ".join(slots.get("written") or []) or "that"
        return Answer(
            text=f"No runbook covers {written}: none of the {total} runbooks is for it, and I won't guess. "
            'Ask "list all runbooks" to see what there is.',
            found=False,
        )
    got = state.results_of("runbook_answer")
    if not got:
        return CallTools(
            calls=[
                ToolCallSpec(name="runbook_answer", args={"name": name, "question": state.utterance})
                for name in slots["runbooks"]
            ]
        )
    texts = [
        answer_text(result.data or {}) if result.ok else f"I could not read that runbook: {result.error}"
        for result in got
    ]
    return Answer(text="\n\n---\n\n".join(texts), found=any(result.ok for result in got))


def answer_text(data: dict[str, Any]) -> str:
    """The quoted parts, each under the section it came from, cited by runbook, group and file."""
    lines = []
    if data.get("via"):
        lines.append(f"Runbook `{data['via']['name']}` only points elsewhere ({data['via']['text'].strip()}).")
    title = f" — {data['title']}" if data.get("title") and data["title"] != data["name"] else ""
    folder = f" (folder {data['group']})" if data.get("group") else ""
    lines.append(f"From runbook `{data['name']}`{title}{folder}:")
    for part in data.get("parts", []):
        lines += ["", f"**{data['name']} › {part['section']}**", part["text"]]
    if data.get("commands"):
        lines += ["", "**Commands in the runbook** (placeholders as written):"]
        lines += [f"- `{command}`" for command in data["commands"]]
    for empty in data.get("empty_sections", []):
        says = f" (it says only {empty['says']!r})" if empty["says"] else ""
        lines += ["", f"The runbook's {empty['section']} section is empty{says}: the runbook does not say."]
    if data.get("no_section_for"):
        lines += ["", f"It has no section on {', '.join(data['no_section_for'])}."]
    if not data.get("parts") and not data.get("commands"):
        lines += ["", "The runbook has no text that answers this."]
    if data.get("links"):
        lines += ["", "See also: " + ", ".join(f"`{link}`" for link in data["links"])]
    lines += ["", f"Source: {data.get('source', '')}"]
    return "\n".join(lines)


# --- plans --------------------------------------------------------------------------------------
def _get_result(state: PlanState) -> tuple[int, StepResult | None]:
    for i, step in enumerate(state.results):
        if step.name == "runbook_get":
            return i, step
    return -1, None


def plan_run(state: PlanState) -> Step:
    from tools.runbooks.execution import report, walk

    slots = state.slots
    if not slots.get("runbook"):
        return _unknown_runbook(state, "run")
    index, got = _get_result(state)
    if got is None:
        args: dict[str, Any] = {"name": slots["runbook"]}
        if slots.get("entity"):
            args["entity"] = slots["entity"]
        if slots.get("params"):
            args["params"] = slots["params"]
        return CallTools(calls=[ToolCallSpec(name="runbook_get", args=args)])
    if not got.ok:
        return Answer(text=f"I could not open that runbook: {got.error}")
    data = got.data or {}
    steps = data.get("steps") or []
    if not steps:
        return Answer(text=_no_steps(data), refs=_refs(data))
    needs_entity = [s for s in steps if "needs an entity" in (s.get("blocked") or "")]
    if needs_entity and not slots.get("entity"):
        where = ", ".join(data.get("applies_to", [])) or "any component"
        return Answer(
            text=(
                f"Runbook `{data['name']}` ({data['title']}) runs its steps against one entity: which one? "
                f'It applies to: {where}. For example: "run the {data["name"]} runbook for <name>".'
            )
        )
    if data.get("applies") == "not listed in applies_to":
        short = str(data.get("entity", "")).split("/")[-1]
        return Answer(
            text=(
                f"I did not run runbook `{data['name']}` ({data['title']}): it is written for "
                f"{', '.join(data.get('applies_to', []))}, and does not apply to {data.get('entity')}. "
                f'Ask "which runbooks apply to {short}?" to find one that does.'
            ),
            refs=_refs(data),
        )
    steps = [_only_available(s, state.available_tools) for s in steps]
    results = state.results[index + 1 :]
    outcomes, batch, batches = walk(steps, results)
    ai_messages = 1 + batches + (1 if state.result_of("runbook_search") else 0)
    if batch and ai_messages + 2 <= MAX_AI_MESSAGES:
        calls = [ToolCallSpec(name=c["name"], args=c["args"]) for c in batch]
        waiting = any(o.status == "waiting-approval" for o in outcomes)
        # While a mutating step waits for approval, the report so far is shown with the request.
        note = report(data, data.get("entity"), outcomes, finished=False) if waiting else None
        return CallTools(calls=calls, note=note)
    text = report(data, data.get("entity"), outcomes, finished=not batch)
    if batch:
        text += "\nI stopped here: one turn can make only so many tool calls; steps marked 'not run yet' did not run."
    return Answer(text=text, refs=_refs(data))


def _only_available(step: dict[str, Any], available: set[str]) -> dict[str, Any]:
    call = step.get("call")
    if call and available and call["name"] not in available:
        step = {k: v for k, v in step.items() if k != "call"}
        step["blocked"] = f"step {step['number']} needs tool {call['name']} which is not enabled"
    return step


def _no_steps(data: dict[str, Any]) -> str:
    """A runbook without numbered steps (prometheus-operator format): its instructions, for a person."""
    lines = [
        f"{_heading(data)} has no executable steps, so there is nothing for me to run; here is what it says to do."
    ]
    lines += _section_lines(data, wanted=("diagnosis", "mitigation", "see also"))
    return "\n".join(lines)


def _unknown_runbook(state: PlanState, verb: str) -> Step:
    search = state.result_of("runbook_search")
    query = state.slots.get("written") or ""
    if search is None:  # by the name as written, else the runbooks for the entity
        args: dict[str, Any] = {"query": query} if query else {"entity": state.slots.get("entity")}
        return CallTools(calls=[ToolCallSpec(name="runbook_search", args={k: v for k, v in args.items() if v})])
    hits = (search.data or {}).get("runbooks", []) if search.ok else []
    head = f"I found no runbook named {query!r}." if query else "Which runbook do you mean?"
    if not hits:
        return Answer(
            text=f"{head} There are {(search.data or {}).get('total_runbooks', 0)} runbooks; "
            'ask "which runbook for <problem>" to find one.'
        )
    lines = [head + " Closest matches:"]
    lines += [f"- `{h['name']}`: {h['title']} ({h['why']})" for h in hits[:5]]
    target = f" for {state.slots['entity']}" if state.slots.get("entity") else ""
    lines.append(f'Say e.g. "{verb} the {hits[0]["name"]} runbook{target}".')
    return Answer(text="\n".join(lines), refs=[state.slots["entity"]] if state.slots.get("entity") else [])


def one_runbook(state: PlanState, search: StepResult) -> dict[str, Any] | Answer:
    """The runbook to quote as well, when the search found one clearly and it has no steps to run;
    else the listing (or why there is none)."""
    if not search.ok:
        return Answer(text=f"The runbook search failed: {search.error}")
    data = search.data or {}
    hits = _shown(data.get("runbooks", []))
    if not hits:
        what = _searched_for(state)
        return Answer(
            text=f"No runbook matches {what} (searched {data.get('total_runbooks', 0)} runbooks). "
            "The owning team's docs may have the procedure: ask me to search the docs.",
            refs=search.result.get("refs") or [],
            found=False,
        )
    best = hits[0]
    clear = len(hits) == 1 or best["score"] - hits[1]["score"] >= CLEAR_MARGIN
    if clear and not best.get("executable_steps"):
        return {"name": best["name"], "question": state.utterance}
    return _listing(state, search, None)


def quoted(state: PlanState, quote: StepResult) -> Answer:
    """The listing, with what the one runbook found says."""
    search = state.result_of("runbook_search")
    assert search is not None  # the quote is asked for after the search
    return _listing(state, search, quote)


def _searched_for(state: PlanState) -> str:
    return " ".join(x for x in (state.slots.get("query"), state.slots.get("entity")) if x) or "your ask"


def _listing(state: PlanState, search: StepResult, quote: StepResult | None) -> Answer:
    hits = _shown((search.data or {}).get("runbooks", []))
    best = hits[0]
    lines = [f"Runbooks for {_searched_for(state)}:"]
    for hit in hits:
        kind = f"{hit['executable_steps']} executable step(s)" if hit.get("executable_steps") else hit["format"]
        line = f"- `{hit['name']}`: {hit['title']} ({kind}; {hit['why']})"
        if hit.get("description"):
            line += f"\n  {hit['description']}"
        lines.append(line)
    if best.get("executable_steps"):
        target = state.slots.get("entity") or "<service>"
        lines.append(f'Run it with: "run the {best["name"]} runbook for {target.split("/")[-1]}".')
    if quote is not None and quote.ok:
        lines += ["", answer_text(quote.data or {})]
    return Answer(text="\n".join(lines), refs=search.result.get("refs") or [])


SHOWN = 5
CLEAR_MARGIN = 10.0


def _shown(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hits worth listing: those near the best; every equally good one when a word names a group
    ("which runbooks do we have for etcd alerts?" lists all seven etcd runbooks)."""
    if not hits:
        return []
    near = [h for h in hits if h["score"] >= hits[0]["score"] - 25]  # drop the much weaker matches
    ties = [h for h in near if h["score"] >= hits[0]["score"] - 1]
    return ties if len(ties) > SHOWN else near[:SHOWN]


def plan_show(state: PlanState) -> Step:
    from tools.runbooks.execution import STATUS_LABEL, call_text

    if not state.slots.get("runbook"):
        return _unknown_runbook(state, "show me")
    _, got = _get_result(state)
    if got is None:
        args: dict[str, Any] = {"name": state.slots["runbook"]}
        if state.slots.get("entity"):
            args["entity"] = state.slots["entity"]
        return CallTools(calls=[ToolCallSpec(name="runbook_get", args=args)])
    if not got.ok:
        return Answer(text=f"I could not open that runbook: {got.error}")
    data = got.data or {}
    lines = [_heading(data)]
    if data.get("description"):
        lines.append(data["description"])
    meta = []
    if data.get("alerts"):
        meta.append("alerts: " + ", ".join(data["alerts"]))
    if data.get("applies_to"):
        meta.append("applies to: " + ", ".join(data["applies_to"]))
    if data.get("owner"):
        meta.append(f"owner: {data['owner']}")
    if meta:
        lines.append("; ".join(meta))
    lines.append(f"Source: {data['source']}")
    if data.get("steps"):
        lines.append("")
        for step in data["steps"]:
            line = f"{step['number']}. **{step['title']}**"
            approval = " (needs approval)" if step.get("mutating") else ""
            if step.get("call"):
                line += f" runs {call_text(step['call'])}{approval}"
            elif step.get("tool"):
                blocked = step.get("blocked") or ""
                line += f" runs `{step['tool']}`{approval}" + ("" if "needs an entity" in blocked else f" ({blocked})")
            else:
                line += f" [{STATUS_LABEL['manual']}]"
            lines.append(line)
            if not step.get("tool") and step.get("text"):
                lines.append("   " + _clip(step["text"], 300))
    lines += _section_lines(data)
    if data.get("links"):
        lines.append("See also: " + ", ".join(f"`{link}`" for link in data["links"]))
    if data.get("truncated"):
        lines.append(f"(Shortened: {data['truncated']}.)")
    return Answer(text="\n".join(lines), refs=_refs(data))


def _section_lines(data: dict[str, Any], wanted: tuple[str, ...] | None = None) -> list[str]:
    lines: list[str] = []
    for section in data.get("sections", []):
        if wanted and section["title"].lower() not in wanted:
            continue
        lines += ["", f"**{section['title']}**", _excerpt(section["text"], 700)]
    commands = [c for c in data.get("commands", []) if not wanted or (c.get("section") or "").lower() in wanted]
    if commands:
        lines += ["", "**Commands** (placeholders to fill in are kept as written):"]
        lines += [f"- `{c['command']}`" for c in commands[:8]]
    return lines


def _refs(data: dict[str, Any]) -> list[str]:
    return [data["entity"]] if data.get("entity") else []


def _excerpt(text: str, limit: int) -> str:
    """The first lines of a section up to ``limit`` characters, keeping its lists and paragraphs."""
    out, used = [], 0
    for line in text.strip().splitlines():
        if used + len(line) > limit:
            out.append((line[: max(0, limit - used)].rstrip() + "…") if used < limit else "…")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _heading(data: dict[str, Any]) -> str:
    title = f": {data['title']}" if data.get("title") and data["title"] != data["name"] else ""
    return f"**Runbook `{data['name']}`{title}**"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_intents(runtime: Any = None) -> list[Intent]:
    return load_intents(__name__, runtime)
