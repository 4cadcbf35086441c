"""The exported MiniLM (ONNX Runtime, OpenVINO) against sentence-transformers: same embeddings, same routing,
honest fallback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from agent.planner.router import Router
from agent.runtime import Runtime
from contract import embeddings, openvino_minilm
from contract.onnx_export import CACHE_ENV, ExportError, ensure_built, model_key
from contract.settings import Settings
from tests.support.docs import DATA
from tests.support.paths import REPO

EVAL_SETS = ("catalog", "docs", "kubernetes", "cost", "runbooks", "scaffolder")

TEXTS = [
    "How do I rotate the payments API key?",
    "who owns payments-api",
    "  leading and trailing whitespace\n\t",
    "Set `REINDEX_BATCH_SIZE=1000` and raise the memory limit to **2Gi** before the nightly reindex.",
    "```yaml\napiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  entrypoint: main\n```",
    "| key | default |\n| --- | --- |\n| `retryStrategy.limit` | 3 |",
    "Die Zahlungs-API läuft über Stripe und Adyen — Schlüssel alle 90 Tage rotieren. 東京リージョン",
    "k",
    "",
    # past the 256-wordpiece window: both must truncate at the model's max_seq_length
    " ".join(f"step {i}: the workflow controller retries the pod after a transient error." for i in range(60)),
    *[p.read_text() for p in sorted(DATA.rglob("*.md"))],
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return embeddings.load_model("torch").encode(TEXTS)


@pytest.fixture
def bf16_cpu() -> None:
    """OpenVINO's bf16 path needs bf16 units (AVX-512 BF16 or AMX); on other CPUs the docs index
    falls back to int8 (tested below with OpenVINO hidden), and the bf16 encoder itself cannot run."""
    try:
        openvino_minilm.core()
    except openvino_minilm.OpenVinoUnavailable as exc:
        pytest.skip(f"OpenVINO bf16 path unavailable here: {exc}")


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum(axis=1).min())


def test_onnx_fp32_matches_sentence_transformers(reference):
    onnx = embeddings.load_model("onnx")
    assert onnx.name == "onnx"
    assert _min_cosine(onnx.encode(TEXTS), reference) >= 0.99


def test_onnx_int8_matches_sentence_transformers(reference):
    int8 = embeddings.load_model("onnx-int8")
    assert int8.name == "onnx-int8"
    vectors = int8.encode(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), embeddings.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert _min_cosine(vectors, reference) >= 0.97


def test_openvino_bf16_matches_sentence_transformers(reference, bf16_cpu):
    """The docs index's encoder: bf16 on OpenVINO stays within 0.999 of sentence-transformers per text."""
    encoder = embeddings.load_model("openvino")
    assert encoder.name == "openvino"
    vectors = encoder.encode(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), embeddings.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert _min_cosine(vectors, reference) >= 0.999


def test_openvino_queries_and_batches_agree(bf16_cpu):
    """A query runs on its one-thread compiled model, a batch on all cores: the same vectors."""
    encoder = embeddings.load_model("openvino")
    together = encoder.encode(TEXTS, batch_size=4)
    alone = np.vstack([encoder.encode([text]) for text in TEXTS])
    assert _min_cosine(together, alone) >= 0.999


def test_without_openvino_the_docs_index_falls_back_to_int8(monkeypatch, caplog):
    """No openvino package (or no bf16 on the CPU): ONNX Runtime's int8 model, and a warning that says why."""
    monkeypatch.setitem(sys.modules, "openvino", None)  # ``import openvino`` now raises ImportError
    with caplog.at_level(logging.WARNING, logger="contract.embeddings"):
        encoder = embeddings.build_encoder("openvino")
    assert encoder.name == "onnx-int8"
    assert "OpenVINO bf16 path unavailable" in caplog.text and "openvino is not installed" in caplog.text


def test_length_sorted_batches_keep_each_text_in_its_row():
    """Batching sorts by length and pads per batch; no row may depend on its neighbours."""
    encoder = embeddings.load_model("onnx")
    together = encoder.encode(TEXTS, batch_size=4)
    alone = np.vstack([encoder.encode([text]) for text in TEXTS])
    assert _min_cosine(together, alone) >= 0.9999


def test_the_router_uses_fp32_onnx_and_the_docs_index_openvino(monkeypatch):
    from tools.docs.embedding import encode

    monkeypatch.delenv(embeddings.BACKEND_ENV, raising=False)
    assert embeddings.load_model().name == "onnx"
    texts = TEXTS[:4]
    assert np.array_equal(embeddings.embed(texts), embeddings.load_model("onnx").encode(texts))
    assert np.array_equal(encode(texts), embeddings.load_model("openvino").encode(texts))


def test_the_variable_overrides_both(monkeypatch):
    from tools.docs.embedding import encode

    monkeypatch.setenv(embeddings.BACKEND_ENV, "torch")
    texts = TEXTS[:4]
    torch = embeddings.load_model("torch").encode(texts)
    assert np.array_equal(embeddings.embed(texts), torch) and np.array_equal(encode(texts), torch)


def test_an_unknown_backend_names_the_variable(monkeypatch):
    monkeypatch.setenv(embeddings.BACKEND_ENV, "gpu")
    with pytest.raises(
        ValueError, match="PORTAL_AGENT_EMBEDDINGS='gpu': expected one of openvino, onnx-int8, onnx, torch"
    ):
        embeddings.embed(["x"])


def test_unwritable_cache_falls_back_to_sentence_transformers(monkeypatch, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    with caplog.at_level(logging.WARNING, logger="contract.embeddings"):
        encoder = embeddings.build_encoder("onnx-int8")
    assert encoder.name == "torch"
    assert "ONNX Runtime path unavailable" in caplog.text and "using sentence-transformers" in caplog.text
    assert str(blocker) in caplog.text


def test_a_failed_export_leaves_no_partial_cache(tmp_path):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json")
    root = tmp_path / "cache"
    with pytest.raises(ExportError, match="exporting MiniLM to ONNX failed"):
        ensure_built(broken, root)
    assert [p.name for p in root.iterdir()] == [f".{model_key(broken)}.lock"]


def test_the_cache_key_follows_the_model_files(tmp_path):
    model = tmp_path / "model"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "config.json").write_text('{"hidden_size": 384}')
    (model / "1_Pooling" / "config.json").write_text("{}")
    first = model_key(model)
    assert model_key(model) == first
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    assert model_key(model) != first


def test_a_cached_export_loads_without_torch():
    """After the one-time export, a process embeds without importing torch or sentence-transformers."""
    embeddings.load_model("openvino")  # the export exists (built now if this is the first use)
    code = (
        "import sys\n"
        "from contract.embeddings import embed\n"
        "from tools.docs.embedding import encode\n"
        "assert embed(['who owns payments-api']).shape == encode(['rotate the key']).shape == (1, 384)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != embeddings.BACKEND_ENV}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _eval_questions() -> list[str]:
    questions = []
    for name in EVAL_SETS:
        data = yaml.safe_load((REPO / "evals" / "datasets" / f"{name}.yaml").read_text())
        cases = data["cases"] if isinstance(data, dict) else data
        questions += [case["question"] for case in cases]
    return questions


@pytest.mark.slow
def test_the_router_picks_the_same_intent_with_either_backend(monkeypatch, tmp_path):
    """Top-1 intent of every demo eval question, semantic scoring on: torch vs the router's ONNX."""
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    questions = _eval_questions()
    assert len(questions) > 300
    top: dict[str, list[str]] = {}
    for backend in ("torch", embeddings.ROUTING):
        monkeypatch.setenv(embeddings.BACKEND_ENV, backend)
        router = Router(runtime.intents, runtime, dormant=runtime.dormant_intents)
        top[backend] = [router.rank(q)[0].intent.name for q in questions]
    changed = [(q, a, b) for q, a, b in zip(questions, top["torch"], top[embeddings.ROUTING], strict=True) if a != b]
    assert changed == []
