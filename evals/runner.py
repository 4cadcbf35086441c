"""Runs eval datasets (``evals/datasets/*.yaml``) through the real service and scores them.

Each case runs in its own conversation; ``history`` turns are asked first in the same thread, so
follow-ups are evaluated as people ask them. The model is whatever the configuration selects
(the offline planner by default).

A dataset is either a plain list of cases (run over the demo organisation, or whatever sources
are configured) or a mapping::

    settings:            # exactly the sources this set is about; paths relative to the repo root
      focus: ../shared/fixtures/focus/focus_sample.csv
    today: 2026-11-24    # optional; evals always pin "today" (default: the demo's DEMO_TODAY)
    min_score: 0.9       # the recorded threshold: tests/evals fails when the score drops below it
    first_run: "31/40 on 2026-12-02, before any fix it prompted"
    cases: [...]

A set with ``settings`` runs on a service built from those sources only (no demo, nothing from
the environment's sources) and is skipped, with the reason, when a path it names is absent —
real fixtures live outside the repository. "Today" is pinned for every set, so a score never
depends on the day it is measured.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evals.judge import Judge
from evals.models import OracleCall
from evals.scorers import Expectation, Outcome, Score, outcome, score

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
REPO_ROOT = DATASETS_DIR.parents[1]
# Settings whose values are files or folders (a value with "://" is a URL and is not checked).
PATH_SETTINGS = ("catalog", "docs", "focus", "templates", "runbooks", "kubeconfig", "kubernetes_snapshot")


class Case(BaseModel):
    id: str
    question: str
    user: str | None = None
    history: list[str] = Field(default_factory=list)
    expect: Expectation = Field(default_factory=Expectation)
    tags: list[str] = Field(default_factory=list)
    # The ideal tool calls for this question (``--oracle``): what the best model would call.
    oracle: list[OracleCall] | None = None


class Dataset(BaseModel):
    """One dataset file: its cases and, for real-data sets, the sources and the recorded scores."""

    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] = Field(default_factory=dict)
    today: date | None = None
    min_score: float | None = Field(None, ge=0.0, le=1.0)
    first_run: str | None = None
    cases: list[Case] = Field(default_factory=list)

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        from contract.settings import Settings

        unknown = sorted(set(value) - set(Settings.model_fields))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}")
        return value


class CaseResult(BaseModel):
    id: str
    question: str
    correct: bool
    outcome: Outcome
    score: Score
    answer: str
    tool_calls: list[dict[str, Any]]
    seconds: float
    family: str = "none"  # of the expected tools, else of the tools called
    tags: list[str] = Field(default_factory=list)
    tokens_sent: int = 0  # to the model, over the case's turns (tiktoken)
    tokens_received: int = 0
    passes: int = 0  # runs out of the report's ``repeat`` that were correct
    oracle: bool | None = None  # the facts were in the oracle calls' output (None: no oracle calls)
    judge: str | None = None  # the LLM judge's verdict, when one is configured (evals/judge.py)
    judge_reason: str | None = None


class DatasetReport(BaseModel):
    dataset: str
    cases: int
    correct: int
    tools_ok: int
    facts_ok: int
    honest: int = 0  # failed cases whose answer was an honest "can't answer" (evals/scorers.py)
    incomplete: int = 0  # failed cases whose answer held some expected facts, missed others, asserted nothing forbidden
    wrong: int = 0  # failed cases whose answer held none of the expected facts, or a forbidden one
    seconds: float
    results: list[CaseResult]
    min_score: float | None = None
    skipped: str | None = None  # why the set did not run (a source it needs is absent)
    model: str = "offline"
    repeat: int = 1

    @property
    def accuracy(self) -> float:
        return self.correct / self.cases if self.cases else 0.0

    @property
    def pass_at_1(self) -> float:
        """The expected share of cases one run gets right (the mean over ``repeat`` runs)."""
        return sum(r.passes for r in self.results) / (self.repeat * len(self.results)) if self.results else 0.0

    @property
    def pass_hat_n(self) -> float:
        """The share of cases right in every one of ``repeat`` runs (reliability)."""
        return sum(r.passes == self.repeat for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def oracle_scored(self) -> list[CaseResult]:
        return [r for r in self.results if r.oracle is not None]

    @property
    def below_threshold(self) -> bool:
        return self.skipped is None and self.min_score is not None and self.accuracy < self.min_score


def dataset_path(name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    candidate = DATASETS_DIR / f"{name}.yaml"
    if not candidate.exists():
        raise FileNotFoundError(f"no eval dataset {name!r} (looked for {path} and {candidate})")
    return candidate


def load_dataset(path: Path) -> Dataset:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(raw, list):
        raw = {"cases": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a dataset is a list of cases or a mapping with 'cases'")
    items = raw.get("cases") or []
    cases = []
    for index, item in enumerate(items):
        try:
            cases.append(Case.model_validate(item))
        except Exception as exc:
            name = item.get("id", "?") if isinstance(item, dict) else "?"
            raise ValueError(f"{path}: case #{index + 1} ({name}): {exc}") from exc
    _add_oracle_calls(path, cases)
    try:
        return Dataset.model_validate({**raw, "cases": cases})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {problems}") from exc


def _add_oracle_calls(path: Path, cases: list[Case]) -> None:
    """Ideal tool calls kept beside a set (``oracle/<set>.yaml``: case id → calls), so that a blind
    set's cases stay exactly as their writer left them."""
    sidecar = path.parent / "oracle" / path.name
    if not sidecar.is_file():
        return
    calls = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    if not isinstance(calls, dict):
        raise ValueError(f"{sidecar}: expected a mapping of case id to a list of tool calls")
    by_id = {c.id: c for c in cases}
    for case_id, listed in calls.items():
        if case_id not in by_id:
            raise ValueError(f"{sidecar}: no case {case_id!r} in {path.name}")
        try:
            by_id[case_id].oracle = [OracleCall.model_validate(c) for c in listed or []]
        except ValidationError as exc:
            raise ValueError(f"{sidecar}: {case_id}: {exc}") from exc


def load_cases(path: Path) -> list[Case]:
    return load_dataset(path).cases


def _is_url(value: str) -> bool:
    return "://" in value


def source_settings(dataset: Dataset) -> dict[str, Any]:
    """The dataset's settings with file and folder paths resolved against the repo root."""
    out: dict[str, Any] = {}
    for name, value in dataset.settings.items():
        if name in PATH_SETTINGS:
            values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
            out[name] = [v if _is_url(v) else str((REPO_ROOT / v).resolve()) for v in map(str, values)]
        else:
            out[name] = value
    return out


def missing_sources(dataset: Dataset) -> list[str]:
    """The paths the dataset names that do not exist, as written in the dataset."""
    missing = []
    for name in PATH_SETTINGS:
        value = dataset.settings.get(name)
        values = value if isinstance(value, list) else [v.strip() for v in str(value or "").split(",") if v.strip()]
        missing += [str(v) for v in values if not _is_url(str(v)) and not (REPO_ROOT / str(v)).exists()]
    return missing


def pinned_today(dataset: Dataset | None = None) -> date:
    from demo import DEMO_TODAY

    return (dataset.today if dataset is not None else None) or DEMO_TODAY


def service_for(dataset: Dataset, data_dir: Path | None = None, model: str | None = None):
    """A service over exactly the dataset's sources: no demo, no source from the environment."""
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import SOURCE_FIELDS, Settings

    blank = {name: None if name == "opencost_url" else [] for name in (*SOURCE_FIELDS, "github_discovery")}
    settings = Settings(
        **{**blank, **source_settings(dataset)},
        demo=False,
        demo_today=pinned_today(dataset),
        data_dir=data_dir or Path(tempfile.mkdtemp(prefix="portal-agent-eval-")),
        **({"model": model} if model else {}),
    )
    return AgentService(Runtime(settings))


def default_service(data_dir: Path | None = None, model: str | None = None):
    """The configured service (the demo when nothing is configured), with "today" pinned unless
    the configuration pins it, and a data dir of its own: evals never write into the user's."""
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import load_settings

    settings = load_settings()
    settings = settings.model_copy(
        update={
            "data_dir": data_dir or Path(tempfile.mkdtemp(prefix="portal-agent-eval-")),
            "demo_today": settings.demo_today or pinned_today(),
            **({"model": model} if model else {}),
        }
    )
    return AgentService(Runtime(settings))


def _skipped(path: Path, dataset: Dataset, reason: str) -> DatasetReport:
    return DatasetReport(
        dataset=path.stem,
        cases=len(dataset.cases),
        correct=0,
        tools_ok=0,
        facts_ok=0,
        seconds=0.0,
        results=[],
        min_score=dataset.min_score,
        skipped=reason,
    )


def run_dataset(
    path: Path,
    service=None,
    *,
    model: str | None = None,
    repeat: int = 1,
    oracle: bool = False,
    judge: Judge | None = None,
) -> DatasetReport:
    """Score one dataset. ``service`` is used for plain sets; a set with ``settings`` builds its own.

    ``model`` overrides the configured model; each case runs ``repeat`` times (its first run is the
    one scored and shown); ``oracle`` also runs each case's ideal tool calls (see evals/models.py).
    """
    dataset = load_dataset(path)
    if dataset.settings:
        if service is not None:
            raise ValueError(f"{path.name} names its own sources (settings:); it builds its own service")
        if missing := missing_sources(dataset):
            return _skipped(path, dataset, f"source(s) absent: {', '.join(missing)}")
        service = service_for(dataset, model=model)
    service = service or default_service(model=model)
    meter = _metered(service)
    started = time.perf_counter()
    results: list[CaseResult] = []
    for case in dataset.cases:
        runs = [_run_case(service, case, meter) for _ in range(max(1, repeat))]
        first = runs[0]
        first.passes = sum(r.correct for r in runs)
        if oracle and case.oracle and not _abstains(case):
            first.oracle = _run_oracle(service, case).correct
        if judge is not None:
            verdict = judge.grade(case.question, case.expect, first.answer)
            first.judge, first.judge_reason = verdict.verdict, verdict.reason
        results.append(first)
    return DatasetReport(
        dataset=path.stem,
        cases=len(results),
        correct=sum(r.correct for r in results),
        tools_ok=sum(r.score.tools_ok for r in results),
        facts_ok=sum(r.score.facts_ok for r in results),
        honest=sum(r.outcome == "honest" for r in results),
        incomplete=sum(r.outcome == "incomplete" for r in results),
        wrong=sum(r.outcome == "wrong" for r in results),
        seconds=time.perf_counter() - started,
        results=results,
        min_score=dataset.min_score,
        model=service.runtime.settings.model,
        repeat=max(1, repeat),
    )


def _metered(service):
    from evals.models import TokenMeter

    callbacks = list(service.model.callbacks or [])
    meter = next((c for c in callbacks if isinstance(c, TokenMeter)), None)
    if meter is None:  # one meter per model, however many sets share the service
        meter = TokenMeter()
        service.model.callbacks = [*callbacks, meter]
    return meter


def _run_case(service, case: Case, meter) -> CaseResult:
    from agent.service import new_thread_id

    t0 = time.perf_counter()
    meter.reset()
    principal = service.principal(case.user or service.runtime.settings.default_user, via="api")
    thread_id = new_thread_id()
    for turn in case.history:
        service.ask(turn, principal, thread_id=thread_id)
    turn = service.ask(case.question, principal, thread_id=thread_id)
    s = score(case.expect, turn.answer, turn.tool_calls, turn.interrupt is not None)
    return CaseResult(
        id=case.id,
        question=case.question,
        correct=s.correct,
        outcome=outcome(s, turn.answer),
        score=s,
        answer=turn.answer,
        tool_calls=turn.tool_calls,
        seconds=time.perf_counter() - t0,
        family=_family(service, case.expect.tools or [c["name"] for c in turn.tool_calls]),
        tags=case.tags,
        tokens_sent=meter.sent,
        tokens_received=meter.received,
    )


def _run_oracle(service, case: Case) -> Score:
    """The case's ideal calls through the real graph (gate included); are the facts in their output?"""
    from agent.service import AgentService, new_thread_id
    from evals.models import OracleModel

    oracle = AgentService(service.runtime, model=OracleModel(calls=case.oracle or []))
    principal = oracle.principal(case.user or service.runtime.settings.default_user, via="api")
    turn = oracle.ask(case.question, principal, thread_id=new_thread_id())
    expect = case.expect.model_copy(update={"tools": []})
    return score(expect, readable(turn.answer), turn.tool_calls, turn.interrupt is not None)


def _abstains(case: Case) -> bool:
    """A question the sources do not answer: the right reply is a model's "not covered", which no
    tool output says in so many words, so the ceiling (can the tools supply the facts?) skips it."""
    return not case.expect.facts and "unanswerable" in case.tags


def readable(tool_output: str) -> str:
    """The oracle's answer (the tool messages, one JSON document per line) as the text a model
    reads: every JSON document's keys and values on lines of their own, strings unescaped, so a
    fact with quotes (``{component="kube-apiserver"}``) is found as written."""
    lines = []
    for line in tool_output.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        lines.extend(_flattened(document))
    return "\n".join(lines)


def _flattened(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [line for key, item in value.items() for line in _flattened(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [line for item in value for line in _flattened(item, path)]
    return [f"{path}: {value}" if path else str(value)]


def _family(service, tool_names: list[str]) -> str:
    tools = service.runtime.tools
    return next((tools[n].family for n in tool_names if n in tools), "none")


def run_datasets(
    names: list[str] | None = None,
    *,
    model: str | None = None,
    repeat: int = 1,
    oracle: bool = False,
    judge: Judge | None = None,
) -> list[DatasetReport]:
    paths = [dataset_path(n) for n in names] if names else sorted(DATASETS_DIR.glob("*.yaml"))
    shared = None  # one service for every plain set: the demo's indexes are built once
    reports = []
    for path in paths:
        if load_dataset(path).settings:
            reports.append(run_dataset(path, model=model, repeat=repeat, oracle=oracle, judge=judge))
        else:
            shared = shared or default_service(model=model)
            reports.append(run_dataset(path, shared, repeat=repeat, oracle=oracle, judge=judge))
    return reports


def print_report(reports: list[DatasetReport], show_failures: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        "dataset",
        "cases",
        "correct",
        "accuracy",
        "min",
        "honest no",
        "incomplete",
        "wrong",
        "tools ok",
        "facts ok",
        "seconds",
        title="portal-agent evals",
    )
    for r in reports:
        if r.skipped:
            table.add_row(r.dataset, str(r.cases), "-", "skipped", _min(r), "-", "-", "-", "-", "-", "-")
            continue
        accuracy = f"[red]{r.accuracy:.1%}[/]" if r.below_threshold else f"{r.accuracy:.1%}"
        table.add_row(
            r.dataset,
            str(r.cases),
            str(r.correct),
            accuracy,
            _min(r),
            str(r.honest),
            str(r.incomplete),
            f"{r.wrong} ({r.wrong / r.cases:.0%})" if r.cases else "0",
            str(r.tools_ok),
            str(r.facts_ok),
            f"{r.seconds:.1f}",
        )
    console.print(table)
    for r in reports:
        if r.skipped:
            console.print(f"skipped {r.dataset}: {r.skipped}", style="yellow", markup=False)
    if show_failures:
        for r in reports:
            for case in r.results:
                if not case.correct:
                    console.print(f"[red]✗ {case.outcome} {r.dataset}/{case.id}[/] {case.question!r}")
                    console.print(
                        f"   tools called: {[c['name'] for c in case.tool_calls]}; "
                        f"missing tools {case.score.missing_tools}, facts {case.score.missing_facts}, "
                        f"forbidden {case.score.forbidden_facts}"
                    )
                    console.print(f"   answer: {case.answer[:300]!r}", markup=False)


def _min(report: DatasetReport) -> str:
    return f"{report.min_score:.1%}" if report.min_score is not None else ""
