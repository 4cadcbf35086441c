"""The quality bars of ``../shared/DESIGN.md`` (section "Quality bars (measured by benchmarks and
eval scripts, not by timed tests)"), as data: which figure of which script each one judges.

A bar is absolute (``limit`` in the figure's unit) or relative (``limit`` times another figure of
the same run, ``of``); a bar with no ``op`` is one the design asks to be reported, not met. Figures
with no bar here are printed without one: the design sets none for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

SECTION = "DESIGN.md § Quality bars"


@dataclass(frozen=True)
class Bar:
    row: str  # the "what" column of the design's table
    op: Literal["<=", ">="] | None = None
    limit: float = math.nan
    of: str | None = None  # "script/figure" the limit multiplies

    def text(self, figures: dict[str, float]) -> str:
        if self.op is None:
            return "reported"
        if self.of is None:
            return f"{self.op} {self.limit:g}"
        measured = figures.get(self.of, math.nan)
        limit = "" if math.isnan(measured) else f" = {self.limit * measured:.3g}"
        return f"{self.op} {self.limit:g} × {self.of.split('/', 1)[1]}{limit}"

    def verdict(self, value: float, figures: dict[str, float]) -> str:
        """pass / FAIL, or "-" when there is nothing to judge (reported only, or ``of`` not measured)."""
        if self.op is None or math.isnan(value):
            return "-"
        limit = self.limit
        if self.of is not None:
            if self.of not in figures or math.isnan(figures[self.of]):
                return "-"
            limit *= figures[self.of]
        met = value <= limit if self.op == "<=" else value >= limit
        return "pass" if met else "FAIL"


BARS: dict[str, Bar] = {
    "cold_start/cold start median": Bar(
        "`portal-agent ask` cold start for a catalog question",
        "<=",
        1.5,
        "cold_start/import langgraph + langchain_core",
    ),
    "agent_overhead/turn CPU, instant model": Bar(
        "agent overhead per turn, model time excluded", "<=", 1.5, "graph_floor/run CPU, sqlite-inline (ours), 3 nodes"
    ),
    "docs_search_latency/search p95 incl. query embedding": Bar("docs search at 100k chunks (p95)", "<=", 50),
    "docs_search_server/server: search p95 incl. query embedding": Bar(
        "docs search at 100k chunks on the Chroma server, keywords in PostgreSQL (p95)", "<=", 50
    ),
    "docs_retrieval/recall@5": Bar("docs search at 100k chunks (recall@5)", ">=", 0.9),
    "docs_indexing/indexing speed-up over sentence-transformers": Bar(
        "docs indexing: ≥ 3 × the plain sentence-transformers path, same run", ">=", 3
    ),
    "slack_ack/ack p99": Bar("Slack acknowledgement under 50 concurrent events", "<=", 100),
    "slack_ack/rounds not answered exactly once": Bar("duplicate Slack deliveries: answered exactly once", "<=", 0),
    "tokens_per_turn/worst turn": Bar("tokens per turn sent to an LLM (system prompt + tool schemas)", "<=", 3000),
    "tokens_per_turn/tool output cap": Bar("each tool output capped (default 2,000)", "<=", 2000),
    "cost_eval/accuracy": Bar("the demo eval sets: no score drops", ">=", 1, "cost_eval/recorded min_score"),
    **{
        f"web_load/{figure}, burst {round_no}": Bar(
            "web chat, 200 simultaneous questions: p95 first token and throughput, near-linear scaling"
        )
        for figure in ("first token p95", "throughput")
        for round_no in (1, 2)
    },
}
