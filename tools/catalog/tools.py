"""The catalog's read-only tools: compact answers about entities, owners, dependencies and APIs.

Every tool resolves the entity it is given leniently (full ref, ``kind:name``, bare name, or a
misspelt name found through the mention index, which it then says it did) and fails with "did
you mean …" suggestions when nothing matches. Outputs name every entity by its full ref and put
those refs in ``ToolResult.refs``, so answers can cite them and follow-ups can use them.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from contract.tooling import PortalTool, ToolContext, ToolResult
from tools.catalog import relations as rel
from tools.catalog.definitions import summarize_definition
from tools.catalog.fields import entity_fields
from tools.catalog.model import (
    ANNOTATION_GITHUB_PROJECT_SLUG,
    ANNOTATION_KUBERNETES_ID,
    ANNOTATION_PAGERDUTY_SERVICE_ID,
    ANNOTATION_SOURCE_LOCATION,
    ANNOTATION_TECHDOCS_REF,
    Entity,
    InvalidRefError,
    parse_ref,
)

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.catalog.store import CatalogStore

FAMILY = "catalog"
MAX_LIST = 40
SHOWN_ANNOTATIONS = (
    ANNOTATION_TECHDOCS_REF,
    ANNOTATION_KUBERNETES_ID,
    ANNOTATION_PAGERDUTY_SERVICE_ID,
    ANNOTATION_GITHUB_PROJECT_SLUG,
    ANNOTATION_SOURCE_LOCATION,
    "backstage.io/kubernetes-namespace",
    "backstage.io/kubernetes-label-selector",
    "portal-agent.io/oncall",
)

REF_FIELD = "Entity ref such as 'component:default/checkout', 'group:team-payments', or a bare name like 'checkout'"


# --- argument schemas ---------------------------------------------------------------------------
class RefArgs(BaseModel):
    ref: str = Field(description=REF_FIELD)


class SearchArgs(BaseModel):
    query: str | None = Field(
        None,
        description="Free text matched fuzzily against names, titles, "
        "descriptions and tags; omit to list by filters only",
    )
    kind: str | None = Field(
        None, description="Entity kind: component, api, resource, system, domain, group, user, template"
    )
    type: str | None = Field(None, description="spec.type, e.g. service, website, library, openapi, database, team")
    lifecycle: str | None = Field(None, description="spec.lifecycle: production, experimental, deprecated…")
    owner: str | None = Field(None, description="Owner group (or user) ref or name, e.g. team-payments")
    system: str | None = Field(None, description="System (or domain) ref or name the entity is part of")
    tag: str | None = Field(None, description="A metadata tag, e.g. python")
    lacking: Literal["provider", "consumer", "owner"] | None = Field(
        None,
        description="Only entities with no such relation: 'provider' = APIs no component provides, "
        "'consumer' = APIs nothing consumes, 'owner' = entities without an owner",
    )
    limit: int = Field(20, ge=1, le=100, description="Maximum number of results")


class DependencyArgs(BaseModel):
    ref: str = Field(description=REF_FIELD)
    direction: Literal["dependencies", "dependents"] = Field(
        "dependencies",
        description="'dependencies' = what the entity needs; 'dependents' = what needs it (what breaks "
        "if it goes down)",
    )
    transitive: bool = Field(False, description="Follow the graph beyond direct neighbours")
    max_depth: int = Field(6, ge=1, le=10, description="How many hops to follow when transitive")


class OwnedByArgs(BaseModel):
    ref: str = Field(description="Group ref/name (e.g. team-payments) or user ref/name (e.g. jane.doe)")
    include_children: bool = Field(False, description="Also include what child groups own")


# --- helpers ------------------------------------------------------------------------------------
def _store(ctx: ToolContext) -> CatalogStore:
    return ctx.runtime.catalog


def resolve(
    store: CatalogStore, text: str, default_kind: str | None = "component", kinds: list[str] | None = None
) -> tuple[Entity | None, str | None]:
    """The entity ``text`` names, and a note when it was found by fuzzy matching.

    An explicit ref is taken as is. A bare name is looked up with ``default_kind`` first, then as
    any kind; when ``kinds`` is given, an entity of those kinds found through the mention index
    ("payments team", "chekout") is preferred to a same-named entity of another kind.
    """
    text = (text or "").strip()
    if not text:
        return None, None
    entity = store.get(text, default_kind)
    explicit = ":" in text
    if entity is not None and (explicit or not kinds or entity.kind_lower in kinds):
        return entity, None
    if explicit and entity is None:
        return None, None
    if entity is not None and kinds:
        for kind in kinds:
            other = store.get(f"{kind}:{entity.namespace}/{entity.name}")
            if other is not None:
                return other, None
    mentions = store.find_mentions(text, kinds=kinds)
    if mentions:
        best = max(mentions, key=lambda m: (m.end - m.start, m.score))
        if (best.end - best.start) >= 0.6 * len(text) and best.score >= 80:
            found = store.get(best.ref)
            if found is not None:
                exact = found.name.lower() == text.lower()
                return found, None if exact else f"'{text}' was resolved to {found.ref} (closest match)"
    return entity, None


def not_found(store: CatalogStore, text: str, tool: str, kind: str | None = None) -> ToolResult:
    suggestions = store.suggest(text, limit=3, kind=kind) or store.suggest(text, limit=3)
    hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else " Try catalog_search."
    return ToolResult.failure(f"No catalog entity matches {text!r}.{hint}", data={"suggestions": suggestions}, refs=[])


def person(store: CatalogStore, ref: str) -> dict[str, Any]:
    entity = store.get(ref, "user")
    if entity is None:
        return {"ref": ref, "known": False}
    out: dict[str, Any] = {"ref": entity.ref, "name": entity.display_name}
    if entity.email:
        out["email"] = entity.email
    return out


def _capped(items: list[Any], limit: int = MAX_LIST) -> tuple[list[Any], str | None]:
    if len(items) <= limit:
        return items, None
    return items[:limit], f"showing {limit} of {len(items)}"


def _brief(store: CatalogStore, ref: str) -> dict[str, Any]:
    """A one-line summary of a listed entity: ref, name, type, lifecycle, short description."""
    entity = store.get(ref)
    if entity is None:
        return {"ref": ref, "known": False}
    out: dict[str, Any] = {"ref": entity.ref, "name": entity.name}
    for key in ("type", "lifecycle"):
        value = getattr(entity, key)
        if value:
            out[key] = value
    if entity.description:
        text = " ".join(entity.description.split())
        out["description"] = text if len(text) <= 80 else text[:79] + "…"
    return out


def _source(store: CatalogStore, entity: Entity) -> str | None:
    if entity.source_path:
        return f"{entity.source_path}:{entity.source_line}" if entity.source_line else entity.source_path
    return None


def _domain_of(store: CatalogStore, entity: Entity) -> str | None:
    """The domain an entity is in through the system it is part of ("what domain is X in?")."""
    for parent in store.related(entity.ref, rel.PART_OF):
        if parent.startswith("domain:"):
            return None  # said by partOf itself
        if parent.startswith("system:"):
            domains = [r for r in store.related(parent, rel.PART_OF) if r.startswith("domain:")]
            if domains:
                return domains[0]
    return None


# --- tools --------------------------------------------------------------------------------------
def get_entity(args: RefArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref)
    if entity is None:
        return not_found(store, args.ref, "catalog_get_entity")
    data = entity.summary(400)
    annotations = {k: v for k, v in entity.annotations.items() if k in SHOWN_ANNOTATIONS}
    if annotations:
        data["annotations"] = annotations
    if entity.metadata.links:
        data["links"] = [{"title": link.title, "url": link.url} for link in entity.metadata.links[:6]]
    grouped: dict[str, list[str]] = {}
    for relation in entity.relations:
        grouped.setdefault(relation.type, []).append(relation.target_ref)
    data["relations"] = {k: v[:MAX_LIST] for k, v in grouped.items()}
    domain = _domain_of(store, entity)
    if domain:
        data["domain_ref"] = domain
    owner = store.owner_of(entity.ref)
    if owner:
        data["owner_ref"] = owner
    oncall = store.oncall_of(entity.ref)
    if oncall and entity.kind_lower != "user":
        data["oncall"] = [person(store, r) for r in oncall]
    if entity.display_name != entity.name and not entity.title:
        data["display_name"] = entity.display_name
    if entity.kind_lower == "user":
        data["profile"] = {k: v for k, v in entity.profile.items() if k in ("displayName", "email")}
        data["groups"] = store.groups_of(entity.ref)
    if entity.kind_lower == "group" and entity.email:
        data["profile"] = {"email": entity.email}
    if entity.kind_lower == "api":
        data["definition"] = summarize_definition(entity.type, entity.spec.get("definition"))
    if entity.kind_lower in ("system", "domain"):
        lifecycles = _by_lifecycle(store, store.related(entity.ref, rel.HAS_PART))
        if lifecycles:
            data["parts_by_lifecycle"] = lifecycles
    data["fields"] = entity_fields(entity)
    refs = [entity.ref] + ([owner] if owner else [])
    return ToolResult(data=data, refs=refs, note=note, source=_source(store, entity))


OWNER_TALLY_FROM = 5  # a listing of this many results also counts them by owner


# The relation an entity lacks for ``SearchArgs.lacking``: none of these relations from it.
LACKING_RELATIONS = {"provider": rel.API_PROVIDED_BY, "consumer": rel.API_CONSUMED_BY, "owner": rel.OWNED_BY}
# How many entities a "lacking" search looks through before it filters (the store's ranking cap).
LACKING_SCAN = 10_000


def search(args: SearchArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    hits = store.search(
        query=args.query,
        kind=args.kind,
        type=args.type,
        lifecycle=args.lifecycle,
        owner=args.owner,
        system=args.system,
        tag=args.tag,
        limit=LACKING_SCAN if args.lacking else args.limit,
    )
    if args.lacking:  # filtered after ranking, so the limit counts the entities that lack it
        relation = LACKING_RELATIONS[args.lacking]
        hits = [(e, score) for e, score in hits if not store.related(e.ref, relation)][: args.limit]
    results = []
    for entity, score in hits:
        row = {**entity.summary(), "score": score}
        if entity.kind_lower == "group":  # "which team has the fewest members?"
            row["member_count"] = len(store.members_of(entity.ref))
        results.append(row)
    data: dict[str, Any] = {"count": len(results), "results": results}
    owners = Counter(r["owner"] for r in results if r.get("owner"))
    if len(results) >= OWNER_TALLY_FROM and len(owners) > 1:  # "which team owns the most APIs?"
        data["by_owner"] = dict(owners.most_common())
    note = None
    if not results:
        note = "nothing matched; try fewer filters or another spelling"
        if args.owner and store.get(args.owner, "group") is None:
            note = f"no group or user named {args.owner!r}; " + note
    return ToolResult(data=data, refs=[r["ref"] for r in results], note=note)


def owner(args: RefArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref)
    if entity is None:
        return not_found(store, args.ref, "catalog_owner")
    if entity.kind_lower in ("group", "user"):
        owner_entity: Entity | None = entity
        owner_ref: str | None = entity.ref
    else:
        owner_ref = store.owner_of(entity.ref)
        owner_entity = store.get(owner_ref, "group") if owner_ref else None
    data: dict[str, Any] = {"entity": entity.summary(), "owner": None}
    refs = [entity.ref]
    if owner_ref:
        refs.append(owner_ref)
        info: dict[str, Any] = {"ref": owner_ref, "known": owner_entity is not None}
        if owner_entity is not None:
            info["name"] = owner_entity.display_name
            info["kind"] = owner_entity.kind
            if owner_entity.email:
                info["email"] = owner_entity.email
            if owner_entity.kind_lower == "group":
                members = [person(store, m) for m in store.members_of(owner_entity.ref)]
                info["members"], cap = _capped(members, 25)
                if cap:
                    info["members_note"] = cap
                parents = store.parents_of(owner_entity.ref)
                if parents:
                    info["parent"] = parents[0]
                nearest = _nearest_email(store, parents) if not owner_entity.email else None
                if nearest:
                    info["nearest_parent_email"] = nearest
        data["owner"] = info
    oncall = store.oncall_of(entity.ref)
    data["oncall"] = [person(store, r) for r in oncall]
    if oncall:
        own = entity.annotations.get("portal-agent.io/oncall")
        data["oncall_source"] = entity.ref if own else owner_ref
        refs.extend(oncall)
    contacts: list[dict[str, str]] = []
    if owner_entity is not None and owner_entity.email:
        contacts.append({"type": "email", "value": owner_entity.email})
    for holder in (entity, owner_entity):
        if holder is None:
            continue
        for link in holder.metadata.links:
            label = (link.title or "").lower()
            if any(w in f"{label} {link.url}".lower() for w in ("slack", "chat", "support", "pager", "oncall")):
                contacts.append({"type": "link", "title": link.title or link.url, "value": link.url})
    pagerduty = entity.annotations.get(ANNOTATION_PAGERDUTY_SERVICE_ID)
    if pagerduty:
        contacts.append({"type": "pagerduty", "value": pagerduty})
    data["contacts"] = contacts
    if owner_ref is None:
        note = (note + "; " if note else "") + "this entity has no owner in the catalog"
    return ToolResult(data=data, refs=list(dict.fromkeys(refs)), note=note, source=_source(store, entity))


def dependencies(args: DependencyArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref)
    if entity is None:
        return not_found(store, args.ref, "catalog_dependencies")
    items, total = store.walk(
        entity.ref, args.direction, transitive=args.transitive, max_depth=args.max_depth, limit=MAX_LIST
    )
    out = []
    for item in items:
        target = store.get(item["ref"])
        row = {"ref": item["ref"], "depth": item["depth"], "path": item["path"], "via": item["via"]}
        if target is not None:
            for key in ("type", "lifecycle"):
                value = getattr(target, key)
                if value:
                    row[key] = value
            owner_ref = store.owner_of(target.ref)
            if owner_ref:
                row["owner"] = owner_ref
        else:
            row["known"] = False
        out.append(row)
    shown = out
    cap = f"showing {len(out)} of {total}" if total > len(out) else None
    data = {
        "entity": entity.ref,
        "direction": args.direction,
        "transitive": args.transitive,
        "count": total,
        "items": shown,
    }
    notes = [n for n in (note, cap) if n]
    if not out:
        notes.append(f"{entity.ref} has no recorded {args.direction} (spec.dependsOn / APIs)")
    return ToolResult(data=data, refs=[entity.ref] + [r["ref"] for r in shown], note="; ".join(notes) or None)


def apis(args: RefArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref)
    if entity is None:
        return not_found(store, args.ref, "catalog_apis")
    refs = [entity.ref]
    if entity.kind_lower == "api":
        providers = store.related(entity.ref, rel.API_PROVIDED_BY)
        consumers = store.related(entity.ref, rel.API_CONSUMED_BY)
        data: dict[str, Any] = {
            "api": entity.summary(),
            "definition": summarize_definition(entity.type, entity.spec.get("definition")),
            "providers": providers,
            "consumers": consumers,
        }
        refs += providers + consumers
    elif entity.kind_lower in ("component", "system"):
        members = [entity.ref]
        if entity.kind_lower == "system":
            members = [r for r in store.related(entity.ref, rel.HAS_PART) if r.startswith("component:")]
        provided: dict[str, list[str]] = {}
        consumed: dict[str, list[str]] = {}
        for member in members:
            for api in store.related(member, rel.PROVIDES_API):
                provided.setdefault(api, [])
            for api in store.related(member, rel.CONSUMES_API):
                consumed.setdefault(api, [])
        data = {"entity": entity.summary(), "provides": [], "consumes": []}
        for api in provided:
            api_entity = store.get(api)
            row = {"ref": api, "consumers": store.related(api, rel.API_CONSUMED_BY)}
            if api_entity is not None:
                row.update({k: v for k, v in (("type", api_entity.type), ("lifecycle", api_entity.lifecycle)) if v})
            data["provides"].append(row)
            refs += [api, *row["consumers"]]
        for api in consumed:
            api_entity = store.get(api)
            row = {"ref": api, "providers": store.related(api, rel.API_PROVIDED_BY)}
            if api_entity is not None and api_entity.type:
                row["type"] = api_entity.type
            data["consumes"].append(row)
            refs += [api, *row["providers"]]
    else:
        return ToolResult.failure(
            f"{entity.ref} is a {entity.kind}; catalog_apis takes a component, a system or an API", refs=[entity.ref]
        )
    return ToolResult(data=data, refs=list(dict.fromkeys(refs)), note=note, source=_source(store, entity))


def system_contents(args: RefArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref, "system", kinds=["system", "domain", "component"])
    if entity is None:
        undefined = _undefined_container(store, args.ref)
        if undefined is not None:
            return undefined
        return not_found(store, args.ref, "catalog_system_contents")
    by_kind: dict[str, list[str]] = {}
    for ref in store.related(entity.ref, rel.HAS_PART):
        by_kind.setdefault(ref.split(":", 1)[0], []).append(ref)
    data: dict[str, Any] = {"entity": entity.summary(), "owner": store.owner_of(entity.ref)}
    parent = store.related(entity.ref, rel.PART_OF)
    if parent:
        data["part_of"] = parent
    total = sum(len(v) for v in by_kind.values())
    notes = [n for n in (note,) if n]
    parts: dict[str, list[dict[str, Any]]] = {}
    for kind, refs in by_kind.items():
        refs.sort()
        shown, cap = _capped(refs)
        if cap:
            notes.append(f"{kind}: {cap}")
        parts[kind] = [_brief(store, ref) for ref in shown]
    data["contents"] = parts
    data["count"] = total
    lifecycles = _by_lifecycle(store, [r for refs in by_kind.values() for r in refs])
    if lifecycles:
        data["parts_by_lifecycle"] = lifecycles
    if entity.kind_lower == "domain":  # "how many components are in the domain": through its systems
        inner: dict[str, set[str]] = {}
        for system_ref in by_kind.get("system", []):
            for ref in store.related(system_ref, rel.HAS_PART):
                inner.setdefault(ref.split(":", 1)[0], set()).add(ref.lower())
        if inner:
            data["in_its_systems"] = {kind: len(refs) for kind, refs in sorted(inner.items())}
    if not total:
        notes.append(f"{entity.ref} has no parts in the catalog")
    refs = [entity.ref] + [item["ref"] for items in parts.values() for item in items]
    return ToolResult(data=data, refs=refs, note="; ".join(notes) or None, source=_source(store, entity))


def _undefined_container(store: CatalogStore, text: str) -> ToolResult | None:
    """The parts of a system (or domain) that entities name in ``spec.system`` but that no file
    defines: real catalogs do this, and "what is in X" still has an answer, said as such."""
    for kind in ("system", "domain"):
        try:
            ref = str(parse_ref(text.strip(), kind))
        except InvalidRefError:
            return None
        parts = sorted(store.related(ref, rel.HAS_PART))
        if not parts:
            continue
        shown, cap = _capped(parts)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for part in shown:
            by_kind.setdefault(part.split(":", 1)[0], []).append(_brief(store, part))
        kind_name, _, name = ref.partition(":")
        entity = {"ref": ref, "kind": kind_name.capitalize(), "name": name.split("/", 1)[-1], "known": False}
        note = (
            f"{ref} is not defined in the catalog (no {kind_name.capitalize()} entity for it); "
            f"{len(parts)} entities name it in spec.{kind_name}"
        )
        data = {"entity": entity, "owner": None, "contents": by_kind, "count": len(parts), "defined": False}
        return ToolResult(data=data, refs=[ref, *shown], note="; ".join(n for n in (note, cap) if n))
    return None


def owned_by(args: OwnedByArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref, "group", kinds=["group", "user"])
    if entity is None or entity.kind_lower not in ("group", "user"):
        if entity is not None:
            return ToolResult.failure(
                f"{entity.ref} is a {entity.kind}, not a group or user; use catalog_owner to find who owns it",
                refs=[entity.ref],
            )
        return not_found(store, args.ref, "catalog_owned_by", kind="group")
    owners = [entity.ref]
    if entity.kind_lower == "user":
        owners += store.related(entity.ref, rel.MEMBER_OF)
    elif args.include_children:
        frontier = [entity.ref]
        while frontier:
            children = [c for f in frontier for c in store.related(f, rel.PARENT_OF) if c not in owners]
            owners += children
            frontier = children
    found: dict[str, list[tuple[str, str]]] = {}
    count = 0
    for owner_ref in owners:
        for ref in store.related(owner_ref, rel.OWNER_OF):
            found.setdefault(ref.split(":", 1)[0], []).append((ref, owner_ref))
            count += 1
    notes = [n for n in (note,) if n]
    owned: dict[str, list[dict[str, Any]]] = {}
    for kind, pairs in found.items():
        shown, cap = _capped(pairs)
        if cap:
            notes.append(f"{kind}: {cap}")
        rows = []
        for ref, owner_ref in shown:
            row = _brief(store, ref)
            if owner_ref != entity.ref:
                row["via"] = owner_ref
            rows.append(row)
        owned[kind] = rows
    data = {"owner": entity.ref, "owners_considered": owners, "count": count, "owned": owned}
    if not count:
        notes.append(f"nothing in the catalog is owned by {', '.join(owners)}")
    refs = owners + [row["ref"] for items in owned.values() for row in items]
    return ToolResult(data=data, refs=list(dict.fromkeys(refs)), note="; ".join(notes) or None)


def group_hierarchy(args: RefArgs, ctx: ToolContext) -> ToolResult:
    store = _store(ctx)
    entity, note = resolve(store, args.ref, "group", kinds=["group", "user"])
    if entity is None:
        return not_found(store, args.ref, "catalog_group_hierarchy", kind="group")
    if entity.kind_lower == "user":
        direct = store.related(entity.ref, rel.MEMBER_OF)
        data: dict[str, Any] = {
            "user": person(store, entity.ref),
            "groups": direct,
            "ancestors": [g for g in store.groups_of(entity.ref) if g not in direct],
        }
        return ToolResult(data=data, refs=[entity.ref, *store.groups_of(entity.ref)], note=note)
    if entity.kind_lower != "group":
        return ToolResult.failure(f"{entity.ref} is a {entity.kind}, not a group or user", refs=[entity.ref])
    members = [person(store, m) for m in store.members_of(entity.ref)]
    shown, cap = _capped(members)
    data = {
        "group": {
            "ref": entity.ref,
            "name": entity.display_name,
            "type": entity.type,
            **({"email": entity.email} if entity.email else {}),
        },
        "parents": store.parents_of(entity.ref),
        "children": store.related(entity.ref, rel.PARENT_OF),
        "members": shown,
        "member_count": len(members),
        "all_members_count": len(store.members_of(entity.ref, recursive=True)),
        "oncall": [person(store, r) for r in store.oncall_of(entity.ref)],
    }
    below = _descendants(store, entity.ref)
    if below:
        data["descendants"], below_cap = _capped(below)
        if below_cap:
            cap = "; ".join(c for c in (cap, f"descendants: {below_cap}") if c)
    nearest = _nearest_email(store, data["parents"]) if not entity.email else None
    if nearest:
        data["nearest_parent_email"] = nearest
    refs = [entity.ref, *data["parents"], *data["children"], *(m["ref"] for m in shown)]
    refs += [d["ref"] for d in data.get("descendants", [])]
    notes = [n for n in (note, cap) if n]
    return ToolResult(
        data=data, refs=list(dict.fromkeys(refs)), note="; ".join(notes) or None, source=_source(store, entity)
    )


def _nearest_email(store: CatalogStore, ancestors: list[str]) -> dict[str, str] | None:
    """The e-mail of the nearest ancestor group that has one ("if it has none, its parent's")."""
    for parent_ref in ancestors:
        parent_group = store.get(parent_ref, "group")
        if parent_group is not None and parent_group.email:
            return {"ref": parent_group.ref, "email": parent_group.email}
    return None


def _by_lifecycle(store: CatalogStore, refs: list[str]) -> dict[str, dict[str, int]]:
    """Per kind, how many of these entities are in each lifecycle ("is it all experimental?")."""
    counts: dict[str, dict[str, int]] = {}
    for ref in refs:
        lifecycle = store.lifecycle_of(ref)
        if lifecycle:
            of_kind = counts.setdefault(ref.split(":", 1)[0].lower(), {})
            of_kind[lifecycle] = of_kind.get(lifecycle, 0) + 1
    return {kind: dict(sorted(c.items(), key=lambda item: -item[1])) for kind, c in sorted(counts.items())}


def _descendants(store: CatalogStore, group_ref: str, max_depth: int = 8) -> list[dict[str, Any]]:
    """Every group below ``group_ref`` past its direct children, breadth first, each with the group
    it sits under: "the hierarchy under acme-corp" is the whole tree, not one level of it."""
    out: list[dict[str, Any]] = []
    seen = {group_ref.lower()}
    frontier = [group_ref]
    for depth in range(1, max_depth + 1):
        nxt = []
        for parent in frontier:
            for child in store.related(parent, rel.PARENT_OF):
                if child.lower() in seen:
                    continue
                seen.add(child.lower())
                nxt.append(child)
                if depth > 1:
                    group = store.get(child, "group")
                    row = {"ref": child, "parent": parent, "depth": depth}
                    if group is not None and group.type:
                        row["type"] = group.type
                    out.append(row)
        frontier = nxt
    return out


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    """The catalog tools; cheap to build (the catalog loads on first use)."""

    def tool(name: str, description: str, schema: type[BaseModel], func: Any) -> PortalTool:
        return PortalTool(name=name, description=description, args_schema=schema, func=func, family=FAMILY)

    return [
        tool(
            "catalog_get_entity",
            "Look up one software-catalog entity (component, API, resource, system, domain, group, user) "
            "and return its kind, type, lifecycle, owner, description, relations, on-call and key "
            "annotations. Use it for 'what is X' / 'describe X'. Misspelt names are resolved to the "
            "closest entity and the result says so; unknown names fail with suggestions.",
            RefArgs,
            get_entity,
        ),
        tool(
            "catalog_search",
            "Search the software catalog. Filters (kind, type, lifecycle, owner, system, tag) are exact; "
            "'query' is fuzzy over names, titles, descriptions and tags. Use it to list services "
            "('production python services of team-payments') or to find an entity whose exact name you "
            "do not know. Returns refs ranked by score (0-100).",
            SearchArgs,
            search,
        ),
        tool(
            "catalog_owner",
            "Who owns an entity and how to reach them: the owner group (or user) with its e-mail and "
            "members, who is on call right now (primary first), and contact links such as Slack or "
            "PagerDuty. Use it for 'who owns X', 'who is on call for X', 'who do I contact about X'.",
            RefArgs,
            owner,
        ),
        tool(
            "catalog_dependencies",
            "Dependency graph of an entity from spec.dependsOn and API provide/consume relations. "
            "direction='dependencies' lists what it needs; direction='dependents' lists what needs it, "
            "i.e. what breaks if it goes down (use transitive=true for the blast radius). Each item "
            "has its shortest path from the entity and the relations along it.",
            DependencyArgs,
            dependencies,
        ),
        tool(
            "catalog_apis",
            "APIs around an entity. For a component (or a whole system): the APIs it provides (with "
            "their consumers) and consumes (with their providers). For an API: its providers, its "
            "consumers and a summary of its definition (format, title, version, operations).",
            RefArgs,
            apis,
        ),
        tool(
            "catalog_system_contents",
            "What a system or domain contains: for a system its components, APIs and resources; for a "
            "domain its systems (and sub-domains) and how many components, APIs… those hold; how many "
            "parts are in each lifecycle; also the owner and what it is part of. A system that "
            "entities name but no file defines is listed from those entities.",
            RefArgs,
            system_contents,
        ),
        tool(
            "catalog_owned_by",
            "Everything a group owns (components, APIs, resources, systems, domains), or for a user "
            "everything they own directly or through their groups. Use it for 'what does team T own' "
            "and 'what do I own'.",
            OwnedByArgs,
            owned_by,
        ),
        tool(
            "catalog_group_hierarchy",
            "Organisation structure around a group: its parent groups, child groups and every group "
            "below those, members (with e-mails), the group's e-mail (or its nearest parent's) and "
            "on-call; for a user, their groups and the groups above them.",
            RefArgs,
            group_hierarchy,
        ),
    ]
