"""Offline-planner intents for catalog questions: who owns X, who is on call, what breaks if X
goes down, which APIs, what is in a system, what does a team own, describe X, list services,
who is in a team.

Each intent finds its entity with the catalog's mention index (typos, "orders db", "the payments
team"), falls back to the conversation's focus for follow-ups ("and who is on call for it?"), and
otherwise searches the catalog for the words left over, using the best hit or saying that nothing
matched. Answers are written only from the tool results of the turn and name every entity ref.

The intents are declared in ``intents.yaml``; this module holds the code it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from contract.intent_files import load_intents
from contract.intent_plans import Resolve
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
from tools.catalog.fields import asked_fields, covers, entity_fields, render_asked
from tools.catalog.mentions import STOPWORDS, wordset
from tools.catalog.namesakes import asked_namesakes, best_fit

FAMILY = "catalog"
MAX_REFS = 3
SEARCH_MIN_SCORE = 60.0
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


def _note_for(slots: dict[str, Any], step: StepResult) -> str:
    note = step.result.get("note")
    ref = step.args.get("ref", "")
    alternatives = slots.get("alternatives", {}).get(ref, [])
    extra = f" (the name also matches {', '.join(alternatives)})" if alternatives else ""
    instead = slots.get("chosen_over", {}).get(ref)
    if instead:
        extra += f" (the question's words fit {ref} better than {instead}, which the name also matches)"
    return (f" Note: {note}." if note and "resolved to" in note else "") + extra


def _paragraphs(state: PlanState, steps: list[StepResult], render: Callable[[StepResult], str]) -> Answer:
    """One rendered paragraph per entity's result, with the refs of them all."""
    texts: list[str] = []
    answer_refs: list[str] = []
    for step in steps:
        if not step.ok:
            texts.append(step.error or f"{step.name} failed")
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


CONTACT_RE = re.compile(r"\b(e-?mail|reach|contact)\b", re.I)


def extract_owner(state: PlanState) -> dict[str, Any] | None:
    """The entity; a team or person too when the ask is how to contact them ("email for team-d")."""
    slots = resolve_targets(state, OWNABLE)
    if slots is None and CONTACT_RE.search(state.utterance):  # it names only a team or a person
        slots = resolve_targets(state, ["group", "user"])
    return slots


def owner(state: PlanState, steps: list[StepResult]) -> Answer:
    """The owner, and the entities named after the one asked about that the question also asks
    about ("who owns X, and what Buildkite pipelines are registered for it?")."""
    catalog = _catalog(state)
    mentions = dict(zip(state.slots.get("refs", []), state.slots.get("mentions", []), strict=False))

    def render(step: StepResult) -> str:
        text = render_owner(step)
        ref = step.args.get("ref", "")
        related = asked_namesakes(catalog, ref, state.utterance, mentions.get(ref, ""))
        if related:
            rows = [f"{ref_label(e.ref)}" + (f" [{e.type}]" if e.type else "") for e in related]
            text += f" Named after it in the catalog: {join(rows)}."
        return text + _asked_details(catalog, (step.data.get("entity") or {}).get("ref"), mentions.get(ref, ""))

    def _asked_details(catalog: Any, ref: str | None, mention: str) -> str:
        """ "who owns X and where's its spec?": the fields of X the question also asks for."""
        entity = catalog.get(ref) if ref else None
        if entity is None:
            return ""
        asked = asked_fields(state.utterance, entity_fields(entity), [entity.name, entity.title or "", mention])
        return " " + render_asked(asked) if asked else ""

    return _paragraphs(state, steps, render)


# --- who is on call -----------------------------------------------------------------------------


ONCALL_WORDS = re.compile(r"on[\s-]?call|\bpag(e|ed|er|ing)\b|pagerduty|\bduty\b|\brota\b|\bshift\b|escalat", re.I)


def extract_oncall(state: PlanState) -> dict[str, Any] | None:
    if not ONCALL_WORDS.search(state.utterance):  # "who's on team-search" is about members
        return None
    return resolve_targets(state, [*OWNABLE, "group"])


def oncall(state: PlanState, steps: list[StepResult]) -> Answer:
    return _paragraphs(state, steps, render_oncall)


# --- dependencies / dependents -------------------------------------------------------------------
GRAPH_KINDS = ["component", "resource", "api", "system"]


def extract_graph(state: PlanState) -> dict[str, Any] | None:
    return resolve_targets(state, GRAPH_KINDS)


TRANSITIVE_RE = re.compile(
    r"\b(transitive|transitively|indirect|indirectly|all the way|whole|full|recursive|chain|tree)\b"
)


def extract_dependencies(state: PlanState) -> dict[str, Any] | None:
    """The entity, and whether the whole chain is asked for ("the full dependency tree")."""
    slots = extract_graph(state)
    if slots is not None:
        slots["transitive"] = bool(TRANSITIVE_RE.search(state.text))
    return slots


def extract_dependents(state: PlanState) -> dict[str, Any] | None:
    """The entity; what breaks is transitive unless only direct dependents are asked for."""
    slots = extract_graph(state)
    if slots is not None:
        direct_only = bool(re.search(r"\b(directly|direct)\b", state.text)) and "indirect" not in state.text
        slots["transitive"] = not direct_only
    return slots


def dependencies(state: PlanState, steps: list[StepResult]) -> Answer:
    return _paragraphs(state, steps, narrowed(render_dependencies, state.text))


def dependents(state: PlanState, steps: list[StepResult]) -> Answer:
    return _paragraphs(state, steps, narrowed(render_dependents, state.text))


# --- APIs -----------------------------------------------------------------------------------------
API_KINDS = ["api", "component", "system"]


def extract_apis(state: PlanState) -> dict[str, Any] | None:
    """The entity; none for "which APIs does no component provide?", a listing (catalog.find)."""
    if _lacking(state.text) and not _catalog(state).find_mentions(state.utterance, kinds=API_KINDS):
        return None
    if CONNECT_RE.search(state.utterance):  # "which ports reach the X broker": an API's servers only
        if WORKLOAD_RE.search(state.utterance) and not re.search(r"\b(apis?|broker)\b", state.utterance, re.I):
            return None  # "which ports does the X component listen on" is about where it runs
        return resolve_targets(state, ["api"])
    return resolve_targets(state, API_KINDS)


CONNECT_RE = re.compile(r"\b(ports?|brokers?|connect|connecting)\b", re.I)
WORKLOAD_RE = re.compile(r"\b(components?|pods?|containers?|deployments?|services?)\b", re.I)


def apis(state: PlanState, steps: list[StepResult]) -> Answer:
    return _paragraphs(state, steps, render_apis)


# --- system / domain contents -------------------------------------------------------------------
CONTAINER_KINDS = ["system", "domain"]


# A component's parts are its subcomponents (spec.subcomponentOf makes partOf/hasPart).
SUBCOMPONENT_RE = re.compile(r"\bsub-?components?\b", re.I)


def extract_contents(state: PlanState) -> dict[str, Any] | None:
    """A system or domain; "what's in it" about a component means the system it is part of."""
    catalog = _catalog(state)
    kinds = [*CONTAINER_KINDS, "component"] if SUBCOMPONENT_RE.search(state.utterance) else CONTAINER_KINDS
    slots = resolve_targets(state, kinds, focus_map=lambda ref: next(iter(catalog.related(ref, rel.PART_OF)), None))
    if not slots or not slots.get("refs"):
        undefined = _undefined_container(state)
        if undefined:
            return {"refs": [undefined], "mentions": [undefined.split("/", 1)[-1]]}
    return slots


NAME_TOKEN_RE = re.compile(r"[A-Za-z0-9][\w.\-]*[A-Za-z0-9]")


def _undefined_container(state: PlanState) -> str | None:
    """A system (or domain) the question names that no file defines but entities name in their
    spec.system: the mention index only knows defined entities, the tool lists such a system's parts."""
    catalog = _catalog(state)
    for token in NAME_TOKEN_RE.findall(state.utterance):
        if len(token) < 3 or token.lower() in ASK_WORDS:
            continue
        for kind in CONTAINER_KINDS:
            ref = f"{kind}:default/{token.lower()}"
            if catalog.get(ref) is None and catalog.related(ref, rel.HAS_PART):
                return ref
    return None


def contents(state: PlanState, steps: list[StepResult]) -> Answer:
    return _paragraphs(state, steps, render_contents)


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


# "across the teams under boxoffice", "including its sub-teams": what the groups below own too.
DESCENDANTS_RE = re.compile(
    r"\b(teams|groups|squads|departments) (under|below|beneath|within|inside|in)\b"
    r"|\bsub-?(teams?|groups?|departments?)\b|\bchild (teams|groups)\b|\bdescendants?\b|\bits (teams|groups)\b",
    re.I,
)


def extract_owned(state: PlanState) -> dict[str, Any] | None:
    """The group or person, and whether the groups below it are asked about too."""
    slots = _my_groups(state) or resolve_targets(state, OWNER_KINDS, allow_self=True, focus_map=_owner_of_focus(state))
    if slots is not None:
        slots["descendants"] = bool(DESCENDANTS_RE.search(state.utterance))
    return slots


def owned(state: PlanState, steps: list[StepResult]) -> Answer:
    return _paragraphs(state, steps, render_owned)


# --- describe X ---------------------------------------------------------------------------------


def extract_describe(state: PlanState) -> dict[str, Any] | None:
    slots = resolve_targets(state, None)
    if slots and slots.get("mentions"):
        _prefer_the_asked_entity(state, slots)
    if slots is None or slots.get("query"):  # words to search for, or none that look like a name
        return _field_of_focus(state, _leftover(state.utterance)) or slots
    if slots and slots.get("from_focus"):  # "where's its spec?" after "who owns X": X, not an undefined owner
        defined = [ref for ref in slots["refs"] if _catalog(state).get(ref) is not None]
        slots["refs"] = defined or slots["refs"]
    return slots


def _field_of_focus(state: PlanState, query: str) -> dict[str, Any] | None:
    """The entity in focus when the words left to search for name one of its fields: after the X
    pipeline, "what access does artifact-management get?" is about X's
    ``teams.artifact-management.access_level``, not an entity to search for."""
    catalog = _catalog(state)
    for ref in state.focus[:MAX_REFS]:
        entity = catalog.get(ref)
        if entity is not None and covers(query, entity_fields(entity)):
            return {"refs": [entity.ref], "from_focus": True}
    return None


QUESTION_RE = re.compile(r"^\s*(who|what|which|where|when|how|is|are|does|do|can|any)\b|\?\s*$", re.I)


def names_entity_detail(runtime: Any, text: str) -> bool:
    """A strong hit for ``catalog.describe``: a question naming an entity and a detail that one of
    its fields holds ("which branches get a daily scheduled run in the X pipeline?", "where's
    its spec?"); without it such a question goes to the docs, which hold no catalog fields."""
    if runtime is None or not QUESTION_RE.search(text):
        return False
    try:
        catalog = runtime.catalog
        mentions = catalog.find_mentions(text)
    except Exception:  # no catalog configured: nothing to recognise
        return False
    for mention in mentions[:MAX_REFS]:
        entity = catalog.get(mention.ref)
        if entity is None:
            continue
        other = best_fit(catalog, entity.ref, mention.alternatives, text, mention.text)
        chosen = catalog.get(other) if other else entity
        names = [chosen.name, chosen.title or "", mention.text]
        if asked_fields(text, entity_fields(chosen), names):
            return True
    return False


def _prefer_the_asked_entity(state: PlanState, slots: dict[str, Any]) -> None:
    """Swap a named entity for the namesake the question's other words describe ("the X
    integration tests" is X's pipeline Resource), saying so in the answer (see namesakes.py)."""
    catalog = _catalog(state)
    refs = list(slots["refs"])
    for i, (ref, mention) in enumerate(zip(refs, slots["mentions"], strict=False)):
        other = best_fit(catalog, ref, slots.get("alternatives", {}).get(ref, []), state.utterance, mention)
        if other is not None and other not in refs:
            refs[i] = other
            slots.setdefault("chosen_over", {})[other] = ref
    slots["refs"] = refs


def entity(state: PlanState, steps: list[StepResult]) -> Answer:
    """The description, led by the annotations, links or spec fields the question names."""

    def render(step: StepResult) -> str:
        data = step.data
        names = [data.get("name") or "", data.get("title") or "", *state.slots.get("mentions", [])]
        asked = asked_fields(state.utterance, data.get("fields") or [], names)
        return (render_asked(asked) + " " if asked else "") + render_entity(step)

    return _paragraphs(state, steps, render)


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
        scoped_to_asker = True
    else:
        scoped_to_asker = False
    query = re.search(
        r"\b(?:related to|about|matching|named|called|containing|mentioning|like)\s+['\"]?"
        r"([A-Za-z0-9][\w\- ]{1,40}?)['\"]?\s*\??$",
        state.utterance,
        re.I,
    )
    if query:
        filters["query"] = query.group(1).strip()
    lacking = _lacking(text)
    if lacking and lacking != "owner":  # only an API has providers and consumers
        if filters.get("kind", "api") != "api":
            return None  # "components no one uses" asks for dependents, which a listing cannot filter on
        filters["kind"] = "api"
    if lacking:
        filters["lacking"] = lacking
    if not filters:
        return None
    if filters.get("kind") == "user" and str(filters.get("owner", "")).startswith("group:"):
        return None  # "how many people are in team-c" asks for members: a team owns no users
    if COUNT_RE.search(text):
        filters["limit"] = COUNT_LIMIT
    return {"filters": filters, "scoped_to_asker": scoped_to_asker}


COUNT_RE = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b")
# "APIs that no component provides", "APIs nothing consumes", "components without an owner".
# Not "not"/"n't": "APIs checkout doesn't consume" is about checkout, no listing of the catalog's.
NEGATION = r"(?:\bno|\bno one|\bnothing|\bnobody|\bwithout(?:\s+(?:a|an|any))?)"
LACKING_RES = {
    "provider": re.compile(rf"{NEGATION}\s+(?:\w+\s+){{0,2}}(?:provides?|provided|providers?|implements?|exposes?)\b"),
    "consumer": re.compile(rf"{NEGATION}\s+(?:\w+\s+){{0,2}}(?:consumes?|consumed|consumers?|uses?|used)\b"),
    "owner": re.compile(rf"{NEGATION}\s+(?:\w+\s+){{0,1}}(?:owners?|owned)\b|\bunowned\b|\borphan(?:ed|s)?\b"),
}


def _lacking(text: str) -> str | None:
    """The relation a listing asks entities to lack ("APIs no component provides": a provider)."""
    return next((name for name, pattern in LACKING_RES.items() if pattern.search(text.lower())), None)


# A count lists up to this many entities (the search tool's most): beyond it the count is a floor.
COUNT_LIMIT = 100


def search_failed(state: PlanState, search: StepResult) -> Answer:
    return Answer(text=search.error or "The catalog search failed.")


def found(state: PlanState, search: StepResult) -> Step:
    """The entities a listing found, with the filters it used in words.

    "Are any of our APIs deprecated?" is scoped to the asker's team; when that finds nothing, the
    same listing over the whole catalog follows, so the answer does not read as if there were none.
    """
    filters = dict(state.slots.get("filters") or {})
    searches = state.results_of("catalog_search")
    if not state.slots.get("scoped_to_asker") or not filters.get("owner"):
        return _listed(state, filters, search)
    wide = {k: v for k, v in filters.items() if k != "owner"}
    if len(searches) == 1:
        if search.data.get("results") or not set(wide) - {"limit"}:  # found some, or nothing else asked
            return _listed(state, filters, search)
        return CallTools(calls=[ToolCallSpec(name="catalog_search", args={"limit": 25, **wide})])
    scoped = describe_filters({k: v for k, v in filters.items() if k != "limit"})
    listed = _listed(state, wide, search)
    return Answer(
        text=f"I found no {scoped} (taking the question as about your team). Across the whole catalog: {listed.text}",
        refs=listed.refs,
    )


def _listed(state: PlanState, filters: dict[str, Any], search: StepResult) -> Answer:
    """One listing's answer: the entities found with these filters, in words."""
    filters = dict(filters)
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
                f"{r['member_count']} direct members" if "member_count" in r else None,
            )
            if x
        )
        labels.append(ref_label(r["ref"], r.get("name")) + (f" [{extra}]" if extra else ""))
    tally = _tally(state.utterance, results, filters)
    count = len(results)
    limit = filters.pop("limit", 25)
    if limit == COUNT_LIMIT:
        at_least = "at least " if count >= limit else ""
        return Answer(
            text=f"There are {at_least}{count} {what} in the catalog: {join(labels, limit)}.{tally}",
            refs=[r["ref"] for r in results],
        )
    more = f" (showing the first {limit})" if count >= limit else ""
    return Answer(
        text=(
            f"Found {count} {what}{more}: {join(labels, 25)}."
            if count != 1
            else f"Found 1 match ({what}): {labels[0]}."
        )
        + tally,
        refs=[r["ref"] for r in results],
    )


RANK_RE = re.compile(r"\b(most|fewest|least|biggest|largest|smallest|highest|lowest)\b", re.I)


def _tally(utterance: str, results: list[dict[str, Any]], filters: dict[str, Any]) -> str:
    """For "which team owns the most APIs" / "which team has the fewest members": the listing
    counted, largest first, so the answer says the number rather than leaving it to the reader."""
    if not RANK_RE.search(utterance) or len(results) < 2:
        return ""
    if all("member_count" in r for r in results):
        ranked = sorted(results, key=lambda r: (-r["member_count"], r["ref"]))
        return " By direct members: " + ", ".join(f"{r['name']} {r['member_count']}" for r in ranked) + "."
    if filters.get("owner"):
        return ""
    owners: dict[str, int] = {}
    for r in results:
        if r.get("owner"):
            owners[r["owner"]] = owners.get(r["owner"], 0) + 1
    if len(owners) < 2:
        return ""
    ranked_owners = sorted(owners.items(), key=lambda item: (-item[1], item[0]))
    return " By owner: " + ", ".join(f"{ref.split('/', 1)[-1]} {n}" for ref, n in ranked_owners) + "."


# --- group hierarchy / members --------------------------------------------------------------------


def extract_group(state: PlanState) -> dict[str, Any] | None:
    return _my_groups(state) or resolve_targets(state, OWNER_KINDS, allow_self=True, focus_map=_owner_of_focus(state))


TEAMMATES_RE = re.compile(
    r"\b(who else|teammates|team mates|colleagues|members|who is in it|who's in it|"
    r"who else is (on|in) it)\b",
    re.I,
)


def plan_group(state: PlanState) -> Step:
    """Per entity like the others, and for "which team am I on, and who else is on it?" the
    person's first team after their teams."""
    _slots(state, extract_group)
    refs, step = refs_or_search(state, OWNER_KINDS)
    if step is not None:
        return step
    steps = state.results_of("catalog_group_hierarchy")
    if not steps:
        return CallTools(calls=[ToolCallSpec(name="catalog_group_hierarchy", args={"ref": ref}) for ref in refs or []])
    if len(steps) == 1 and steps[0].ok and "user" in (steps[0].data or {}) and TEAMMATES_RE.search(state.utterance):
        groups = steps[0].data.get("groups") or []
        if groups:
            return CallTools(calls=[ToolCallSpec(name="catalog_group_hierarchy", args={"ref": groups[0]})])
    return _paragraphs(state, steps, render_group)


# --- the entities each per-entity intent works on ---------------------------------------------------
def _targets(extract: Callable[[PlanState], dict[str, Any] | None], kinds: list[str] | None) -> Resolve:
    """The entities an intent's slots resolved, else the catalog search for its words (first)."""

    def resolve(state: PlanState) -> tuple[list[str] | None, Step | None]:
        _slots(state, extract)
        return refs_or_search(state, kinds)

    return resolve


owner_targets = _targets(extract_owner, OWNABLE)
oncall_targets = _targets(extract_oncall, None)
dependency_targets = _targets(extract_dependencies, GRAPH_KINDS)
dependent_targets = _targets(extract_dependents, GRAPH_KINDS)
api_targets = _targets(extract_apis, API_KINDS)
container_targets = _targets(extract_contents, CONTAINER_KINDS)
owned_targets = _targets(extract_owned, OWNER_KINDS)
entity_targets = _targets(extract_describe, None)


def build_intents(runtime: Any = None) -> list[Intent]:
    return load_intents(__name__, runtime)
