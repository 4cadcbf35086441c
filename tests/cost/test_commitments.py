"""Commitment discounts (savings plans, reserved instances, committed use) over FOCUS data, and
rightsizing — which only OpenCost answers — with only FOCUS exports configured.

Every expected figure is computed here from the FinOps Foundation sample with the csv module and
Decimal — never with the engine or DuckDB.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.support.cost import ask, focus_runtime, focus_sample, focus_sample_rows

SEPTEMBER = "2024-09-01 to 2024-09-30"
NULLS = ("", "NULL")


def _usd(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,} USD"


def _sum(rows, column: str) -> Decimal:
    return sum((Decimal(r[column]) for r in rows), Decimal(0))


def _covered(kind: str | None = None) -> list[dict[str, str]]:
    """The rows a commitment discount covers (of one CommitmentDiscountType, when given)."""
    rows = [r for r in focus_sample_rows() if r["CommitmentDiscountType"] not in NULLS]
    return [r for r in rows if kind is None or r["CommitmentDiscountType"] == kind]


def _saving(rows) -> Decimal:
    return _sum(rows, "ListCost") - _sum(rows, "EffectiveCost")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return focus_runtime(tmp_path_factory.mktemp("commitments"), focus_sample())


# --- rightsizing needs OpenCost ------------------------------------------------------------------
@pytest.mark.parametrize("tool", ["cost_rightsizing", "cost_allocation"])
def test_an_opencost_tool_called_without_opencost_fails_naming_the_setting(sample, tool):
    runtime, ctx = sample
    result = runtime.tools[tool].run({}, ctx)
    assert not result.ok
    assert "PORTAL_AGENT_OPENCOST_URL" in result.error and "needs OpenCost" in result.error
    assert "Error" not in result.error  # no exception's class name: a sentence for a person


@pytest.mark.parametrize(
    "question", ["rightsizing recommendations", "which workloads are over-provisioned", "where can we save money"]
)
def test_a_plain_rightsizing_ask_with_only_focus_files_gets_the_opencost_line(sample_service, question):
    turn, answer = ask(sample_service, question)
    assert not turn.tool_calls  # the intent that needs OpenCost plans no call
    assert "Rightsizing needs OpenCost" in answer and "PORTAL_AGENT_OPENCOST_URL" in answer, answer
    assert "Error" not in answer and "could not get the cost data" not in answer


# --- commitment discounts -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "how much did savings plans save us?",
        "what did we spend on savings plans?",
        "which charges were covered by a savings plan?",
        "How much did our savings plan save in September 2024?",
    ],
)
def test_savings_plan_asks_answer_from_the_commitment_discount_columns(sample_service, question):
    covered = _covered("Savings Plan")
    assert len(covered) == 4 and {r["PricingCategory"] for r in covered} == {"Committed"}
    turn, answer = ask(sample_service, question)
    assert [c["name"] for c in turn.tool_calls] == ["cost_breakdown"], turn.tool_calls
    args = turn.tool_calls[0]["args"]
    assert args["where"] == {"commitment_discount_type": "Savings Plan"} and args["compare"] is True
    assert "cost_rightsizing" not in str(turn.tool_calls) and "OpenCost" not in answer
    assert f"covered {len(covered)} billing rows in September 2024" in answer, answer
    assert f"ListCost {_usd(_sum(covered, 'ListCost'))}" in answer
    assert f"EffectiveCost {_usd(_sum(covered, 'EffectiveCost'))}" in answer
    assert f"**{_usd(_saving(covered))} saved**" in answer  # 0.14 USD
    # the rows no savings plan covers are no part of the answer
    uncovered = [r for r in focus_sample_rows() if r["CommitmentDiscountType"] in NULLS]
    assert _usd(_sum(uncovered, "BilledCost")) not in answer


def test_the_charges_a_savings_plan_covered_are_listed_by_what_they_were_for(sample_service):
    turn, answer = ask(sample_service, "which charges were covered by a savings plan?")
    assert turn.tool_calls[0]["args"]["by"] == "charge_description"
    by_description: dict[str, list] = defaultdict(list)
    for row in _covered("Savings Plan"):
        by_description[row["ChargeDescription"]].append(row)
    for description in by_description:
        assert f"- {description}: " in answer, answer
    biggest = max(by_description, key=lambda d: _saving(by_description[d]))
    first = next(line for line in answer.splitlines() if line.startswith("- "))
    assert first.startswith(f"- {biggest}:")  # the biggest saving first


def test_a_generic_commitment_ask_lists_each_type_and_what_no_commitment_covered(sample_service):
    turn, answer = ask(sample_service, "Are we using any commitment discounts? What type?")
    assert turn.tool_calls[0]["name"] == "cost_breakdown"
    assert turn.tool_calls[0]["args"]["by"] == "commitment_discount_type"
    for kind in {r["CommitmentDiscountType"] for r in _covered()}:
        assert f"- {kind}: " in answer and f"saved {_usd(_saving(_covered(kind)))}" in answer, answer
    uncovered = [r for r in focus_sample_rows() if r["CommitmentDiscountType"] in NULLS]
    assert f"Not covered by any commitment discount: BilledCost {_usd(_sum(uncovered, 'BilledCost'))}" in answer


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how much did reserved instances save us?", "reserved instance"),
        ("what did our reservations cost last month?", "reserved instance"),
        ("how much did committed use discounts save?", "committed use discount"),
    ],
)
def test_a_commitment_kind_the_data_does_not_hold_is_said_so(sample_service, question, kind):
    assert not [r for r in _covered() if "reserv" in r["CommitmentDiscountType"].lower()]
    turn, answer = ask(sample_service, question)
    assert "cost_rightsizing" not in str(turn.tool_calls)
    assert f"holds no {kind} rows" in answer, answer
    assert "Savings Plan (4 billing rows)" in answer  # what it does hold, without figures
    assert "saved" not in answer and " USD" not in answer


def test_a_breakdown_compares_billed_effective_and_list_cost_per_row(sample):
    runtime, ctx = sample
    args = {"period": SEPTEMBER, "by": "commitment_discount_type", "compare": True, "chart": False}
    result = runtime.tools["cost_breakdown"].run(args, ctx)
    assert result.ok, result.error
    compare = result.data["compare"]
    rows = focus_sample_rows()
    assert compare["total"]["list_cost"] == pytest.approx(float(_sum(rows, "ListCost")), abs=0.005)
    assert compare["total"]["billed_cost"] == pytest.approx(float(_sum(rows, "BilledCost")), abs=0.005)
    savings_plan = compare["rows"]["Savings Plan"]
    covered = _covered("Savings Plan")
    assert savings_plan["list_cost"] == pytest.approx(float(_sum(covered, "ListCost")), abs=0.005)
    assert savings_plan["effective_cost"] == pytest.approx(float(_sum(covered, "EffectiveCost")), abs=0.005)
    assert savings_plan["saving_vs_list"] == pytest.approx(float(_saving(covered)), abs=0.005)


def test_pricing_category_committed_stays_a_breakdown_filter(sample_service):
    """ "PricingCategory Committed" names a FOCUS value (a filter), not a kind of commitment discount."""
    turn, answer = ask(
        sample_service,
        "What's the ListCost of the rows with PricingCategory Committed (what they'd cost at list price)?",
    )
    args = turn.tool_calls[0]["args"]
    assert args["where"] == {"pricing_category": "Committed"} and args["metric"] == "list"
    committed = [r for r in focus_sample_rows() if r["PricingCategory"] == "Committed"]
    assert _usd(_sum(committed, "ListCost")) in answer
