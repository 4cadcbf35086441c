"""Relations computed from spec fields in both directions, as Backstage's processors emit them.

``BuiltinKindsEntityProcessor`` emits, for each reference in a spec field, an outgoing relation on
the entity and the inverse relation on the target; the target's kind defaults per field (an
owner is a Group, ``providesApis`` are APIs, ``dependsOn`` has no default kind). We do the same,
plus ``ownedBy`` for scaffolder Templates (as the scaffolder's processor does), and keep whatever
relations an entity already carried (entities from the Backstage API arrive with theirs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tools.catalog.model import Entity, InvalidRefError, Relation, parse_ref

OWNED_BY = "ownedBy"
OWNER_OF = "ownerOf"
PART_OF = "partOf"
HAS_PART = "hasPart"
PROVIDES_API = "providesApi"
API_PROVIDED_BY = "apiProvidedBy"
CONSUMES_API = "consumesApi"
API_CONSUMED_BY = "apiConsumedBy"
DEPENDS_ON = "dependsOn"
DEPENDENCY_OF = "dependencyOf"
CHILD_OF = "childOf"
PARENT_OF = "parentOf"
MEMBER_OF = "memberOf"
HAS_MEMBER = "hasMember"

INVERSE = {
    OWNED_BY: OWNER_OF,
    PART_OF: HAS_PART,
    PROVIDES_API: API_PROVIDED_BY,
    CONSUMES_API: API_CONSUMED_BY,
    DEPENDS_ON: DEPENDENCY_OF,
    CHILD_OF: PARENT_OF,
    MEMBER_OF: HAS_MEMBER,
}
INVERSE.update({v: k for k, v in list(INVERSE.items())})


@dataclass(frozen=True)
class FieldRule:
    """``spec.<field>`` of kind ``kind`` emits ``outgoing`` (and ``incoming`` on the target)."""

    kind: str
    field: str
    default_kind: str | None
    outgoing: str
    incoming: str


# Exactly the table of BuiltinKindsEntityProcessor (plus Domain.subdomainOf of newer versions and
# Template.owner from the scaffolder's processor).
RULES: tuple[FieldRule, ...] = (
    FieldRule("component", "owner", "group", OWNED_BY, OWNER_OF),
    FieldRule("component", "subcomponentOf", "component", PART_OF, HAS_PART),
    FieldRule("component", "providesApis", "api", PROVIDES_API, API_PROVIDED_BY),
    FieldRule("component", "consumesApis", "api", CONSUMES_API, API_CONSUMED_BY),
    FieldRule("component", "dependsOn", None, DEPENDS_ON, DEPENDENCY_OF),
    FieldRule("component", "dependencyOf", None, DEPENDENCY_OF, DEPENDS_ON),
    FieldRule("component", "system", "system", PART_OF, HAS_PART),
    FieldRule("api", "owner", "group", OWNED_BY, OWNER_OF),
    FieldRule("api", "system", "system", PART_OF, HAS_PART),
    FieldRule("resource", "owner", "group", OWNED_BY, OWNER_OF),
    FieldRule("resource", "dependsOn", None, DEPENDS_ON, DEPENDENCY_OF),
    FieldRule("resource", "dependencyOf", None, DEPENDENCY_OF, DEPENDS_ON),
    FieldRule("resource", "system", "system", PART_OF, HAS_PART),
    FieldRule("user", "memberOf", "group", MEMBER_OF, HAS_MEMBER),
    FieldRule("group", "parent", "group", CHILD_OF, PARENT_OF),
    FieldRule("group", "children", "group", PARENT_OF, CHILD_OF),
    FieldRule("group", "members", "user", HAS_MEMBER, MEMBER_OF),
    FieldRule("system", "owner", "group", OWNED_BY, OWNER_OF),
    FieldRule("system", "domain", "domain", PART_OF, HAS_PART),
    FieldRule("domain", "owner", "group", OWNED_BY, OWNER_OF),
    FieldRule("domain", "subdomainOf", "domain", PART_OF, HAS_PART),
    FieldRule("template", "owner", "group", OWNED_BY, OWNER_OF),
)
RULES_BY_KIND: dict[str, list[FieldRule]] = {}
for _rule in RULES:
    RULES_BY_KIND.setdefault(_rule.kind, []).append(_rule)

# Kinds outside the core set (``AiResource`` in Backstage's own examples, a plugin's ``Pipeline``)
# get their relations from their plugin's processor, which emits the same ones for the same common
# fields; without them such an entity would be owned by nobody and part of no system here.
OTHER_KIND = "*"
OTHER_KIND_RULES: tuple[FieldRule, ...] = (
    FieldRule(OTHER_KIND, "owner", "group", OWNED_BY, OWNER_OF),
    FieldRule(OTHER_KIND, "system", "system", PART_OF, HAS_PART),
    FieldRule(OTHER_KIND, "dependsOn", None, DEPENDS_ON, DEPENDENCY_OF),
)
# Kinds with no relation-bearing spec fields of their own: nothing is guessed for them.
NO_RELATION_KINDS = frozenset({"location"})


def rules_for(kind: str) -> tuple[FieldRule, ...] | list[FieldRule]:
    """The field rules of a kind: the built-in table, or the common fields for another kind."""
    kind = kind.lower()
    if kind in RULES_BY_KIND:
        return RULES_BY_KIND[kind]
    return () if kind in NO_RELATION_KINDS else OTHER_KIND_RULES


def _spec_value(spec: dict[str, object], field: str) -> tuple[str, object]:
    """``spec[field]``, or a key spelt with other capitals (``subComponentOf``), which real
    catalogs write and which is read here as the field it plainly means; ``(key, value)``."""
    if field in spec:
        return field, spec[field]
    lowered = field.lower()
    for key, value in spec.items():
        if isinstance(key, str) and key.lower() == lowered:
            return key, value
    return field, None


# Where Backstage has no default kind we still resolve a bare name (so the catalog stays useful),
# but the validator warns about it: Backstage itself would reject the reference.
FALLBACK_KIND = "component"


@dataclass(frozen=True)
class RefProblem:
    entity_ref: str
    field: str
    value: object
    reason: str


def spec_refs(entity: Entity) -> Iterable[tuple[FieldRule, str, str | None]]:
    """(rule, target ref, problem) for each reference in the entity's relation-bearing spec fields."""
    for rule in rules_for(entity.kind_lower):
        key, raw = _spec_value(entity.spec, rule.field)
        if raw is None:
            continue
        spelling = (
            f"spec.{key} read as spec.{rule.field} (Backstage reads only that spelling and ignores this one)"
            if key != rule.field
            else None
        )
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            if not isinstance(value, str) or not value.strip():
                yield rule, "", f"spec.{rule.field} entry {value!r} is not a non-empty string"
                continue
            problem = spelling
            try:
                target = parse_ref(value, rule.default_kind, entity.namespace)
            except InvalidRefError as exc:
                if rule.default_kind is None:
                    try:
                        target = parse_ref(value, FALLBACK_KIND, entity.namespace)
                    except InvalidRefError:
                        yield rule, "", f"spec.{rule.field}: {exc}"
                        continue
                    problem = "; ".join(p for p in (spelling, f"spec.{rule.field}: {exc}; assumed {target}") if p)
                else:
                    yield rule, "", f"spec.{rule.field}: {exc}"
                    continue
            yield rule, str(target), problem


def compute_relations(entities: Iterable[Entity]) -> tuple[dict[str, list[Relation]], list[RefProblem]]:
    """All relations keyed by lower-cased source ref, in both directions, de-duplicated.

    Relations whose source is not in the catalog (e.g. ``ownerOf`` from a group that does not
    exist) are kept too, like Backstage's relations table; the store only attaches relations to
    entities it has.
    """
    out: dict[str, dict[tuple[str, str], Relation]] = {}
    problems: list[RefProblem] = []

    def add(source: str, type_: str, target: str) -> None:
        bucket = out.setdefault(source.lower(), {})
        key = (type_, target.lower())
        if key not in bucket:
            bucket[key] = Relation.model_construct(type=type_, target_ref=target)  # validated inputs

    for entity in entities:
        self_ref = entity.ref
        for existing in entity.relations:  # e.g. from the Backstage API, or custom processors
            add(self_ref, existing.type, existing.target_ref)
        for rule, target, problem in spec_refs(entity):
            if problem:
                problems.append(RefProblem(self_ref, rule.field, entity.spec.get(rule.field), problem))
            if not target:
                continue
            add(self_ref, rule.outgoing, target)
            add(target, rule.incoming, self_ref)
    return {src: list(rels.values()) for src, rels in out.items()}, problems


def attach_relations(entities: list[Entity]) -> list[RefProblem]:
    """Compute relations and set ``entity.relations`` on every entity; returns reference problems."""
    relations, problems = compute_relations(entities)
    for entity in entities:
        entity.relations = relations.get(entity.key, [])
    return problems
