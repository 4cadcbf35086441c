"""Offline-planner intents for docs: "how do I …", "where is … documented", "what does the … page say about …".

Each intent makes one ``search_docs`` call and answers only from its result: the passages are
quoted and each one is cited (title + link with anchor). When the result is not relevant the
answer says so and names who to ask, from the catalog.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from contract.intents import Answer, CallTools, Intent, PlanState, Step, ToolCallSpec

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

FAMILY = "docs"
PAGE_SAYS = re.compile(
    r"what (?:does|do|did) (?:the )?(?P<page>.+?) (?:page|pages|doc|docs|documentation|adr|guide|runbook|readme)"
    r"(?: page)? (?:say|says|tell us|mention|state)s? (?:about|on|regarding) (?P<topic>.+?)[?.!]*$",
    re.IGNORECASE,
)
WHERE = re.compile(
    r"^(?:where|in which (?:page|doc)|which (?:page|doc|docs)) (?:is|are|do|does|can i find|would i find|"
    r"do i find|did we)?\s*(?P<topic>.+?)\s*(?:documented|described|written down|explained|covered)?[?.!]*$",
    re.IGNORECASE,
)
LEADING = re.compile(
    r"^(?:please\s+)?(?:can you\s+)?(?:(?:search|look up|find|check)\s+(?:the\s+)?(?:docs|documentation)"
    r"\s+(?:for|about|on)\s+)",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    return " ".join(text.strip().strip("?.!").split())


def _focus_name(state: PlanState) -> str | None:
    """The entity of the previous turn, for follow-ups like "and how do I roll it back?"."""
    if not state.focus or not re.search(r"\b(it|its|it's|this|that|them|their)\b", state.text):
        return None
    entity = state.runtime.catalog.get(state.focus[0])
    return entity.name if entity is not None else None


def _with_focus(query: str, state: PlanState) -> str:
    name = _focus_name(state)
    if name and name.lower() not in query.lower():
        return f"{query} ({name})"
    return query


def _extract_how(state: PlanState) -> dict[str, Any] | None:
    text = _clean(LEADING.sub("", state.utterance))
    if len(text.split()) < 2:
        return None
    return {"query": _with_focus(text, state), "style": "how"}


def _extract_where(state: PlanState) -> dict[str, Any] | None:
    text = _clean(state.utterance)
    match = WHERE.match(text)
    topic = match.group("topic") if match else text
    topic = re.sub(r"^(?:the )?(?:docs|documentation) (?:for|about|on) ", "", topic, flags=re.IGNORECASE)
    if len(topic.split()) < 1:
        return None
    return {"query": _with_focus(_clean(topic), state), "style": "where"}


def _extract_page_says(state: PlanState) -> dict[str, Any] | None:
    match = PAGE_SAYS.search(_clean(state.utterance) + "?")
    if not match:
        return None
    page = _clean(match.group("page"))
    topic = _clean(match.group("topic"))
    if page.lower() in ("the", "our", "your", "these", "those", "this", "that"):
        return None  # "what do the docs say about …": no page named
    return {"query": _with_focus(topic, state), "page": page, "topic": topic, "style": "page"}


def _plan(state: PlanState) -> Step:
    slots = state.slots
    step = state.result_of("search_docs")
    if step is None:
        args: dict[str, Any] = {"query": slots["query"], "limit": 5}
        if slots.get("page"):
            args["page"] = slots["page"]
        return CallTools(calls=[ToolCallSpec(name="search_docs", args=args)])
    return compose_answer(step.result, slots)


def reflow(text: str) -> str:
    """Join hard-wrapped prose lines (not code, tables or list items), so quotes read as sentences."""
    out: list[str] = []
    in_code = False
    for line in text.strip().splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            out.append(line)
            continue
        starts_block = (
            not stripped
            or stripped.startswith(("|", "#", ">", "- ", "* ", "+ "))
            or re.match(r"^\d+[.)]\s", stripped) is not None
        )
        if in_code or starts_block or not out or not out[-1].strip() or out[-1].lstrip().startswith(("|", "```")):
            out.append(line)
        else:
            out[-1] = out[-1].rstrip() + " " + stripped
    return "\n".join(out)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in reflow(text).splitlines())


def _cite(item: dict[str, Any]) -> str:
    label = item["title"]
    heading = item.get("heading", "")
    last = heading.split(" › ")[-1] if heading else ""
    if last and last not in label:
        label = f"{label} › {last}"
    return f"[{label}]({item['url']})"


def compose_answer(result: dict[str, Any], slots: dict[str, Any]) -> Answer:
    """The answer from one ``search_docs`` result: quotes with numbered citations, or "not documented"."""
    if not result.get("ok", False):
        return Answer(text=f"I couldn't search the docs: {result.get('error')}")
    data = result.get("data") or {}
    if data.get("unavailable"):  # nothing to search: say why in one line
        why = data["unavailable"]
        return Answer(text=f"{why[:1].upper()}{why[1:]}.")
    topic = slots.get("topic") or slots.get("query", "")
    if not data.get("relevant"):
        lines = [f"I couldn't find this documented: nothing in the docs answers “{topic}” closely enough."]
        for item in data.get("closest", [])[:1]:
            lines.append(f"The closest page was {_cite(item)}, but it doesn't cover it.")
        ask = data.get("ask")
        refs: list[str] = []
        if ask:
            who = ask["owner"]
            oncall = ", ".join(ask.get("oncall", []))
            extra = f" (on call: {oncall})" if oncall else ""
            lines.append(
                f"Ask **{who}**{extra}, who owns `{ask['entity']}` ({ask['why']}), "
                "and consider adding it to their docs."
            )
            refs = [ask["entity"]]
        else:
            lines.append("No team's docs come close; the catalog names no owner for this topic.")
        return Answer(text="\n\n".join(lines), refs=refs, found=False)
    results = data.get("results", [])
    quoted = [
        (results[a["result"] - 1], a["text"]) for a in data.get("answer", []) if 0 < a.get("result", 0) <= len(results)
    ]
    refs = list(dict.fromkeys(item["entity"] for item, _ in quoted if item.get("entity")))
    style = slots.get("style")
    out: list[str] = []
    if style == "where":
        pages: list[dict[str, Any]] = []
        for item in results:
            base = item["url"].split("#", 1)[0]
            if all(p["url"].split("#", 1)[0] != base for p in pages):
                pages.append(item)
        out.append("It's documented here:")
        out.extend(f"{n}. {_cite(item)}" for n, item in enumerate(pages[:3], 1))
        for item, text in quoted:
            out.append(f"\nFrom {_cite(item)}:\n\n{_quote(text)}")
        return Answer(text="\n".join(out), refs=refs)
    intro = "Here is what the docs say"
    if style == "page" and slots.get("page"):
        intro += f" (searched the {slots['page']} page)"
    out.append(intro + ":")
    for n, (item, text) in enumerate(quoted, 1):
        out.append(f"\n**[{n}] {item['heading'].split(' › ')[-1] or item['title']}**\n\n{_quote(text)}")
    out.append("\nSources:")
    out.extend(f"{n}. {_cite(item)}" for n, (item, _) in enumerate(quoted, 1))
    return Answer(text="\n".join(out), refs=refs)


def _extract_question(state: PlanState) -> dict[str, Any] | None:
    text = _clean(state.utterance)
    text = re.sub(r"^(?:according to|in|from) the (?:docs|documentation|techdocs),?\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r",?\s*according to the (?:docs|documentation|techdocs)$", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^what do(?:es)? the (?:docs|documentation) say (?:about|on)\s+", "", text, flags=re.IGNORECASE)
    if len(text.split()) < 3:
        return None
    return {"query": _with_focus(text, state), "style": "question"}


EXPLICIT_PATTERNS = [
    r"\baccording to (?:the )?(?:docs|documentation|techdocs)\b",
    r"\b(?:in|from) the (?:docs|documentation|techdocs)\b",
    r"^\s*what do(?:es)? the (?:docs|documentation) say\b",
]
QUESTION_PATTERNS = [
    r"^\s*how (?:long|often)\b",
    r"^\s*when (?:does|do|is|are|can|should|will)\b",
    r"^\s*why did we\b",
    r"^\s*what happens (?:if|when|to|at)\b(?!.*\b(?:goes|go|is|are|went) down\b)",
    r"^\s*what (?:is|are) the\b.*\b(?:limits?|timeouts?|ttl|slo|thresholds?|lifetimes?|schedule|retention|"
    r"polic(?:y|ies)|procedure|rules?)\b",
    r"^\s*what does [A-Z0-9_]{4,} mean\b",
]


def build_intents(runtime: FamilyRuntime) -> list[Intent]:
    return [
        Intent(
            name="docs.question",
            family=FAMILY,
            summary="questions the docs answer (limits, timeouts, behaviour)",
            examples=[
                "how long are payments idempotency keys stored?",
                "when is a payment captured?",
                "what happens if the price changes during checkout?",
                "what is the latency SLO of the search API?",
                "what are the rate limits for anonymous clients?",
                "according to the docs, how is the full reindex triggered?",
                "why did we choose OpenSearch for product search?",
                "how often are the auth signing keys rotated?",
                "what does ORDER_VERSION_CONFLICT mean?",
                "what happens to a payment when fraud scoring times out?",
            ],
            patterns=QUESTION_PATTERNS,
            extract=_extract_question,
            plan=_plan,
            requires=("search_docs",),
            priority=0.0,
        ),
        Intent(
            name="docs.according_to_docs",
            family=FAMILY,
            summary="anything, answered from the docs when asked so",
            examples=[
                "according to the docs, how does checkout undo a reservation?",
                "what do the docs say about the reindex schedule?",
                "in the docs, why do notifications pods restart?",
                "according to the documentation, who may issue large refunds?",
                "what do the docs say about idempotency keys?",
                "from the docs: what is the cart TTL?",
                "according to the docs, what happens when the flag service is unreachable?",
                "what does the documentation say about token lifetimes?",
            ],
            patterns=EXPLICIT_PATTERNS,
            extract=_extract_question,
            plan=_plan,
            requires=("search_docs",),
            priority=0.15,
        ),
        Intent(
            name="docs.how_to",
            family=FAMILY,
            summary="how do I … (answered from the docs, with citations)",
            examples=[
                "how do I rotate the payments API key?",
                "how do I add a route to the api gateway?",
                "how can I roll back a bad checkout release?",
                "how to restart payments safely",
                "how do we create a new feature flag?",
                "how should I size the memory of the search indexer?",
                "what are the steps to fail over the orders database?",
                "how do I replay messages from the notifications dead-letter queue?",
                "how do I add a new email template?",
                "how can I test webhooks locally?",
            ],
            patterns=[
                r"^\s*(?:so\s+|and\s+)?how (?:do|can|should|would|could|to) (?:i|we|you|one)?\b",
                r"^\s*how to\b",
                r"\bwhat are the steps (?:to|for)\b",
                r"\b(?:search|look up|check) the (?:docs|documentation)\b",
            ],
            extract=_extract_how,
            plan=_plan,
            requires=("search_docs",),
            priority=0.08,
        ),
        Intent(
            name="docs.where_documented",
            family=FAMILY,
            summary="where is … documented",
            examples=[
                "where is the Sunday reindex documented?",
                "where are the checkout retries documented?",
                "where can I find the fraud score thresholds?",
                "which page describes the order state machine?",
                "where is the token lifetime written down?",
                "where do I find the rate limits of the gateway?",
                "which doc covers webhook verification?",
                "where is the payments idempotency documented?",
            ],
            patterns=[
                r"^\s*where (?:is|are|can i find|do i find|would i find)\b.*\b(?:documented|described|"
                r"written|explained|docs?|documentation)\b",
                r"^\s*which (?:page|doc|docs)\b",
                r"^\s*where can i (?:find|read)\b",
            ],
            extract=_extract_where,
            plan=_plan,
            requires=("search_docs",),
            priority=0.2,
        ),
        Intent(
            name="docs.page_says",
            family=FAMILY,
            summary="what does the … page say about …",
            examples=[
                "what does the checkout architecture page say about retries?",
                "what does the search ranking page say about typo tolerance?",
                "what do the payments docs say about idempotency keys?",
                "what does the inventory troubleshooting page say about the v3 config?",
                "what does the auth tokens page say about refresh tokens?",
                "what does the feature flags ADR say about failing open?",
                "what does the notifications runbook say about the DLQ?",
                "what does the api gateway rate limits doc say about burst?",
            ],
            patterns=[
                r"\bwhat (?:does|do|did) (?:the )?.+? (?:page|pages|doc|docs|documentation|adr|guide|runbook)"
                r"(?: page)? (?:say|says|mention|tell us)"
            ],
            extract=_extract_page_says,
            plan=_plan,
            requires=("search_docs",),
            priority=0.1,
        ),
    ]
