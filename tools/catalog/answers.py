"""Answer texts for the catalog intents, written only from tool results and naming every ref.

Each ``render_*`` function turns one tool result (a :class:`StepResult`) into a paragraph such as
"checkout (component:default/checkout) is owned by Checkout (group:default/team-checkout), …".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from contract.intents import StepResult


def ref_label(ref: str, name: str | None = None) -> str:
    """``checkout (component:default/checkout)``."""
    short = name or ref.split("/", 1)[-1]
    return f"{short} ({ref})"


def article(word: str) -> str:
    """Prefix the indefinite article: a service, an openapi API."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def person(p: dict[str, Any]) -> str:
    extra = f", {p['email']}" if p.get("email") else ""
    return f"{p.get('name') or p['ref'].split('/', 1)[-1]} ({p['ref']}{extra})"


def join(items: list[str], limit: int = 12) -> str:
    if not items:
        return "none"
    shown = items[:limit]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


def render_owner(step: StepResult) -> str:
    data = step.data
    entity = data["entity"]
    owner = data.get("owner")
    if not owner:
        return f"{ref_label(entity['ref'], entity['name'])} has no owner recorded in the catalog."
    if owner["ref"] == entity["ref"]:
        text = f"{ref_label(entity['ref'], entity['name'])} is itself {article(entity['kind'].lower())}"
    else:
        text = f"{ref_label(entity['ref'], entity['name'])} is owned by {ref_label(owner['ref'], owner.get('name'))}"
    if owner.get("email"):
        text += f", reachable at {owner['email']}"
    text += "."
    if owner.get("nearest_parent_email"):
        nearest = owner["nearest_parent_email"]
        text += (
            f" {owner.get('name') or owner['ref'].split('/', 1)[-1]} has no e-mail of its own; its nearest parent"
            f" with one, {ref_label(nearest['ref'])}, has {nearest['email']}."
        )
    text += _what_it_is(entity)
    if entity.get("system"):  # "who owns X and what system is it in?" is one ask
        text += f" Part of {ref_label(entity['system'])}."
    if owner.get("members"):
        text += f" Members: {join([person(m) for m in owner['members']], 8)}."
    if data.get("oncall"):
        text += f" On call now: {join([person(p) for p in data['oncall']])} (first is primary)."
    links = [c for c in data.get("contacts", []) if c["type"] != "email"]
    if links:
        text += " Contacts: " + join([f"{c.get('title', c['type'])}: {c['value']}" for c in links]) + "."
    return text


def _what_it_is(entity: dict[str, Any]) -> str:
    """`` It is a production service: <description>.`` — "who owns X and what is it?" is one ask."""
    if entity.get("kind", "").lower() in ("group", "user"):
        return ""
    phrase = " ".join(x for x in (entity.get("lifecycle"), entity.get("type")) if x)
    if not phrase and not entity.get("description"):
        return ""
    text = f" It is {article(phrase)}" if phrase else " It is described as"
    if entity.get("description"):
        description = entity["description"].rstrip(".")
        text += f": {description}"
    return text + "."


def render_oncall(step: StepResult) -> str:
    data = step.data
    entity = data["entity"]
    label = ref_label(entity["ref"], entity["name"])
    owner = data.get("owner")
    if data.get("oncall"):
        people = data["oncall"]
        text = f"On call for {label}: {person(people[0])} is primary"
        if len(people) > 1:
            text += f", then {join([person(p) for p in people[1:]])}"
        source = data.get("oncall_source")
        owner_ref = owner.get("ref") if owner else None
        owner_label = ref_label(owner_ref, owner.get("name")) if owner_ref else ""
        if source and source != entity["ref"]:
            text += (
                f" (from the rota of its owner {owner_label})"
                if source == owner_ref
                else f" (from the rota of {source})"
            )
        if owner_ref and owner_ref not in (entity["ref"], source):
            text += f". It is owned by {owner_label}"
        return text + "."
    text = f"No on-call is recorded for {label}"
    if owner:
        text += f" or its owner {ref_label(owner['ref'], owner.get('name'))}"
        if owner.get("email"):
            text += f"; contact the owner at {owner['email']}"
    return text + "."


def hop_text(item: dict[str, Any]) -> str:
    path = item["path"]
    label = ref_label(item["ref"])
    middle = [p for p in path[1:-1]]
    if middle:
        label += " via " + " → ".join(p.split("/", 1)[-1] for p in middle)
    return label


def render_dependencies(step: StepResult) -> str:
    data = step.data
    ref = data["entity"]
    items = data.get("items", [])
    label = ref_label(ref)
    if not items:
        return f"{label} has no recorded dependencies in the catalog (spec.dependsOn, consumed APIs)."
    direct = [i for i in items if i["depth"] == 1]
    deeper = [i for i in items if i["depth"] > 1]
    text = f"{label} depends on {join([hop_text(i) for i in direct])}"
    if deeper:
        text += f"; and indirectly on {join([hop_text(i) for i in deeper])}"
    return text + "."


def render_dependents(step: StepResult) -> str:
    data = step.data
    ref = data["entity"]
    items = data.get("items", [])
    label = ref_label(ref)
    if not items:
        return f"Nothing in the catalog depends on {label} (no dependsOn or API consumers recorded)."
    direct = [i for i in items if i["depth"] == 1]
    deeper = [i for i in items if i["depth"] > 1]
    noun = "entity" if len(items) == 1 else "entities"
    text = f"If {label} goes down, {len(items)} {noun} may be affected: directly {join([hop_text(i) for i in direct])}"
    if deeper:
        # A blast radius is only useful complete: list far more than other answers do.
        text += f"; indirectly {join([hop_text(i) for i in deeper], 40)}"
    return text + "."


# "which databases does X use": plural kind words narrow a dependency list.
NARROWING_WORDS = {
    "databases": ("resource", "database"),
    "dbs": ("resource", "database"),
    "services": ("component", "service"),
    "components": ("component", None),
    "resources": ("resource", None),
    "queues": ("resource", "queue"),
    "topics": ("resource", "topic"),
    "websites": ("component", "website"),
    "libraries": ("component", "library"),
    "buckets": ("resource", "bucket"),
}


def narrowed(render: Callable[[StepResult], str], text: str) -> Callable[[StepResult], str]:
    """Wrap a graph renderer so that only items of the kind/type the question names are listed."""
    word = next((w for w in re.findall(r"[a-z]+", text) if w in NARROWING_WORDS), None)
    if word is None:
        return render
    kind, type_ = NARROWING_WORDS[word]

    def wanted(item: dict[str, Any]) -> bool:
        return item["ref"].startswith(f"{kind}:") and (type_ is None or item.get("type") == type_)

    def narrowed(step: StepResult) -> str:
        items = step.data.get("items", [])
        keep = [i for i in items if wanted(i)]
        if not items or len(keep) == len(items):
            return render(step)
        if not keep:
            return f"None of them are {word}. " + render(step)
        data = {**step.data, "items": keep}
        text = render(StepResult(step.name, step.args, {**step.result, "data": data}))
        return f"{text} (Only {word} shown: {len(keep)} of {len(items)} listed.)"

    return narrowed


def render_apis(step: StepResult) -> str:
    data = step.data
    if "api" in data:
        api = data["api"]
        definition = data.get("definition") or {}
        text = f"{ref_label(api['ref'], api['name'])} is {article(api.get('type', 'unknown-type'))} API"
        if api.get("lifecycle"):
            text += f" ({api['lifecycle']})"
        text += f", provided by {join([ref_label(r) for r in data['providers']])}"
        text += f" and consumed by {join([ref_label(r) for r in data['consumers']])}."
        details = []
        if definition.get("title"):
            details.append(
                f"title '{definition['title']}'" + (f" v{definition['version']}" if definition.get("version") else "")
            )
        if definition.get("operations"):
            details.append(
                f"{definition.get('operation_count')} operations, e.g. " + ", ".join(definition["operations"][:4])
            )
        if definition.get("services"):  # a gRPC definition's services, whose rpcs follow
            details.append("services " + ", ".join(definition["services"][:6]))
        if definition.get("rpcs"):
            details.append("rpcs " + ", ".join(definition["rpcs"][:6]))
        if definition.get("channels"):
            details.append("channels " + ", ".join(definition["channels"][:4]))
        for server in definition.get("servers", [])[:4]:
            where = server["url"] + (f" ({server['protocol']})" if server.get("protocol") else "")
            choices = "; ".join(f"{k}: {', '.join(v)}" for k, v in server.get("variables", {}).items())
            details.append(f"server {where}" + (f" with {choices}" if choices else ""))
        if definition.get("types"):
            details.append("types " + ", ".join(definition["types"][:6]))
        if definition.get("location"):
            details.append(f"definition at {definition['location']}")
        if details:
            text += " Definition: " + "; ".join(details) + "."
        return text
    entity = data["entity"]
    label = ref_label(entity["ref"], entity["name"])
    parts = []
    if data["provides"]:
        provided = [
            f"{ref_label(a['ref'])} (consumed by {join([ref_label(c) for c in a['consumers']], 6)})"
            for a in data["provides"]
        ]
        parts.append(f"provides {join(provided)}")
    else:
        parts.append("provides no APIs")
    if data["consumes"]:
        consumed = [
            f"{ref_label(a['ref'])} (provided by {join([ref_label(p) for p in a['providers']], 6)})"
            for a in data["consumes"]
        ]
        parts.append(f"consumes {join(consumed)}")
    else:
        parts.append("consumes no APIs")
    return f"{label} " + "; it ".join(parts) + "."


KIND_NOUNS = {
    "component": ("component", "components"),
    "api": ("API", "APIs"),
    "resource": ("resource", "resources"),
    "system": ("system", "systems"),
    "domain": ("domain", "domains"),
    "template": ("template", "templates"),
    "airesource": ("AI resource", "AI resources"),
}


def kind_count(kind: str, n: int) -> str:
    singular, plural = KIND_NOUNS.get(kind, (kind, kind + "s"))
    return count(n, singular, plural)


def render_contents(step: StepResult) -> str:
    data = step.data
    entity = data["entity"]
    text = f"The {entity['name']} {entity['kind'].lower()} ({entity['ref']})"
    if data.get("owner"):
        text += f", owned by {ref_label(data['owner'])}"
    if data.get("part_of"):
        text += f", part of {join([ref_label(r) for r in data['part_of']])}"
    if data.get("defined") is False:
        text += " is not defined in the catalog, but entities name it as theirs"
    if not data.get("count"):
        return text + ", has no parts recorded in the catalog."
    chunks = []
    for kind, items in data["contents"].items():
        chunks.append(
            f"{kind_count(kind, len(items))}: {join([ref_label(i['ref'], i.get('name')) for i in items], 15)}"
        )
    text += ", contains " + "; ".join(chunks) + "."
    if data.get("in_its_systems"):
        inner = ", ".join(kind_count(kind, n) for kind, n in data["in_its_systems"].items())
        text += f" Its systems hold {inner} in total."
    if data.get("parts_by_lifecycle"):
        text += f" By lifecycle: {lifecycle_counts(data['parts_by_lifecycle'])}."
    return text


def lifecycle_counts(counts: dict[str, dict[str, int]]) -> str:
    """``components 7 experimental; APIs 2 experimental, 1 production``."""
    return "; ".join(
        KIND_NOUNS.get(kind, (kind, kind + "s"))[1] + " " + ", ".join(f"{n} {lc}" for lc, n in by.items())
        for kind, by in counts.items()
    )


def render_owned(step: StepResult) -> str:
    data = step.data
    owner = data["owner"]
    via = [r for r in data.get("owners_considered", []) if r != owner]
    subject = ref_label(owner)
    if not data.get("count"):
        return f"Nothing in the catalog is owned by {subject}" + (
            f" or its groups {join([ref_label(v) for v in via])}." if via else "."
        )
    chunks = []
    for kind, items in data["owned"].items():
        labels = [
            ref_label(i["ref"], i.get("name")) + (f" [via {i['via'].split('/', 1)[-1]}]" if i.get("via") else "")
            for i in items
        ]
        chunks.append(f"{kind_count(kind, len(items))}: {join(labels, 15)}")
    text = (
        f"{subject} owns " if not via else f"{subject} owns, directly or through {join([ref_label(v) for v in via])}, "
    )
    return text + "; ".join(chunks) + "."


def render_entity(step: StepResult) -> str:
    data = step.data
    label = ref_label(data["ref"], data.get("display_name") or data["name"])
    bits = []
    if data.get("title"):
        bits.append(f"“{data['title']}”")
    kind_phrase = " ".join(x for x in (data.get("lifecycle"), data.get("type")) if x)
    kind_phrase = article(f"{kind_phrase} {data['kind'].lower()}" if kind_phrase else data["kind"].lower())
    text = f"{label}" + (f" — {bits[0]}" if bits else "") + f" is {kind_phrase}"
    if data.get("owner_ref"):
        text += f" owned by {ref_label(data['owner_ref'])}"
    rels = data.get("relations", {})
    part_of = [r for r in rels.get("partOf", [])]
    if part_of:
        text += f", part of {join([ref_label(r) for r in part_of])}"
    if data.get("domain_ref") and data["domain_ref"] not in part_of:
        text += f", in the domain {ref_label(data['domain_ref'])}"
    text += "."
    if data.get("description"):
        text += f" {data['description']}"
        if not text.endswith("."):
            text += "."
    if data.get("tags"):
        text += f" Tags: {', '.join(data['tags'])}."
    for rel_type, phrase in (
        ("providesApi", "Provides"),
        ("consumesApi", "Consumes"),
        ("dependsOn", "Depends on"),
        ("hasPart", "Contains"),
        ("memberOf", "Member of"),
        ("hasMember", "Members"),
    ):
        targets = rels.get(rel_type)
        if targets:
            text += f" {phrase}: {join([ref_label(t) for t in targets], 8)}."
    if data.get("profile", {}).get("email"):
        text += f" E-mail: {data['profile']['email']}."
    if data.get("parts_by_lifecycle"):
        text += f" Its parts by lifecycle: {lifecycle_counts(data['parts_by_lifecycle'])}."
    if data.get("oncall"):
        text += f" On call: {join([person(p) for p in data['oncall']])}."
    if data.get("definition", {}).get("title"):
        text += f" API definition: {data['definition']['title']}."
    annotations = data.get("annotations") or {}
    for key, phrase in ANNOTATION_PHRASES:
        if annotations.get(key):
            text += f" {phrase}: {annotations[key]}."
    return text


# Annotations worth saying out loud in a description, in this order.
ANNOTATION_PHRASES = (
    ("backstage.io/kubernetes-namespace", "Kubernetes namespace"),
    ("backstage.io/kubernetes-id", "Kubernetes id"),
    ("github.com/project-slug", "Repository"),
    ("backstage.io/source-location", "Source"),
    ("pagerduty.com/service-id", "PagerDuty service"),
)


def describe_filters(filters: dict[str, Any]) -> str:
    noun = {
        "component": "components",
        "api": "APIs",
        "resource": "resources",
        "system": "systems",
        "domain": "domains",
        "group": "groups",
        "user": "users",
        "template": "templates",
    }.get(filters.get("kind", ""), "entities")
    if filters.get("type") and filters.get("kind") == "component":
        noun = {"service": "services", "website": "websites", "library": "libraries"}.get(filters["type"], noun)
    elif filters.get("type"):
        noun = f"{filters['type']} {noun}"
    parts = [p for p in (filters.get("lifecycle"),) if p]
    phrase = " ".join([*parts, noun])
    if filters.get("tag"):
        phrase += f" tagged {filters['tag']}"
    if filters.get("owner"):
        phrase += f" owned by {ref_label(filters['owner'])}"
    if filters.get("system"):
        phrase += f" in {ref_label(filters['system'])}"
    if filters.get("query"):
        phrase += f" matching '{filters['query']}'"
    lacking = {"provider": "that no component provides", "consumer": "that nothing consumes", "owner": "with no owner"}
    if filters.get("lacking") in lacking:
        phrase += f" {lacking[filters['lacking']]}"
    return phrase


def render_group(step: StepResult) -> str:
    data = step.data
    if "user" in data:
        user = data["user"]
        text = f"{person(user)} is a member of {join([ref_label(g) for g in data['groups']])}"
        if data.get("ancestors"):
            text += f"; above them: {join([ref_label(g) for g in data['ancestors']])}"
        return text + "."
    group = data["group"]
    text = f"{ref_label(group['ref'], group.get('name'))}"
    if group.get("type"):
        text += f" is {article(group['type'])}"
    if data.get("parents"):
        text += f" within {' → '.join(ref_label(p) for p in data['parents'])}"
    text += "."
    text += f" It has {count(data['member_count'], 'direct member')}"
    if data["members"]:
        text += f": {join([person(m) for m in data['members']], 15)}"
    text += "."
    if data.get("children"):
        text += (
            f" Child groups: {join([ref_label(c) for c in data['children']])}"
            f" ({data['all_members_count']} people including sub-groups)."
        )
    if data.get("descendants"):
        below = [f"{ref_label(d['ref'])} under {d['parent'].split('/', 1)[-1]}" for d in data["descendants"]]
        text += f" Further down: {join(below, 20)}."
    if group.get("email"):
        text += f" E-mail: {group['email']}."
    elif data.get("nearest_parent_email"):
        nearest = data["nearest_parent_email"]
        text += (
            f" It has no e-mail of its own; its nearest parent with one, {ref_label(nearest['ref'])},"
            f" has {nearest['email']}."
        )
    if data.get("oncall"):
        text += f" On call: {join([person(p) for p in data['oncall']])}."
    return text
