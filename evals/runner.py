"""Runs eval datasets (``evals/datasets/*.yaml``) through the real service and scores them.

Each case runs in its own conversation; ``history`` turns are asked first in the same thread, so
follow-ups are evaluated as people ask them. The model is whatever the configuration selects
(the offline planner by default), over the demo organisation unless sources are configured.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from evals.scorers import Expectation, Score, score

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"


class Case(BaseModel):
    id: str
    question: str
    user: str | None = None
    history: list[str] = Field(default_factory=list)
    expect: Expectation = Field(default_factory=Expectation)
    tags: list[str] = Field(default_factory=list)


class CaseResult(BaseModel):
    id: str
    question: str
    correct: bool
    score: Score
    answer: str
    tool_calls: list[dict[str, Any]]
    seconds: float


class DatasetReport(BaseModel):
    dataset: str
    cases: int
    correct: int
    tools_ok: int
    facts_ok: int
    seconds: float
    results: list[CaseResult]

    @property
    def accuracy(self) -> float:
        return self.correct / self.cases if self.cases else 0.0


def dataset_path(name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    candidate = DATASETS_DIR / f"{name}.yaml"
    if not candidate.exists():
        raise FileNotFoundError(f"no eval dataset {name!r} (looked for {path} and {candidate})")
    return candidate


def load_cases(path: Path) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(raw, dict):
        raw = raw.get("cases", [])
    cases = []
    for index, item in enumerate(raw):
        try:
            cases.append(Case.model_validate(item))
        except Exception as exc:
            raise ValueError(f"{path}: case #{index + 1} ({item.get('id', '?')}): {exc}") from exc
    return cases


def run_dataset(path: Path, service=None) -> DatasetReport:
    from agent.service import new_thread_id

    service = service or _default_service()
    started = time.perf_counter()
    results: list[CaseResult] = []
    for case in load_cases(path):
        t0 = time.perf_counter()
        principal = service.principal(case.user or service.runtime.settings.default_user, via="api")
        thread_id = new_thread_id()
        for turn in case.history:
            service.ask(turn, principal, thread_id=thread_id)
        turn = service.ask(case.question, principal, thread_id=thread_id)
        s = score(case.expect, turn.answer, turn.tool_calls, turn.interrupt is not None)
        results.append(
            CaseResult(
                id=case.id,
                question=case.question,
                correct=s.correct,
                score=s,
                answer=turn.answer,
                tool_calls=turn.tool_calls,
                seconds=time.perf_counter() - t0,
            )
        )
    return DatasetReport(
        dataset=path.stem,
        cases=len(results),
        correct=sum(r.correct for r in results),
        tools_ok=sum(r.score.tools_ok for r in results),
        facts_ok=sum(r.score.facts_ok for r in results),
        seconds=time.perf_counter() - started,
        results=results,
    )


def _default_service():
    from agent.config import load_settings
    from agent.runtime import Runtime
    from agent.service import AgentService

    settings = load_settings()
    # Evals never write into the user's data dir.
    settings = settings.model_copy(update={"data_dir": Path(tempfile.mkdtemp(prefix="portal-agent-eval-"))})
    return AgentService(Runtime(settings))


def run_datasets(names: list[str] | None = None) -> list[DatasetReport]:
    paths = [dataset_path(n) for n in names] if names else sorted(DATASETS_DIR.glob("*.yaml"))
    service = _default_service()
    return [run_dataset(path, service) for path in paths]


def print_report(reports: list[DatasetReport], show_failures: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        "dataset", "cases", "correct", "accuracy", "tools ok", "facts ok", "seconds", title="portal-agent evals"
    )
    for r in reports:
        table.add_row(
            r.dataset,
            str(r.cases),
            str(r.correct),
            f"{r.accuracy:.1%}",
            str(r.tools_ok),
            str(r.facts_ok),
            f"{r.seconds:.1f}",
        )
    console.print(table)
    if show_failures:
        for r in reports:
            for case in r.results:
                if not case.correct:
                    console.print(f"[red]✗ {r.dataset}/{case.id}[/] {case.question!r}")
                    console.print(
                        f"   tools called: {[c['name'] for c in case.tool_calls]}; "
                        f"missing tools {case.score.missing_tools}, facts {case.score.missing_facts}, "
                        f"forbidden {case.score.forbidden_facts}"
                    )
                    console.print(f"   answer: {case.answer[:300]!r}", markup=False)
