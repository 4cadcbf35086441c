"""Offline-planner intents for docs: "how do I …", "where is … documented", "what does the … page say about …".

The extractors and the answer named by ``intents.yaml``. Each intent makes one ``search_docs`` call
and answers only from its result: the passages are quoted and each one is cited (title + link
with anchor). When the result is not relevant the answer says so and names who to ask, from the
catalog.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from contract.intent_files import load_intents
from contract.intents import Answer, Intent, PlanState, StepResult

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

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


# A question often follows what the asker did or saw ("I installed it with Helm. How do I …?",
# "argo cron backfill – what's the default …?"): these match it at the start of any sentence or clause.
# They are recognisers, not patterns, because they hold only while docs are configured: asked of a
# deployment with only runbooks, "mountpoint is /var. how do I get onto the node?" is no ask for docs.
CLAUSE = r"(?:^|[.!?;]\s+|\s[–—-]\s+)\s*"
HOW_AFTER = re.compile(
    rf"{CLAUSE}(?:so\s+|and\s+|but\s+)?how (?:do|can|should|would|could|to) (?:i|we|you|one)\b|{CLAUSE}how to\b",
    re.IGNORECASE,
)
QUESTION_AFTER = re.compile(
    rf"{CLAUSE}(?:what|which)\b.*\b(?:defaults?|flags?|options?|settings?|fields?|annotations?|configmaps?|parameters?)\b"
    rf"|{CLAUSE}(?:is (?:it|that|this) possible|is there a (?:way|setting|flag|option)|can (?:i|we|one)\b"
    r"|what do (?:i|we) (?:set|need|use|configure))\b|\bby default\b",
    re.IGNORECASE,
)


def _docs_live(runtime: FamilyRuntime) -> bool:
    from tools.docs.indexer import docs_live

    return docs_live(runtime)


def recognise_how(runtime: FamilyRuntime, text: str) -> bool:
    """ "… . How do I …?" after a preamble, while docs are configured."""
    return bool(HOW_AFTER.search(text)) and _docs_live(runtime)


def recognise_question(runtime: FamilyRuntime, text: str) -> bool:
    """A question about defaults, flags, options, settings or whether something is possible, anywhere in
    the ask, while docs are configured: reference docs answer those, and no other family does."""
    return bool(QUESTION_AFTER.search(text)) and _docs_live(runtime)


def _clean(text: str) -> str:
    return " ".join(text.strip().strip("?.!").split())


def _focus_name(state: PlanState) -> str | None:
    """The entity of the previous turn, for follow-ups like "and how do I roll it back?"."""
    if not state.focus or not re.search(r"\b(it|its|it's|this|that|them|their)\b", state.text):
        return None
    entity = state.runtime.catalog.get(state.focus[0])
    return entity.name if entity is not None else None


# A docs ask that leans on the one before it ("… ? how do I change it?", "where's the cache kept?"):
# it points back with a pronoun, or names too few terms of its own to be searched alone.
POINTS_BACK = re.compile(r"\b(?:it|its|this|that|them|they|one|those|these)\b", re.IGNORECASE)
OWN_TERMS = 3


def _leans_on_previous(query: str, state: PlanState) -> bool:
    from tools.docs.bm25 import tokenize

    previous = state.previous_intent or ""
    if not state.previous_question or not previous.startswith("docs."):
        return False
    return bool(POINTS_BACK.search(query)) or len([t for t in tokenize(query) if len(t) > 1]) <= OWN_TERMS


def _with_focus(query: str, state: PlanState) -> str:
    """The query with what it refers to: the previous turn's entity ("how do I roll it back?"), and
    the previous docs question for a part or follow-up that leans on it ("Is there a way to cache step
    results? Where's the cache kept?" searches for the cache of step results, not any cache)."""
    name = _focus_name(state)
    if name and name.lower() not in query.lower():
        query = f"{query} ({name})"
    if _leans_on_previous(query, state):
        query = f"{query} ({_clean(state.previous_question or '')})"
    return query


def extract_how(state: PlanState) -> dict[str, Any] | None:
    text = _clean(LEADING.sub("", state.utterance))
    if len(text.split()) < 2:
        return None
    return {"query": _with_focus(text, state), "style": "how"}


def extract_where(state: PlanState) -> dict[str, Any] | None:
    text = _clean(state.utterance)
    match = WHERE.match(text)
    topic = match.group("topic") if match else text
    topic = re.sub(r"^(?:the )?(?:docs|documentation) (?:for|about|on) ", "", topic, flags=re.IGNORECASE)
    if len(topic.split()) < 1:
        return None
    # Chosen by the meaning of its examples alone ("Why do the manifests need server-side apply?" when
    # no runbooks are configured), the ask is a question, not "where is it documented": answered as one.
    style = "where" if match or state.pattern_hit else "question"
    return {"query": _with_focus(_clean(topic), state), "style": style}


def extract_page_says(state: PlanState) -> dict[str, Any] | None:
    match = PAGE_SAYS.search(_clean(state.utterance) + "?")
    if not match:
        return None
    page = _clean(match.group("page"))
    topic = _clean(match.group("topic"))
    if page.lower() in ("the", "our", "your", "these", "those", "this", "that"):
        return None  # "what do the docs say about …": no page named
    return {"query": _with_focus(topic, state), "page": page, "topic": topic, "style": "page"}


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


def cited(state: PlanState, step: StepResult) -> Answer:
    """The answer to every docs intent: the passages found, quoted and cited."""
    return compose_answer(step.result, state.slots)


def _subsections_line(titles: list[str] | None) -> list[str]:
    return ["\nIts subsections: " + ", ".join(f"**{title}**" for title in titles) + "."] if titles else []


def compose_answer(result: dict[str, Any], slots: dict[str, Any]) -> Answer:
    """The answer from one ``search_docs`` result: quotes with numbered citations, or "not documented"."""
    if not result.get("ok", False):
        return Answer(text=f"I couldn't search the docs: {result.get('error')}")
    data = result.get("data") or {}
    if data.get("unavailable"):  # nothing to search: say why in one line
        why = data["unavailable"]  # not found: the planner tries the next plausible family first
        return Answer(text=f"{why[:1].upper()}{why[1:]}.", found=False)
    topic = slots.get("topic") or slots.get("query", "")
    if not data.get("relevant"):
        lines = [f"I couldn't find this documented: nothing in the docs answers “{topic}” closely enough."]
        passages = data.get("closest_passages") or []
        if passages:  # close to the gate: what the closest passages say, for the asker to judge
            lines.append("The closest passages, which may not answer it:")
            lines.extend(f"From {_cite(item)}:\n\n{_quote(item['text'])}" for item in passages)
        elif data.get("closest"):
            lines.append(f"The closest page was {_cite(data['closest'][0])}, but it doesn't cover it.")
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
    # numbered as quoted: the n-th quote's section and the subsections it has (an ask for the options)
    subsections = {
        n: a["subsections"]
        for n, a in enumerate((a for a in data.get("answer", []) if 0 < a.get("result", 0) <= len(results)), 1)
        if a.get("subsections")
    }
    style = slots.get("style")
    out: list[str] = []
    unmentioned = data.get("unmentioned")
    if unmentioned:  # the passages are about the rest of the question, not the thing it names
        names = ", ".join(f"`{name}`" for name in unmentioned)
        verb = "is" if len(unmentioned) == 1 else "are"
        rest = "what follows answers at most the rest of the question"
        out.append(f"{names} {verb} not mentioned anywhere in the docs; {rest}.\n")
    if style == "where":
        pages: list[dict[str, Any]] = []
        for item in results:
            base = item["url"].split("#", 1)[0]
            if all(p["url"].split("#", 1)[0] != base for p in pages):
                pages.append(item)
        out.append("It's documented here:")
        out.extend(f"{n}. {_cite(item)}" for n, item in enumerate(pages[:3], 1))
        for n, (item, text) in enumerate(quoted, 1):
            out.append(f"\nFrom {_cite(item)}:\n\n{_quote(text)}")
            out.extend(_subsections_line(subsections.get(n)))
        return Answer(text="\n".join(out), refs=refs)
    intro = "Here is what the docs say"
    if style == "page" and slots.get("page"):
        intro += f" (searched the {slots['page']} page)"
    out.append(intro + ":")
    for n, (item, text) in enumerate(quoted, 1):
        out.append(f"\n**[{n}] {item['heading'].split(' › ')[-1] or item['title']}**\n\n{_quote(text)}")
        out.extend(_subsections_line(subsections.get(n)))
    out.append("\nSources:")
    out.extend(f"{n}. {_cite(item)}" for n, (item, _) in enumerate(quoted, 1))
    return Answer(text="\n".join(out), refs=refs)


def extract_question(state: PlanState) -> dict[str, Any] | None:
    text = _clean(state.utterance)
    text = re.sub(r"^(?:according to|in|from) the (?:docs|documentation|techdocs),?\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r",?\s*according to the (?:docs|documentation|techdocs)$", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^what do(?:es)? the (?:docs|documentation) say (?:about|on)\s+", "", text, flags=re.IGNORECASE)
    if len(text.split()) < 3:
        return None
    return {"query": _with_focus(text, state), "style": "question"}


def build_intents(runtime: FamilyRuntime) -> list[Intent]:
    return load_intents(__name__, runtime)
