"""Answers to the cost intents, written only from one cost tool's result.

Every answer states the currency, the period and the source (and the chart, when one was drawn);
each renderer is named by an intent in ``intents.yaml`` and gets the state and the tool's step.
"""

from __future__ import annotations

from typing import Any

from contract.intents import Answer, PlanState, StepResult
from tools.cost.mapping import UNALLOCATED


def money(value: float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    if value and abs(value) < 0.005:  # a real but tiny amount is not "0.00"
        return f"{value:.2g} {currency}"
    return f"{value:,.2f} {currency}"


def _sourced(lines: list[str], step: StepResult) -> Answer:
    """The answer's lines, then where the figures come from; about the refs the tool named."""
    return Answer(
        text="\n".join(lines) + _source_line(step.data, step.result.get("note")), refs=step.result.get("refs", [])
    )


def _source_line(data: dict[str, Any], note: str | None) -> str:
    line = f"\n\nSource: {data.get('source')}."
    if note:
        line += f" Note: {note}"
    chart = data.get("chart")
    if chart:
        line += f"\n\nChart: {chart['png_url']} (SVG: {chart['svg_url']})"
    return line


METRIC_NAMES = {"billed": "BilledCost", "effective": "EffectiveCost", "list": "ListCost"}
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


def _span(period: dict[str, str]) -> str:
    """ " (start to end)" after a period's label, unless the label already is those dates."""
    span = f"{period['start']} to {period['end']}"
    return "" if period.get("label") == span else f" ({span})"


def _rows(count: int | None, joint: str) -> str:
    """A row count as an answer line adds it ("…, 12 billing rows"); nothing when not known."""
    if count is None:
        return ""
    return f"{joint}{count:,} billing row{'' if count == 1 else 's'}"


def breakdown(state: PlanState, step: StepResult) -> Answer:
    d = step.data
    cur = d["currency"]
    label = d["period"]["label"]
    subject = _subject(d.get("filters", {}))
    metric = f" ({METRIC_NAMES[d['metric']]})" if d.get("metric", "billed") != "billed" else ""
    by = f"by {_words(d['by'])} ({d['values']} values)" if d.get("values", 0) > 1 else f"by {_words(d['by'])}"
    lines = [
        f"**{subject}** cost **{money(d['total'], cur)}**{metric} in {label}"
        f"{_span(d['period'])}{_rows(d.get('row_count'), ', ')}, {by}:"
    ]
    if d.get("fallback"):
        count = f" ({d['values']} values)" if d.get("values", 0) > 1 else ""
        lines[0] = lines[0].removesuffix(f", {by}:") + f". {d['fallback']['reason']}{count}:"
    for r in d["rows"]:
        # a share of a net credit (a total at or below zero) means nothing
        share = f"{r['share_pct']}%" if d["total"] > 0 else ""
        count = _rows(r.get("row_count"), ", " if share else "")
        lines.append(f"- {r['key']}: {money(r['cost'], cur)}" + (f" ({share}{count})" if share or count else ""))
        for x in r.get("detail") or []:
            count = _rows(x.get("row_count"), ", ")
            lines.append(f"  - {d['detail_label']} {x['key']}: {money(x['cost'], cur)}{count}")
    if d.get("other"):
        lines.append(
            f"- {d['other']['count']} others: {money(d['other']['cost'], cur)}"
            f"{_rows(d['other'].get('row_count'), ' over ')}"
        )
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
    return _sourced(lines, step)


def explain_day(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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
    return _sourced(lines, step)


def anomalies(state: PlanState, step: StepResult) -> Answer:
    d = step.data
    cur = d["currency"]
    label = d["period"]["label"]
    if not d["count"]:
        text = (
            f"No cost anomalies in {label} ({d['period']['start']} to {d['period']['end']}) for "
            f"{_subject(d.get('filters', {}))}: every day was within its expected range."
        )
        return Answer(text=text + _source_line(d, step.result.get("note")))
    lines = [f"Cost anomalies in {label} ({d['period']['start']} to {d['period']['end']}):"]
    for a in d["anomalies"][:5]:
        lines.append(
            f"- **{a['key']}** {_anomaly(a, cur)}, +{money(a['excess'], cur)}"
            + (f", {a['ratio']}× normal" if a.get("ratio") else "")
        )
    for a in d["anomalies_in_total"][:2]:
        lines.append(f"- total in scope {_anomaly(a, cur)}")
    lines.append(f"\nMethod: {d['method']}.")
    return _sourced(lines, step)


def _anomaly(a: dict, cur: str) -> str:
    """When an anomaly ran, what it cost and what was expected (with the expected range)."""
    span = a["start"] if a["start"] == a["end"] else f"{a['start']} to {a['end']}"
    low, high = a["expected_range"]
    return (
        f"{span}: {money(a['actual'], cur)} vs {money(a['expected'], cur)} expected "
        f"(range {money(low, cur)}–{money(high, cur)})"
    )


def savings(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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
    return _sourced(lines, step)


def forecast(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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
    return _sourced(lines, step)


def trend(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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
    return _sourced(lines, step)


def change(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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
    return _sourced(lines, step)


def showback(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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
    return _sourced(lines, step)


def sources(state: PlanState, step: StepResult) -> Answer:
    d = step.data
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


def commitments(state: PlanState, step: StepResult) -> Answer:
    """Commitment discounts (savings plans, reservations, committed use): the spend they covered at
    BilledCost, EffectiveCost and ListCost and the saving against list price — or, when the data
    holds no commitment discount of the kind asked for, that, with the kinds it does hold."""
    from tools.cost.focus import MISSING

    d = step.data
    cur = d["currency"]
    slots = state.slots
    kind = slots.get("kind")
    types = slots.get("types") or {}
    label = d["period"]["label"]
    span = _span(d["period"])
    held = ", ".join(f"{t} ({_rows(n, '').strip()})" for t, n in types.items())
    if slots.get("missing"):
        lines = [
            f"The billing data holds no {kind} rows: no CommitmentDiscountType value is a {kind}. "
            + (
                f"The commitment discounts it does hold: {held}."
                if held
                else "It holds no commitment discounts at all."
            )
        ]
        return Answer(text="\n".join(lines) + _source_line(d, None), found=False)
    compare = d.get("compare") or {}
    rows = [r for r in d["rows"] if r["key"] != MISSING]
    uncovered = next((r for r in d["rows"] if r["key"] == MISSING), None)
    per = compare.get("rows", {})
    total = dict(compare.get("total") or {})
    count = d.get("row_count") or 0
    if uncovered is not None:  # the rows no commitment discount covers are not part of what they covered
        for metric in ("billed_cost", "effective_cost", "list_cost", "saving_vs_list"):
            total[metric] = round(total.get(metric, 0.0) - per.get(MISSING, {}).get(metric, 0.0), 2)
        count -= uncovered.get("row_count") or 0
    what = f"{kind}s" if kind else "commitment discounts"
    if not rows or count <= 0:
        text = f"No billing rows in {label}{span} are covered by {what}" + (
            f" (the commitment discounts the data holds: {held})." if held else "."
        )
        return Answer(text=text + _source_line(d, step.result.get("note")), found=False)
    lines = [
        f"**{what.capitalize()}** covered {_rows(count, '')} in {label}{span}: "
        f"BilledCost {money(total.get('billed_cost'), cur)}, EffectiveCost {money(total.get('effective_cost'), cur)}, "
        f"ListCost {money(total.get('list_cost'), cur)} — **{money(total.get('saving_vs_list'), cur)} saved** "
        "against list price (ListCost − EffectiveCost).",
        f"By {_words(d['by'])}:",
    ]
    for r in sorted(rows, key=lambda r: -(per.get(r["key"], {}).get("saving_vs_list") or 0.0)):
        f = per.get(r["key"], {})
        lines.append(
            f"- {r['key']}: BilledCost {money(f.get('billed_cost', r['cost']), cur)}, EffectiveCost "
            f"{money(f.get('effective_cost'), cur)}, ListCost {money(f.get('list_cost'), cur)}, saved "
            f"{money(f.get('saving_vs_list'), cur)}{_rows(r.get('row_count'), ', ')}"
        )
    if d.get("other"):
        lines.append(f"- {d['other']['count']} others: BilledCost {money(d['other']['cost'], cur)}")
    if uncovered is not None:  # (after the list, a paragraph of its own, not the last item's continuation)
        lines.append(
            f"\nNot covered by any commitment discount: BilledCost {money(uncovered['cost'], cur)}"
            f"{_rows(uncovered.get('row_count'), ' over ')}."
        )
    if total.get("effective_cost") == 0 and (total.get("list_cost") or 0) > 0:
        lines.append(
            "\nThe covered rows' EffectiveCost is 0: this export does not spread the commitments' own cost "
            "over them, so the saving is their list price, not a net saving."
        )
    return _sourced(lines, step)
