"""Offline-planner intents for cost questions.

Each intent fills its slots from the utterance (catalog mentions, the period, a day, a dimension)
and calls one cost tool; the answer is composed only from the tool's result and always states
the currency, the period and the source.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from contract.intents import Answer, CallTools, Intent, PlanState, Step, ToolCallSpec
from tools.cost.mapping import UNALLOCATED

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


def money(value: float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    if value and abs(value) < 0.005:  # a real but tiny amount is not "0.00"
        return f"{value:.2g} {currency}"
    return f"{value:,.2f} {currency}"


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
# A service determines its provider and category: mentions of those next to it qualify it
# ("Azure Kubernetes Service", "networking ... VPC") and would only empty the result.
IMPLIED_BY_SERVICE = ("provider", "service_category")


def _previous(state: PlanState) -> PlanState | None:
    """The previous question, when this one continues a cost question ("and just the AWS part?")."""
    if not (state.previous_question and (state.previous_intent or "").startswith("cost.")):
        return None
    if not FOLLOW_UP.search(state.text):
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
    for pattern, dim in DIMENSION_WORDS:
        if re.search(pattern, scope):
            if dim == "team" and "team" in filters and not re.search(r"\b(by|per|each|which) teams?\b", text):
                continue
            return dim
    return default


def _first(state: PlanState, tool: str) -> dict[str, Any] | None:
    step = state.result_of(tool)
    return step.result if step is not None else None


def _failed(result: dict[str, Any]) -> Answer | None:
    if not result.get("ok", False):
        return Answer(text=f"I could not get the cost data: {result.get('error')}")
    return None


def _source_line(data: dict[str, Any], note: str | None) -> str:
    line = f"\n\nSource: {data.get('source')}."
    if note:
        line += f" Note: {note}"
    chart = data.get("chart")
    if chart:
        line += f"\n\nChart: {chart['png_url']} (SVG: {chart['svg_url']})"
    return line


METRIC_NAMES = {"billed": "BilledCost", "effective": "EffectiveCost", "list": "ListCost"}
# Filters that name what is being costed; the others qualify it ("environment=prod").
SUBJECT_DIMS = ("entity", "team", "system", "service_name", "account", "resource")


def _words(dim: str) -> str:
    return dim.replace("tag:", "tag ").replace("_", " ")


def _named(value: Any) -> str:
    return " + ".join(value) if isinstance(value, list) else str(value)


def _subject(filters: dict[str, Any]) -> str:
    parts = [_named(filters[k]) for k in SUBJECT_DIMS if filters.get(k)]
    extra = [
        f"excluding {_words(k[4:])}={_named(v)}" if k.startswith("not ") else f"{_words(k)}={_named(v)}"
        for k, v in filters.items()
        if k not in SUBJECT_DIMS and v
    ]
    if not parts:
        return f"all spend with {', '.join(extra)}" if extra else "the whole bill"
    return " / ".join(parts) + (f" ({', '.join(extra)})" if extra else "")


def _scope_lines(d: dict[str, Any], cur: str) -> list[str]:
    """Which tags a figure was read from, when that could matter: several environment tag keys,
    or a tag filter that left out spend whose other tag keys hold the same value."""
    lines = []
    env_keys = {k: v for k, v in (d.get("environment_from_tags") or {}).items() if k != "(not set)"}
    if len(env_keys) > 1:
        split = ", ".join(f"tag {k}: {money(v, cur)}" for k, v in env_keys.items())
        lines.append(f"The environment is read from more than one tag key here ({split}).")
    if elsewhere := d.get("same_value_under_other_tags"):
        also = ", ".join(f"{money(v, cur)} tagged {k}" for k, v in elsewhere.items())
        lines.append(f"Not included (another tag key): {also}.")
    if unset := d.get("not_set_but_tagged"):
        also = ", ".join(f"{money(v, cur)} tagged {k}" for k, v in unset.items())
        lines.append(f"In (not set) (another tag key): {also}.")
    return lines


# --- plans --------------------------------------------------------------------------------------
def _plan_breakdown(state: PlanState) -> Step:
    result = _first(state, "cost_breakdown")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_breakdown", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    label = d["period"]["label"]
    subject = _subject(d.get("filters", {}))
    metric = f" ({METRIC_NAMES[d['metric']]})" if d.get("metric", "billed") != "billed" else ""
    by = f"by {_words(d['by'])} ({d['values']} values)" if d.get("values", 0) > 1 else f"by {_words(d['by'])}"
    lines = [
        f"**{subject}** cost **{money(d['total'], cur)}**{metric} in {label} "
        f"({d['period']['start']} to {d['period']['end']}), {by}:"
    ]
    if d.get("fallback"):
        count = f" ({d['values']} values)" if d.get("values", 0) > 1 else ""
        lines[0] = lines[0].removesuffix(f", {by}:") + f". {d['fallback']['reason']}{count}:"
    for r in d["rows"]:
        lines.append(f"- {r['key']}: {money(r['cost'], cur)} ({r['share_pct']}%)")
    if d.get("other"):
        lines.append(f"- {d['other']['count']} others: {money(d['other']['cost'], cur)}")
    lines += _scope_lines(d, cur)
    un = d.get("unallocated") or {}
    if d.get("fallback"):
        lines.append(f"\nTag keys in the data (ask for cost by any of them): {', '.join(d['tag_keys'])}.")
    elif un.get("cost"):
        reasons = "; ".join(f"{k}: {money(v, cur)}" for k, v in (un.get("reasons") or {}).items())
        unknown = ", ".join(f"{k} ({money(v, cur)})" for k, v in (un.get("unknown_tag_values") or {}).items())
        lines.append(
            f"\nUnallocated (not mapped to the catalog): {money(un['cost'], cur)}"
            + (f" ({reasons})" if reasons else "")
            + "."
            + (f" Tag values the catalog does not know: {unknown}." if unknown else "")
        )
    if not d["rows"]:
        lines = [f"No spend found for {subject} in {label}."]
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _metric_args(state: PlanState) -> dict[str, str]:
    """EffectiveCost or ListCost when the question asks for it; BilledCost (the tool's default) else."""
    if re.search(r"\beffective ?cost|\bamorti[sz]", state.text):
        return {"metric": "effective"}
    if re.search(r"\blist ?(cost|price)|\bat list\b", state.text):
        return {"metric": "list"}
    return {}


def _breakdown_args(state: PlanState, filters: dict[str, Any], by: str) -> dict[str, Any]:
    """Values named for the dimension the answer is broken down by list its rows ("by charge
    category: usage vs credit"), so they are not filters."""
    kept = {k: v for k, v in filters.items() if k not in (by, f"not {by}")}
    return {**_period_args(state), "by": by, **_filter_args(kept), **_metric_args(state)}


def _extract_entity_cost(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    if not filters:
        return None
    by = "service_category" if "entity" in filters else "entity"
    if re.search(r"\bby\b|\bper\b", state.text):
        by = _dimension(state, filters, by)
    return {"args": _breakdown_args(state, filters, by)}


def _extract_breakdown(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state, allow_focus=False)
    by = _dimension(state, filters)
    if by == "entity" and "entity" in filters:
        by = "service_category"
    args = _breakdown_args(state, filters, by)
    if top := re.search(r"\btop (\d+)\b", state.text):
        args["top"] = min(50, int(top.group(1)))
    return {"args": args}


def _extract_day(state: PlanState) -> dict[str, Any] | None:
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


def _plan_explain_day(state: PlanState) -> Step:
    result = _first(state, "cost_explain_day")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_explain_day", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    lo, hi = d["expected_range"]
    verdict = "above" if d["actual"] > hi else "below" if d["actual"] < lo else "within"
    lines = [
        f"On {d['weekday']} {d['day']} {_subject(d.get('filters', {}))} cost **{money(d['actual'], cur)}**, "
        f"{verdict} the expected range {money(lo, cur)}–{money(hi, cur)} (expected {money(d['expected'], cur)}, "
        f"{'+' if d['change_vs_expected'] >= 0 else ''}{money(d['change_vs_expected'], cur)}; "
        f"the day before: {money(d['previous_day'], cur)})."
    ]
    contributors = [c for c in d["top_contributors"] if abs(c["change"]) >= 0.01]
    if contributors:
        lines.append(f"Biggest contributors by {d['by'].replace('_', ' ')} (vs their own expected cost that day):")
        for c in contributors[:5]:
            sign = "+" if c["change"] >= 0 else ""
            lines.append(
                f"- {c['key']}: {money(c['actual'], cur)} vs {money(c['expected'], cur)} expected "
                f"({sign}{money(c['change'], cur)})"
            )
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_anomalies(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state, allow_focus=False)
    by = _dimension(state, filters) if re.search(r"\bby\b|\bper\b", state.text) else "entity"
    filters.pop("environment", None)
    return {"args": {**_period_args(state), "by": by, **_filter_args(filters)}}


def _plan_anomalies(state: PlanState) -> Step:
    result = _first(state, "cost_anomalies")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_anomalies", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    label = d["period"]["label"]
    if not d["count"]:
        text = (
            f"No cost anomalies in {label} ({d['period']['start']} to {d['period']['end']}) for "
            f"{_subject(d.get('filters', {}))}: every day was within its expected range."
        )
        return Answer(text=text + _source_line(d, result.get("note")))
    lines = [f"Cost anomalies in {label} ({d['period']['start']} to {d['period']['end']}):"]
    for a in d["anomalies"][:5]:
        span = a["start"] if a["start"] == a["end"] else f"{a['start']} to {a['end']}"
        lines.append(
            f"- **{a['key']}** {span}: {money(a['actual'], cur)} vs {money(a['expected'], cur)} expected "
            f"(range {money(a['expected_range'][0], cur)}–{money(a['expected_range'][1], cur)}), "
            f"+{money(a['excess'], cur)}" + (f", {a['ratio']}× normal" if a.get("ratio") else "")
        )
    for a in d["anomalies_in_total"][:2]:
        span = a["start"] if a["start"] == a["end"] else f"{a['start']} to {a['end']}"
        lines.append(
            f"- total in scope {span}: {money(a['actual'], cur)} vs {money(a['expected'], cur)} expected "
            f"(range {money(a['expected_range'][0], cur)}–{money(a['expected_range'][1], cur)})"
        )
    lines.append(f"\nMethod: {d['method']}.")
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_savings(state: PlanState) -> dict[str, Any] | None:
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


def _plan_savings(state: PlanState) -> Step:
    result = _first(state, "cost_rightsizing")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_rightsizing", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    recs = d["recommendations"]
    if not recs:
        scope = ", ".join(f"{k}={v}" for k, v in (state.slots["args"] or {}).items() if k in ("team", "entity"))
        return Answer(
            text=f"I found no over-provisioned Kubernetes workloads{f' for {scope}' if scope else ''} "
            "(every workload uses at least half of its CPU and memory requests) in "
            f"{d['period']['label']}." + _source_line(d, None)
        )
    lines = [
        f"You could save about **{money(d['total_monthly_saving'], cur)} per month** by right-sizing "
        f"{len(recs)} over-provisioned workload(s) (OpenCost, {d['window']}):"
    ]
    for r in recs[:5]:
        cpu, mem = r["cpu"], r["memory"]
        lines.append(
            f"- **{r['entity']}** ({r['namespace']}, {r['team']}): CPU request {cpu['request_cores']} cores, used "
            f"{cpu['usage_cores']} ({round(cpu['efficiency'] * 100)}% efficiency) → {cpu['recommended_cores']}; "
            f"memory {mem['request_gib']} GiB, used {mem['usage_gib']} ({round(mem['efficiency'] * 100)}%) → "
            f"{mem['recommended_gib']} GiB. Saves {money(r['monthly_saving'], cur)}/month of "
            f"{money(r['monthly_cost'], cur)}/month."
        )
    lines.append(f"\nMethod: {d['method']}.")
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_forecast(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    horizon = "quarter" if re.search(r"\bquarter\b|\bq[1-4]\b", state.text) else "month"
    return {"args": {"horizon": horizon, **_filter_args(filters)}}


def _plan_forecast(state: PlanState) -> Step:
    result = _first(state, "cost_forecast")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_forecast", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    f = d["forecast"]
    iv = f["interval"]
    lines = [
        f"Forecast for {_subject(d.get('filters', {}))} for {d['period']['label']} "
        f"(through {f['through']}): **{money(f['total'], cur)}**, "
        f"{round(iv['level'] * 100)}% prediction interval {money(iv['low'], cur)}–{money(iv['high'], cur)}.",
        f"- actual so far (to {d['data_through']}): {money(f['actual_to_date'], cur)}",
        f"- forecast for the remaining days: {money(f['forecast_remaining'], cur)}",
    ]
    if d.get("previous_period"):
        lines.append(f"- {d['previous_period']['label']} for comparison: {money(d['previous_period']['total'], cur)}")
    lines.append(f"\nMethod: {f['method']}.")
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_trend(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    return {"args": {**_period_args(state), **_filter_args(filters)}}


def _plan_trend(state: PlanState) -> Step:
    result = _first(state, "cost_daily")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_daily", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    lines = [
        f"Daily cost of {_subject(d.get('filters', {}))} over {d['period']['label']} "
        f"({d['period']['start']} to {d['period']['end']}): total **{money(d['total'], cur)}**, "
        f"average {money(d['average_per_day'], cur)} per day over {d['days']} days."
    ]
    if d.get("highest"):
        lines.append(
            f"- highest: {d['highest']['day']} at {money(d['highest']['cost'], cur)}; "
            f"lowest: {d['lowest']['day']} at {money(d['lowest']['cost'], cur)}"
        )
    if d.get("trend_pct") is not None:
        lines.append(f"- second half vs first half of the period: {d['trend_pct']:+.1f}%")
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


CHANGE_WORDS = re.compile(
    r"\b(chang|grew|grow|mover|increas|decreas|rise|rose|risen|drop|fell|jump|delta|differen|"
    r"month[- ]over[- ]month|compared|went (up|down)|gone (up|down))"
)


def _extract_change(state: PlanState) -> dict[str, Any] | None:
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


def _plan_change(state: PlanState) -> Step:
    result = _first(state, "cost_change")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_change", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    pct = f" ({d['change_pct']:+.1f}%)" if d.get("change_pct") is not None else ""
    direction = "up" if d["change"] > 0 else "down" if d["change"] < 0 else "flat"
    lines = [
        f"{_subject(d.get('filters', {})).capitalize()} cost **{money(d['current_total'], cur)}** in "
        f"{d['period']['label']} vs {money(d['previous_total'], cur)} in {d['compared_with']['label']}: "
        f"{direction} {money(abs(d['change']), cur)}{pct}."
    ]
    lines += _scope_lines(d, cur)
    if d.get("length_note"):
        lines.append(f"(Periods differ in length: {d['length_note']}.)")
    if d.get("fallback"):
        lines.append(f"{d['fallback']['reason']}.")
    if d["top_movers"]:
        lines.append(f"Top movers by {_words(d['by'])}:")
        for m in d["top_movers"]:
            p = f" ({m['change_pct']:+.1f}%)" if m.get("change_pct") is not None else " (new)"
            lines.append(
                f"- {m['key']}: {money(m['previous'], cur)} → {money(m['current'], cur)}, "
                f"{'+' if m['change'] >= 0 else ''}{money(m['change'], cur)}{p}"
            )
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_showback(state: PlanState) -> dict[str, Any] | None:
    return {"args": _period_args(state)}


def _plan_showback(state: PlanState) -> Step:
    result = _first(state, "cost_showback")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_showback", args=state.slots["args"])])
    if fail := _failed(result):
        return fail
    d = result["data"]
    cur = d["currency"]
    lines = [
        f"Showback for {d['period']['label']} ({d['period']['start']} to {d['period']['end']}): total "
        f"**{money(d['total'], cur)}**.",
        "",
        "| team | cost | share | top spenders |",
        "| --- | --- | --- | --- |",
    ]
    for t in d["teams"]:
        top = (
            ", ".join(f"{x['key']} {money(x['cost'], cur)}" for x in t["top"])
            if t["team"] != UNALLOCATED
            else "; ".join(f"{k}: {money(v, cur)}" for k, v in (d["unallocated"].get("reasons") or {}).items())
        )
        lines.append(f"| {t['team']} | {money(t['cost'], cur)} | {t['share_pct']}% | {top} |")
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_sources(state: PlanState) -> dict[str, Any] | None:
    """About the billing data itself — not an amount asked "across the whole export"."""
    asks_amount = re.search(r"\b(total|how much|cost|costs|spend|spent|billed ?cost|amount)\b", state.text)
    about_data = re.search(r"\b(sources?|loaded|configured|rows?|files?|currenc|how far|range|rejected)", state.text)
    return None if asks_amount and not about_data else {}


def _plan_sources(state: PlanState) -> Step:
    result = _first(state, "cost_sources")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="cost_sources", args={})])
    if fail := _failed(result):
        return fail
    d = result["data"]
    f = d["focus"]
    bad = f["unusable_rows"]
    lines = [
        f"Billing data: {f['source']}, {f['rows']:,} rows from {f['first_day']} to {f['last_day']} "
        f"(currencies: {', '.join(f['currencies'])}), {len(f['files'])} file(s).",
        f"- unusable rows: {bad['unparseable_cost']} with an unparseable cost, "
        f"{bad['unparseable_date']} with an unparseable date",
        f"- OpenCost: {d['opencost'] or 'not configured'}",
        f"- tag keys: entity {', '.join(d['tag_keys']['entity'])}; team {', '.join(d['tag_keys']['team'])}",
    ]
    for key, label in (("providers", "providers"), ("billing_accounts", "billing accounts")):
        if d.get(key):
            lines.append(f"- {label}: {', '.join(d[key])}")
    if d.get("tags_in_data"):
        lines.append(f"- tag keys in the data (cost by any of them): {', '.join(d['tags_in_data'])}")
    if f["rejected_files"]:
        lines.append("- rejected files: " + "; ".join(f["rejected_files"]))
    return Answer(text="\n".join(lines))


def cost_intents(runtime: FamilyRuntime) -> list[Intent]:
    def intent(
        name: str,
        summary: str,
        examples: list[str],
        extract: Any,
        plan: Any,
        patterns: list[str],
        requires: tuple[str, ...],
        priority: float = 0.0,
    ) -> Intent:
        return Intent(
            name=name,
            family=FAMILY,
            summary=summary,
            examples=examples,
            extract=extract,
            plan=plan,
            patterns=patterns,
            requires=requires,
            priority=priority,
        )

    return [
        intent(
            "cost.entity",
            "what a service, team or system cost in a period",
            [
                "what did checkout cost last month",
                "how much did team-payments spend in Q3",
                "how much does the search service cost",
                "what was the cost of orders-db last month",
                "how much did we spend on payments since Monday",
                "cost of the site-search system in the last 30 days",
                "what is api-gateway costing us this month",
                "how much did team-data spend last quarter",
                "what did my team spend last month",
                "what's our AWS spend this quarter",
                "how much is staging costing us",
                "how much money did the cart service burn in September",
                "how much is tagged with project apollo",
            ],
            _extract_entity_cost,
            _plan_breakdown,
            [
                r"\b(what|wat|wht|how much)\b.*\b(cost|costs|costing|spend|spent|spending|bill|burn|burned|burnt|"
                r"pay|paid|charged)\b",
                r"\bcost of\b",
                r"\bhow much\b.*\b(tagged|labell?ed)\b",
            ],
            ("cost_breakdown",),
        ),
        intent(
            "cost.breakdown",
            "cost broken down by service, team, system, provider, region or category",
            [
                "which services cost team-payments the most",
                "what are our most expensive services",
                "break down last month's cost by provider",
                "cost by region last month",
                "top 5 services by spend in October",
                "which team spends the most",
                "spend per service category this month",
                "what is our total cloud bill last month",
                "how much did we spend in total last month",
                "cost by environment in Q3",
                "who are the top spenders",
            ],
            _extract_breakdown,
            _plan_breakdown,
            [
                r"\b(cost|costs|spend|spending|bill)\b.*\bthe most\b",
                r"\bmost expensive\b",
                r"\bbreak ?down\b",
                r"\bbreak (it|this|that|them) down\b",
                r"\b(cost|spend|spending|bill)s? (by|per)\b",
                r"\btop \d+\b",
                r"\b(biggest|top) (spenders|costs)\b",
                r"\bspenders\b",
                r"\btotal (cloud )?(bill|cost|spend)\b",
            ],
            ("cost_breakdown",),
            0.02,
        ),
        intent(
            "cost.explain_day",
            "why the bill jumped on a given day",
            [
                "why did our bill jump on the 12th",
                "what happened to our costs on Nov 8",
                "why was yesterday so expensive",
                "why did spend spike on 2026-11-09",
                "explain the cost increase on the 8th",
                "what drove the cost on Sunday",
                "why did the bill go up on the 10th",
                "why did search costs jump on the 9th",
            ],
            _extract_day,
            _plan_explain_day,
            [r"\b(jump|jumped|spike|spiked|increase|increased|went up|go up|so (high|expensive)|drove)\b"],
            ("cost_explain_day",),
            0.05,
        ),
        intent(
            "cost.anomalies",
            "unusual spend (anomalies) with the expected range",
            [
                "any cost anomalies in the last 30 days",
                "did anything spike in our cloud bill recently",
                "show unusual spend this month",
                "why did our bill jump",
                "are there cost anomalies for team-search",
                "detect abnormal costs in the last two weeks",
                "was there any unexpected spend last month",
                "find cost spikes",
            ],
            _extract_anomalies,
            _plan_anomalies,
            [r"\banomal", r"\bunusual\b", r"\babnormal\b", r"\bunexpected\b", r"\bspikes?\b", r"\bjump\b"],
            ("cost_anomalies",),
        ),
        intent(
            "cost.savings",
            "where to save: rightsizing over-provisioned workloads",
            [
                "where can we save",
                "where can we save money",
                "which workloads are over-provisioned",
                "rightsizing recommendations",
                "how can team-catalog cut its cloud costs",
                "what is wasting money in the cluster",
                "show idle resources we could downsize",
                "how can we reduce our kubernetes spend",
                "any savings opportunities",
            ],
            _extract_savings,
            _plan_savings,
            [
                r"\bsave\b",
                r"\bsavings?\b",
                r"right-?siz",
                r"over-?provision",
                r"\bwast",
                r"\bdownsiz",
                r"\b(cut|reduce|lower)\b.*\b(cost|costs|spend|bill)\b",
            ],
            ("cost_rightsizing",),
            0.05,
        ),
        intent(
            "cost.forecast",
            "forecast to the end of the month or quarter with an interval",
            [
                "what will we spend this month",
                "forecast our cloud bill to the end of the quarter",
                "projected cost for search this month",
                "how much will team-payments cost by the end of the month",
                "predict this month's bill",
                "are we on track for the month",
                "end of quarter cost forecast",
                "what will the bill be at month end",
            ],
            _extract_forecast,
            _plan_forecast,
            [
                r"\bforecast",
                r"\bproject(ed|ion)\b",
                r"\bpredict",
                r"\bon track\b",
                r"\bend of (the )?(month|quarter)\b",
                r"\bwill\b.*\b(spend|cost|bill)\b",
                r"\bmonth[- ]end\b",
            ],
            ("cost_forecast",),
            0.05,
        ),
        intent(
            "cost.trend",
            "daily cost trend and chart",
            [
                "show the daily cost trend for search over the last 30 days",
                "chart our spend since Monday",
                "plot checkout's daily cost this month",
                "daily costs for team-data in October",
                "how has api-gateway's cost trended",
                "graph of cloud spend over the last 60 days",
                "cost per day last week",
                "show me the cost trend",
                "which day had the highest spend in October",
                "what was our most expensive day last month",
            ],
            _extract_trend,
            _plan_trend,
            [
                r"\btrend",
                r"\bdaily\b",
                r"\bper day\b",
                r"\bchart\b",
                r"\bgraph\b",
                r"\bplot\b",
                r"\bover time\b",
                r"\b(which|what) (day|date)\b.*\b(most|highest|lowest|least|peak|cost|spend|bill)",
                r"\b(most expensive|cheapest|peak|busiest) day\b",
            ],
            ("cost_daily",),
        ),
        intent(
            "cost.change",
            "period-over-period change and top movers",
            [
                "how did costs change compared to last month",
                "what grew the most last month",
                "top cost movers this month",
                "month over month change for team-search",
                "which services increased their spend the most in October",
                "how did our bill change in Q3 vs Q2",
                "cost change by team last month",
                "what changed in our cloud spend",
            ],
            _extract_change,
            _plan_change,
            [
                r"\bchang",
                r"\bgrew\b",
                r"\bgrowth\b",
                r"\bmovers?\b",
                r"\bmonth[- ]over[- ]month\b",
                r"\bcompared\b",
                r"\bincreased\b",
                r"\bdecreased\b",
                r"\bvs\.?\b",
                r"\bversus\b",
            ],
            ("cost_change",),
        ),
        intent(
            "cost.showback",
            "showback: cost per team",
            [
                "showback per team",
                "cost per team last month",
                "how much does each team spend",
                "chargeback report for October",
                "team cost report",
                "spend by team this quarter",
                "show me the showback",
                "split the bill by team",
            ],
            _extract_showback,
            _plan_showback,
            [r"\bshowback\b", r"\bchargeback\b", r"\b(per|each|by) team\b"],
            ("cost_showback",),
            0.03,
        ),
        intent(
            "cost.sources",
            "which billing data is loaded",
            [
                "which billing data do you have",
                "what cost sources are loaded",
                "which focus exports are configured",
                "how far back does the cost data go",
                "is opencost configured",
                "were any billing rows rejected",
                "what currency is the billing data in",
                "show the cost data sources",
            ],
            _extract_sources,
            _plan_sources,
            [r"\b(billing|cost) (data|sources?|exports?)\b", r"\bfocus (export|file)s?\b", r"\bopencost\b"],
            ("cost_sources",),
        ),
    ]
