"""Every eval set with a recorded ``min_score`` must still reach it (``make test`` runs this).

Plain sets share one demo service (its docs index is built once); sets with a ``settings:``
header run on exactly their sources and are skipped, with the reason, when those are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.runner import DATASETS_DIR, load_dataset, missing_sources, run_dataset

GUARDED = [p for p in sorted(DATASETS_DIR.glob("*.yaml")) if load_dataset(p).min_score is not None]


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory):
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings
    from demo import DEMO_TODAY

    settings = Settings(data_dir=tmp_path_factory.mktemp("evals"), demo=True, demo_today=DEMO_TODAY, model="offline")
    return AgentService(Runtime(settings))


def test_the_demo_sets_have_recorded_thresholds():
    assert {"cost", "catalog", "docs"} <= {p.stem for p in GUARDED}


@pytest.mark.parametrize("path", GUARDED, ids=lambda p: p.stem)
def test_eval_score_does_not_drop_below_its_recorded_threshold(path: Path, request):
    dataset = load_dataset(path)
    if missing := missing_sources(dataset):
        pytest.skip(f"{path.name}: source(s) absent: {', '.join(missing)}")
    report = run_dataset(path, None if dataset.settings else request.getfixturevalue("demo_service"))
    failed = [f"{r.id}: {r.question!r} → {r.answer[:160]!r}" for r in report.results if not r.correct]
    assert report.accuracy >= dataset.min_score, (
        f"{path.stem}: {report.correct}/{report.cases} = {report.accuracy:.1%} < recorded {dataset.min_score:.1%}\n"
        + "\n".join(failed)
    )
