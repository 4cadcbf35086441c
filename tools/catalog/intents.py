"""Offline-planner intents for catalog questions: who owns X, who is on call, what breaks if X
goes down, which APIs, what is in a system, what does a team own, describe X, list services,
who is in a team.

Each intent finds its entity with the catalog's mention index (typos, "orders db", "the payments
team"), falls back to the conversation's focus for follow-ups ("and who is on call for it?"), and
otherwise searches the catalog for the words left over, using the best hit or saying that nothing
matched. Answers are written only from the tool results of the turn and name every entity ref.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from contract.intents import Answer, CallTools, Intent, PlanState, Step, StepResult, ToolCallSpec
from tools.catalog import relations as rel
from tools.catalog.answers import (
    describe_filters,
    join,
    narrowed,
    ref_label,
    render_apis,
    render_contents,
    render_dependencies,
    render_dependents,
    render_entity,
    render_group,
    render_oncall,
    render_owned,
    render_owner,
)
from tools.catalog.mentions import STOPWORDS, wordset

FAMILY = "catalog"
MAX_REFS = 3
SEARCH_MIN_SCORE = 60.0
# Where to look when the catalog has no entity by the name asked about: it may be a documented topic.
NOT_IN_CATALOG = ("docs",)
PLAUSIBLE_NAME_SCORE = 50.0

OWNABLE = ["component", "api", "resource", "system", "domain", "template"]
PRONOUN_RE = re.compile(r"\b(it|its|it's|that|this|them|they|their|those|these|same|there)\b", re.I)
SELF_RE = re.compile(r"\b(i|me|my|mine|myself|we|our|ours|us)\b", re.I)

# Words that describe the ask rather than the entity: removed before searching for the rest.
ASK_WORDS = STOPWORDS | wordset(
    """
    who whos who's owns own owner owners ownership maintains maintain maintainer maintainers
    responsible contact contacts reach ping escalate escalation call on-call oncall rota pager
    pagerduty duty shift what what's whats depends depend dependencies dependency needs need require
    requires rely relies breaks break broken down outage fails fail failure affected affect impact
    impacted blast radius happens happen happened goes go offline dies die unavailable apis api
    provide provides provided expose exposes consume consumes consumed consumer consumers provider
    providers uses use using used calls inside contains contain contents part parts belong belongs
    system domain everything things stuff describe explain summary summarize overview tell info
    information about is are does do list show find search all every which services service
    components component teams team groups group members member people hierarchy structure parent
    parents children child sub org organisation organization reports works work in of for the a an
    on with me please quickly now currently right today whose deps including include also too am
    transitive transitively indirect indirectly recursive
"""
)


# --- shared helpers -----------------------------------------------------------------------------
def _catalog(state: PlanState) -> Any:
    return state.runtime.catalog


def _leftover(text: str) -> str:
    """The words of the utterance that are not about the ask itself: a search query."""
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text)
    kept = [w for w in words if w.lower() not in ASK_WORDS]
    return " ".join(kept[:6])


def _focus_refs(state: PlanState, kinds: list[str] | None) -> list[str]:
    refs = [r for r in state.focus if not kinds or r.split(":", 1)[0] in kinds]
    return refs[:MAX_REFS]


def resolve_targets(
    state: PlanState,
    kinds: list[str] | None,
    allow_self: bool = False,
    focus_map: Callable[[str], str | None] | None = None,
) -> dict[str, Any] | None:
    """Slots for the entity an ask is about: ``refs`` (resolved), or ``query`` (to search), or None."""
    catalog = _catalog(state)
    mentions = catalog.find_mentions(state.utterance, kinds=kinds)
    if allow_self and not state.principal.is_anonymous:
        mentions = [m for m in mentions if m.ref.lower() != state.principal.ref.lower()]
    if not mentions and catalog.find_mentions(state.utterance):
        return None  # it is about an entity this intent does not handle: leave it to another
    if mentions:
        best = max(mentions, key=lambda m: m.score)
        strong = [m for m in mentions if m.score >= best.score - 15] or [best]
        return {
            "refs": list(dict.fromkeys(m.ref for m in strong))[:MAX_REFS],
            "mentions": [m.text for m in strong][:MAX_REFS],
            "alternatives": {m.ref: m.alternatives for m in strong if m.alternatives},
        }
    if allow_self and SELF_RE.search(state.utterance) and not state.principal.is_anonymous:
        return {"refs": [state.principal.ref], "self": True}
    if state.focus and (PRONOUN_RE.search(state.utterance) or not _leftover(state.utterance)):
        refs = _focus_refs(state, kinds)
        if not refs and focus_map is not None:
            refs = [m for m in (focus_map(r) for r in state.focus) if m][:MAX_REFS]
        if not refs:
            refs = state.focus[:1]
        return {"refs": refs, "from_focus": True}
    query = _leftover(state.utterance)
    if query and (state.pattern_hit or _plausible_name(state, query)):
        return {"query": query}
    return None


def _plausible_name(state: PlanState, query: str) -> bool:
    """Whether the leftover words look like a (misspelt) catalog name rather than another ask.

    Without this, every entity intent would accept any utterance ("write me a poem about kafka")
    and answer it with a catalog search; returning None lets the router try other intents and,
    in the end, say honestly that the ask needs an LLM.
    """
    hits = _catalog(state).search(query, limit=1)
    return bool(hits) and hits[0][1] >= PLAUSIBLE_NAME_SCORE


def _search_kind(kinds: list[str] | None) -> str | None:
    return kinds[0] if kinds and len(kinds) == 1 else None


def refs_or_search(state: PlanState, kinds: list[str] | None) -> tuple[list[str] | None, Step | None]:
    """The refs to work on, or the step to take first (a search, or a "nothing matched" answer)."""
    slots = state.slots
    if slots.get("refs"):
        return list(slots["refs"]), None
    query = slots.get("query") or ""
    search = state.result_of("catalog_search")
    if search is None:
        return None, CallTools(
            calls=[ToolCallSpec(name="catalog_search", args={"query": query, "kind": _search_kind(kinds), "limit": 5})]
        )
    results = [r for r in (search.data or {}).get("results", []) if not kinds or r["ref"].split(":", 1)[0] in kinds]
    if not search.ok or not results or results[0].get("score", 0) < SEARCH_MIN_SCORE:
        close = ", ".join(r["ref"] for r in results[:3])
        hint = f" The closest names are: {close}." if close else ""
        return None, Answer(
            text=f"Nothing in the catalog matched '{query}'.{hint}", refs=[r["ref"] for r in results[:3]], found=False
        )
    return [results[0]["ref"]], None


def _calls(tool: str, refs: list[str], **extra: Any) -> CallTools:
    return CallTools(calls=[ToolCallSpec(name=tool, args={"ref": ref, **extra}) for ref in refs])


def _note_for(slots: dict[str, Any], step: StepResult) -> str:
    note = step.result.get("note")
    alternatives = slots.get("alternatives", {}).get(step.args.get("ref", ""), [])
    extra = f" (the name also matches {', '.join(alternatives)})" if alternatives else ""
    return (f" Note: {note}." if note and "resolved to" in note else "") + extra


def _finish(state: PlanState, tool: str, refs: list[str], render: Callable[[StepResult], str], **extra: Any) -> Step:
    """Call ``tool`` for each ref, then answer with one rendered paragraph per result."""
    steps = state.results_of(tool)
    if not steps:
        return _calls(tool, refs, **extra)
    texts: list[str] = []
    answer_refs: list[str] = []
    for step in steps:
        if not step.ok:
            texts.append(step.error or f"{tool} failed")
            continue
        texts.append(render(step) + _note_for(state.slots, step))
        answer_refs.extend(step.result.get("refs") or [])
    text = "\n\n".join(texts)
    if state.slots.get("query") and not state.slots.get("refs"):
        text = f"(Best catalog match for '{state.slots['query']}'.) {text}"
    return Answer(text=text, refs=list(dict.fromkeys(answer_refs)))


def _slots(state: PlanState, extract: Callable[[PlanState], dict[str, Any] | None]) -> dict[str, Any]:
    if not state.slots:
        state.slots = extract(state) or {}
    return state.slots


# --- who owns X ---------------------------------------------------------------------------------


def extract_owner(state: PlanState) -> dict[str, Any] | None:
    return resolve_targets(state, OWNABLE)


def plan_owner(state: PlanState) -> Step:
    _slots(state, extract_owner)
    refs, step = refs_or_search(state, OWNABLE)
    return step or _finish(state, "catalog_owner", refs or [], render_owner)


# --- who is on call -----------------------------------------------------------------------------


ONCALL_WORDS = re.compile(r"on[\s-]?call|\bpag(e|ed|er|ing)\b|pagerduty|\bduty\b|\brota\b|\bshift\b|escalat", re.I)


def extract_oncall(state: PlanState) -> dict[str, Any] | None:
    if not ONCALL_WORDS.search(state.utterance):  # "who's on team-search" is about members
        return None
    return resolve_targets(state, [*OWNABLE, "group"])


def plan_oncall(state: PlanState) -> Step:
    _slots(state, extract_oncall)
    refs, step = refs_or_search(state, None)
    return step or _finish(state, "catalog_owner", refs or [], render_oncall)


# --- dependencies / dependents -------------------------------------------------------------------
GRAPH_KINDS = ["component", "resource", "api", "system"]


def extract_graph(state: PlanState) -> dict[str, Any] | None:
    return resolve_targets(state, GRAPH_KINDS)


def plan_dependencies(state: PlanState) -> Step:
    _slots(state, extract_graph)
    refs, step = refs_or_search(state, GRAPH_KINDS)
    transitive = bool(
        re.search(
            r"\b(transitive|transitively|indirect|indirectly|all the way|whole|full|"
            r"recursive|chain|tree)\b",
            state.text,
        )
    )
    return step or _finish(
        state,
        "catalog_dependencies",
        refs or [],
        narrowed(render_dependencies, state.text),
        direction="dependencies",
        transitive=transitive,
    )


def plan_dependents(state: PlanState) -> Step:
    _slots(state, extract_graph)
    refs, step = refs_or_search(state, GRAPH_KINDS)
    direct_only = bool(re.search(r"\b(directly|direct)\b", state.text)) and "indirect" not in state.text
    return step or _finish(
        state,
        "catalog_dependencies",
        refs or [],
        narrowed(render_dependents, state.text),
        direction="dependents",
        transitive=not direct_only,
    )


# --- APIs -----------------------------------------------------------------------------------------
API_KINDS = ["api", "component", "system"]


def extract_apis(state: PlanState) -> dict[str, Any] | None:
    return resolve_targets(state, API_KINDS)


def plan_apis(state: PlanState) -> Step:
    _slots(state, extract_apis)
    refs, step = refs_or_search(state, API_KINDS)
    return step or _finish(state, "catalog_apis", refs or [], render_apis)


# --- system / domain contents -------------------------------------------------------------------
CONTAINER_KINDS = ["system", "domain"]


def extract_contents(state: PlanState) -> dict[str, Any] | None:
    """A system or domain; "what's in it" about a component means the system it is part of."""
    catalog = _catalog(state)
    return resolve_targets(
        state, CONTAINER_KINDS, focus_map=lambda ref: next(iter(catalog.related(ref, rel.PART_OF)), None)
    )


def plan_contents(state: PlanState) -> Step:
    _slots(state, extract_contents)
    refs, step = refs_or_search(state, CONTAINER_KINDS)
    return step or _finish(state, "catalog_system_contents", refs or [], render_contents)


# --- what does team T own / what do I own -----------------------------------------------------------
OWNER_KINDS = ["group", "user"]


def _owner_of_focus(state: PlanState) -> Callable[[str], str | None]:
    return lambda ref: _catalog(state).owner_of(ref)


MY_TEAM_RE = re.compile(r"\b(my|our)\s+(team|teams|group|groups|squad)\b", re.I)


def _my_groups(state: PlanState) -> dict[str, Any] | None:
    """ "my team" → the asking user's direct groups (when the catalog knows them)."""
    if state.principal.is_anonymous or not MY_TEAM_RE.search(state.utterance):
        return None
    groups = _catalog(state).related(state.principal.ref, "memberOf")
    return {"refs": groups[:MAX_REFS], "self": True} if groups else None


def extract_owned(state: PlanState) -> dict[str, Any] | None:
    return _my_groups(state) or resolve_targets(state, OWNER_KINDS, allow_self=True, focus_map=_owner_of_focus(state))


def plan_owned(state: PlanState) -> Step:
    _slots(state, extract_owned)
    refs, step = refs_or_search(state, OWNER_KINDS)
    return step or _finish(state, "catalog_owned_by", refs or [], render_owned)


# --- describe X ---------------------------------------------------------------------------------


def extract_describe(state: PlanState) -> dict[str, Any] | None:
    return resolve_targets(state, None)


def plan_describe(state: PlanState) -> Step:
    _slots(state, extract_describe)
    refs, step = refs_or_search(state, None)
    return step or _finish(state, "catalog_get_entity", refs or [], render_entity)


# --- find / list services ---------------------------------------------------------------------------
LIFECYCLES = ("production", "experimental", "deprecated", "development", "beta", "alpha")
TYPE_WORDS = {
    "services": ("component", "service"),
    "service": ("component", "service"),
    "microservices": ("component", "service"),
    "websites": ("component", "website"),
    "website": ("component", "website"),
    "frontends": ("component", "website"),
    "libraries": ("component", "library"),
    "library": ("component", "library"),
    "libs": ("component", "library"),
    "components": ("component", None),
    "apis": ("api", None),
    "api": ("api", None),
    "databases": ("resource", "database"),
    "database": ("resource", "database"),
    "dbs": ("resource", "database"),
    "queues": ("resource", "queue"),
    "topics": ("resource", "topic"),
    "buckets": ("resource", "bucket"),
    "resources": ("resource", None),
    "systems": ("system", None),
    "domains": ("domain", None),
    "teams": ("group", "team"),
    "groups": ("group", None),
    "users": ("user", None),
    "people": ("user", None),
    "templates": ("template", None),
    "models": ("component", "ml-model"),
    "caches": ("resource", "cache"),
    "clusters": ("resource", "cluster"),
    "warehouses": ("resource", "warehouse"),
}
WEAK_TYPE_WORDS = {"team": ("group", "team"), "group": ("group", None), "person": ("user", None)}
API_TYPES = ("openapi", "grpc", "graphql", "asyncapi", "trpc")
LANG_TAGS = (
    "python",
    "java",
    "go",
    "golang",
    "typescript",
    "javascript",
    "kotlin",
    "rust",
    "ruby",
    "scala",
    "node",
    "nodejs",
    "react",
    "postgres",
    "kafka",
    "redis",
    "dotnet",
    "csharp",
    "php",
)


def _catalog_type(catalog: Any, kind: str, wanted: str) -> str:
    """The spec.type this catalog actually uses for a generic word: "topic" → "kafka-topic".

    Organisations name types their own way (``s3-bucket``, ``kafka-topic``, ``database``); an exact
    filter on the generic word would find nothing.
    """
    types = sorted({str((e.spec or {}).get("type")) for e in catalog.all(kind) if (e.spec or {}).get("type")})
    if wanted in types:
        return wanted
    partial = [t for t in types if wanted in t.split("-") or t.endswith(wanted)]
    return partial[0] if len(partial) == 1 else wanted


def _names_an_owner(text: str, mention: Any) -> bool:
    """Whether a group/user mention is meant as an owner filter, not a word that looks like a name.

    "kafka topics in the catalog" mentions the word "catalog", which is also the short name of
    team-catalog; "the catalog team", "team-catalog" or "owned by catalog" name the owner.
    """
    said = mention.text.lower()
    if said == mention.ref.split("/")[-1].lower() or "team" in said or "group" in said:
        return True
    before = text[: mention.start].lower().rstrip()
    after = text[mention.end :].lower().lstrip()
    return before.endswith(("by", "team", "for")) or after.startswith(("team", "'s", "own"))


def extract_find(state: PlanState) -> dict[str, Any] | None:
    text = state.text
    filters: dict[str, Any] = {}
    words = re.findall(r"[a-z0-9][a-z0-9\-]*", text)
    catalog = _catalog(state)
    for table in (TYPE_WORDS, WEAK_TYPE_WORDS):  # "team" only decides when nothing else does
        for word in words:
            if word in table and "kind" not in filters:
                kind, type_ = table[word]
                filters["kind"] = kind
                if type_:
                    filters["type"] = _catalog_type(catalog, kind, type_)
    for word in words:
        if word in LIFECYCLES:
            filters["lifecycle"] = word
        elif word in API_TYPES:
            filters["kind"], filters["type"] = "api", word
    tag = re.search(r"\b(?:tagged|tag|tags|labelled|labeled)\s+(?:with\s+|as\s+)?['\"]?([a-z0-9:+#-]+)", text)
    if tag:
        filters["tag"] = tag.group(1)
    else:
        langs = [w for w in words if w in LANG_TAGS]
        if langs:
            filters["tag"] = langs[0]
    for mention in catalog.find_mentions(state.utterance, kinds=["group", "user", "system", "domain"]):
        kind = mention.ref.split(":", 1)[0]
        if kind in ("group", "user") and "owner" not in filters and _names_an_owner(state.utterance, mention):
            filters["owner"] = mention.ref
        elif kind in ("system", "domain") and "system" not in filters:
            filters["system"] = mention.ref
    if (
        "owner" not in filters
        and re.search(r"\b(my|our|i own|we own|mine)\b", text)
        and not state.principal.is_anonymous
    ):
        groups = catalog.related(state.principal.ref, "memberOf")
        filters["owner"] = groups[0] if groups else state.principal.ref
    query = re.search(
        r"\b(?:related to|about|matching|named|called|containing|mentioning|like)\s+['\"]?"
        r"([A-Za-z0-9][\w\- ]{1,40}?)['\"]?\s*\??$",
        state.utterance,
        re.I,
    )
    if query:
        filters["query"] = query.group(1).strip()
    if not filters:
        return None
    return {"filters": filters}


def plan_find(state: PlanState) -> Step:
    slots = _slots(state, extract_find)
    filters = dict(slots.get("filters") or {})
    search = state.result_of("catalog_search")
    if search is None:
        return CallTools(calls=[ToolCallSpec(name="catalog_search", args={**filters, "limit": 25})])
    if not search.ok:
        return Answer(text=search.error or "The catalog search failed.")
    results = search.data.get("results", [])
    what = describe_filters(filters)
    if not results:
        note = search.result.get("note")
        return Answer(text=f"I found no {what} in the catalog." + (f" ({note})" if note else ""))
    if filters.get("query"):
        results = [r for r in results if r.get("score", 0) >= SEARCH_MIN_SCORE] or results[:3]
    labels = []
    for r in results:
        extra = ", ".join(
            x
            for x in (
                r.get("lifecycle") if not filters.get("lifecycle") else None,
                r.get("owner") if not filters.get("owner") else None,
            )
            if x
        )
        labels.append(ref_label(r["ref"], r.get("name")) + (f" [{extra}]" if extra else ""))
    count = len(results)
    more = " (showing the first 25)" if count >= 25 else ""
    return Answer(
        text=f"Found {count} {what}{more}: {join(labels, 25)}."
        if count != 1
        else f"Found 1 match ({what}): {labels[0]}.",
        refs=[r["ref"] for r in results],
    )


# --- group hierarchy / members --------------------------------------------------------------------


def extract_group(state: PlanState) -> dict[str, Any] | None:
    return _my_groups(state) or resolve_targets(state, OWNER_KINDS, allow_self=True, focus_map=_owner_of_focus(state))


TEAMMATES_RE = re.compile(
    r"\b(who else|teammates|team mates|colleagues|members|who is in it|who's in it|"
    r"who else is (on|in) it)\b",
    re.I,
)


def plan_group(state: PlanState) -> Step:
    _slots(state, extract_group)
    refs, step = refs_or_search(state, OWNER_KINDS)
    if step is not None:
        return step
    steps = state.results_of("catalog_group_hierarchy")
    # "Which team am I on, and who else is on it?": after the person's teams, their first team too.
    if len(steps) == 1 and steps[0].ok and "user" in (steps[0].data or {}) and TEAMMATES_RE.search(state.utterance):
        groups = steps[0].data.get("groups") or []
        if groups:
            return _calls("catalog_group_hierarchy", groups[:1])
    return _finish(state, "catalog_group_hierarchy", refs or [], render_group)


# --- the intents ------------------------------------------------------------------------------------
def make_intents(runtime: Any = None) -> list[Intent]:
    return [
        Intent(
            name="catalog.owner",
            family=FAMILY,
            summary="Who owns an entity and how to contact them",
            examples=[
                "who owns checkout?",
                "who is the owner of the payments service?",
                "which team owns orders-db",
                "who maintains the search api?",
                "who should I contact about storefront?",
                "who's responsible for the inventory service",
                "owner of checkout-api",
                "which team is behind the catalog service?",
                "who do I talk to about payments",
                "contacts for the orders database",
                "who is accountable for the ledger",
                "which squad looks after the api gateway",
            ],
            patterns=[
                r"\bwho\s*(owns|maintains|is responsible for|'s responsible for|is behind|'s behind|runs)\b",
                r"\bwhich team (owns|maintains|is responsible|is behind|runs)\b",
                r"\bwhose\b",
                r"\bcontacts? (for|of)\b",
                r"\b(talk|speak) to about\b",
                r"\b(accountable|looks after|look after|in charge of)\b",
                r"\b(owner|owners|ownership|maintainers?)\s+of\b",
                r"\b(contact|contacts|talk to|reach)\b.*\babout\b",
                r"\b(owning|owner) team\b",
                r"\bwho\b.*\bresponsible for\b",
                r"\bwho (maintains|runs|looks after)\b",
            ],
            extract=extract_owner,
            plan=plan_owner,
            defers_to=("scaffolder.create",),  # "create X owned by team-y" asks for X
            requires=("catalog_owner", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.oncall",
            family=FAMILY,
            summary="Who is on call for an entity or a team",
            examples=[
                "who is on call for checkout?",
                "who's on-call for payments right now",
                "who do I page about orders-db",
                "on call for the search service?",
                "who is oncall for team payments",
                "and who is on call for it?",
                "who has the pager for storefront",
                "current on-call of the checkout team",
                "who should I page if payments is down",
                "who's on duty for the inventory api",
            ],
            patterns=[r"\bon[\s-]?call\b", r"\b(page|paged|pager|pagerduty(?!\s+(service\s+)?id)|on duty)\b"],
            extract=extract_oncall,
            plan=plan_oncall,
            priority=0.03,
            requires=("catalog_owner", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.dependencies",
            family=FAMILY,
            summary="What an entity depends on",
            examples=[
                "what does checkout depend on?",
                "dependencies of the payments service",
                "what does orders need to run",
                "which databases does checkout use",
                "list the dependencies of storefront",
                "what are search's upstream dependencies",
                "show the full dependency tree of checkout",
                "what does it depend on?",
                "what services does payments rely on",
            ],
            patterns=[
                r"\b(does|do)\s+[\w.\- ]+?\s+(depend|rely)\s+on\b",
                r"\bdependenc(y|ies)\s+(of|for)\b",
                r"\b[\w-]+'s\s+(upstream\s+)?dependencies\b",
                r"\bdependency (tree|graph)\b",
                r"\bwhat does .+ (need|use|call)\b",
                r"\bwhich \w+ does .+ (use|need|call)\b",
                r"\bupstream\b",
                r"\bdeps\b",
            ],
            extract=extract_graph,
            plan=plan_dependencies,
            requires=("catalog_dependencies", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.dependents",
            family=FAMILY,
            summary="What breaks if an entity goes down (its dependents, transitively)",
            examples=[
                "what breaks if orders-db goes down?",
                "what depends on the payments api",
                "who depends on checkout",
                "blast radius of an outage of orders db",
                "what is affected if payments is down",
                "which services use the orders database",
                "what would fail if search went offline",
                "impact of the inventory db failing",
                "what is downstream of payments",
                "who would be impacted if it goes down?",
            ],
            patterns=[
                r"\bwhat (breaks|would break|fails|would fail|is affected|is impacted)\b",
                r"\b(goes|went|go|is) (down|offline)\b",
                r"\bblast radius\b",
                r"^\s*(what|who|which\s+\w+)\s+(depends|depend|relies|rely)\s+on\b",
                r"\bdownstream\b",
                r"\b(get|gets) hit\b",
                r"\bis (red|degraded|unhealthy|broken)\b",
                r"^\s*(what|who|which\s+\w+)\s+(else\s+)?(uses|use|needs|need|calls|call)\s+(the\s+)?"
                r"(?![\w.\- ]*\bapi\b)[\w.\- ]+(\?|[?.!,;]\s.*)?\s*$",
                r"\b(sits?|runs?|is built|are built|depends?) on top of\b",
                r"\bimpact(ed)? (of|if)\b",
                r"\bdependents\b",
                r"^\s*which \w+ (use|uses|call|calls|need|needs)\s+(the\s+)?[\w.\- ]+?"
                r"(db|database|queue|topic|redis|cluster|bucket)\b",
            ],
            extract=extract_graph,
            plan=plan_dependents,
            priority=0.04,
            requires=("catalog_dependencies", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.apis",
            family=FAMILY,
            summary="APIs an entity provides or consumes, and who consumes an API",
            examples=[
                "which APIs does checkout provide?",
                "what apis does payments consume",
                "who consumes the payments api?",
                "who uses checkout-api",
                "what APIs does the storefront call",
                "providers and consumers of orders-api",
                "which apis are exposed by the search service",
                "show me the checkout API definition",
                "what endpoints does the payments api have",
                "which components consume order-events",
            ],
            patterns=[
                r"\bapis?\b.*\b(provide|provides|expose|exposes|consume|consumes|offer|call|use|uses|using)\b",
                r"\bwhich \w+ (call|calls|consume|consumes|use|uses)\b.*\bapi\b",
                r"\b(publish|publishes|publishing|produces|emits|subscribes? to|listens? to)\b",
                r"\b(its|their)\s+apis?\b",
                r"\b(consumes|consumers of|consumer of|providers? of|uses)\b.*\bapi\b",
                r"\b(who|what) (consumes|calls|provides|implements)\b",
                r"\b(who|what) uses\b.*\bapi\b",
                r"\b(definition|endpoints|operations)\b",
                r"\bapis? .*\b(exposed|provided|consumed|offered) by\b",
                r"\b(consume|consumes|consuming|consumers)\b",
            ],
            extract=extract_apis,
            plan=plan_apis,
            priority=0.01,
            requires=("catalog_apis", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.system_contents",
            family=FAMILY,
            summary="What a system or domain contains",
            examples=[
                "what's in the commerce system?",
                "what does the payments system contain",
                "list the components of the commerce system",
                "which systems are in the retail domain",
                "show me everything in system identity",
                "what is part of the discovery domain",
                "what belongs to the commerce platform",
                "contents of the data system",
            ],
            patterns=[
                r"\b(in|of|inside)\b.*\b(system|domain)\b",
                r"^\s*(list|show)( me)? (everything|all|what's|whats|what is) (in|inside)\b",
                r"\b(system|domain) \w",
                r"\b(contain|contains|make up|makes up)\b",
                r"\b(part of|belongs? to) the [\w\- ]+ (system|domain|platform)\b",
                r"^\s*(what'?s|what is|what are)\s+(else\s+|exactly\s+|all\s+)?(is\s+|are\s+)?(in|inside)\s",
                r"\bsys\b",
                r"\bwhat (else |exactly )?is in (it|there)\b",
            ],
            extract=extract_contents,
            plan=plan_contents,
            defers_to=("catalog.describe",),  # "which domain is the X system part of?" asks about X
            requires=("catalog_system_contents", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.owned_by",
            family=FAMILY,
            summary="Everything a team or person owns",
            examples=[
                "what does team payments own?",
                "what do I own?",
                "what does my team own",
                "list everything owned by team-checkout",
                "which services belong to the platform team",
                "show me what the search team is responsible for",
                "what else do they own?",
                "what components does jane.doe own",
                "things owned by the identity team",
                "show me everything team-platform owns",
            ],
            patterns=[
                r"\bwhat (else )?(do|does) .+ (own|look after|take care of|handle|maintain)\b",
                r"^(?!\s*(production|experimental|deprecated)\b).*\bowned by\b",
                r"\bwhat do (i|we) own\b",
                r"\b(services|components|apis|things) (belong|belonging) to\b",
                r"\bowns\s*\??\s*$",
                r"\b(what|which) \w+ (do|does) [\w.\- ]+ own\b",
                r"\b(team|group) .* responsible for\b",
                r"\b(everything|what|things|stuff)\b.*\bresponsible for\b",
            ],
            extract=extract_owned,
            plan=plan_owned,
            defers_to=("scaffolder.create",),  # "create X owned by team-y" asks for X
            priority=0.01,
            requires=("catalog_owned_by", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.describe",
            family=FAMILY,
            summary="Describe an entity (what is X)",
            examples=[
                "what is checkout?",
                "describe the payments service",
                "tell me about orders-db",
                "what's the search api",
                "give me an overview of storefront",
                "info on the commerce system",
                "explain what inventory does",
                "what is jane.doe's email",
                "details of checkout-api",
                "what lifecycle is payments in",
                "which system is checkout part of",
                "what domain does the payments service belong to",
            ],
            patterns=[
                r"^\s*(what is|what's|whats)\s+(the\s+|a\s+)?[\w.\-]+(\s+(service|api|system|db))?\s*\??$",
                r"^\s*(describe|tell me about|explain|info on|details (of|on|about))\b",
                r"\boverview of\b",
                r"\b(lifecycle|status|email|e-mail) (of|is)\b",
                r"'s (email|e-mail|lifecycle|title|description)\b",
                r"\b(what|which) (kind|type|sort) of\b",
                r"\bis (that|it) an? (service|library|website|api|database|queue)\b",
                r"\b(namespace|repo|repository|source code|pagerduty|service id)\b",
                r"\b(what|which) (tags|labels|annotations|lifecycle|type)\b",
                r"^\s*is [\w.\-]+ (deprecated|experimental|in production|production|prod|live|stable|still used)\b",
                r"\b(which|what) (system|domain) (is|does) [\w.\-: /]+ (part of|in|belongs? to)\b",
            ],
            extract=extract_describe,
            plan=plan_describe,
            priority=-0.02,
            requires=("catalog_get_entity", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
        Intent(
            name="catalog.find",
            family=FAMILY,
            summary="Find or list entities by kind, type, lifecycle, tag, owner or system",
            examples=[
                "list all production services",
                "find python services owned by team-payments",
                "which services are experimental?",
                "show deprecated components",
                "list the databases in the commerce system",
                "what grpc apis do we have",
                "find services tagged java",
                "list all teams",
                "which websites does team checkout run",
                "show me our services",
                "find all kafka topics",
                "list every team",
            ],
            patterns=[
                r"^\s*(list|find|show( me)?|search( for)?|any|are there( any)?|do we have( any)?)\s+"
                r"((all|every|the|our|my|any)\s+)*([\w-]+\s+)?(services|components|apis|databases|dbs|websites|"
                r"libraries|resources|systems|teams?|groups|topics|queues|buckets|domains|templates|users|people|"
                r"models|caches)\b",
                r"^\s*(production|experimental|deprecated)\s+(services|components|apis|websites|libraries)\b",
                r"\bwhich (services|components|apis|databases|websites|libraries)\b"
                r"(?! does [\w.-]+ (use|need|call))(?! (call|calls|use|uses|consume|consumes|depend|need|get)\b)",
                r"\ball (the )?(services|components|apis|teams|systems|databases)\b",
                r"\btagged\b",
                r"\b(services|apis|databases|components|websites|libraries) (do we have|are there|exist)\b",
            ],
            extract=extract_find,
            plan=plan_find,
            priority=-0.01,
            requires=("catalog_search",),
        ),
        Intent(
            name="catalog.group",
            family=FAMILY,
            summary="Members and hierarchy of a team, or the teams of a person",
            examples=[
                "who is in team payments?",
                "members of the checkout team",
                "who works on the platform team",
                "which teams does jane.doe belong to",
                "what team is omar in",
                "who are the members of it",
                "show the org chart for engineering",
                "what is the parent group of team-checkout",
                "which groups am I in",
                "list the people in the search team",
                "which team is omar in",
                "what teams are under engineering",
            ],
            patterns=[
                r"\b(members?|people) (of|in)\b",
                r"\bwho(\s+else)?(\s+is|\s+are|'s|\s+works)(\s+even|\s+actually|\s+else)?\s+(in|on)\b(?![\s-]*(call|duty))",
                r"\bwho (leads|heads|manages)\b",
                r"\b(on|in) which (team|group)s?\b",
                r"\bwhich (department|division)\b",
                r"\b(belong|belongs) to\b.*\b(team|group)s?\b",
                r"\bwhich (teams|groups)\b",
                r"\b(org chart|hierarchy|parent group|sub-?teams|child groups)\b",
                r"\b(which|what) (team|group)s? (is|are) [\w.\- ]+ (in|on|part of)\b",
                r"\b(teams|groups) (are )?(under|below|within|inside)\b",
                r"\b(team|teams|group|groups) (does|do) [\w.\- ]+ belong\b",
                r"\b(departments|teams|groups|sub-?teams) (does|do) [\w.\- ]+ have\b",
            ],
            extract=extract_group,
            plan=plan_group,
            requires=("catalog_group_hierarchy", "catalog_search"),
            falls_back_to=NOT_IN_CATALOG,
        ),
    ]
