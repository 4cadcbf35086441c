"""Offline-planner intents for cost questions.

Each intent fills its slots from the utterance (catalog mentions, the period, a day, a dimension)
and calls one cost tool; the answer is composed only from the tool's result and always states
the currency, the period and the source.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agent.planner.intents import Answer, CallTools, Intent, PlanState, Step, ToolCallSpec
from tools.cost.mapping import UNALLOCATED

if TYPE_CHECKING:
    from agent.runtime import Runtime

FAMILY = "cost"
MENTION_KINDS = ["component", "resource", "system", "group"]
DIMENSION_WORDS = [
    (r"\bproviders?\b|\bclouds?\b|\bvendors?\b", "provider"),
    (r"\bregions?\b", "region"),
    (r"\b(service )?categor(y|ies)\b", "service_category"),
    (r"\benvironments?\b|\benvs?\b|\bprod vs staging\b", "environment"),
    (r"\baccounts?\b|\bsubscriptions?\b", "account"),
    (r"\b(aws|cloud) services?\b|\bproducts?\b", "cloud_service"),
    (r"\bsystems?\b", "system"),
    (r"\bteams?\b|\bsquads?\b", "team"),
    (r"\bservices?\b|\bcomponents?\b|\bworkloads?\b|\bapps?\b|\bentit(y|ies)\b", "entity"),
]


def money(value: float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.2f} {currency}"


# --- slot helpers -------------------------------------------------------------------------------
def _mentions(state: PlanState) -> list[Any]:
    try:
        return state.runtime.catalog.find_mentions(state.utterance, kinds=MENTION_KINDS)
    except Exception:
        return []


def _filters(state: PlanState, *, allow_focus: bool = True) -> dict[str, str]:
    """Entity/team/system filters from the mentions, "my team", or the conversation's focus."""
    out: dict[str, str] = {}
    for m in _mentions(state):
        kind, _, name = m.ref.partition(":")
        name = name.split("/")[-1]
        if kind == "group" and "team" not in out:
            out["team"] = name
        elif kind == "system" and "system" not in out:
            out["system"] = name
        elif kind in ("component", "resource") and "entity" not in out:
            out["entity"] = name
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
    env = re.search(r"\b(prod|production|staging)\b", text)
    if env:
        out["environment"] = "prod" if env.group(1).startswith("prod") else "staging"
    provider = re.search(r"\b(aws|clickhouse|azure|gcp|google cloud|oracle|microsoft)\b", text)
    if provider and not re.search(r"\bby (provider|cloud)\b", text):
        out["provider"] = {
            "gcp": "Google Cloud",
            "google cloud": "Google Cloud",
            "aws": "AWS",
            "clickhouse": "ClickHouse",
            "azure": "Microsoft",
            "microsoft": "Microsoft",
            "oracle": "Oracle",
        }[provider.group(1)]
    return out


def _has_period(state: PlanState) -> bool:
    from tools.cost.engine import engine_for
    from tools.cost.periods import parse_period

    try:
        today = engine_for(state.runtime).today()
    except Exception:
        return False
    return parse_period(state.utterance, today) is not None


def _period_arg(state: PlanState, default: str) -> str:
    """The utterance itself when it names a period (the tool's parser finds it), else the default."""
    return state.utterance if _has_period(state) else default


def _dimension(state: PlanState, filters: dict[str, str], default: str = "entity") -> str:
    text = state.text
    m = re.search(r"\b(?:by|per|each|which|what|across|top|most expensive|biggest)\b(.{0,40})", text)
    scope = m.group(1) if m else text
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


def _subject(filters: dict[str, Any]) -> str:
    parts = [filters[k] for k in ("entity", "team", "system") if filters.get(k)]
    extra = [f"{k}={filters[k]}" for k in ("environment", "provider", "service_category", "region") if filters.get(k)]
    if not parts:
        return f"all spend with {', '.join(extra)}" if extra else "the whole bill"
    return " / ".join(parts) + (f" ({', '.join(extra)})" if extra else "")


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
    lines = [
        f"**{subject}** cost **{money(d['total'], cur)}** in {label} "
        f"({d['period']['start']} to {d['period']['end']}), by {d['by'].replace('_', ' ')}:"
    ]
    for r in d["rows"]:
        lines.append(f"- {r['key']}: {money(r['cost'], cur)} ({r['share_pct']}%)")
    if d.get("other"):
        lines.append(f"- {d['other']['count']} others: {money(d['other']['cost'], cur)}")
    un = d.get("unallocated") or {}
    if un.get("cost"):
        reasons = "; ".join(f"{k}: {money(v, cur)}" for k, v in (un.get("reasons") or {}).items())
        unknown = ", ".join(f"{k} ({money(v, cur)})" for k, v in (un.get("unknown_tag_values") or {}).items())
        lines.append(
            f"\nUnallocated (not mapped to the catalog): {money(un['cost'], cur)}"
            + (f" ({reasons})" if reasons else "")
            + "."
            + (f" Tag values the catalog does not know: {unknown}." if unknown else "")
        )
    if d["total"] == 0:
        lines = [f"No spend found for {subject} in {label}."]
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_entity_cost(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    if not any(k in filters for k in ("entity", "team", "system", "provider", "environment")):
        return None
    by = "service_category" if "entity" in filters else "entity"
    if re.search(r"\bby\b|\bper\b", state.text):
        by = _dimension(state, filters, by)
    return {"args": {"period": _period_arg(state, "last month"), "by": by, **filters}}


def _extract_breakdown(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state, allow_focus=False)
    by = _dimension(state, filters)
    if by == "entity" and "entity" in filters:
        by = "service_category"
    top = re.search(r"\btop (\d+)\b", state.text)
    args: dict[str, Any] = {"period": _period_arg(state, "last month"), "by": by, **filters}
    if top:
        args["top"] = min(50, int(top.group(1)))
    return {"args": args}


def _extract_day(state: PlanState) -> dict[str, Any] | None:
    from tools.cost.engine import engine_for
    from tools.cost.periods import parse_day, parse_period

    today = engine_for(state.runtime).today()
    day = parse_day(state.utterance, today)
    if day is None:
        p = parse_period(state.utterance, today)
        if p is None or p.days != 1:
            return None
        day = p.start
    filters = _filters(state, allow_focus=False)
    return {"args": {"day": day.isoformat(), **{k: v for k, v in filters.items() if k != "environment"}}}


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
    return {
        "args": {
            "period": _period_arg(state, "the last 30 days"),
            "by": by,
            **{k: v for k, v in filters.items() if k != "environment"},
        }
    }


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
    return {"args": {"horizon": horizon, **filters}}


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
    return {"args": {"period": _period_arg(state, "the last 30 days"), **filters}}


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


def _extract_change(state: PlanState) -> dict[str, Any] | None:
    filters = _filters(state)
    text = state.text
    args: dict[str, Any] = {**filters, "by": _dimension(state, filters)}
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
        args["period"] = _period_arg(state, "last month")
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
    if d.get("length_note"):
        lines.append(f"(Periods differ in length: {d['length_note']}.)")
    if d["top_movers"]:
        lines.append(f"Top movers by {d['by'].replace('_', ' ')}:")
        for m in d["top_movers"]:
            p = f" ({m['change_pct']:+.1f}%)" if m.get("change_pct") is not None else " (new)"
            lines.append(
                f"- {m['key']}: {money(m['previous'], cur)} → {money(m['current'], cur)}, "
                f"{'+' if m['change'] >= 0 else ''}{money(m['change'], cur)}{p}"
            )
    return Answer(text="\n".join(lines) + _source_line(d, result.get("note")), refs=result.get("refs", []))


def _extract_showback(state: PlanState) -> dict[str, Any] | None:
    return {"args": {"period": _period_arg(state, "last month")}}


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
    if f["rejected_files"]:
        lines.append("- rejected files: " + "; ".join(f["rejected_files"]))
    return Answer(text="\n".join(lines))


def cost_intents(runtime: Runtime) -> list[Intent]:
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
            ],
            _extract_entity_cost,
            _plan_breakdown,
            [
                r"\b(what|how much)\b.*\b(cost|costs|costing|spend|spent|spending|bill|burn|burned|burnt|pay|paid|"
                r"charged)\b",
                r"\bcost of\b",
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
            ],
            _extract_trend,
            _plan_trend,
            [r"\btrend", r"\bdaily\b", r"\bper day\b", r"\bchart\b", r"\bgraph\b", r"\bplot\b", r"\bover time\b"],
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
            lambda s: {},
            _plan_sources,
            [r"\b(billing|cost) (data|sources?|exports?)\b", r"\bfocus (export|file)s?\b", r"\bopencost\b"],
            ("cost_sources",),
        ),
    ]
