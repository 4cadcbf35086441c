"""Questions about the bill's own values: row counts, rows with no tags, what charges were for, the
billing periods a bill holds, distinct values of a FOCUS column, one provider's side of the bill.

Every expected figure is computed here from the FinOps Foundation sample with the csv module, json
and Decimal — never with the engine or DuckDB.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.support.cost import ask, focus_runtime, focus_sample, focus_sample_rows

SEPTEMBER = "2024-09-01 to 2024-09-30"


def _sum(rows) -> Decimal:
    return sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))


def _untagged(row: dict[str, str]) -> bool:
    """No tag at all: no tag text, or a tag object whose every value is empty or null."""
    text = row["Tags"].strip()
    if text in ("", "NULL", "null", "Null"):
        return True
    return not any(v not in (None, "") for v in json.loads(text).values())


def _usd(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,} USD"


def _month(text: str) -> str:
    return text[:7]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return focus_runtime(tmp_path_factory.mktemp("bill-values"), focus_sample())


def _breakdown(sample, **args):
    runtime, ctx = sample
    result = runtime.tools["cost_breakdown"].run({"chart": False, **args}, ctx)
    assert result.ok, result.error
    return result.data


# --- the tool ---------------------------------------------------------------------------------
def test_a_breakdown_counts_the_billing_rows_of_the_total_and_of_each_row(sample):
    rows = focus_sample_rows()
    d = _breakdown(sample, period=SEPTEMBER, by="provider")
    assert d["row_count"] == len(rows) == 1000
    counts = Counter(r["ProviderName"] for r in rows)
    assert {r["key"]: r["row_count"] for r in d["rows"]} == dict(counts)


def test_rows_with_no_tags_at_all_are_a_filter_and_so_are_their_opposite(sample):
    rows = focus_sample_rows()
    untagged = [r for r in rows if _untagged(r)]
    tagged = [r for r in rows if not _untagged(r)]
    d = _breakdown(sample, period=SEPTEMBER, by="service_name", untagged=True, top=50)
    assert d["row_count"] == len(untagged) == 289
    assert d["total"] == pytest.approx(float(_sum(untagged)), abs=0.005)  # -1.70: the credit has no tags
    assert d["filters"] == {"tags": "none at all"}
    per_service: dict[str, Decimal] = defaultdict(Decimal)
    for r in untagged:
        per_service[r["ServiceName"]] += Decimal(r["BilledCost"])
    assert {r["key"]: r["cost"] for r in d["rows"]} == {
        k: pytest.approx(float(v), abs=0.005) for k, v in per_service.items()
    }
    other = _breakdown(sample, period=SEPTEMBER, by="provider", untagged=False)
    assert other["row_count"] == len(tagged)
    assert other["total"] == pytest.approx(float(_sum(tagged)), abs=0.005)


def test_a_credit_bigger_than_a_listed_row_is_listed_too(sample):
    untagged = [r for r in focus_sample_rows() if _untagged(r)]
    per_service: dict[str, Decimal] = defaultdict(Decimal)
    for r in untagged:
        per_service[r["ServiceName"]] += Decimal(r["BilledCost"])
    ordered = sorted(per_service.items(), key=lambda kv: -kv[1])
    floor = min(abs(v) for _, v in ordered[:3])
    credits = [k for k, v in ordered[3:] if v < 0 and abs(v) > floor]
    assert credits  # the sample's untagged EC2 credit outweighs the third biggest service
    d = _breakdown(sample, period=SEPTEMBER, by="service_name", untagged=True, top=3)
    assert [r["key"] for r in d["rows"]] == [k for k, _ in ordered[:3]] + credits
    listed = sum(per_service[k] for k in [k for k, _ in ordered[:3]] + credits)
    assert d["other"]["cost"] == pytest.approx(float(_sum(untagged) - listed), abs=0.005)


def test_a_detail_lists_what_the_charges_of_each_row_were(sample):
    credits = [r for r in focus_sample_rows() if r["ChargeCategory"] == "Credit"]
    d = _breakdown(
        sample, period=SEPTEMBER, by="service_name", where={"charge_category": "Credit"}, detail="charge_description"
    )
    expected: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in credits:
        expected[r["ServiceName"]][r["ChargeDescription"]] += Decimal(r["BilledCost"])
    assert d["detail_by"] == "charge_description" and d["detail_label"] == "ChargeDescription"
    for row in d["rows"]:
        got = {x["key"]: x["cost"] for x in row["detail"]}
        assert got == {k: pytest.approx(float(v), abs=0.005) for k, v in expected[row["key"]].items()}


def test_billing_periods_with_whose_charges_they_hold(sample):
    rows = focus_sample_rows()
    d = _breakdown(sample, period=SEPTEMBER, by="billing_period", detail="provider")
    per: dict[str, Decimal] = defaultdict(Decimal)
    per_provider: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        per[_month(r["BillingPeriodStart"])] += Decimal(r["BilledCost"])
        per_provider[(_month(r["BillingPeriodStart"]), r["ProviderName"])] += Decimal(r["BilledCost"])
    assert {r["key"]: r["cost"] for r in d["rows"]} == {k: pytest.approx(float(v), abs=0.005) for k, v in per.items()}
    for row in d["rows"]:
        got = {x["key"]: x["cost"] for x in row["detail"]}
        want = {p: v for (m, p), v in per_provider.items() if m == row["key"]}
        assert got == {k: pytest.approx(float(v), abs=0.005) for k, v in want.items()}


# --- questions --------------------------------------------------------------------------------


def test_what_credits_were_for_names_their_charge_descriptions(sample_service):
    credits = [
        r
        for r in focus_sample_rows()
        if r["ChargeCategory"] == "Credit" and r["ChargePeriodStart"].startswith("2024-09")
    ]
    turn, answer = ask(sample_service, "how much were the credits in September 2024 and what were they for?")
    assert turn.tool_calls[0]["args"]["detail"] == "charge_description"
    assert f"cost **{_usd(_sum(credits))}**" in answer, answer
    for description in {r["ChargeDescription"] for r in credits}:
        assert description in answer


def test_other_billing_periods_are_read_over_the_whole_data_with_their_provider(sample_service):
    rows = focus_sample_rows()
    turn, answer = ask(
        sample_service, "Is there any charge that belongs to a billing period other than September 2024?"
    )
    args = turn.tool_calls[0]["args"]
    assert args["by"] == "billing_period" and args["detail"] == "provider"
    assert (
        args["period"]
        == f"{min(r['ChargePeriodStart'] for r in rows)[:10]} to {max(r['ChargePeriodStart'] for r in rows)[:10]}"
    )
    others = [r for r in rows if not r["BillingPeriodStart"].startswith("2024-09")]
    assert others  # the sample has one Oracle charge billed in October 2024
    assert f"- {_month(others[0]['BillingPeriodStart'])}: {_usd(_sum(others))}" in answer, answer
    for provider in {r["ProviderName"] for r in others}:
        assert f"ProviderName {provider}: {_usd(_sum([r for r in others if r['ProviderName'] == provider]))}" in answer


def test_rows_with_no_tags_are_counted_and_costed(sample_service):
    untagged = [r for r in focus_sample_rows() if _untagged(r)]
    turn, answer = ask(sample_service, "How many rows have no tags at all, and what's their total BilledCost?")
    assert all(c["name"] == "cost_breakdown" and c["args"].get("untagged") is True for c in turn.tool_calls)
    assert f"cost **{_usd(_sum(untagged))}**" in answer and f"{len(untagged)} billing rows" in answer, answer
    assert "20.52" not in answer  # "their total" is the untagged rows', not the whole bill's


def test_distinct_values_of_a_focus_column_named_as_written(sample_service):
    rows = focus_sample_rows()
    turn, answer = ask(sample_service, "How many distinct SubAccountIds are there?")
    assert turn.tool_calls[0]["args"]["by"] == "account_id"
    assert f"({len({r['SubAccountId'] for r in rows})} values)" in answer, answer  # 73


def test_one_providers_side_of_the_bill_lists_its_services(sample_service):
    oracle = [r for r in focus_sample_rows() if r["ProviderName"] == "Oracle"]
    turn, answer = ask(sample_service, "which services show up on the Oracle side of the bill?")
    assert turn.tool_calls[0]["args"]["provider"] == "Oracle"
    assert f"cost **{_usd(_sum(oracle))}**" in answer, answer
    for service in {r["ServiceName"] for r in oracle}:
        assert f"- {service}:" in answer


def test_commitment_discounts_are_broken_down_by_their_type(sample_service):
    types = {r["CommitmentDiscountType"] for r in focus_sample_rows()} - {"", "NULL"}
    turn, answer = ask(sample_service, "Are we using any commitment discounts? What type?")
    assert turn.tool_calls[0]["name"] == "cost_breakdown"
    assert turn.tool_calls[0]["args"]["by"] == "commitment_discount_type"
    for kind in types:  # Savings Plan
        assert f"- {kind}:" in answer, answer


# --- words ------------------------------------------------------------------------------------
def test_focus_column_names_name_the_dimension_they_are_read_from_first():
    from tools.cost.intents import COLUMN_WORDS

    words = dict((pattern, dim) for pattern, dim in COLUMN_WORDS)
    import re

    def dim_of(text: str) -> str | None:
        return next((d for p, d in words.items() if re.search(p, text)), None)

    assert dim_of("subaccountids") == "account_id"
    assert dim_of("subaccountname") == "account"
    assert dim_of("servicecategories") == "service_category"
    assert dim_of("servicename") == "service_name"
    assert dim_of("service name") is None


def test_a_share_of_a_net_credit_is_not_shown():
    from contract.intents import StepResult
    from tools.cost.answers import breakdown

    data = {
        "currency": "USD",
        "period": {"label": SEPTEMBER, "start": "2024-09-01", "end": "2024-09-30"},
        "filters": {},
        "total": -1.0,
        "row_count": 3,
        "by": "service_name",
        "values": 2,
        "rows": [
            {"key": "A", "cost": 1.0, "share_pct": -100.0, "row_count": 2},
            {"key": "B", "cost": -2.0, "share_pct": 200.0, "row_count": 1},
        ],
    }
    step = StepResult(name="cost_breakdown", args={}, result={"ok": True, "data": data})
    text = breakdown(None, step).text
    assert "%" not in text
    assert "- A: 1.00 USD (2 billing rows)" in text and "- B: -2.00 USD (1 billing row)" in text
    assert f"in {SEPTEMBER}, 3 billing rows" in text  # the label is the dates: not said twice


def test_what_the_charges_were_for_is_asked_in_so_many_words():
    from tools.cost.intents import WHAT_FOR

    for asked in ("what were they for?", "and what were those charges for", "what were the credits for", "what for?"):
        assert WHAT_FOR.search(asked), asked
    for figure in ("what is the cost for checkout last month", "what was the spend for team-payments"):
        assert not WHAT_FOR.search(figure), figure
