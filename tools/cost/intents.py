"""Offline-planner intents for cost questions: the slot extractors named by ``intents.yaml``.

Each intent fills its slots from the utterance (catalog mentions, the period, a day, a dimension)
and calls one cost tool; :mod:`tools.cost.answers` composes the answer from the tool's result only.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from contract.intent_files import load_intents
from contract.intent_plans import UNAVAILABLE
from contract.intents import Intent, PlanState
from tools.cost.focus import DIMENSION_COLUMNS

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

FAMILY = "cost"
MENTION_KINDS = ["component", "resource", "system", "group"]
DIMENSION_WORDS = [
    (r"\bpublishers?\b|\bmarketplace\b|\bthird[- ]part(y|ies)\b", "publisher"),
    (r"\bproviders?\b|\bclouds?\b|\bvendors?\b", "provider"),
    (r"\bregion names?\b", "region_name"),
    (r"\bregions?\b", "region"),
    (r"\bcharge (categor(y|ies)|types?)\b", "charge_category"),
    (r"\bcharge descriptions?\b|\bwhat (they|it) (were|was) for\b", "charge_description"),
    (r"\bcharge frequenc(y|ies)\b|\brecurring\b", "charge_frequency"),
    (
        r"\bcommitment discount (types?|kinds?)\b|\bcommitment discounts?\b(?! categor)|\bsavings plans?\b"
        r"|\breserved instances?\b",
        "commitment_discount_type",
    ),
    (r"\bcommitment discount categor(y|ies)\b", "commitment_discount_category"),
    (r"\bbilling periods?\b|\binvoice months?\b", "billing_period"),
    (r"\bskus?\b", "sku"),
    (r"\b(sub-?)?account ids?\b", "account_id"),
    (r"\bpricing (categor(y|ies)|models?)\b", "pricing_category"),
    (r"\bresource types?\b", "resource_type"),
    (r"\bavailability zones?\b|\bazs?\b", "availability_zone"),
    (r"\bbilling accounts?\b", "billing_account"),
    (r"\binvoice issuers?\b|\binvoic(ed|ing) (by|entit(y|ies))\b", "invoice_issuer"),
    (r"\bresources?\b", "resource"),
    (r"\b(service )?categor(y|ies)\b", "service_category"),
    (r"\benvironments?\b|\benvs?\b|\bprod vs staging\b", "environment"),
    (r"\b(sub-?)?accounts?\b|\bsubscriptions?\b", "account"),
    (r"\b(aws|azure|gcp|oracle|cloud) services?\b|\bservice names?\b|\bproducts?\b", "service_name"),
    (r"\bsystems?\b", "system"),
    (r"\bteams?\b|\bsquads?\b", "team"),
    (r"\bservices?\b|\bcomponents?\b|\bworkloads?\b|\bapps?\b|\bentit(y|ies)\b", "entity"),
]


def _column_words() -> list[tuple[str, str]]:
    """A FOCUS column named as written ("SubAccountIds", "ChargeDescription") names its dimension:
    the dimension it is read from first, so SubAccountId is ``account_id``, not ``account``."""
    owner: dict[str, str] = {}
    for rank in (0, 1):
        for dim, cols in DIMENSION_COLUMNS.items():
            if len(cols) > rank:
                owner.setdefault(cols[rank].lower(), dim)
    return [(rf"\b{_plural(col)}\b", dim) for col, dim in owner.items()]


def _plural(word: str) -> str:
    """A pattern for ``word`` and its plural ("servicecategory", "servicecategories")."""
    if word.endswith("y"):
        return f"{re.escape(word[:-1])}(?:y|ies)"
    return f"{re.escape(word)}s?"


# Words that name a dimension wherever they stand in a question ("Are we using any commitment
# discounts? What type?"), unlike "service" or "team", which name one only after "by", "which" ….
COLUMN_WORDS = _column_words()
STRONG_DIMENSION_WORDS = [
    *COLUMN_WORDS,
    (r"\bcommitment discounts?\b(?! categor)", "commitment_discount_type"),
    (r"\bbilling periods?\b|\binvoice (months?|periods?)\b", "billing_period"),
    (r"\bcharge descriptions?\b", "charge_description"),
]
# "what were they for": the answer says what the charges were, from their ChargeDescription.
# Not "what is the cost for checkout": that asks for a figure.
WHAT_FOR = re.compile(
    r"\bwhat (?:were|was|are|is) (?:(?:they|it|these|those|that|this)(?: \w+)?"
    r"|the (?:charges?|credits?|fees?|adjustments?|refunds?|rows?|items?|line items?)) for\b|\bwhat for\b"
)
# Rows that carry no tag at all (not "unallocated": rows whose tags name no catalog entity).
UNTAGGED = re.compile(r"\b(?:untagged|no tags?|without (?:any )?tags?|not tagged|zero tags|missing all tags)\b")
# A period named only as the one to look beyond ("a billing period other than September 2024").
CONTRAST_PERIOD = re.compile(r"\b(?:other than|besides|except(?: for)?|outside(?: of)?|apart from|beyond|not in)\s+\w+")
# Questions about the data's values themselves ("how many distinct SubAccountIds are there?").
ABOUT_THE_DATA = re.compile(
    r"\bhow many (?:distinct|different|unique)\b|\b(?:in|across) the (?:whole )?(?:data|export|billing data|file)\b"
)


# Commitment discounts by the names people give them: FOCUS CommitmentDiscountType values hold the
# provider's name for each kind ("Savings Plan", "Reserved Instance", "Reservation", "Committed Use
# Discount"); a generic word ("commitments", "commitment discounts") asks about all of them.
# Not "PricingCategory Committed": that names a FOCUS value a breakdown filters on.
COMMITMENT_KINDS = {
    "savings plan": (re.compile(r"\bsavings? ?plans?\b"), re.compile(r"savings? ?plan")),
    "reserved instance": (
        re.compile(r"\breserved (?:instances?|capacity|nodes?)\b|\breservations?\b"),
        re.compile(r"reserv"),
    ),
    "committed use discount": (re.compile(r"\bcommitted[- ]use\b|\bcuds?\b"), re.compile(r"committed use|\bcud\b")),
}
COMMITMENTS = (
    r"\bsavings? ?plans?\b|\breserved (?:instances?|capacity|nodes?)\b|\breservations?\b|\bcommitted[- ]use\b"
    r"|\bCUDs?\b|\bcommitments?\b|\bcommitment discounts?\b"
)
# "which charges were covered by a savings plan": the covered charges, by what they were for.
WHICH_CHARGES = re.compile(r"\b(?:which|what) (?:charges?|usage|line items?|rows?|costs?)\b")


# --- slot helpers -------------------------------------------------------------------------------
def _mentions(state: PlanState) -> list[Any]:
    try:
        return state.runtime.catalog.find_mentions(state.utterance, kinds=MENTION_KINDS)
    except Exception:
        return []


def _billing(state: PlanState) -> tuple[Any, Any] | None:
    """The cost engine and the data's vocabulary, or None when no billing data can be read."""
    from tools.cost.engine import engine_for

    try:
        engine = engine_for(state.runtime)
        return engine, engine.vocabulary
    except Exception:
        return None


def _tag_keys(state: PlanState) -> tuple[list[str], list[str]]:
    """The tag keys a question may name directly, and the environment tag keys."""
    from tools.cost.mentions import eligible_tag_keys

    billing = _billing(state)
    if billing is None:
        return [], []
    engine, vocabulary = billing
    mapper = engine.mapper
    mapping_keys = {*mapper.entity_keys, *mapper.team_keys, "system"}
    return eligible_tag_keys(vocabulary, mapping_keys, mapper.env_keys), mapper.env_keys


FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about|just|only|same|now)\b")
# "… and what's their total BilledCost?": a pronoun for what the previous cost question was about.
REFERS_BACK = re.compile(r"\b(?:their|them|those|these|they)\b")
# A service determines its provider and category: mentions of those next to it qualify it
# ("Azure Kubernetes Service", "networking ... VPC") and would only empty the result.
IMPLIED_BY_SERVICE = ("provider", "service_category")


def _previous(state: PlanState) -> PlanState | None:
    """The previous question, when this one continues a cost question ("and just the AWS part?")."""
    if not (state.previous_question and (state.previous_intent or "").startswith("cost.")):
        return None
    if not (FOLLOW_UP.search(state.text) or REFERS_BACK.search(state.text)):
        return None
    return PlanState(utterance=state.previous_question, principal=state.principal, runtime=state.runtime)


def _filters(state: PlanState, *, allow_focus: bool = True) -> dict[str, Any]:
    """Filters (dimension → value, several values as a list, ``not <dimension>`` for values to
    leave out) from the catalog mentions, "my team", the conversation's focus, the billing data's
    own values (services, regions, accounts, tag keys and values), and — for a follow-up — the
    previous question's filters under this one's."""
    from tools.cost.mentions import focus_mentions, tag_mentions

    previous = _previous(state)
    out: dict[str, Any] = {}
    taken: list[tuple[int, int]] = []
    for m in _mentions(state):
        kind, _, name = m.ref.partition(":")
        name = name.split("/")[-1]
        dim = {"group": "team", "system": "system", "component": "entity", "resource": "entity"}.get(kind)
        if dim and dim not in out:
            out[dim] = name
            taken.append((m.start, m.end))
    text = state.text
    if "team" not in out and re.search(r"\b(my|our) (team|squad)\b", text) and state.principal.groups:
        out["team"] = state.principal.groups[0].split("/")[-1]
    if not out and allow_focus and re.search(r"\b(it|its|that|this one|them|their)\b", text) and state.focus:
        kind, _, name = state.focus[0].partition(":")
        name = name.split("/")[-1]
        if kind == "group":
            out["team"] = name
        elif kind == "system":
            out["system"] = name
        elif kind in ("component", "resource"):
            out["entity"] = name
    billing = _billing(state)
    if billing is not None:
        keys, env_keys = _tag_keys(state)
        found = focus_mentions(text, billing[1], taken) + tag_mentions(text, billing[1], keys, env_keys, taken)
        if any(m.dim == "service_name" and not m.negated for m in found):
            found = [m for m in found if m.dim not in IMPLIED_BY_SERVICE]
        grouped: dict[str, list[str]] = {}
        for m in found:
            grouped.setdefault(f"not {m.dim}" if m.negated else m.dim, []).append(m.value)
        out.update({k: v[0] if len(v) == 1 else v for k, v in grouped.items()})
    env = re.search(r"\b(prod|production|staging)\b", text)
    env_tagged = billing is not None and any(k.removeprefix("tag:") in billing[0].mapper.env_keys for k in out)
    if env and not env_tagged:
        out["environment"] = "prod" if env.group(1).startswith("prod") else "staging"
    provider = re.search(r"\b(aws|clickhouse|azure|gcp|google cloud|oracle|microsoft)\b", text)
    if provider and not {"provider", "service_name"} & set(out) and not re.search(r"\bby (provider|cloud)\b", text):
        out["provider"] = {
            "gcp": "Google Cloud",
            "google cloud": "Google Cloud",
            "aws": "AWS",
            "clickhouse": "ClickHouse",
            "azure": "Microsoft",
            "microsoft": "Microsoft",
            "oracle": "Oracle",
        }[provider.group(1)]
    if previous is not None:
        out = _follow_up(_filters(previous, allow_focus=False), out, billing[1] if billing else None)
    return out


def _follow_up(before: dict[str, Any], now: dict[str, Any], vocabulary: Any) -> dict[str, Any]:
    """The previous question's filters with this one's on top. A value of a dimension the previous
    question filtered on replaces that filter, however this question names it ("… in dev?" then
    "what about prod?" keeps the tag key the first one used)."""
    merged = dict(before)
    for key, value in now.items():
        home = _home(value, before, vocabulary) if isinstance(value, str) else None
        merged[home or key] = value
    return merged


def _home(value: str, before: dict[str, Any], vocabulary: Any) -> str | None:
    """The dimension, among those the previous question filtered on, whose values include ``value``."""
    if vocabulary is None:
        return None
    return next((k for k in before if any(v.lower() == value.lower() for v in vocabulary.values(k))), None)


TOOL_FILTERS = ("entity", "team", "system", "environment", "provider", "service_name", "service_category", "region")


def _filter_args(filters: dict[str, Any]) -> dict[str, Any]:
    """Filters as tool arguments: single values of the common ones by name, the rest under
    ``where``, values to leave out under ``exclude``."""
    args: dict[str, Any] = {}
    where: dict[str, Any] = {}
    exclude: dict[str, Any] = {}
    for key, value in filters.items():
        if key.startswith("not "):
            exclude[key[4:]] = value
        elif key in TOOL_FILTERS and isinstance(value, str):
            args[key] = value
        else:
            where[key] = value
    if where:
        args["where"] = where
    if exclude:
        args["exclude"] = exclude
    return args


def _has_period(state: PlanState) -> bool:
    from tools.cost.engine import engine_for
    from tools.cost.periods import parse_period

    try:
        today = engine_for(state.runtime).today()
    except Exception:
        return False
    return parse_period(state.utterance, today) is not None


def _period_args(state: PlanState) -> dict[str, str]:
    """The utterance as the period when it names one (the tool's parser finds it), or the previous
    question's for a follow-up; else nothing, so the tool's default applies (last month, or the
    data's latest month for an old export)."""
    if _has_period(state):
        return {"period": state.utterance}
    previous = _previous(state)
    return _period_args(previous) if previous is not None else {}


def _dimension(state: PlanState, filters: dict[str, str], default: str = "entity") -> str:
    """The dimension a breakdown is by: a tag key the question names, else the words for one."""
    from tools.cost.mentions import tag_key_named

    text = state.text
    m = re.search(r"\b(?:by|per|each|which|what|across|top|most expensive|biggest)\b(.{0,40})", text)
    scope = m.group(1) if m else text
    named = tag_key_named(scope, _tag_keys(state)[0])
    if named and f"tag:{named[0]}" not in filters:
        return f"tag:{named[0]}"
    for pattern, dim in COLUMN_WORDS:
        if re.search(pattern, scope) and dim not in filters:
            return dim
    for pattern, dim in DIMENSION_WORDS:
        if re.search(pattern, scope):
            if dim == "team" and "team" in filters and not re.search(r"\b(by|per|each|which) teams?\b", text):
                continue
            return dim
    for pattern, dim in STRONG_DIMENSION_WORDS:
        if re.search(pattern, text) and dim not in filters:
            return dim
    return default


# Filters that name what is being costed; the others qualify it ("environment=prod").
def _metric_args(state: PlanState) -> dict[str, str]:
    """EffectiveCost or ListCost when the question asks for it; BilledCost (the tool's default) else."""
    if re.search(r"\beffective ?cost|\bamorti[sz]", state.text):
        return {"metric": "effective"}
    if re.search(r"\blist ?(cost|price)|\bat list\b", state.text):
        return {"metric": "list"}
    return {}


def _breakdown_args(state: PlanState, filters: dict[str, Any], by: str) -> dict[str, Any]:
    """Values named for the dimension the answer is broken down by list its rows ("by charge
    category: usage vs credit"), so they are not filters. Rows with no tags at all, what the
    charges were for, and — for billing periods — whose charges they are, when the question asks."""
    kept = {k: v for k, v in filters.items() if k not in (by, f"not {by}")}
    args = {**_breakdown_period(state, by), "by": by, **_filter_args(kept), **_metric_args(state)}
    if _asks(state, UNTAGGED):
        args["untagged"] = True
    if WHAT_FOR.search(state.text) and by != "charge_description":
        args["detail"] = "charge_description"
    elif by == "billing_period" and "provider" not in kept:
        args["detail"] = "provider"  # each provider invoices its own periods
    return args


def _asks(state: PlanState, pattern: re.Pattern[str]) -> bool:
    """Whether this question, or the cost question it continues, says ``pattern``."""
    if pattern.search(state.text):
        return True
    previous = _previous(state)
    return previous is not None and _asks(previous, pattern)


def _breakdown_period(state: PlanState, by: str) -> dict[str, str]:
    """The period of a breakdown: the whole data for a question about the data's values ("how many
    distinct …", "any billing period other than September 2024?"), else the one the question names."""
    named = _period_args(state)
    about_data = (not named and ABOUT_THE_DATA.search(state.text)) or (
        by == "billing_period" and (not named or CONTRAST_PERIOD.search(state.text))
    )
    return (_whole_data(state) or named) if about_data else named


def _whole_data(state: PlanState) -> dict[str, str] | None:
    """The billing data's whole date range as a period, or None when it cannot be read."""
    billing = _billing(state)
    if billing is None:
        return None
    first, last = billing[0].dataset.date_range()
    return {"period": f"{first.isoformat()} to {last.isoformat()}"} if first and last else None


def extract_entity_cost(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    if not filters:
        return None
    by = "service_category" if "entity" in filters else "entity"
    if re.search(r"\bby\b|\bper\b", state.text):
        by = _dimension(state, filters, by)
    return {"args": _breakdown_args(state, filters, by)}


def extract_breakdown(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state, allow_focus=False)
    by = _dimension(state, filters)
    if by == "entity" and "entity" in filters:
        by = "service_category"
    args = _breakdown_args(state, filters, by)
    if top := re.search(r"\btop (\d+)\b", state.text):
        args["top"] = min(50, int(top.group(1)))
    return {"args": args}


def extract_day(state: PlanState) -> dict[str, Any] | None:
    from tools.cost.engine import engine_for
    from tools.cost.periods import parse_day, parse_period

    engine = engine_for(state.runtime)
    today, last = engine.today(), engine.dataset.date_range()[1]
    day = parse_day(state.utterance, min(today, last) if last else today)
    if day is None:
        p = parse_period(state.utterance, today, last)
        if p is None or p.days != 1:
            return None
        day = p.start
    filters = _filters(state, allow_focus=False)
    filters.pop("environment", None)
    return {"args": {"day": day.isoformat(), **_filter_args(filters)}}


def extract_anomalies(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state, allow_focus=False)
    by = _dimension(state, filters) if re.search(r"\bby\b|\bper\b", state.text) else "entity"
    filters.pop("environment", None)
    return {"args": {**_period_args(state), "by": by, **_filter_args(filters)}}


def extract_savings(state: PlanState) -> dict[str, Any] | None:
    """Rightsizing needs OpenCost: without it the intent takes no ask but a plain one (one of its
    patterns matched), and that one is answered, without a call, by the line on configuring OpenCost."""
    from tools.cost.tools import needs_opencost, opencost_configured

    if not opencost_configured(state.runtime):
        return {UNAVAILABLE: f"{needs_opencost('Rightsizing')}."} if state.pattern_hit else None
    filters = _filters(state, allow_focus=False)
    args: dict[str, Any] = {}
    if "team" in filters:
        args["team"] = filters["team"]
    common_noun = re.search(r"\b(right-?sizing|saving|savings|cost)\s+recommendations\b", state.text)
    if "entity" in filters and not (filters["entity"] == "recommendations" and common_noun):
        entity = state.runtime.catalog.get(filters["entity"])
        if entity is not None and entity.kind_lower == "component":  # workloads are components
            args["entity"] = filters["entity"]
    if _has_period(state):
        args["window"] = state.utterance
    return {"args": args}


def _commitment_kind(text: str) -> str | None:
    """The kind of commitment discount an ask names ("savings plans"), or None for all of them."""
    return next((kind for kind, (asked, _) in COMMITMENT_KINDS.items() if asked.search(text)), None)


def extract_commitments(state: PlanState) -> dict[str, Any] | None:
    """Commitment discounts: their covered spend at BilledCost, EffectiveCost and ListCost and the saving
    against list price, of the kind the ask names (the data's CommitmentDiscountType values of that
    kind), by type unless the ask says by what. A kind the data does not hold is said so, not replaced."""
    from tools.cost.focus import MISSING

    billing = _billing(state)
    if billing is None:
        return None
    kind = _commitment_kind(state.text)
    types = {v: n for v, n in billing[1].values("commitment_discount_type").items() if v != MISSING}
    matched = [v for v in types if kind is None or COMMITMENT_KINDS[kind][1].search(v.lower())]
    # the commitment's own words name no other filter ("reserved instances" is no ResourceType)
    unnamed = dataclasses.replace(state, utterance=re.sub(COMMITMENTS, " ", state.utterance, flags=re.IGNORECASE))
    filters = {k: v for k, v in _filters(unnamed, allow_focus=False).items() if "commitment_discount" not in k}
    if WHICH_CHARGES.search(state.text):
        by = "charge_description"
    elif (named := _dimension(state, filters, "commitment_discount_type")) == "commitment_discount_category":
        by = named  # "by commitment discount category": Spend or Usage
    else:
        by = _dimension(unnamed, filters, "commitment_discount_type")
        if by == "entity" and not re.search(
            r"\b(?:by|per|which|what)\b.{0,20}\b(?:services?|workloads?|apps?)", state.text
        ):
            by = "commitment_discount_type"
    args = {**_breakdown_args(state, filters, by), "compare": True, "chart": False}  # a chart of BilledCost only
    if kind is not None and matched:
        args.setdefault("where", {})["commitment_discount_type"] = matched[0] if len(matched) == 1 else matched
    elif kind is None and by != "commitment_discount_type":
        args.setdefault("exclude", {})["commitment_discount_type"] = MISSING
    return {"args": args, "kind": kind, "missing": kind is not None and not matched, "types": types}


def extract_forecast(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    horizon = "quarter" if re.search(r"\bquarter\b|\bq[1-4]\b", state.text) else "month"
    return {"args": {"horizon": horizon, **_filter_args(filters)}}


def extract_trend(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    return {"args": {**_period_args(state), **_filter_args(filters)}}


CHANGE_WORDS = re.compile(
    r"\b(chang|grew|grow|mover|increas|decreas|rise|rose|risen|drop|fell|jump|delta|differen|"
    r"month[- ]over[- ]month|compared|went (up|down)|gone (up|down))"
)


def extract_change(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    text = state.text
    if not CHANGE_WORDS.search(text) and re.search(r"\bbreak ?(it )?down\b|\b(by|per) \w+", text):
        return None  # "by charge category (usage vs credit)": "vs" between groups, not periods
    args: dict[str, Any] = {**_filter_args(filters), "by": _dimension(state, filters)}
    if re.search(r"\b(compared (to|with)|vs\.?|versus|than|over|since) last month\b", text) and not re.search(
        r"\b(last month|previous month)\b.*\b(compared|vs|versus|than|over)\b", text
    ):
        from datetime import timedelta

        from tools.cost.engine import engine_for

        today = engine_for(state.runtime).today()
        last_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        same_day = min(today.day, (today.replace(day=1) - timedelta(days=1)).day)
        args.update(
            {
                "period": "this month",
                "compare_to": f"{last_start.isoformat()} to {last_start.replace(day=same_day).isoformat()}",
            }
        )
    else:
        args.update(_period_args(state))
    return {"args": args}


def extract_showback(state: PlanState) -> dict[str, Any] | None:
    return {"args": _period_args(state)}


def extract_sources(state: PlanState) -> dict[str, Any] | None:
    """About the billing data itself — not an amount asked "across the whole export"."""
    if UNTAGGED.search(state.text):
        return None  # rows of one kind (no tags at all) are counted and costed by a breakdown
    asks_amount = re.search(r"\b(total|how much|cost|costs|spend|spent|billed ?cost|amount)\b", state.text)
    about_data = re.search(r"\b(sources?|loaded|configured|rows?|files?|currenc|how far|range|rejected)", state.text)
    return None if asks_amount and not about_data else {}


def build_intents(runtime: FamilyRuntime) -> list[Intent]:
    return load_intents(__name__, runtime)
